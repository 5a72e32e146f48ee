/**
 * Deliberate damage to a stopped member's data directory: snapshot files and LevelDB log
 * records. The layouts are those documented in src/storage (snapshot-store.ts,
 * level-log-storage.ts, codec.ts); the log is edited through LevelDB itself, as media damage
 * that LevelDB's own checks miss would look to the node: a record whose bytes are wrong.
 */
import { appendFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Level } from 'level';
import { decodeHardState, entryKey } from '../../../src/storage/index.js';
import { TORN_RECORD, newestWriteAheadFile } from '../../storage/helpers.js';

/** Snapshot files of a data directory, oldest first. */
export function snapshotFiles(dataDir: string): string[] {
  const dir = join(dataDir, 'snapshots');
  return readdirSync(dir)
    .filter((n) => /^\d{20}-\d{20}\.snap$/.test(n))
    .sort()
    .map((n) => join(dir, n));
}

/** The index a snapshot file's name gives. */
export function snapshotIndexOf(file: string): number {
  const m = /(\d{20})-\d{20}\.snap$/.exec(file);
  if (m === null) throw new Error(`not a snapshot file: ${file}`);
  return Number(m[1]);
}

/** Flips one byte in the middle of `file` (inside the state machine image). */
export function flipByte(file: string, at?: number): void {
  const bytes = readFileSync(file);
  const i = at ?? Math.floor(bytes.length / 2);
  bytes[i] = bytes[i]! ^ 0xff;
  writeFileSync(file, bytes);
}

/** Cuts `file` to half its length (a write that never completed). */
export function truncateHalf(file: string): void {
  const bytes = readFileSync(file);
  writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
}

export interface LogPosition {
  /** Commit index of the persisted hard state. */
  readonly commit: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
}

type Db = Level<Uint8Array, Uint8Array>;

async function withLog<T>(dataDir: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const db: Db = new Level<Uint8Array, Uint8Array>(join(dataDir, 'raft'), {
    keyEncoding: 'view',
    valueEncoding: 'view',
  });
  await db.open();
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

const HARD_STATE_KEY = Uint8Array.of(0x01);

/** abstract-level yields undefined for a missing key; the typings of get(key) do not say so. */
function getRaw(db: Db, key: Uint8Array): Promise<Uint8Array | undefined> {
  return db.get(key);
}
const ENTRY_PREFIX = 0x10;

function indexOfKey(key: Uint8Array): number {
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  return view.getUint32(1) * 2 ** 32 + view.getUint32(5);
}

async function position(db: Db): Promise<LogPosition> {
  const hs = await getRaw(db, HARD_STATE_KEY);
  if (hs === undefined) throw new Error('no hard state');
  const commit = decodeHardState(hs).commit;
  const range = { gte: Uint8Array.of(ENTRY_PREFIX), lt: Uint8Array.of(ENTRY_PREFIX + 1), limit: 1 };
  const first = await db.keys(range).all();
  const last = await db.keys({ ...range, reverse: true }).all();
  if (first[0] === undefined || last[0] === undefined) throw new Error('the log holds no entries');
  return { commit, firstIndex: indexOfKey(first[0]), lastIndex: indexOfKey(last[0]) };
}

/** Where a stopped member's log stands. */
export function logPosition(dataDir: string): Promise<LogPosition> {
  return withLog(dataDir, position);
}

/** Puts back (or removes) what a garble function changed, from what it returned. */
export interface Damage {
  readonly index: number;
  readonly before: LogPosition;
  /** The record's bytes before the damage; undefined when the record was added. */
  readonly original: Uint8Array | undefined;
}

async function flipEntry(db: Db, index: number): Promise<Uint8Array> {
  const key = entryKey(index);
  const value = await getRaw(db, key);
  if (value === undefined) throw new Error(`no entry ${index}`);
  const original = Uint8Array.from(value);
  const copy = Uint8Array.from(value);
  copy[copy.length - 1] = copy[copy.length - 1]! ^ 0x5a;
  await db.put(key, copy);
  return original;
}

/** Flips a byte in the stored record of entry `index` (its CRC no longer matches). */
export function garbleEntry(dataDir: string, index: number): Promise<Damage> {
  return withLog(dataDir, async (db) => {
    const before = await position(db);
    return { index, before, original: await flipEntry(db, index) };
  });
}

/**
 * Damages the log's tail beyond the commit index: the last entry's record when it is not yet
 * known committed, else a garbled record appended after it.
 */
export function garbleUncommittedTail(dataDir: string): Promise<Damage> {
  return withLog(dataDir, async (db) => {
    const before = await position(db);
    if (before.lastIndex > before.commit) {
      return { index: before.lastIndex, before, original: await flipEntry(db, before.lastIndex) };
    }
    const index = before.lastIndex + 1;
    // Plausible-looking bytes (version 1, normal entry) whose checksum does not match.
    const garbage = Uint8Array.from([
      1, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3,
    ]);
    await db.put(entryKey(index), garbage);
    return { index, before, original: undefined };
  });
}

/** Undoes `damage` (the member must be stopped). */
export function repair(dataDir: string, damage: Damage): Promise<void> {
  return withLog(dataDir, async (db) => {
    if (damage.original === undefined) await db.del(entryKey(damage.index));
    else await db.put(entryKey(damage.index), damage.original);
  });
}

/**
 * Appends the start of a record that never finished to LevelDB's newest write-ahead file: what
 * a crash in the middle of a (never acknowledged) write leaves behind.
 */
export function tearWriteAheadLog(dataDir: string): string {
  const newest = newestWriteAheadFile(join(dataDir, 'raft'));
  appendFileSync(newest, TORN_RECORD);
  return newest;
}

/**
 * Flips a byte inside the first record of LevelDB's newest write-ahead file: media damage,
 * which LevelDB's recovery skips (with the rest of that 32 KiB block) instead of refusing.
 */
export function damageWriteAheadLog(dataDir: string): string {
  const newest = newestWriteAheadFile(join(dataDir, 'raft'));
  flipByte(newest, 20);
  return newest;
}

import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Level } from 'level';
import {
  CompactedError,
  EMPTY_CONF_STATE,
  RaftInvariantError,
  SnapshotOutOfDateError,
  SnapshotTemporarilyUnavailableError,
  UnavailableError,
  index,
  limitSize,
  nodeId,
  term,
  type ConfState,
  type HardState,
  type Snapshot,
} from '../../src/raft/index.js';
import {
  LevelLogStorage,
  MemberMismatchError,
  StorageClosedError,
  StorageCorruptError,
  StorageError,
  StorageFatalError,
  encodeEntry,
  entryKey,
} from '../../src/storage/index.js';
import {
  TORN_RECORD,
  bytes,
  captureLogger,
  entries,
  entry,
  newestWriteAheadFile,
  plain,
  silent,
  tempDir,
} from './helpers.js';

const CS: ConfState = { ...EMPTY_CONF_STATE, voters: [nodeId(1), nodeId(2), nodeId(3)] };

function hs(t: number, vote: number, commit: number): HardState {
  return { term: term(t), vote: vote as HardState['vote'], commit: index(commit) };
}

function snap(i: number, t: number, data = `snap${i}`, cs: ConfState = CS): Snapshot {
  return { metadata: { index: index(i), term: term(t), confState: cs }, data: bytes(data) };
}

/** Every held entry, compared as plain data. */
function all(s: LevelLogStorage): ReturnType<typeof plain>[] {
  if (s.lastIndex() < s.firstIndex()) return [];
  return s.entries(s.firstIndex(), index(s.lastIndex() + 1), Infinity).map(plain);
}

/** Raw access to the LevelDB directory of a closed storage. */
async function withRaw(
  dir: string,
  fn: (db: Level<Uint8Array, Uint8Array>) => Promise<void>,
): Promise<void> {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  try {
    await fn(db);
  } finally {
    await db.close();
  }
}

async function entryIndexesOnDisk(dir: string): Promise<number[]> {
  const out: number[] = [];
  await withRaw(dir, async (db) => {
    for await (const key of db.keys({ gte: entryKey(0), lt: Uint8Array.of(0x11) })) {
      out.push(new DataView(key.buffer, key.byteOffset).getUint32(5));
    }
  });
  return out;
}

/** What the tests see of a LevelDB chained batch, the storage's only write path. */
interface ChainedBatchLike {
  readonly length: number;
  readonly db: Level<Uint8Array, Uint8Array>;
}
type ChainedWrite = (this: ChainedBatchLike, options?: { sync?: boolean }) => Promise<void>;

/** The prototype every chained batch shares, typed loosely enough to stub `write`. */
async function chainedBatchProto(): Promise<{ write: ChainedWrite }> {
  const probeDir = await mkdtemp(join(tmpdir(), 'redraft-probe-'));
  const db = new Level<Uint8Array, Uint8Array>(probeDir);
  await db.open();
  const batch = db.batch();
  const proto = Object.getPrototypeOf(batch) as { write: ChainedWrite };
  await batch.close();
  await db.close();
  await rm(probeDir, { recursive: true, force: true });
  return proto;
}

describe('LevelLogStorage', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const open = (logger = silent): Promise<LevelLogStorage> => LevelLogStorage.open(dir, { logger });

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('log'));
  });
  afterEach(async () => {
    await cleanup();
  });

  describe('bootstrap and empty state', () => {
    it('opens a new directory as empty, like a fresh MemoryStorage', async () => {
      const s = await open();
      assert.equal(s.isEmpty(), true);
      assert.equal(s.firstIndex(), 1);
      assert.equal(s.lastIndex(), 0);
      assert.equal(s.term(index(0)), 0);
      assert.deepEqual(s.initialState(), {
        hardState: { term: 0, vote: 0, commit: 0 },
        confState: EMPTY_CONF_STATE,
      });
      assert.equal(s.snapshot().metadata.index, 0);
      await s.close();
    });

    it('persists the initial membership and refuses a second bootstrap', async () => {
      let s = await open();
      await s.bootstrap(CS);
      assert.equal(s.isEmpty(), false);
      assert.deepEqual(s.initialState().confState, CS);
      await s.close();

      s = await open();
      assert.equal(s.isEmpty(), false);
      assert.deepEqual(s.initialState().confState, CS);
      assert.deepEqual(s.snapshot().metadata, { index: 0, term: 0, confState: CS });
      await assert.rejects(s.bootstrap(CS), (err: unknown) => {
        assert.ok(err instanceof StorageError);
        assert.equal(err.code, 'STORAGE_NOT_EMPTY');
        return true;
      });
      await s.close();
    });
  });

  describe('persist', () => {
    it('round-trips entries and hard state across a reopen', async () => {
      let s = await open();
      await s.bootstrap(CS);
      const ents = [
        ...entries(1, 3, 1),
        entry(4, 2, new Uint8Array(0)),
        entry(5, 2, new Uint8Array(300).fill(7)),
      ];
      await s.persist({ entries: ents, hardState: hs(2, 1, 3) }, true);
      assert.deepEqual(all(s), ents.map(plain));
      assert.deepEqual(s.initialState().hardState, hs(2, 1, 3));
      await s.close();

      s = await open();
      assert.equal(s.firstIndex(), 1);
      assert.equal(s.lastIndex(), 5);
      assert.equal(s.term(index(4)), 2);
      assert.deepEqual(all(s), ents.map(plain));
      assert.deepEqual(s.initialState(), { hardState: hs(2, 1, 3), confState: CS });
      await s.close();
    });

    it('persists a hard state alone and keeps the latest', async () => {
      let s = await open();
      await s.persist({ entries: [], hardState: hs(1, 2, 0) }, true);
      await s.persist({ entries: [], hardState: hs(3, 0, 0) }, false);
      await s.close();
      s = await open();
      assert.deepEqual(s.initialState().hardState, hs(3, 0, 0));
      assert.equal(s.isEmpty(), false);
      await s.close();
    });

    it('overwriting a conflicting suffix deletes the stale tail, in memory and on disk', async () => {
      let s = await open();
      await s.persist({ entries: entries(1, 10, 1) }, true);
      await s.persist({ entries: [entry(6, 2, 'x6'), entry(7, 2, 'x7')] }, true);
      assert.equal(s.lastIndex(), 7);
      assert.throws(() => s.term(index(8)), UnavailableError);
      assert.deepEqual(all(s).slice(5), [plain(entry(6, 2, 'x6')), plain(entry(7, 2, 'x7'))]);
      await s.close();

      assert.deepEqual(await entryIndexesOnDisk(dir), [1, 2, 3, 4, 5, 6, 7]);
      s = await open();
      assert.equal(s.lastIndex(), 7);
      assert.deepEqual(
        plain(s.entries(index(7), index(8), Infinity)[0]!),
        plain(entry(7, 2, 'x7')),
      );
      await s.close();
    });

    it('skips entries that were already compacted, as MemoryStorage.append does', async () => {
      const s = await open();
      await s.persist({ entries: entries(1, 5, 1) }, true);
      await s.recordSnapshot(snap(4, 1));
      await s.compact(index(4));
      await s.persist({ entries: entries(2, 7, 1) }, true);
      assert.equal(s.firstIndex(), 5);
      assert.equal(s.lastIndex(), 7);
      await s.close();
    });

    it('rejects a gap or non-contiguous entries without writing or failing the storage', async () => {
      const s = await open();
      await s.persist({ entries: entries(1, 3, 1) }, true);
      await assert.rejects(s.persist({ entries: entries(5, 6, 1) }, true), UnavailableError);
      await assert.rejects(
        s.persist({ entries: [entry(4, 1), entry(6, 1)] }, true),
        RaftInvariantError,
      );
      assert.equal(s.lastIndex(), 3);
      await s.persist({ entries: entries(4, 4, 1) }, true);
      assert.equal(s.lastIndex(), 4);
      assert.equal(s.fatalError(), undefined);
      await s.close();
    });

    it('serializes writes issued without awaiting, in call order', async () => {
      const s = await open();
      const writes = [
        s.persist({ entries: entries(1, 100, 1) }, false),
        s.persist({ entries: entries(50, 60, 2) }, false),
        s.persist({ entries: entries(61, 70, 2), hardState: hs(2, 0, 10) }, true),
      ];
      await Promise.all(writes);
      assert.equal(s.lastIndex(), 70);
      assert.equal(s.term(index(49)), 1);
      assert.equal(s.term(index(50)), 2);
      await s.close();
      assert.equal((await entryIndexesOnDisk(dir)).length, 70);
    });

    it('passes the sync flag to LevelDB, one batch per call', async (t) => {
      const s = await open();
      const spy = t.mock.method(await chainedBatchProto(), 'write');
      await s.persist({ entries: entries(1, 64, 1), hardState: hs(1, 1, 0) }, true);
      await s.persist({ entries: entries(65, 65, 1) }, false);
      assert.equal(spy.mock.callCount(), 2);
      assert.deepEqual(spy.mock.calls[0]!.arguments[0], { sync: true });
      assert.deepEqual(spy.mock.calls[1]!.arguments[0], { sync: false });
      // The first write of a directory also carries the format marker: 1 + 64 entries + 1.
      assert.equal((spy.mock.calls[0]!.this as ChainedBatchLike).length, 66);
      await s.close();
    });
  });

  describe('reads', () => {
    it('answers entries() with the core limitSize rule and MemoryStorage errors', async () => {
      const s = await open();
      const ents = entries(1, 10, 1);
      await s.persist({ entries: ents }, true);
      for (const maxBytes of [0, 25, 26, 52, 53, 100, Infinity]) {
        assert.deepEqual(
          s.entries(index(2), index(9), maxBytes).map(plain),
          limitSize(ents.slice(1, 8), maxBytes).map(plain),
          `maxBytes ${maxBytes}`,
        );
      }
      assert.throws(() => s.entries(index(0), index(2), Infinity), CompactedError);
      assert.throws(() => s.entries(index(2), index(12), Infinity), UnavailableError);
      assert.deepEqual(s.entries(index(4), index(4), Infinity), []);
      await s.close();
    });
  });

  describe('snapshots and compaction', () => {
    it('compacts up to the recorded snapshot and survives a reopen', async () => {
      let s = await open();
      await s.bootstrap(CS);
      await s.persist({ entries: entries(1, 20, 1), hardState: hs(1, 1, 18) }, true);
      await assert.rejects(s.compact(index(5)), RaftInvariantError); // no snapshot yet
      await s.recordSnapshot(snap(15, 1));
      await s.compact(index(10));
      assert.equal(s.firstIndex(), 11);
      assert.equal(s.term(index(10)), 1);
      assert.throws(() => s.term(index(9)), CompactedError);
      assert.throws(() => s.entries(index(10), index(12), Infinity), CompactedError);
      await assert.rejects(s.compact(index(10)), CompactedError);
      await assert.rejects(s.compact(index(16)), RaftInvariantError);
      assert.equal(s.stats().entries, 10);
      await s.close();

      assert.deepEqual(
        await entryIndexesOnDisk(dir),
        entries(11, 20, 1).map((e) => e.index),
      );
      s = await open();
      assert.equal(s.firstIndex(), 11);
      assert.equal(s.lastIndex(), 20);
      assert.equal(s.term(index(10)), 1);
      assert.deepEqual(s.snapshotMetadata(), snap(15, 1).metadata);
      assert.deepEqual(s.initialState().confState, CS);
      await s.compact(index(15));
      assert.equal(s.firstIndex(), 16);
      await s.close();
    });

    it('entries left below the log start (a clear cut short) are skipped, then deleted', async () => {
      let s = await open();
      await s.bootstrap(CS);
      await s.persist({ entries: entries(1, 20, 1), hardState: hs(1, 1, 20) }, true);
      await s.recordSnapshot(snap(15, 1));
      await s.compact(index(10));
      await s.close();
      // As if the background deletion had not run before a crash.
      await withRaw(dir, async (db) => {
        for (const e of entries(3, 10, 1)) await db.put(entryKey(e.index), encodeEntry(e));
      });
      s = await open();
      assert.equal(s.firstIndex(), 11);
      assert.deepEqual(all(s), entries(11, 20, 1).map(plain));
      await s.compact(index(15));
      await s.close();
      assert.deepEqual(
        await entryIndexesOnDisk(dir),
        entries(16, 20, 1).map((e) => e.index),
      );
    });

    it('refuses a snapshot record that is stale, beyond the log, or of the wrong term', async () => {
      const s = await open();
      await s.persist({ entries: entries(1, 5, 2) }, true);
      await s.recordSnapshot(snap(3, 2));
      await assert.rejects(s.recordSnapshot(snap(3, 2)), SnapshotOutOfDateError);
      await assert.rejects(s.recordSnapshot(snap(6, 2)), UnavailableError);
      await assert.rejects(s.recordSnapshot(snap(4, 1)), RaftInvariantError);
      assert.equal(s.fatalError(), undefined);
      await s.close();
    });

    it('a persisted snapshot replaces the whole log; entries after it follow', async () => {
      let s = await open();
      await s.bootstrap(CS);
      await s.persist({ entries: entries(1, 30, 1), hardState: hs(1, 0, 5) }, true);
      const sn = snap(20, 3, 'image');
      await s.persist({ snapshot: sn, entries: entries(21, 22, 3), hardState: hs(3, 0, 20) }, true);
      assert.equal(s.firstIndex(), 21);
      assert.equal(s.lastIndex(), 22);
      assert.equal(s.term(index(20)), 3);
      assert.equal(s.snapshot(), sn);
      await assert.rejects(
        s.persist({ snapshot: snap(20, 3), entries: [] }, true),
        SnapshotOutOfDateError,
      );
      await s.close();

      assert.deepEqual(await entryIndexesOnDisk(dir), [21, 22]);
      s = await open();
      assert.equal(s.firstIndex(), 21);
      assert.equal(s.lastIndex(), 22);
      assert.deepEqual(s.initialState(), { hardState: hs(3, 0, 20), confState: CS });
      // The data lives in the SnapshotStore until it is adopted again.
      assert.throws(() => s.snapshot(), SnapshotTemporarilyUnavailableError);
      assert.equal(await s.adoptSnapshot(sn), 'attached');
      assert.deepEqual(Array.from(s.snapshot().data), Array.from(bytes('image')));
      await s.close();
    });

    it('adoptSnapshot repairs a crash between saving the file and recording it', async () => {
      const s = await open();
      await s.bootstrap(CS);
      await s.persist({ entries: entries(1, 10, 1), hardState: hs(1, 0, 8) }, true);
      // A local snapshot file at 8 whose record was lost: recorded, log kept.
      assert.equal(await s.adoptSnapshot(snap(8, 1)), 'recorded');
      assert.equal(s.snapshotMetadata().index, 8);
      assert.equal(s.lastIndex(), 10);
      // A received snapshot at 40 (term 4) the log does not contain: installed, commit raised.
      assert.equal(await s.adoptSnapshot(snap(40, 4)), 'installed');
      assert.equal(s.firstIndex(), 41);
      assert.equal(s.lastIndex(), 40);
      assert.equal(s.initialState().hardState.commit, 40);
      // An older file than the record: the newer file is missing.
      await assert.rejects(s.adoptSnapshot(snap(8, 1)), StorageCorruptError);
      // Same index, different term: inconsistent.
      await assert.rejects(s.adoptSnapshot(snap(40, 5)), StorageCorruptError);
      await s.close();
    });
    it('adoptSnapshot falls back to an older file while the log still holds what follows it', async () => {
      let s = await open();
      await s.bootstrap(CS);
      await s.persist({ entries: entries(1, 30, 1), hardState: hs(1, 0, 30) }, true);
      await s.recordSnapshot(snap(10, 1));
      await s.recordSnapshot(snap(20, 1));
      await s.compact(index(10)); // no further back than the previous snapshot
      await s.close();

      // The file at 20 is damaged: the one at 10 and the entries after it rebuild the state.
      s = await open();
      assert.equal(await s.adoptSnapshot(snap(10, 1)), 'rewound');
      assert.equal(s.snapshotMetadata().index, 10);
      assert.equal(s.firstIndex(), 11);
      assert.equal(s.lastIndex(), 30);
      assert.equal(s.initialState().hardState.commit, 30);
      await s.close();
      s = await open();
      assert.equal(s.snapshotMetadata().index, 10, 'the fallback is durable');
      // A file older than the log's start cannot stand in: its successors are gone.
      await assert.rejects(s.adoptSnapshot(snap(5, 1)), StorageCorruptError);
      await s.close();
    });
  });

  describe('fail-stop', () => {
    it('a failed batch rejects, notifies, leaves memory untouched and blocks later writes', async (t) => {
      const { logger, lines } = captureLogger();
      let s = await open(logger);
      await s.persist({ entries: entries(1, 3, 1), hardState: hs(1, 1, 1) }, true);
      const fatals: StorageFatalError[] = [];
      s.onFatal((err) => fatals.push(err));

      const stub = t.mock.method(await chainedBatchProto(), 'write', () =>
        Promise.reject(new Error('injected: No space left on device')),
      );
      await assert.rejects(
        s.persist({ entries: entries(4, 5, 1), hardState: hs(1, 1, 3) }, true),
        (err: unknown) => {
          assert.ok(err instanceof StorageFatalError);
          assert.match(err.message, /No space left on device/);
          assert.equal(err.code, 'STORAGE_FATAL');
          return true;
        },
      );
      assert.equal(fatals.length, 1);
      assert.equal(s.lastIndex(), 3);
      assert.deepEqual(s.initialState().hardState, hs(1, 1, 1));
      assert.ok(lines.some((l) => l.level === 50 && /failed/.test(l.msg)));

      stub.mock.restore();
      await assert.rejects(s.persist({ entries: entries(4, 4, 1) }, true), StorageFatalError);
      await assert.rejects(s.compact(index(1)), StorageFatalError);
      assert.equal(s.fatalError(), fatals[0]);
      assert.equal(fatals.length, 1);
      await s.close();

      s = await open();
      assert.equal(s.lastIndex(), 3);
      assert.deepEqual(s.initialState().hardState, hs(1, 1, 1));
      await s.close();
    });

    it('a database closed underneath fails the write fatally', async (t) => {
      const s = await open();
      await s.persist({ entries: entries(1, 1, 1) }, true);
      // The handle is private: the stub closes whichever database writes next, then lets
      // LevelDB itself reject the batch.
      const proto = await chainedBatchProto();
      const original = proto.write;
      t.mock.method(proto, 'write', async function (this: ChainedBatchLike, options?: object) {
        await this.db.close();
        return original.call(this, options);
      });
      await assert.rejects(s.persist({ entries: entries(2, 2, 1) }, true), StorageFatalError);
      t.mock.restoreAll();
      await assert.rejects(s.persist({ entries: entries(2, 2, 1) }, true), StorageFatalError);
      await s.close().catch(() => undefined);
    });

    it('close waits for writes already queued', async () => {
      let s = await open();
      const pending = s.persist({ entries: entries(1, 50, 1), hardState: hs(1, 0, 50) }, true);
      const closing = s.close();
      await Promise.all([pending, closing, s.close()]);
      s = await open();
      assert.equal(s.lastIndex(), 50);
      await s.close();
    });

    it('rejects writes after close', async () => {
      const s = await open();
      await s.close();
      await assert.rejects(s.persist({ entries: entries(1, 1, 1) }, true), StorageClosedError);
      await s.close(); // idempotent
    });
  });

  describe('damage at open', () => {
    async function damage(at: number, value: Uint8Array | undefined): Promise<void> {
      await withRaw(dir, async (db) => {
        if (value === undefined) await db.del(entryKey(at));
        else await db.put(entryKey(at), value);
      });
    }

    async function prepare(commit: number): Promise<void> {
      const s = await open();
      await s.bootstrap(CS);
      await s.persist({ entries: entries(1, 10, 1), hardState: hs(1, 1, commit) }, true);
      await s.close();
    }

    it('truncates a garbage uncommitted last entry and says so', async () => {
      await prepare(5);
      await damage(10, bytes('garbage!'));
      const { logger, lines } = captureLogger();
      const s = await open(logger);
      assert.equal(s.lastIndex(), 9);
      const warn = lines.find((l) => l.msg === 'truncated a damaged uncommitted log tail');
      assert.ok(warn, JSON.stringify(lines));
      assert.equal(warn.key, 'entry/10');
      assert.equal(warn.dropped, 1);
      await s.close();
      assert.deepEqual(await entryIndexesOnDisk(dir), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('truncates from a damaged uncommitted entry on, including valid ones after it', async () => {
      await prepare(5);
      const torn = encodeEntry(entry(7, 1)).subarray(0, 12); // a truncated value
      await damage(7, torn);
      const s = await open();
      assert.equal(s.lastIndex(), 6);
      await s.close();
      assert.deepEqual(await entryIndexesOnDisk(dir), [1, 2, 3, 4, 5, 6]);
    });

    it('detects a flipped bit through the checksum', async () => {
      await prepare(5);
      const value = encodeEntry(entry(8, 1));
      const last = value.length - 1;
      value[last] = value[last]! ^ 0x01;
      await damage(8, value);
      const s = await open();
      assert.equal(s.lastIndex(), 7);
      await s.close();
    });

    it('refuses to start when a committed entry is damaged, naming the key', async () => {
      await prepare(5);
      await damage(3, bytes('junk'));
      await assert.rejects(open(), (err: unknown) => {
        assert.ok(err instanceof StorageCorruptError);
        assert.equal(err.key, 'entry/3');
        assert.match(err.message, /^entry\/3: cannot decode: .*committed \(commit index 5\)/);
        return true;
      });
      // The lock was released: the directory can be opened again (and still fails cleanly).
      await assert.rejects(open(), StorageCorruptError);
    });

    it("refuses a damaged uncommitted tail too when damagedTail is 'refuse'", async () => {
      await prepare(5);
      await damage(10, bytes('garbage!'));
      await assert.rejects(LevelLogStorage.open(dir, { logger: silent, damagedTail: 'refuse' }), {
        name: 'StorageCorruptError',
        key: 'entry/10',
      });
      const s = await open(); // the default repairs it
      assert.equal(s.lastIndex(), 9);
      await s.close();
    });

    it('refuses to start when a committed entry is missing', async () => {
      await prepare(5);
      await damage(4, undefined);
      await assert.rejects(open(), (err: unknown) => {
        assert.ok(err instanceof StorageCorruptError);
        assert.equal(err.key, 'entry/4');
        assert.match(err.message, /missing/);
        return true;
      });
    });

    it('reports a damaged hard state by name', async () => {
      await prepare(5);
      await withRaw(dir, (db) => db.put(Uint8Array.of(0x01), bytes('xx')));
      await assert.rejects(open(), (err: unknown) => {
        assert.ok(err instanceof StorageCorruptError);
        assert.equal(err.key, 'hard-state');
        return true;
      });
    });

    it('refuses a directory written in another format', async () => {
      await prepare(5);
      await withRaw(dir, (db) => db.put(Uint8Array.of(0x00), bytes('redraft-log/9')));
      await assert.rejects(open(), /format: unsupported format marker/);
    });

    it('refuses, then and at every later open, records LevelDB dropped from its write-ahead log', async () => {
      await prepare(5);
      // Everything since the directory was created is still in the write-ahead file. Damage
      // one byte inside its first record: LevelDB's recovery skips the rest of the block.
      const wal = newestWriteAheadFile(dir);
      const content = await readFile(wal);
      assert.ok(content.length > 64, `write-ahead file of ${content.length} bytes`);
      content[20] = content[20]! ^ 0xff;
      await writeFile(wal, content);

      await assert.rejects(open(), (err: unknown) => {
        assert.ok(err instanceof StorageCorruptError);
        assert.equal(err.key, 'write-ahead-log');
        assert.match(
          err.message,
          /^write-ahead-log: LevelDB discarded .*\.log: dropping \d+ bytes; Corruption: .*acknowledged may be lost/,
        );
        return true;
      });
      // LevelDB deleted the damaged file during that open: the directory now opens as an
      // intact, empty database. The recorded verdict still refuses it.
      await assert.rejects(open(), (err: unknown) => {
        assert.ok(err instanceof StorageCorruptError);
        assert.match(err.message, /dropping \d+ bytes; .*found at an earlier start, recorded in /);
        return true;
      });
    });

    it('names the directory when LevelDB finds a damaged table file', async () => {
      const s = await open();
      await s.bootstrap(CS);
      // Compressible entries, so that the table's data block is snappy-compressed and a
      // damaged byte in it fails to decompress (with checksums off, that is what LevelDB sees).
      const big = entries(1, 50, 1).map((e) => ({ ...e, data: bytes('x'.repeat(400)) }));
      await s.persist({ entries: big, hardState: hs(1, 1, 50) }, true);
      await s.close();
      // A reopen moves the write-ahead log into a table.
      await withRaw(dir, () => Promise.resolve());
      const tables = (await readdir(dir)).filter((n) => n.endsWith('.ldb'));
      assert.equal(tables.length, 1, `tables: ${tables.join(', ')}`);
      const table = join(dir, tables[0]!);
      const content = await readFile(table);
      for (let i = 40; i < 72; i++) content[i] = content[i]! ^ 0x5a;
      await writeFile(table, content);
      await assert.rejects(open(), (err: unknown) => {
        assert.ok(err instanceof StorageCorruptError);
        assert.equal(err.key, 'leveldb');
        assert.ok(err.message.includes(`LevelDB found damage in ${dir} while loading the log`));
        assert.match(err.message, /Corruption: .*replace this member/);
        return true;
      });
    });

    it('opens a write-ahead log whose last record was torn, with every acknowledged write', async () => {
      await prepare(5);
      // A record header promising 100 bytes, then only four: a crash in the middle of a write
      // that was never acknowledged. LevelDB drops it without reporting a corruption.
      await appendFile(newestWriteAheadFile(dir), TORN_RECORD);
      const s = await open();
      assert.equal(s.lastIndex(), 10);
      assert.equal(s.initialState().hardState.commit, 5);
      await s.close();
      await assert.rejects(readFile(join(dir, 'REDRAFT-DAMAGED')), { code: 'ENOENT' });
    });
  });

  it("records its member and refuses to open as another member's log", async () => {
    const as = (memberId: number): Promise<LevelLogStorage> =>
      LevelLogStorage.open(dir, { logger: silent, memberId });
    let s = await as(1);
    assert.equal(s.isEmpty(), true, 'recording the member does not make a fresh log non-empty');
    await s.close();
    s = await as(1);
    await s.bootstrap(CS);
    await s.persist({ entries: entries(1, 3, 1), hardState: hs(1, 1, 3) }, true);
    await s.close();
    await assert.rejects(as(2), (err: unknown) => {
      assert.ok(err instanceof MemberMismatchError);
      assert.equal(err.code, 'STORAGE_MEMBER_MISMATCH');
      assert.equal(
        err.message,
        `${dir} holds the log of member 1, not of member 2: check --id and --data-dir (each member needs its own directory)`,
      );
      return true;
    });
    s = await as(1); // the lock was released and nothing changed
    assert.equal(s.lastIndex(), 3);
    await s.close();
    s = await open(); // a tool that names no member reads any log
    assert.equal(s.lastIndex(), 3);
    await s.close();
  });

  it('warns once when the held log exceeds memoryWarnBytes', async () => {
    const { logger, lines } = captureLogger();
    const s = await LevelLogStorage.open(dir, { logger, memoryWarnBytes: 1000 });
    await s.persist({ entries: entries(1, 30, 1) }, false);
    await s.persist({ entries: entries(31, 60, 1) }, false);
    const warns = lines.filter((l) => /compaction is not keeping up/.test(l.msg));
    assert.equal(warns.length, 1);
    assert.equal(s.stats().entries, 60);
    await s.close();
  });
});

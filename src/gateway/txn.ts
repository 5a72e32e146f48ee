/**
 * Gateway transactions on top of the log's MULTI/EXEC entries.
 *
 * A transaction entry (src/fsm/entry-codec.ts) carries WATCH versions that the state machine
 * checks at apply time, and aborts as a whole (result nil) when one changed. Comparisons on
 * values, versions and existence are built on that: the gateway reads the compared keys,
 * decides which branch runs, and proposes that branch guarded by the versions it read. If
 * the entry applies, no compared key changed between the read and the apply, so the
 * comparison still held at the apply: compare and operations are one atomic step. If it
 * aborts, the gateway reads again and retries (bounded).
 */
import { RedraftError, errorFromRespLine } from '../errors.js';
import type { QueuedCommand } from '../fsm/entry-codec.js';
import { ENTRY_INDEX, ENTRY_OF } from '../fsm/commands/introspection.js';
import type { StoredEntry } from '../fsm/keyspace.js';
import { CommandError, type Result } from '../fsm/result.js';
import type { Compare, KeyRecord, TxnOp, TxnOpResult } from './model.js';

const SET = Buffer.from('SET');
const DEL = Buffer.from('DEL');
const PX = Buffer.from('PX');
const NX = Buffer.from('NX');
const INDEX_ARGV: readonly Buffer[] = [Buffer.from(ENTRY_INDEX)];
const ENTRY_OF_NAME = Buffer.from(ENTRY_OF);

/** A compared key as read before proposing. */
export interface ComparedKey {
  readonly entry: StoredEntry | undefined;
  /** The version WATCH records (the deletion's index for a deleted key, else 0). */
  readonly version: number;
}

/** Whether `compare` holds for the key's state `seen`. */
export function compareHolds(compare: Compare, seen: ComparedKey): boolean {
  const { op, target } = compare;
  switch (target.kind) {
    case 'value': {
      const entry = seen.entry;
      if (entry === undefined) return op === 'not-equal';
      if (entry.value.type !== 'string') {
        throw new RedraftError(
          'WRONG_TYPE',
          `cannot compare the value of key ${printable(compare.key)}: it holds a hash`,
        );
      }
      return ordered(op, Buffer.compare(entry.value.value, target.value));
    }
    case 'version':
      return ordered(op, Math.sign(seen.version - target.version));
    case 'exists': {
      const same = (seen.entry !== undefined) === target.exists;
      if (op === 'equal') return same;
      if (op === 'not-equal') return !same;
      throw new RedraftError('BAD_REQUEST', 'an existence comparison is equal or not-equal');
    }
  }
}

function ordered(op: Compare['op'], sign: number): boolean {
  switch (op) {
    case 'equal':
      return sign === 0;
    case 'not-equal':
      return sign !== 0;
    case 'less':
      return sign < 0;
    case 'greater':
      return sign > 0;
  }
}

/** The SET of a put: `PX` for a TTL, `NX` for only-if-absent. */
export function setCommand(
  db: number,
  key: Buffer,
  value: Buffer,
  ttlMs: number,
  ifAbsent = false,
): QueuedCommand {
  const argv = [SET, key, value];
  if (ttlMs > 0) argv.push(PX, Buffer.from(String(ttlMs)));
  if (ifAbsent) argv.push(NX);
  return { db, argv };
}

export function deleteCommand(db: number, key: Buffer): QueuedCommand {
  return { db, argv: [DEL, key] };
}

/** Queued last in every gateway transaction: its result is the entry's log index. */
export function indexCommand(db: number): QueuedCommand {
  return { db, argv: INDEX_ARGV };
}

export function opCommand(db: number, op: TxnOp): QueuedCommand {
  switch (op.kind) {
    case 'put':
      return setCommand(db, op.key, op.value, op.ttlMs);
    case 'delete':
      return deleteCommand(db, op.key);
    case 'get':
      return { db, argv: [ENTRY_OF_NAME, op.key] };
  }
}

/**
 * The results of an applied gateway transaction: one per queued command, the last being the
 * entry's index. Throws the error the log (or the leader) answered with.
 */
export function transactionResults(result: Result, commands: number): readonly Result[] {
  if (result instanceof CommandError) throw errorFromRespLine(result.message);
  if (!Array.isArray(result) || result.length !== commands) {
    throw new RedraftError('INTERNAL', 'unexpected reply to a gateway transaction');
  }
  const results = result as readonly Result[];
  for (const r of results) if (r instanceof CommandError) throw errorFromRespLine(r.message);
  return results;
}

export function resultNumber(r: Result | undefined): number {
  if (typeof r === 'number') return r;
  if (typeof r === 'bigint') return Number(r);
  throw new RedraftError('INTERNAL', 'expected an integer in a gateway transaction reply');
}

export function opResult(op: TxnOp, r: Result | undefined, index: number): TxnOpResult {
  switch (op.kind) {
    case 'put':
      return { kind: 'put', version: index };
    case 'delete':
      return { kind: 'delete', deleted: resultNumber(r) > 0 };
    case 'get':
      return { kind: 'get', record: entryRecord(op.key, r) };
  }
}

/** Decodes `__entry`'s reply: nil, or [type, value, version, expireAt]. */
export function entryRecord(key: Buffer, r: Result | undefined): KeyRecord | undefined {
  if (r === null || r === undefined) return undefined;
  if (!Array.isArray(r) || r.length !== 4) {
    throw new RedraftError('INTERNAL', 'unexpected reply to a transaction get');
  }
  const [type, value, version, expireAt] = r as readonly Result[];
  const isString = Buffer.isBuffer(type) && type.toString('latin1') === 'string';
  return {
    key,
    type: isString ? 'string' : 'hash',
    value: isString && Buffer.isBuffer(value) ? value : undefined,
    version: resultNumber(version),
    expireAtMs: resultNumber(expireAt),
  };
}

/** A key for an error message: its text when printable, else its bytes in hex. */
export function printable(key: Buffer): string {
  const text = key.toString('latin1');
  return /^[\x20-\x7e]*$/.test(text) && key.length <= 200
    ? `'${text}'`
    : `0x${key.subarray(0, 100).toString('hex')}${key.length > 100 ? '...' : ''}`;
}

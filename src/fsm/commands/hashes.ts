/**
 * Hash commands, with Redis 7's replies and error texts.
 *
 * A hash's field map is mutated in place by writes, and the key's entry is then replaced so
 * that its version is the writing index (WATCH compares it). A hash left without fields is
 * deleted. Reads return fields in the map's order, which, like Redis's listpack order, is
 * insertion order on a node that built the hash itself; no write depends on that order.
 */
import { hashValue, keyOf, type HashValue, type StoredEntry } from '../keyspace.js';
import {
  CommandError,
  NOT_INTEGER,
  OK,
  SYNTAX_ERROR,
  WRONGTYPE,
  wrongArity,
  type Result,
} from '../result.js';
import { bulk, command, intReply, lookupWrite, outOfRange, parseLongLong } from './args.js';
import { upper, type CommandContext, type CommandDef } from './context.js';
import { addF80, f80FromBigInt, formatF80, parseF80, type F80 } from './float80.js';
import { HASH_MAX_LISTPACK_ENTRIES, hashIsListpackEncoded, outgrowsListpack } from './keys.js';
import {
  INVALID_CURSOR,
  parseCursor,
  parseScanOptions,
  patternAllows,
  scanPage,
  scanReply,
} from './scan.js';

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
/** -LONG_MAX .. LONG_MAX: HRANDFIELD's count range. */
const LONG_MAX = INT64_MAX;
/**
 * The most elements one HRANDFIELD with a negative count returns. Redis has no such cap and
 * would build the whole reply in memory; here a huge count must not exhaust the node.
 */
export const MAX_RANDOM_REPLY = 1 << 24;

type HashEntry = StoredEntry & { readonly value: HashValue };

/** The live hash at `key` for a read: undefined if absent, WRONGTYPE if not a hash. */
function readHash(
  ctx: CommandContext,
  argv: readonly Buffer[],
): HashEntry | undefined | CommandError {
  const e = ctx.db.get(keyOf(argv[1]!), ctx.now);
  if (e === undefined) return undefined;
  return e.value.type === 'hash' ? (e as HashEntry) : WRONGTYPE;
}

/** The live hash at `key` for a write (an expired key is removed first). */
function writeHash(ctx: CommandContext, key: string): HashEntry | undefined | CommandError {
  const e = lookupWrite(ctx, key);
  if (e === undefined) return undefined;
  return e.value.type === 'hash' ? (e as HashEntry) : WRONGTYPE;
}

/**
 * The field map a write modifies: the existing hash's own map (mutated in place, which is
 * safe because KvStateMachine serializes a snapshot before the next apply), or a new one for
 * a missing key. Call `commit` after modifying it.
 */
function fieldsForWrite(existing: HashEntry | undefined): Map<string, Buffer> {
  return existing === undefined ? new Map<string, Buffer>() : existing.value.fields;
}

/**
 * Records a write of the hash at `key`: stores the entry with this index as its version and
 * the existing expiry, or deletes the key if the hash is now empty. `outgrew`: a field or
 * value written is too long for a listpack (outgrowsListpack); with too many fields too, the
 * hash becomes a hashtable for good, as in Redis.
 */
function commit(
  ctx: CommandContext,
  key: string,
  existing: HashEntry | undefined,
  fields: Map<string, Buffer>,
  outgrew = false,
): void {
  if (fields.size === 0) {
    ctx.db.delete(key);
    return;
  }
  const value: HashValue = existing?.value ?? hashValue(fields);
  if (outgrew || fields.size > HASH_MAX_LISTPACK_ENTRIES) value.hashtable = true;
  ctx.db.set(key, { value, expireAt: existing?.expireAt ?? 0, version: ctx.index });
}

// ---------------------------------------------------------------------------------------
// Writes

/** HSET/HMSET key field value [field value ...]: the number of fields added. */
function setFields(
  name: string,
  ctx: CommandContext,
  argv: readonly Buffer[],
): number | CommandError {
  if (argv.length % 2 === 1) return wrongArity(name);
  const key = keyOf(argv[1]!);
  const h = writeHash(ctx, key);
  if (h instanceof CommandError) return h;
  const fields = fieldsForWrite(h);
  let added = 0;
  let outgrew = false;
  for (let i = 2; i < argv.length; i += 2) {
    const field = keyOf(argv[i]!);
    if (!fields.has(field)) added++;
    fields.set(field, argv[i + 1]!);
    if (outgrowsListpack(field, argv[i + 1]!)) outgrew = true;
  }
  commit(ctx, key, h, fields, outgrew);
  return added;
}

function hset(ctx: CommandContext, argv: readonly Buffer[]): Result {
  return setFields('hset', ctx, argv);
}

function hmset(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const r = setFields('hmset', ctx, argv);
  return r instanceof CommandError ? r : OK;
}

function hsetnx(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const key = keyOf(argv[1]!);
  const h = writeHash(ctx, key);
  if (h instanceof CommandError) return h;
  const field = keyOf(argv[2]!);
  if (h?.value.fields.has(field)) return 0;
  const fields = fieldsForWrite(h);
  fields.set(field, argv[3]!);
  commit(ctx, key, h, fields, outgrowsListpack(field, argv[3]!));
  return 1;
}

function hdel(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const key = keyOf(argv[1]!);
  const h = writeHash(ctx, key);
  if (h instanceof CommandError) return h;
  if (h === undefined) return 0;
  const fields = h.value.fields;
  let deleted = 0;
  for (let i = 2; i < argv.length; i++) if (fields.delete(keyOf(argv[i]!))) deleted++;
  if (deleted > 0) commit(ctx, key, h, fields);
  return deleted;
}

/** HINCRBY key field increment, in int64 with Redis's overflow check. */
function hincrby(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const incr = parseLongLong(argv[3]);
  if (incr === undefined) return NOT_INTEGER;
  const key = keyOf(argv[1]!);
  const h = writeHash(ctx, key);
  if (h instanceof CommandError) return h;
  const field = keyOf(argv[2]!);
  const old = h?.value.fields.get(field);
  let value = 0n;
  if (old !== undefined) {
    const parsed = parseLongLong(old);
    if (parsed === undefined) return new CommandError('ERR hash value is not an integer');
    value = parsed;
  }
  const sum = value + incr;
  if (sum > INT64_MAX || sum < INT64_MIN) {
    return new CommandError('ERR increment or decrement would overflow');
  }
  const fields = fieldsForWrite(h);
  const text = Buffer.from(sum.toString(), 'latin1');
  fields.set(field, text);
  commit(ctx, key, h, fields, outgrowsListpack(field, text));
  return intReply(sum);
}

/**
 * HINCRBYFLOAT key field increment, in x87 extended precision as Redis computes it on
 * x86-64 (see float80.ts); the stored value is the printed result.
 */
function hincrbyfloat(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const incr = parseF80(argv[3]!);
  if (incr === undefined) return new CommandError('ERR value is not a valid float');
  if (typeof incr === 'string') return new CommandError('ERR value is NaN or Infinity');
  const key = keyOf(argv[1]!);
  const h = writeHash(ctx, key);
  if (h instanceof CommandError) return h;
  const field = keyOf(argv[2]!);
  const old = h?.value.fields.get(field);
  let value: F80 = f80FromBigInt(0n);
  if (old !== undefined) {
    const parsed = parseF80(old);
    if (parsed === undefined) return new CommandError('ERR hash value is not a float');
    // A stored "inf" parses, and any finite increment leaves it infinite.
    if (typeof parsed === 'string') {
      return new CommandError('ERR increment would produce NaN or Infinity');
    }
    value = parsed;
  }
  const sum = addF80(value, incr);
  if (sum === 'overflow') return new CommandError('ERR increment would produce NaN or Infinity');
  const text = Buffer.from(formatF80(sum), 'latin1');
  const fields = fieldsForWrite(h);
  fields.set(field, text);
  commit(ctx, key, h, fields, outgrowsListpack(field, text));
  return text;
}

// ---------------------------------------------------------------------------------------
// Reads

function hget(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const h = readHash(ctx, argv);
  if (h === undefined || h instanceof CommandError) return h ?? null;
  return h.value.fields.get(keyOf(argv[2]!)) ?? null;
}

function hmget(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const h = readHash(ctx, argv);
  if (h instanceof CommandError) return h;
  const out: Result[] = [];
  for (let i = 2; i < argv.length; i++) out.push(h?.value.fields.get(keyOf(argv[i]!)) ?? null);
  return out;
}

function hgetall(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const h = readHash(ctx, argv);
  if (h === undefined || h instanceof CommandError) return h ?? [];
  const out: Result[] = [];
  for (const [f, v] of h.value.fields) out.push(bulk(f), v);
  return out;
}

function hkeys(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const h = readHash(ctx, argv);
  if (h === undefined || h instanceof CommandError) return h ?? [];
  return [...h.value.fields.keys()].map(bulk);
}

function hvals(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const h = readHash(ctx, argv);
  if (h === undefined || h instanceof CommandError) return h ?? [];
  return [...h.value.fields.values()];
}

function hexists(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const h = readHash(ctx, argv);
  if (h === undefined || h instanceof CommandError) return h ?? 0;
  return h.value.fields.has(keyOf(argv[2]!)) ? 1 : 0;
}

function hlen(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const h = readHash(ctx, argv);
  if (h === undefined || h instanceof CommandError) return h ?? 0;
  return h.value.fields.size;
}

function hstrlen(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const h = readHash(ctx, argv);
  if (h === undefined || h instanceof CommandError) return h ?? 0;
  return h.value.fields.get(keyOf(argv[2]!))?.length ?? 0;
}

/**
 * HRANDFIELD key [count [WITHVALUES]], as Redis's hrandfieldCommand: without a count one
 * field (nil for a missing key); a positive count gives distinct fields (the whole hash when
 * count >= its size); a negative count may repeat fields and returns exactly |count|.
 */
function hrandfield(ctx: CommandContext, argv: readonly Buffer[]): Result {
  if (argv.length === 2) {
    const h = readHash(ctx, argv);
    if (h === undefined || h instanceof CommandError) return h ?? null;
    const fields = [...h.value.fields.keys()];
    return bulk(fields[ctx.random(fields.length)]!);
  }
  const l = parseLongLong(argv[2]);
  if (l === undefined) return NOT_INTEGER;
  if (l < -LONG_MAX) return outOfRange(-LONG_MAX, LONG_MAX);
  let withValues = false;
  if (argv.length > 4 || (argv.length === 4 && upper(argv[3]) !== 'WITHVALUES')) {
    return SYNTAX_ERROR;
  } else if (argv.length === 4) {
    withValues = true;
    if (l < -LONG_MAX / 2n || l > LONG_MAX / 2n) {
      return new CommandError('ERR value is out of range');
    }
  }
  const h = readHash(ctx, argv);
  if (h === undefined || h instanceof CommandError) return h ?? [];
  if (l === 0n) return [];
  const entries = [...h.value.fields];
  const size = entries.length;
  const out: Result[] = [];
  const push = (i: number): void => {
    const [f, v] = entries[i]!;
    out.push(bulk(f));
    if (withValues) out.push(v);
  };
  if (l < 0n || l === 1n) {
    // With repetitions, in random order; the whole reply is built here, hence the cap.
    const count = l < 0n ? -l : l;
    if (count > BigInt(MAX_RANDOM_REPLY)) return new CommandError('ERR value is out of range');
    for (let n = Number(count); n > 0; n--) push(ctx.random(size));
    return out;
  }
  if (l >= BigInt(size)) {
    for (let i = 0; i < size; i++) push(i);
    return out;
  }
  // A random subset of distinct fields: a partial Fisher-Yates shuffle of positions.
  const count = Number(l);
  const order = Array.from({ length: size }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + ctx.random(size - i);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
    push(order[i]!);
  }
  return out;
}

/**
 * HSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES]. As in Redis, a small hash (one
 * Redis would keep as a listpack) is returned whole in one call with cursor 0; a large one
 * is walked in hash order (see scan.ts for the guarantee).
 */
function hscan(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const cursor = parseCursor(argv[2]);
  if (cursor === undefined) return INVALID_CURSOR;
  const h = readHash(ctx, argv);
  if (h instanceof CommandError) return h;
  if (h === undefined) return scanReply(0, []);
  const opts = parseScanOptions(argv, 3, true);
  if (opts instanceof CommandError) return opts;
  const fields = h.value.fields;
  const out: Result[] = [];
  const emit = (f: string, v: Buffer): void => {
    if (!patternAllows(opts, f)) return;
    out.push(bulk(f));
    if (!opts.noValues) out.push(v);
  };
  if (hashIsListpackEncoded(h.value)) {
    for (const [f, v] of fields) emit(f, v);
    return scanReply(0, out);
  }
  const page = scanPage(fields, () => fields.keys(), cursor, opts.count);
  for (const f of page.items) {
    const v = fields.get(f);
    if (v !== undefined) emit(f, v); // deleted since the iteration's snapshot
  }
  return scanReply(page.next, out);
}

// ---------------------------------------------------------------------------------------

const WDF = ['write', 'denyoom', 'fast'] as const;
const RF = ['readonly', 'fast'] as const;
const RO = ['readonly'] as const;

/** Flags, arities and key positions as Redis 7's COMMAND INFO reports them. */
export const HASH_COMMANDS: readonly CommandDef[] = [
  command('hset', -4, 'write', WDF, [1, 1, 1], hset),
  command('hsetnx', 4, 'write', WDF, [1, 1, 1], hsetnx),
  command('hmset', -4, 'write', WDF, [1, 1, 1], hmset),
  command('hdel', -3, 'write', ['write', 'fast'], [1, 1, 1], hdel),
  command('hincrby', 4, 'write', WDF, [1, 1, 1], hincrby),
  command('hincrbyfloat', 4, 'write', WDF, [1, 1, 1], hincrbyfloat),
  command('hget', 3, 'read', RF, [1, 1, 1], hget),
  command('hmget', -3, 'read', RF, [1, 1, 1], hmget),
  command('hgetall', 2, 'read', RO, [1, 1, 1], hgetall),
  command('hkeys', 2, 'read', RO, [1, 1, 1], hkeys),
  command('hvals', 2, 'read', RO, [1, 1, 1], hvals),
  command('hexists', 3, 'read', RF, [1, 1, 1], hexists),
  command('hlen', 2, 'read', RF, [1, 1, 1], hlen),
  command('hstrlen', 3, 'read', RF, [1, 1, 1], hstrlen),
  command('hrandfield', -2, 'read', RO, [1, 1, 1], hrandfield),
  command('hscan', -3, 'read', RO, [1, 1, 1], hscan),
];

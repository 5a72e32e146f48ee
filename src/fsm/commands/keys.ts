/**
 * Generic key-space commands, with Redis 7's replies and error texts.
 *
 * Writes decide expiry from ctx.now, the leader-stamped time of the entry, and remove an
 * expired key they touch (as Redis's lookupKeyWrite does on a primary), so every replica
 * holds the same keys at the same index. No write's result or effect depends on the
 * iteration order of a Map: after a snapshot restore that order may differ between nodes.
 */
import {
  copyHash,
  keyOf,
  stringValue,
  type HashValue,
  type Keyspace,
  type StoredEntry,
  type Value,
} from '../keyspace.js';
import { CommandError, NOT_INTEGER, OK, SYNTAX_ERROR, Status, type Result } from '../result.js';
import {
  arityOk,
  bulk,
  command,
  formatError,
  intReply,
  lookupWrite,
  outOfRange,
  parseLongLong,
} from './args.js';
import { str, upper, type CommandContext, type CommandDef } from './context.js';
import { matchesAll, stringMatch } from './pattern.js';
import {
  INVALID_CURSOR,
  parseCursor,
  parseScanOptions,
  patternAllows,
  scanPage,
  scanReply,
} from './scan.js';

const NO_SUCH_KEY = new CommandError('ERR no such key');
const SAME_OBJECT = new CommandError('ERR source and destination objects are the same');
const DB_OUT_OF_RANGE = new CommandError('ERR DB index is out of range');

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
/** C's LLONG_MAX / 1000 and LLONG_MIN / 1000, truncated toward zero. */
const SECONDS_MAX = INT64_MAX / 1000n;
const SECONDS_MIN = INT64_MIN / 1000n;

/** A copy of a value that shares nothing mutable with the original. */
function cloneValue(v: Value): Value {
  // A string value of its own (Redis duplicates the object, so OBJECT REFCOUNT sees one
  // reference) may share the Buffer, which is never mutated in place. COPY keeps the
  // encoding, as Redis's duplicate does.
  return v.type === 'string' ? stringValue(v.value, v.encoding) : copyHash(v);
}

// ---------------------------------------------------------------------------------------
// DEL, UNLINK, EXISTS, TOUCH, TYPE

function del(ctx: CommandContext, argv: readonly Buffer[]): Result {
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    const key = keyOf(argv[i]!);
    if (ctx.db.get(key, ctx.now) !== undefined) n++;
    // An expired key counts as absent but is removed all the same.
    ctx.db.delete(key);
  }
  return n;
}

/** EXISTS and TOUCH: how many of the keys exist, a key named twice counting twice. */
function countExisting(ctx: CommandContext, argv: readonly Buffer[]): Result {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if (ctx.db.get(keyOf(argv[i]!), ctx.now) !== undefined) n++;
  return n;
}

function type(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const e = ctx.db.get(keyOf(argv[1]!), ctx.now);
  return new Status(e === undefined ? 'none' : e.value.type);
}

// ---------------------------------------------------------------------------------------
// RENAME, RENAMENX, COPY

function rename(nx: boolean) {
  return (ctx: CommandContext, argv: readonly Buffer[]): Result => {
    const src = keyOf(argv[1]!);
    const dst = keyOf(argv[2]!);
    const e = lookupWrite(ctx, src);
    if (e === undefined) return NO_SUCH_KEY;
    if (src === dst) return nx ? 0 : OK;
    if (lookupWrite(ctx, dst) !== undefined) {
      if (nx) return 0;
      ctx.db.delete(dst);
    }
    ctx.db.delete(src);
    // The value moves with its expiry; the source is gone, so nothing else shares it.
    ctx.db.set(dst, { value: e.value, expireAt: e.expireAt, version: ctx.index });
    return nx ? 1 : OK;
  };
}

/**
 * A database index argument, as Redis's getIntFromObjectOrReply reads it: an int64, then
 * range-checked as a C int. `invalid` replaces both errors when Redis passes its own message
 * (SWAPDB); the database itself must then be looked up (out of range: DB_OUT_OF_RANGE).
 */
function dbIndexArg(arg: Buffer | undefined, invalid?: CommandError): number | CommandError {
  const n = parseLongLong(arg);
  if (n === undefined) return invalid ?? NOT_INTEGER;
  if (n > 2147483647n || n < -2147483648n) return invalid ?? outOfRange(-2147483648n, 2147483647n);
  return Number(n);
}

/** COPY source destination [DB destination-db] [REPLACE] */
function copy(ctx: CommandContext, argv: readonly Buffer[]): Result {
  let replace = false;
  let dstDb: Keyspace = ctx.db;
  for (let i = 3; i < argv.length; i++) {
    const opt = upper(argv[i]);
    if (opt === 'REPLACE') {
      replace = true;
    } else if (opt === 'DB' && i + 1 < argv.length) {
      const index = dbIndexArg(argv[i + 1]);
      if (index instanceof CommandError) return index;
      const db = index >= 0 ? ctx.dbs[index] : undefined;
      if (db === undefined) return DB_OUT_OF_RANGE;
      dstDb = db;
      i++;
    } else {
      return SYNTAX_ERROR;
    }
  }
  const src = keyOf(argv[1]!);
  const dst = keyOf(argv[2]!);
  if (dstDb === ctx.db && src === dst) return SAME_OBJECT;
  const e = lookupWrite(ctx, src);
  if (e === undefined) return 0;
  if (lookupWrite(ctx, dst, dstDb) !== undefined) {
    if (!replace) return 0;
    dstDb.delete(dst);
  }
  dstDb.set(dst, { value: cloneValue(e.value), expireAt: e.expireAt, version: ctx.index });
  return 1;
}

/** MOVE key db: 1 when moved; 0 when the key is absent, or already in the target database. */
function move(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const index = dbIndexArg(argv[2]);
  if (index instanceof CommandError) return index;
  const dst = index >= 0 ? ctx.dbs[index] : undefined;
  if (dst === undefined) return DB_OUT_OF_RANGE;
  // Checked before the key is even looked up, as in Redis.
  if (dst === ctx.db) return SAME_OBJECT;
  const key = keyOf(argv[1]!);
  const e = lookupWrite(ctx, key);
  if (e === undefined) return 0;
  if (lookupWrite(ctx, key, dst) !== undefined) return 0;
  // The value moves with its expiry; nothing is left in the source to share it.
  dst.set(key, { value: e.value, expireAt: e.expireAt, version: ctx.index });
  ctx.db.delete(key);
  return 1;
}

const INVALID_FIRST_DB = new CommandError('ERR invalid first DB index');
const INVALID_SECOND_DB = new CommandError('ERR invalid second DB index');

/**
 * SWAPDB index1 index2: the two databases exchange their contents, expired keys included.
 *
 * Done key by key through the key spaces' own set and delete, not by exchanging their maps:
 * every key of both databases then reaches the change hooks (its Merkle leaf moves to the
 * other database's namespace), takes this entry's index as its version, and a key that leaves
 * a database without being replaced gets a tombstone. So a WATCH on a key that exists in
 * either database sees the swap and aborts its EXEC, as in Redis, and a key in neither is
 * untouched. The cost is one set or delete per key of both databases, in this one apply.
 */
function swapdb(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const first = dbIndexArg(argv[1], INVALID_FIRST_DB);
  if (first instanceof CommandError) return first;
  const second = dbIndexArg(argv[2], INVALID_SECOND_DB);
  if (second instanceof CommandError) return second;
  const a = first >= 0 ? ctx.dbs[first] : undefined;
  const b = second >= 0 ? ctx.dbs[second] : undefined;
  if (a === undefined || b === undefined) return DB_OUT_OF_RANGE;
  if (a === b) return OK;
  const fromA = [...a.entries];
  const fromB = [...b.entries];
  refill(a, fromB, ctx.index);
  refill(b, fromA, ctx.index);
  return OK;
}

/** Makes `db` hold exactly `entries` (in their order), stamped with `version`. */
function refill(db: Keyspace, entries: readonly [string, StoredEntry][], version: number): void {
  const incoming = new Set<string>();
  for (const [key] of entries) incoming.add(key);
  // Collected first: deleting while iterating the map would be iterating a moving target.
  const leaving: string[] = [];
  for (const key of db.entries.keys()) if (!incoming.has(key)) leaving.push(key);
  for (const key of leaving) db.delete(key);
  for (const [key, e] of entries) db.set(key, { value: e.value, expireAt: e.expireAt, version });
}

// ---------------------------------------------------------------------------------------
// KEYS, SCAN, RANDOMKEY, DBSIZE

function keys(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const pattern = str(argv[1]);
  const all = matchesAll(pattern);
  const out: Buffer[] = [];
  for (const [key, e] of ctx.db.entries) {
    if (e.expireAt !== 0 && e.expireAt <= ctx.now) continue;
    if (all || stringMatch(pattern, key)) out.push(bulk(key));
  }
  return out;
}

/** SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]; see scan.ts for the cursor. */
function scan(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const cursor = parseCursor(argv[1]);
  if (cursor === undefined) return INVALID_CURSOR;
  const opts = parseScanOptions(argv, 2, false);
  if (opts instanceof CommandError) return opts;
  const page = scanPage(ctx.db, () => ctx.db.entries.keys(), cursor, opts.count);
  const out: Result[] = [];
  for (const key of page.items) {
    if (!patternAllows(opts, key)) continue;
    const e = ctx.db.get(key, ctx.now);
    if (e === undefined) continue; // expired, or deleted since the iteration's snapshot
    if (opts.type !== undefined && e.value.type !== opts.type) continue;
    out.push(bulk(key));
  }
  return scanReply(page.next, out);
}

function randomKey(ctx: CommandContext): Result {
  const db = ctx.db;
  if (db.expires.size === 0) {
    // No key can be expired: pick a position without building a list.
    if (db.size === 0) return null;
    let i = ctx.random(db.size);
    for (const key of db.entries.keys()) if (i-- === 0) return bulk(key);
    return null;
  }
  const live: string[] = [];
  for (const [key, e] of db.entries) {
    if (e.expireAt === 0 || e.expireAt > ctx.now) live.push(key);
  }
  if (live.length === 0) return null;
  return bulk(live[ctx.random(live.length)]!);
}

// ---------------------------------------------------------------------------------------
// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, PERSIST

const EXPIRE_NX = 1;
const EXPIRE_XX = 2;
const EXPIRE_GT = 4;
const EXPIRE_LT = 8;

/** Redis's parseExtendedExpireArgumentsOrReply. */
function parseExpireFlags(argv: readonly Buffer[]): number | CommandError {
  let flags = 0;
  for (let i = 3; i < argv.length; i++) {
    const opt = upper(argv[i]);
    if (opt === 'NX') flags |= EXPIRE_NX;
    else if (opt === 'XX') flags |= EXPIRE_XX;
    else if (opt === 'GT') flags |= EXPIRE_GT;
    else if (opt === 'LT') flags |= EXPIRE_LT;
    else return formatError(`Unsupported option ${str(argv[i])}`);
  }
  if (flags & EXPIRE_NX && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) {
    return new CommandError('ERR NX and XX, GT or LT options at the same time are not compatible');
  }
  if (flags & EXPIRE_GT && flags & EXPIRE_LT) {
    return new CommandError('ERR GT and LT options at the same time are not compatible');
  }
  return flags;
}

/**
 * EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT key time [NX | XX | GT | LT], as Redis's
 * expireGenericCommand: relative times are based on ctx.now; an expiry at or before
 * ctx.now deletes the key; the arithmetic is checked in int64 exactly as Redis checks it.
 * Expiry times are held as doubles (StoredEntry.expireAt), exact up to 2^53 ms, the year
 * 287396; beyond that they round to the nearest double.
 */
function expireGeneric(name: string, relative: boolean, seconds: boolean) {
  return (ctx: CommandContext, argv: readonly Buffer[]): Result => {
    const flags = parseExpireFlags(argv);
    if (flags instanceof CommandError) return flags;
    let when = parseLongLong(argv[2]);
    if (when === undefined) return NOT_INTEGER;
    const invalid = new CommandError(`ERR invalid expire time in '${name}' command`);
    if (seconds) {
      if (when > SECONDS_MAX || when < SECONDS_MIN) return invalid;
      when *= 1000n;
    }
    const base = relative ? BigInt(ctx.now) : 0n;
    if (when > INT64_MAX - base) return invalid;
    when += base;

    const key = keyOf(argv[1]!);
    const e = lookupWrite(ctx, key);
    if (e === undefined) return 0;
    if (flags !== 0) {
      const current = e.expireAt === 0 ? -1n : BigInt(e.expireAt);
      if (flags & EXPIRE_NX && current !== -1n) return 0;
      if (flags & EXPIRE_XX && current === -1n) return 0;
      // No expiry counts as an infinite one: GT never beats it, LT always does.
      if (flags & EXPIRE_GT && (when <= current || current === -1n)) return 0;
      if (flags & EXPIRE_LT && current !== -1n && when >= current) return 0;
    }
    if (when <= BigInt(ctx.now)) {
      ctx.db.delete(key);
      return 1;
    }
    ctx.db.set(key, { value: e.value, expireAt: Number(when), version: ctx.index });
    return 1;
  };
}

function persist(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const key = keyOf(argv[1]!);
  const e = lookupWrite(ctx, key);
  if (e === undefined || e.expireAt === 0) return 0;
  ctx.db.set(key, { value: e.value, expireAt: 0, version: ctx.index });
  return 1;
}

// ---------------------------------------------------------------------------------------
// TTL, PTTL, EXPIRETIME, PEXPIRETIME

/** Redis's ttlGenericCommand: -2 missing, -1 no expiry; seconds round to nearest. */
function ttlGeneric(ms: boolean, absolute: boolean) {
  return (ctx: CommandContext, argv: readonly Buffer[]): Result => {
    const e = ctx.db.get(keyOf(argv[1]!), ctx.now);
    if (e === undefined) return -2;
    if (e.expireAt === 0) return -1;
    let t = absolute ? e.expireAt : e.expireAt - ctx.now;
    if (t < 0) t = 0;
    const r = intReply(ms ? t : Math.floor((t + 500) / 1000));
    // Beyond 2^53 the stored double may round past int64; never reply outside it.
    return typeof r === 'bigint' && r > INT64_MAX ? INT64_MAX : r;
  };
}

// ---------------------------------------------------------------------------------------
// OBJECT

/** OBJ_SHARED_REFCOUNT: Redis shares the integers 0..9999 and reports this for them. */
const SHARED_REFCOUNT = 2147483647;
const SHARED_INTEGERS = 10000n;

/** Redis's string2l-based test for the "int" string encoding. */
function intEncoded(v: Buffer): bigint | undefined {
  return parseLongLong(v);
}

/**
 * The encoding Redis would report for this value. Strings edited in place by APPEND or
 * SETRANGE stay "raw", and INCRBYFLOAT's results are never "int", as in Redis (StringEncoding,
 * part of the replicated state), as does a hash once converted to a hashtable
 * (HashValue.hashtable).
 */
export function objectEncoding(v: Value): string {
  if (v.type === 'string') {
    if (v.encoding === 'raw') return 'raw';
    if (v.encoding === undefined && intEncoded(v.value) !== undefined) return 'int';
    return v.value.length <= 44 ? 'embstr' : 'raw';
  }
  return hashIsListpackEncoded(v) ? 'listpack' : 'hashtable';
}

/** Whether Redis would hold this hash as a listpack now (see HashValue.hashtable). */
export function hashIsListpackEncoded(v: HashValue): boolean {
  return v.hashtable !== true && hashIsListpack(v.fields);
}

/** Whether writing `field` and `value` makes Redis convert a listpack hash to a hashtable. */
export function outgrowsListpack(field: string, value: Buffer): boolean {
  return field.length > HASH_MAX_LISTPACK_VALUE || value.length > HASH_MAX_LISTPACK_VALUE;
}

/**
 * hash-max-listpack-entries and hash-max-listpack-value as Redis 7.0 compiles them in (512 and
 * 64; the redis.conf it ships sets 128 entries, but a server started without it has 512).
 */
export const HASH_MAX_LISTPACK_ENTRIES = 512;
export const HASH_MAX_LISTPACK_VALUE = 64;

export function hashIsListpack(fields: ReadonlyMap<string, Buffer>): boolean {
  if (fields.size > HASH_MAX_LISTPACK_ENTRIES) return false;
  for (const [f, v] of fields) {
    if (f.length > HASH_MAX_LISTPACK_VALUE || v.length > HASH_MAX_LISTPACK_VALUE) return false;
  }
  return true;
}

const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Prints this help.',
].map((line) => new Status(line));

const NO_LFU = new CommandError(
  'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
);

/** OBJECT ENCODING | FREQ | IDLETIME | REFCOUNT key, OBJECT HELP. */
function object(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const sub = upper(argv[1]);
  const arity = sub === 'HELP' ? 2 : 3;
  const known = ['ENCODING', 'FREQ', 'IDLETIME', 'REFCOUNT', 'HELP'].includes(sub);
  if (!known) {
    return formatError(`unknown subcommand '${str(argv[1]).slice(0, 128)}'. Try OBJECT HELP.`);
  }
  if (!arityOk(arity, argv.length)) {
    return new CommandError(
      `ERR wrong number of arguments for 'object|${sub.toLowerCase()}' command`,
    );
  }
  if (sub === 'HELP') return OBJECT_HELP;
  const e: StoredEntry | undefined = ctx.db.get(keyOf(argv[2]!), ctx.now);
  if (e === undefined) return null;
  switch (sub) {
    case 'ENCODING':
      return bulk(objectEncoding(e.value));
    case 'FREQ':
      // Our eviction policy is noeviction, so, as in Redis, no frequency is tracked.
      return NO_LFU;
    case 'IDLETIME':
      // Access times are not tracked (reads do not go through the log); report 0.
      return 0;
    default: {
      if (e.value.type !== 'string') return 1;
      // Only a string stored as any SET would can be one of Redis's shared integers.
      const n = e.value.encoding === undefined ? intEncoded(e.value.value) : undefined;
      if (n !== undefined && n >= 0n && n < SHARED_INTEGERS) return SHARED_REFCOUNT;
      return ctx.argumentValues?.has(e.value) === true ? 2 : 1;
    }
  }
}

// ---------------------------------------------------------------------------------------
// FLUSHDB, FLUSHALL

/** Both accept ASYNC or SYNC; either way the state machine empties synchronously. */
function flushArgsOk(argv: readonly Buffer[]): boolean {
  if (argv.length === 1) return true;
  if (argv.length !== 2) return false;
  const mode = upper(argv[1]);
  return mode === 'ASYNC' || mode === 'SYNC';
}

function flushdb(ctx: CommandContext, argv: readonly Buffer[]): Result {
  if (!flushArgsOk(argv)) return SYNTAX_ERROR;
  ctx.db.clear();
  return OK;
}

function flushall(ctx: CommandContext, argv: readonly Buffer[]): Result {
  if (!flushArgsOk(argv)) return SYNTAX_ERROR;
  for (const db of ctx.dbs) db.clear();
  ctx.db.clear();
  return OK;
}

// ---------------------------------------------------------------------------------------

const RW = ['write'] as const;
const WF = ['write', 'fast'] as const;
const RF = ['readonly', 'fast'] as const;
const RO = ['readonly'] as const;

/** Flags, arities and key positions as Redis 7's COMMAND INFO reports them. */
export const KEY_COMMANDS: readonly CommandDef[] = [
  command('del', -2, 'write', RW, [1, -1, 1], del),
  command('unlink', -2, 'write', WF, [1, -1, 1], del),
  command('exists', -2, 'read', RF, [1, -1, 1], countExisting),
  command('touch', -2, 'read', RF, [1, -1, 1], countExisting),
  command('type', 2, 'read', RF, [1, 1, 1], type),
  command('rename', 3, 'write', RW, [1, 2, 1], rename(false)),
  command('renamenx', 3, 'write', WF, [1, 2, 1], rename(true)),
  command('copy', -3, 'write', ['write', 'denyoom'], [1, 2, 1], copy),
  command('move', 3, 'write', WF, [1, 1, 1], move),
  command('swapdb', 3, 'write', WF, [0, 0, 0], swapdb),
  command('keys', 2, 'read', RO, [0, 0, 0], keys),
  command('scan', -2, 'read', RO, [0, 0, 0], scan),
  command('randomkey', 1, 'read', RO, [0, 0, 0], randomKey),
  command('dbsize', 1, 'read', RF, [0, 0, 0], (ctx) => ctx.db.size),
  command('expire', -3, 'write', WF, [1, 1, 1], expireGeneric('expire', true, true)),
  command('pexpire', -3, 'write', WF, [1, 1, 1], expireGeneric('pexpire', true, false)),
  command('expireat', -3, 'write', WF, [1, 1, 1], expireGeneric('expireat', false, true)),
  command('pexpireat', -3, 'write', WF, [1, 1, 1], expireGeneric('pexpireat', false, false)),
  command('persist', 2, 'write', WF, [1, 1, 1], persist),
  command('ttl', 2, 'read', RF, [1, 1, 1], ttlGeneric(false, false)),
  command('pttl', 2, 'read', RF, [1, 1, 1], ttlGeneric(true, false)),
  command('expiretime', 2, 'read', RF, [1, 1, 1], ttlGeneric(false, true)),
  command('pexpiretime', 2, 'read', RF, [1, 1, 1], ttlGeneric(true, true)),
  // A container command in Redis (COMMAND INFO object: -2, no flags, no keys); each
  // subcommand is readonly with its key at position 2.
  command('object', -2, 'read', [], [0, 0, 0], object),
  command('flushdb', -1, 'write', RW, [0, 0, 0], flushdb),
  command('flushall', -1, 'write', RW, [0, 0, 0], flushall),
];

import { keyOf, stringValue, type StringEncoding } from '../keyspace.js';
import {
  CommandError,
  NOT_INTEGER,
  OK,
  SYNTAX_ERROR,
  WRONGTYPE,
  wrongArity,
  type Result,
} from '../result.js';
import { def, lookup, parseInt64, upper, type CommandContext, type CommandDef } from './context.js';
import { addF80, f80FromBigInt, formatF80, parseF80 } from './float80.js';

const MAX_STRING_BYTES = 512 * 1024 * 1024;
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
const OVERFLOW = new CommandError('ERR increment or decrement would overflow');
/** DECRBY's own check, before it negates the decrement (Redis's wording). */
const DECR_OVERFLOW = new CommandError('ERR decrement would overflow');
const NOT_FLOAT = new CommandError('ERR value is not a valid float');
const NAN_OR_INF = new CommandError('ERR increment would produce NaN or Infinity');
const TOO_BIG = new CommandError('ERR string exceeds maximum allowed size (proto-max-bulk-len)');

const invalidExpire = (cmd: string): CommandError =>
  new CommandError(`ERR invalid expire time in '${cmd}' command`);

/** An integer in Redis's canonical form, as a JS value (number when safe). */
function intResult(n: bigint): number | bigint {
  const v = Number(n);
  return Number.isSafeInteger(v) ? v : n;
}

function store(ctx: CommandContext, key: string, value: Buffer, expireAt: number): void {
  ctx.db.set(key, { value: stringValue(value), expireAt, version: ctx.index });
}

/**
 * `store` for a value that is one of the command's own arguments, which Redis stores as the
 * very object it parsed (see CommandContext.argumentValues).
 */
function storeArgument(
  ctx: CommandContext,
  key: string,
  value: Buffer,
  expireAt: number,
  encoding?: StringEncoding,
): void {
  const v = stringValue(value, encoding);
  ctx.db.set(key, { value: v, expireAt, version: ctx.index });
  ctx.argumentValues?.add(v);
}

/** `store` for a string edited in place in Redis (APPEND, SETRANGE): see StringEncoding. */
function storeEdited(ctx: CommandContext, key: string, value: Buffer, expireAt: number): void {
  ctx.db.set(key, { value: stringValue(value, 'raw'), expireAt, version: ctx.index });
}

/** The expiry option of SET or GETEX, checked only once all options have been parsed. */
interface ExpiryArg {
  readonly arg: Buffer;
  readonly seconds: boolean;
  readonly absolute: boolean;
}

interface StringOptions {
  nx: boolean;
  xx: boolean;
  get: boolean;
  keepTtl: boolean;
  persist: boolean;
  expire: ExpiryArg | undefined;
}

/**
 * Redis 7's parseExtendedStringArgumentsOrReply for SET (`forGetex` false, from argv[3]) and
 * GETEX (true, from argv[2]): syntax only, the expiry value is read later. As in Redis an
 * expiry option excludes the other kinds and KEEPTTL/PERSIST, but not a repeat of itself
 * (`EX 10 EX 20` sets 20 s), NX and XX exclude each other, and an option missing its value is
 * a syntax error.
 */
function parseStringOptions(
  argv: readonly Buffer[],
  forGetex: boolean,
): StringOptions | CommandError {
  const o: StringOptions = {
    nx: false,
    xx: false,
    get: false,
    keepTtl: false,
    persist: false,
    expire: undefined,
  };
  const kind = (): string | undefined =>
    o.expire === undefined
      ? undefined
      : `${o.expire.seconds ? 'EX' : 'PX'}${o.expire.absolute ? 'AT' : ''}`;
  for (let i = forGetex ? 2 : 3; i < argv.length; i++) {
    const opt = upper(argv[i]);
    const next = argv[i + 1];
    const current = kind();
    if (opt === 'NX' && !forGetex && !o.xx) o.nx = true;
    else if (opt === 'XX' && !forGetex && !o.nx) o.xx = true;
    else if (opt === 'GET' && !forGetex) o.get = true;
    else if (opt === 'KEEPTTL' && !forGetex && !o.persist && current === undefined)
      o.keepTtl = true;
    else if (opt === 'PERSIST' && forGetex && !o.keepTtl && current === undefined) o.persist = true;
    else if (
      (opt === 'EX' || opt === 'PX' || opt === 'EXAT' || opt === 'PXAT') &&
      !o.keepTtl &&
      !o.persist &&
      (current === undefined || current === opt) &&
      next !== undefined
    ) {
      o.expire = { arg: next, seconds: opt.startsWith('E'), absolute: opt.endsWith('AT') };
      i++;
    } else {
      return SYNTAX_ERROR;
    }
  }
  return o;
}

/**
 * Redis's getExpireMillisecondsOrReply: the absolute expiry in ms, or the error. The value must
 * be a positive int64, in seconds at most LLONG_MAX/1000, and a relative one must not overflow
 * int64 once the time is added. Times beyond 2^53 ms (the year 287396) are kept as the nearest
 * double, as the key commands keep them.
 */
function expireAtMs(ctx: CommandContext, e: ExpiryArg, cmd: string): number | CommandError {
  const n = parseInt64(e.arg);
  if (n === undefined) return NOT_INTEGER;
  if (n <= 0n || (e.seconds && n > INT64_MAX / 1000n)) return invalidExpire(cmd);
  let when = e.seconds ? n * 1000n : n;
  if (!e.absolute) when += BigInt(Math.floor(ctx.now));
  if (when > INT64_MAX) return invalidExpire(cmd);
  return Number(when);
}

/** SET key value [NX | XX] [GET] [EX s | PX ms | EXAT s | PXAT ms | KEEPTTL] */
function set(ctx: CommandContext, argv: readonly Buffer[]): Result {
  if (argv.length === 3) {
    // Nearly every SET: no option to parse, and nothing to read first (the value replaces
    // whatever the key held, of any type, and its expiry with it).
    storeArgument(ctx, keyOf(argv[1]!), argv[2]!, 0);
    return OK;
  }
  const o = parseStringOptions(argv, false);
  if (o instanceof CommandError) return o;
  const expireAt = o.expire === undefined ? undefined : expireAtMs(ctx, o.expire, 'set');
  if (expireAt instanceof CommandError) return expireAt;
  const key = keyOf(argv[1]!);
  const old = ctx.db.get(key, ctx.now);
  if (o.get && old !== undefined && old.value.type !== 'string') return WRONGTYPE;
  const previous: Result = o.get ? (old?.value.type === 'string' ? old.value.value : null) : null;
  if ((o.nx && old !== undefined) || (o.xx && old === undefined)) return o.get ? previous : null;
  storeArgument(
    ctx,
    key,
    argv[2]!,
    expireAt ?? (o.keepTtl && old !== undefined ? old.expireAt : 0),
  );
  return o.get ? previous : OK;
}

function setnx(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const key = keyOf(argv[1]!);
  if (ctx.db.get(key, ctx.now) !== undefined) return 0;
  storeArgument(ctx, key, argv[2]!, 0);
  return 1;
}

function setexLike(seconds: boolean, cmd: string) {
  return (ctx: CommandContext, argv: readonly Buffer[]): Result => {
    const expireAt = expireAtMs(ctx, { arg: argv[2]!, seconds, absolute: false }, cmd);
    if (expireAt instanceof CommandError) return expireAt;
    storeArgument(ctx, keyOf(argv[1]!), argv[3]!, expireAt);
    return OK;
  };
}

function get(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const { entry, error } = lookup(ctx, keyOf(argv[1]!), 'string');
  if (error !== undefined) return error;
  return entry === undefined ? null : entry.value.value;
}

function getset(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const key = keyOf(argv[1]!);
  const { entry, error } = lookup(ctx, key, 'string');
  if (error !== undefined) return error;
  storeArgument(ctx, key, argv[2]!, 0);
  return entry === undefined ? null : entry.value.value;
}

function getdel(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const key = keyOf(argv[1]!);
  const { entry, error } = lookup(ctx, key, 'string');
  if (error !== undefined) return error;
  if (entry === undefined) return null;
  ctx.db.delete(key);
  return entry.value.value;
}

/**
 * GETEX key [EX s | PX ms | EXAT s | PXAT ms | PERSIST], in Redis's order: syntax, then a
 * missing key (nil, whatever the expiry value), the type, the expiry value. An absolute
 * expiry already past deletes the key at once, as Redis does (so DBSIZE does not count it).
 */
function getex(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const o = parseStringOptions(argv, true);
  if (o instanceof CommandError) return o;
  const key = keyOf(argv[1]!);
  const { entry, error } = lookup(ctx, key, 'string');
  if (error !== undefined) return error;
  if (entry === undefined) return null;
  const expireAt = o.expire === undefined ? undefined : expireAtMs(ctx, o.expire, 'getex');
  if (expireAt instanceof CommandError) return expireAt;
  if (o.expire?.absolute === true && expireAt !== undefined && expireAt <= ctx.now) {
    ctx.db.delete(key);
  } else if (expireAt !== undefined) {
    ctx.db.set(key, { ...entry, expireAt, version: ctx.index });
  } else if (o.persist && entry.expireAt !== 0) {
    ctx.db.set(key, { ...entry, expireAt: 0, version: ctx.index });
  }
  return entry.value.value;
}

function mget(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const out: Result[] = new Array<Result>(argv.length - 1);
  for (let i = 1; i < argv.length; i++) {
    const e = ctx.db.get(keyOf(argv[i]!), ctx.now);
    out[i - 1] = e?.value.type === 'string' ? e.value.value : null;
  }
  return out;
}

function mset(ctx: CommandContext, argv: readonly Buffer[]): Result {
  if (argv.length % 2 === 0) return wrongArity(argv[0]!.toString('latin1'));
  for (let i = 1; i < argv.length; i += 2) storeArgument(ctx, keyOf(argv[i]!), argv[i + 1]!, 0);
  return OK;
}

function msetnx(ctx: CommandContext, argv: readonly Buffer[]): Result {
  if (argv.length % 2 === 0) return wrongArity('msetnx');
  for (let i = 1; i < argv.length; i += 2) {
    if (ctx.db.get(keyOf(argv[i]!), ctx.now) !== undefined) return 0;
  }
  for (let i = 1; i < argv.length; i += 2) storeArgument(ctx, keyOf(argv[i]!), argv[i + 1]!, 0);
  return 1;
}

/** Adds `delta` to the integer held at `key`, keeping its TTL, as INCR/DECR/INCRBY/DECRBY. */
function incrementBy(ctx: CommandContext, keyArg: Buffer, delta: bigint): Result {
  const key = keyOf(keyArg);
  const { entry, error } = lookup(ctx, key, 'string');
  if (error !== undefined) return error;
  let current = 0n;
  if (entry !== undefined) {
    const parsed = parseInt64(entry.value.value);
    if (parsed === undefined) return NOT_INTEGER;
    current = parsed;
  }
  const next = current + delta;
  if (next > INT64_MAX || next < INT64_MIN) return OVERFLOW;
  store(ctx, key, Buffer.from(next.toString(), 'latin1'), entry?.expireAt ?? 0);
  return intResult(next);
}

function incrbyArg(sign: 1n | -1n) {
  return (ctx: CommandContext, argv: readonly Buffer[]): Result => {
    const n = parseInt64(argv[2]);
    if (n === undefined) return NOT_INTEGER;
    if (sign === -1n && n === INT64_MIN) return DECR_OVERFLOW;
    return incrementBy(ctx, argv[1]!, n * sign);
  };
}

/**
 * INCRBYFLOAT in x87 extended precision, as Redis computes it on x86-64 (see float80.ts):
 * doubles would answer 0.30000000000000004 where Redis answers 0.3. Redis checks the type,
 * then parses the stored value, then the increment.
 */
function incrbyfloat(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const key = keyOf(argv[1]!);
  const { entry, error } = lookup(ctx, key, 'string');
  if (error !== undefined) return error;
  const current = entry === undefined ? f80FromBigInt(0n) : parseF80(entry.value.value);
  const incr = parseF80(argv[2]!);
  if (current === undefined || incr === undefined) return NOT_FLOAT;
  // An infinite operand ("inf" parses) can only give an infinite or NaN sum.
  if (typeof current === 'string' || typeof incr === 'string') return NAN_OR_INF;
  const next = addF80(current, incr);
  if (next === 'overflow') return NAN_OR_INF;
  const text = Buffer.from(formatF80(next), 'latin1');
  // Never int-encoded in Redis, whatever it reads (see StringEncoding). Redis also puts the
  // result in the command's arguments (it replicates the command as a SET of it), so it is
  // stored like one.
  storeArgument(ctx, key, text, entry?.expireAt ?? 0, 'string');
  return text;
}

function append(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const key = keyOf(argv[1]!);
  const { entry, error } = lookup(ctx, key, 'string');
  if (error !== undefined) return error;
  const old = entry?.value.value;
  if (old !== undefined && old.length + argv[2]!.length > MAX_STRING_BYTES) return TOO_BIG;
  if (old === undefined) {
    // A new key: Redis stores the argument as any SET would.
    storeArgument(ctx, key, argv[2]!, 0);
    return argv[2]!.length;
  }
  const value = Buffer.concat([old, argv[2]!]);
  storeEdited(ctx, key, value, entry!.expireAt);
  return value.length;
}

function strlen(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const { entry, error } = lookup(ctx, keyOf(argv[1]!), 'string');
  if (error !== undefined) return error;
  return entry?.value.value.length ?? 0;
}

function getrange(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const startArg = parseInt64(argv[2]);
  const endArg = parseInt64(argv[3]);
  if (startArg === undefined || endArg === undefined) return NOT_INTEGER;
  const { entry, error } = lookup(ctx, keyOf(argv[1]!), 'string');
  if (error !== undefined) return error;
  const value = entry?.value.value;
  if (value === undefined || value.length === 0) return Buffer.alloc(0);
  let start = Number(startArg);
  let end = Number(endArg);
  const len = value.length;
  // Redis: negative indexes count from the end; both clamp into the string.
  if (start < 0 && end < 0 && start > end) return Buffer.alloc(0);
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end) return Buffer.alloc(0);
  return value.subarray(start, end + 1);
}

function setrange(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const offsetArg = parseInt64(argv[2]);
  if (offsetArg === undefined) return NOT_INTEGER;
  if (offsetArg < 0n) return new CommandError('ERR offset is out of range');
  const offset = Number(offsetArg);
  const patch = argv[3]!;
  const key = keyOf(argv[1]!);
  const { entry, error } = lookup(ctx, key, 'string');
  if (error !== undefined) return error;
  const old = entry?.value.value ?? Buffer.alloc(0);
  if (patch.length === 0) return old.length;
  if (offset + patch.length > MAX_STRING_BYTES) return TOO_BIG;
  const value = Buffer.alloc(Math.max(old.length, offset + patch.length));
  old.copy(value, 0);
  patch.copy(value, offset);
  storeEdited(ctx, key, value, entry?.expireAt ?? 0);
  return value.length;
}

const WRITE = ['write', 'denyoom'] as const;

export const STRING_COMMANDS: readonly CommandDef[] = [
  def('get', 2, 'read', ['readonly', 'fast'], [1, 1, 1], get),
  def('set', -3, 'write', WRITE, [1, 1, 1], set),
  def('setnx', 3, 'write', ['write', 'denyoom', 'fast'], [1, 1, 1], setnx),
  def('setex', 4, 'write', WRITE, [1, 1, 1], setexLike(true, 'setex')),
  def('psetex', 4, 'write', WRITE, [1, 1, 1], setexLike(false, 'psetex')),
  def('getset', 3, 'write', ['write', 'denyoom', 'fast'], [1, 1, 1], getset),
  def('getdel', 2, 'write', ['write', 'fast'], [1, 1, 1], getdel),
  def('getex', -2, 'write', ['write', 'fast'], [1, 1, 1], getex),
  def('mget', -2, 'read', ['readonly', 'fast'], [1, -1, 1], mget),
  def('getmany', -2, 'read', ['readonly', 'fast'], [1, -1, 1], mget),
  def('mset', -3, 'write', WRITE, [1, -1, 2], mset),
  def('setmany', -3, 'write', WRITE, [1, -1, 2], mset),
  def('msetnx', -3, 'write', WRITE, [1, -1, 2], msetnx),
  def('incr', 2, 'write', ['write', 'denyoom', 'fast'], [1, 1, 1], (c, a) =>
    incrementBy(c, a[1]!, 1n),
  ),
  def('decr', 2, 'write', ['write', 'denyoom', 'fast'], [1, 1, 1], (c, a) =>
    incrementBy(c, a[1]!, -1n),
  ),
  def('incrby', 3, 'write', ['write', 'denyoom', 'fast'], [1, 1, 1], incrbyArg(1n)),
  def('decrby', 3, 'write', ['write', 'denyoom', 'fast'], [1, 1, 1], incrbyArg(-1n)),
  def('incrbyfloat', 3, 'write', ['write', 'denyoom', 'fast'], [1, 1, 1], incrbyfloat),
  def('append', 3, 'write', ['write', 'denyoom', 'fast'], [1, 1, 1], append),
  def('strlen', 2, 'read', ['readonly', 'fast'], [1, 1, 1], strlen),
  def('getrange', 4, 'read', ['readonly'], [1, 1, 1], getrange),
  def('substr', 4, 'read', ['readonly'], [1, 1, 1], getrange),
  def('setrange', 4, 'write', WRITE, [1, 1, 1], setrange),
];

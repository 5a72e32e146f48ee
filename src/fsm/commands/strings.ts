import { keyOf } from '../keyspace.js';
import {
  CommandError,
  NOT_INTEGER,
  OK,
  SYNTAX_ERROR,
  WRONGTYPE,
  wrongArity,
  type Result,
} from '../result.js';
import {
  def,
  formatFloat,
  lookup,
  parseFloatArg,
  parseInt64,
  upper,
  type CommandContext,
  type CommandDef,
} from './context.js';

const MAX_STRING_BYTES = 512 * 1024 * 1024;
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
const OVERFLOW = new CommandError('ERR increment or decrement would overflow');
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
  ctx.db.set(key, { value: { type: 'string', value }, expireAt, version: ctx.index });
}

/**
 * Parses EX/PX/EXAT/PXAT (and KEEPTTL or PERSIST where allowed) at `argv[i]`. Returns the
 * number of arguments consumed (0 if `argv[i]` is not an expiry option), or an error.
 */
function parseExpiry(
  ctx: CommandContext,
  argv: readonly Buffer[],
  i: number,
  cmd: string,
  state: { expireAt: number | undefined; keepTtl: boolean; persist: boolean },
  allowKeepTtl: boolean,
  allowPersist: boolean,
): number | CommandError {
  const opt = upper(argv[i]);
  const anySet = state.expireAt !== undefined || state.keepTtl || state.persist;
  if (opt === 'EX' || opt === 'PX' || opt === 'EXAT' || opt === 'PXAT') {
    if (anySet) return SYNTAX_ERROR;
    const arg = argv[i + 1];
    if (arg === undefined) return SYNTAX_ERROR;
    const n = parseInt64(arg);
    if (n === undefined) return NOT_INTEGER;
    if (n <= 0n) return invalidExpire(cmd);
    const ms = opt === 'EX' || opt === 'EXAT' ? n * 1000n : n;
    const abs = opt === 'EX' || opt === 'PX' ? ms + BigInt(Math.floor(ctx.now)) : ms;
    if (abs > BigInt(Number.MAX_SAFE_INTEGER) || ms > INT64_MAX) return invalidExpire(cmd);
    state.expireAt = Number(abs);
    return 2;
  }
  if (opt === 'KEEPTTL' && allowKeepTtl) {
    if (anySet) return SYNTAX_ERROR;
    state.keepTtl = true;
    return 1;
  }
  if (opt === 'PERSIST' && allowPersist) {
    if (anySet) return SYNTAX_ERROR;
    state.persist = true;
    return 1;
  }
  return 0;
}

/** SET key value [NX | XX] [GET] [EX s | PX ms | EXAT s | PXAT ms | KEEPTTL] */
function set(ctx: CommandContext, argv: readonly Buffer[]): Result {
  let nx = false;
  let xx = false;
  let get = false;
  const expiry = { expireAt: undefined as number | undefined, keepTtl: false, persist: false };
  for (let i = 3; i < argv.length;) {
    const opt = upper(argv[i]);
    if (opt === 'NX' && !xx) {
      nx = true;
      i++;
    } else if (opt === 'XX' && !nx) {
      xx = true;
      i++;
    } else if (opt === 'GET') {
      get = true;
      i++;
    } else {
      const used = parseExpiry(ctx, argv, i, 'set', expiry, true, false);
      if (used instanceof CommandError) return used;
      if (used === 0) return SYNTAX_ERROR;
      i += used;
    }
  }
  const key = keyOf(argv[1]!);
  const old = ctx.db.get(key, ctx.now);
  if (get && old !== undefined && old.value.type !== 'string') return WRONGTYPE;
  const previous: Result = get ? (old?.value.type === 'string' ? old.value.value : null) : null;
  if ((nx && old !== undefined) || (xx && old === undefined)) return get ? previous : null;
  const expireAt = expiry.expireAt ?? (expiry.keepTtl && old !== undefined ? old.expireAt : 0);
  store(ctx, key, argv[2]!, expireAt);
  return get ? previous : OK;
}

function setnx(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const key = keyOf(argv[1]!);
  if (ctx.db.get(key, ctx.now) !== undefined) return 0;
  store(ctx, key, argv[2]!, 0);
  return 1;
}

function setexLike(unitMs: number, cmd: string) {
  return (ctx: CommandContext, argv: readonly Buffer[]): Result => {
    const n = parseInt64(argv[2]);
    if (n === undefined) return NOT_INTEGER;
    if (n <= 0n) return invalidExpire(cmd);
    const abs = n * BigInt(unitMs) + BigInt(Math.floor(ctx.now));
    if (abs > BigInt(Number.MAX_SAFE_INTEGER)) return invalidExpire(cmd);
    store(ctx, keyOf(argv[1]!), argv[3]!, Number(abs));
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
  store(ctx, key, argv[2]!, 0);
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

/** GETEX key [EX s | PX ms | EXAT s | PXAT ms | PERSIST] */
function getex(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const expiry = { expireAt: undefined as number | undefined, keepTtl: false, persist: false };
  for (let i = 2; i < argv.length;) {
    const used = parseExpiry(ctx, argv, i, 'getex', expiry, false, true);
    if (used instanceof CommandError) return used;
    if (used === 0) return SYNTAX_ERROR;
    i += used;
  }
  const key = keyOf(argv[1]!);
  const { entry, error } = lookup(ctx, key, 'string');
  if (error !== undefined) return error;
  if (entry === undefined) return null;
  if (expiry.persist && entry.expireAt !== 0) {
    ctx.db.set(key, { ...entry, expireAt: 0, version: ctx.index });
  } else if (expiry.expireAt !== undefined) {
    ctx.db.set(key, { ...entry, expireAt: expiry.expireAt, version: ctx.index });
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
  for (let i = 1; i < argv.length; i += 2) store(ctx, keyOf(argv[i]!), argv[i + 1]!, 0);
  return OK;
}

function msetnx(ctx: CommandContext, argv: readonly Buffer[]): Result {
  if (argv.length % 2 === 0) return wrongArity('msetnx');
  for (let i = 1; i < argv.length; i += 2) {
    if (ctx.db.get(keyOf(argv[i]!), ctx.now) !== undefined) return 0;
  }
  for (let i = 1; i < argv.length; i += 2) store(ctx, keyOf(argv[i]!), argv[i + 1]!, 0);
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
    if (sign === -1n && n === INT64_MIN) return OVERFLOW;
    return incrementBy(ctx, argv[1]!, n * sign);
  };
}

function incrbyfloat(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const incr = parseFloatArg(argv[2]);
  if (incr === undefined) return NOT_FLOAT;
  const key = keyOf(argv[1]!);
  const { entry, error } = lookup(ctx, key, 'string');
  if (error !== undefined) return error;
  let current = 0;
  if (entry !== undefined) {
    const parsed = parseFloatArg(entry.value.value);
    if (parsed === undefined) return NOT_FLOAT;
    current = parsed;
  }
  const next = current + incr;
  if (!Number.isFinite(next)) return NAN_OR_INF;
  const text = Buffer.from(formatFloat(next), 'latin1');
  store(ctx, key, text, entry?.expireAt ?? 0);
  return text;
}

function append(ctx: CommandContext, argv: readonly Buffer[]): Result {
  const key = keyOf(argv[1]!);
  const { entry, error } = lookup(ctx, key, 'string');
  if (error !== undefined) return error;
  const old = entry?.value.value;
  if (old !== undefined && old.length + argv[2]!.length > MAX_STRING_BYTES) return TOO_BIG;
  const value = old === undefined ? argv[2]! : Buffer.concat([old, argv[2]!]);
  store(ctx, key, value, entry?.expireAt ?? 0);
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
  store(ctx, key, value, entry?.expireAt ?? 0);
  return value.length;
}

const WRITE = ['write', 'denyoom'] as const;

export const STRING_COMMANDS: readonly CommandDef[] = [
  def('get', 2, 'read', ['readonly', 'fast'], [1, 1, 1], get),
  def('set', -3, 'write', WRITE, [1, 1, 1], set),
  def('setnx', 3, 'write', ['write', 'denyoom', 'fast'], [1, 1, 1], setnx),
  def('setex', 4, 'write', WRITE, [1, 1, 1], setexLike(1000, 'setex')),
  def('psetex', 4, 'write', WRITE, [1, 1, 1], setexLike(1, 'psetex')),
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

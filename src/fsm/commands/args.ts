/**
 * Small helpers shared by the key-space and hash commands. They live here rather than in
 * context.ts because that file belongs to the string commands' rewrite; nothing here is
 * specific to keys or hashes, so context.ts may absorb them later.
 */
import type { StoredEntry } from '../keyspace.js';
import { CommandError, wrongArity } from '../result.js';
import { def, type CommandContext, type CommandDef, type CommandFn } from './context.js';

export const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/**
 * Redis's string2ll, exactly: an optional '-', then "0" alone or a digit 1-9 followed by
 * digits, within int64. Unlike `parseInt64` in context.ts it rejects "-0", as Redis does
 * (`INCRBY k -0` and `HINCRBY h f -0` are errors there).
 */
export function parseLongLong(b: Buffer | undefined): bigint | undefined {
  if (b === undefined || b.length === 0 || b.length > 20) return undefined;
  const s = b.toString('latin1');
  if (!/^(0|-?[1-9]\d*)$/.test(s)) return undefined;
  const n = BigInt(s);
  return n > INT64_MAX || n < INT64_MIN ? undefined : n;
}

/** An integer reply: a number when exact, a bigint beyond 2^53. */
export function intReply(n: bigint | number): number | bigint {
  if (typeof n === 'number') return Number.isSafeInteger(n) ? n : BigInt(n);
  return n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n;
}

/** True if `argc` (argv.length, the name included) satisfies a Redis arity. */
export function arityOk(arity: number, argc: number): boolean {
  return arity >= 0 ? argc === arity : argc >= -arity;
}

/**
 * `def()` with the arity checked before `fn` runs, so that a command is safe to call with
 * any argv whether or not the front end checked the arity first.
 */
export function command(
  name: string,
  arity: number,
  kind: 'write' | 'read',
  flags: readonly string[],
  keys: readonly [number, number, number],
  fn: CommandFn,
): CommandDef {
  return def(name, arity, kind, flags, keys, (ctx, argv) =>
    arityOk(arity, argv.length) ? fn(ctx, argv) : wrongArity(name),
  );
}

/**
 * The live entry of `key` for a write. Like Redis's lookupKeyWrite on a primary it removes
 * the key if it has expired: writes run at the leader-stamped time, so every replica removes
 * the same keys at the same index.
 */
export function lookupWrite(
  ctx: CommandContext,
  key: string,
  db = ctx.db,
): StoredEntry | undefined {
  const e = db.get(key, ctx.now);
  if (e === undefined && db.entries.has(key)) db.delete(key);
  return e;
}

/** A bulk reply holding the bytes of a key or field (a latin1 string). */
export function bulk(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/**
 * An error whose text quotes the client's bytes, built as Redis's addReplyErrorFormat does:
 * CR and LF trimmed from both ends, and replaced by spaces inside, so that the reply stays
 * one protocol line.
 */
export function formatError(text: string): CommandError {
  const trimmed = text.replace(/^[\r\n]+|[\r\n]+$/g, '').replace(/[\r\n]/g, ' ');
  return new CommandError(`ERR ${trimmed}`);
}

/** getRangeLongFromObjectOrReply's error (Redis 7.0's wording, "value must between"). */
export function outOfRange(min: bigint, max: bigint): CommandError {
  return new CommandError(`ERR value is out of range, value must between ${min} and ${max}`);
}

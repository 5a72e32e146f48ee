import type { Keyspace, StoredEntry, StringValue, Value } from '../keyspace.js';
import { CommandError, WRONGTYPE, type Result } from '../result.js';

/** What a command sees while it runs. */
export interface CommandContext {
  readonly db: Keyspace;
  /** Every database, for commands that cross them (COPY ... DB, FLUSHALL, MOVE). */
  readonly dbs: readonly Keyspace[];
  readonly dbIndex: number;
  /** Leader time for writes (deterministic on every replica); the node's clock for reads. */
  readonly now: number;
  /** The log index being applied (writes), or the applied index (reads). */
  readonly index: number;
  /** Reads only: local randomness (RANDOMKEY, HRANDFIELD). Writes never draw random numbers. */
  readonly random: (bound: number) => number;
  /**
   * Inside a transaction: the string values its commands stored from their own arguments
   * (SET, MSET, GETSET, ...). Redis keeps every queued command's arguments until EXEC ends,
   * so such a value has a second reference meanwhile, which OBJECT REFCOUNT shows.
   */
  readonly argumentValues?: Set<StringValue>;
}

export type CommandFn = (ctx: CommandContext, argv: readonly Buffer[]) => Result;

/**
 * A command's definition, shared by the state machine (which executes it) and the front
 * ends (which route it and report it in COMMAND INFO). Arity follows Redis: n means exactly
 * n arguments including the name, -n at least n.
 */
export interface CommandDef {
  readonly name: string;
  readonly arity: number;
  readonly kind: 'write' | 'read';
  readonly flags: readonly string[];
  readonly firstKey: number;
  readonly lastKey: number;
  readonly keyStep: number;
  readonly fn: CommandFn;
}

export function def(
  name: string,
  arity: number,
  kind: 'write' | 'read',
  flags: readonly string[],
  keys: readonly [number, number, number],
  fn: CommandFn,
): CommandDef {
  return { name, arity, kind, flags, firstKey: keys[0], lastKey: keys[1], keyStep: keys[2], fn };
}

export const str = (b: Buffer | undefined): string => (b === undefined ? '' : b.toString('latin1'));
export const upper = (b: Buffer | undefined): string => str(b).toUpperCase();

/**
 * Redis's string2ll: optional '-', digits, no spaces, no leading '+' or zeros, in int64. "-0"
 * is refused too (`INCRBY k -0` is an error in Redis).
 */
export function parseInt64(b: Buffer | undefined): bigint | undefined {
  if (b === undefined) return undefined;
  const s = b.toString('latin1');
  if (!/^(0|-?[1-9]\d{0,18})$/.test(s)) return undefined;
  const n = BigInt(s);
  if (n > 9223372036854775807n || n < -9223372036854775808n) return undefined;
  return n;
}

/** A 64-bit integer argument as a JS number when it is a safe integer, else undefined. */
export function parseSafeInt(b: Buffer | undefined): number | undefined {
  const n = parseInt64(b);
  if (n === undefined) return undefined;
  const v = Number(n);
  return Number.isSafeInteger(v) ? v : undefined;
}

/** Redis's strtold-based float parsing: finite or +-inf, no NaN, no trailing garbage. */
export function parseFloatArg(b: Buffer | undefined): number | undefined {
  if (b === undefined) return undefined;
  const s = b.toString('latin1');
  if (s.length === 0 || /^\s|\s$/.test(s)) return undefined;
  const lower = s.toLowerCase();
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity' || lower === '+infinity')
    return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return undefined;
  const v = Number(s);
  return Number.isNaN(v) ? undefined : v;
}

/**
 * Formats a float the way Redis prints INCRBYFLOAT results: fixed notation (never an
 * exponent), at most 17 significant digits, no trailing zeros.
 */
export function formatFloat(v: number): string {
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  const shortest = String(v);
  if (!/e/i.test(shortest)) return shortest === '-0' ? '0' : shortest;
  // Redis prints with %.17Lf and strips zeros: large values in full, tiny ones rounded.
  if (Math.abs(v) >= 1) return BigInt(v).toString();
  const fixed = v.toFixed(17).replace(/0+$/, '').replace(/\.$/, '');
  return fixed === '-0' ? '0' : fixed;
}

/** The live entry of `key` if it holds `type`; WRONGTYPE if it holds another type. */
export function lookup<T extends Value['type']>(
  ctx: CommandContext,
  key: string,
  type: T,
): {
  entry: (StoredEntry & { value: Extract<Value, { type: T }> }) | undefined;
  error?: CommandError;
} {
  const e = ctx.db.get(key, ctx.now);
  if (e === undefined) return { entry: undefined };
  if (e.value.type !== type) return { entry: undefined, error: WRONGTYPE };
  return { entry: e as StoredEntry & { value: Extract<Value, { type: T }> } };
}

export function isError(r: Result): r is CommandError {
  return r instanceof CommandError;
}

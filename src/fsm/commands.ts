import { keyOf, type Keyspace, type StoredEntry } from './keyspace.js';
import {
  CommandError,
  NOT_INTEGER,
  OK,
  SYNTAX_ERROR,
  wrongArity,
  type Result,
} from './result.js';

/** What a command sees: its database, the time it runs at, and the log index (writes only). */
export interface CommandContext {
  readonly db: Keyspace;
  /** Leader time for writes; the reading node's clock for reads. */
  readonly now: number;
  readonly index: number;
}

export type Command = (ctx: CommandContext, argv: readonly Buffer[]) => Result;

function parseInteger(b: Buffer): number | undefined {
  const s = b.toString('latin1');
  if (!/^-?\d{1,19}$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

const INVALID_EXPIRE = (cmd: string): CommandError =>
  new CommandError(`ERR invalid expire time in '${cmd}' command`);

/**
 * SET key value [NX | XX] [GET] [EX s | PX ms | EXAT s | PXAT ms | KEEPTTL]
 * Relative expiries become absolute here, at apply time, from the leader-stamped clock.
 */
function set(ctx: CommandContext, argv: readonly Buffer[]): Result {
  if (argv.length < 3) return wrongArity('set');
  let nx = false;
  let xx = false;
  let get = false;
  let keepTtl = false;
  let expireAt: number | undefined;
  for (let i = 3; i < argv.length; i++) {
    const opt = argv[i]!.toString('latin1').toUpperCase();
    if (opt === 'NX' && !xx) nx = true;
    else if (opt === 'XX' && !nx) xx = true;
    else if (opt === 'GET') get = true;
    else if (opt === 'KEEPTTL' && expireAt === undefined) keepTtl = true;
    else if ((opt === 'EX' || opt === 'PX' || opt === 'EXAT' || opt === 'PXAT') && expireAt === undefined && !keepTtl) {
      const arg = argv[++i];
      if (arg === undefined) return SYNTAX_ERROR;
      const n = parseInteger(arg);
      if (n === undefined) return NOT_INTEGER;
      if (n <= 0) return INVALID_EXPIRE('set');
      const ms = opt === 'EX' || opt === 'EXAT' ? n * 1000 : n;
      if (!Number.isSafeInteger(ms)) return INVALID_EXPIRE('set');
      expireAt = opt === 'EX' || opt === 'PX' ? ctx.now + ms : ms;
    } else {
      return SYNTAX_ERROR;
    }
  }
  const key = keyOf(argv[1]!);
  const old = ctx.db.get(key, ctx.now);
  if (get && old !== undefined && old.value.type !== 'string') {
    return new CommandError('WRONGTYPE Operation against a key holding the wrong kind of value');
  }
  const previous = get ? (old?.value.value ?? null) : undefined;
  if ((nx && old !== undefined) || (xx && old === undefined)) return get ? (previous ?? null) : null;
  const entry: StoredEntry = {
    value: { type: 'string', value: argv[2]! },
    expireAt: expireAt ?? (keepTtl && old !== undefined ? old.expireAt : 0),
    version: ctx.index,
  };
  ctx.db.set(key, entry);
  return get ? (previous ?? null) : OK;
}

function get(ctx: CommandContext, argv: readonly Buffer[]): Result {
  if (argv.length !== 2) return wrongArity('get');
  const e = ctx.db.get(keyOf(argv[1]!), ctx.now);
  if (e === undefined) return null;
  return e.value.value;
}

function del(ctx: CommandContext, argv: readonly Buffer[]): Result {
  if (argv.length < 2) return wrongArity('del');
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    const key = keyOf(argv[i]!);
    // An expired key counts as absent, but is removed all the same.
    if (ctx.db.get(key, ctx.now) !== undefined) n++;
    ctx.db.delete(key);
  }
  return n;
}

export const WRITE_COMMANDS: ReadonlyMap<string, Command> = new Map<string, Command>([
  ['set', set],
  ['del', del],
  ['unlink', del],
]);

export const READ_COMMANDS: ReadonlyMap<string, Command> = new Map<string, Command>([['get', get]]);

import { NotLeaderError, RedraftError } from '../errors.js';
import { arityOk } from '../fsm/commands/args.js';
import { COMMAND_DEFS } from '../fsm/commands/index.js';
import { checkCommand } from '../fsm/kv-state-machine.js';
import { CommandError, wrongArity, type Result } from '../fsm/result.js';
import { FORWARDED_TRANSACTION, type KvService } from '../node/kv-service.js';
import type { ReadConsistency } from '../node/raft-node.js';
import type { PauseClass } from './client-pause.js';
import { keySlot } from './cluster-view.js';
import type { CommandClass, Connection, Dispatcher, Outcome } from './connection.js';
import type { ReplyWriter } from './encoder.js';
import { writeResult } from './result-writer.js';
import { LOCAL_COMMANDS, emit, error, parseDbIndex, type ServerInfo } from './local-commands.js';
import { hasSubcommands, subcommandArity, subcommandArityError } from './subcommands.js';

export type { ServerInfo } from './local-commands.js';

const AUTH_REQUIRED = 'NOAUTH Authentication required.';
/** Commands a client may send before AUTH when a password is set. */
const NO_AUTH_NEEDED = new Set(['auth', 'hello', 'quit', 'reset']);
/** Arity of the transaction commands the dispatcher runs itself (EXEC has its own rule). */
const TX_ARITY = new Map([
  ['multi', 1],
  ['discard', 1],
  ['watch', -2],
  ['unwatch', 1],
]);

/** A transaction that EXEC's arrival closed, waiting for EXEC to be dispatched. */
interface ClosedTransaction {
  readonly queue: NonNullable<Connection['multi']>;
  readonly dirty: boolean;
  /** The connection's database before EXEC, and the one the queued SELECTs leave it in. */
  readonly from: number;
  readonly to: number;
}
/**
 * Local commands that may be queued inside MULTI and run at EXEC (answered in place): those
 * Redis queues, and whose answer is ready at once. The others (SAVE, SHUTDOWN, ...)
 * are refused when queued, as Redis refuses its no-multi commands.
 */
const QUEUEABLE_LOCAL = new Set([
  'ping',
  'echo',
  'select',
  'time',
  'leader',
  'auth',
  'lastsave',
  'slowlog',
  'info',
  'config',
  'command',
  'client',
  'wait',
  'role',
  'cluster',
  'readonly',
  'readwrite',
  'readconsistency',
  'hello',
  'bgsave',
]);

const str = (b: Buffer | undefined): string => (b === undefined ? '' : b.toString('latin1'));

/**
 * Redis's error for an unknown command, byte for byte where a client can see it: each argument
 * quoted and followed by a space until 128 bytes are used, every piece a C string (cut at a
 * NUL byte), CR and LF turned into spaces. Bytes are read as UTF-8 because the error line is
 * written as UTF-8: valid text round-trips, and an invalid byte reads back as U+FFFD either way.
 */
function unknownCommand(argv: readonly Buffer[]): string {
  const cString = (b: Buffer, max: number): Buffer => {
    const nul = b.indexOf(0);
    return b.subarray(0, Math.min(nul < 0 ? b.length : nul, max));
  };
  let args = Buffer.alloc(0);
  for (let i = 1; i < argv.length && args.length < 128; i++) {
    const piece = cString(argv[i]!, 128 - args.length);
    args = Buffer.concat([args, Buffer.from("'"), piece, Buffer.from("' ")]);
  }
  const name = cString(argv[0] ?? Buffer.alloc(0), 128).toString('utf8');
  const text = `ERR unknown command '${name}', with args beginning with: ${args.toString('utf8')}`;
  return text.replace(/[\r\n]/g, ' ');
}

/** Why a data command cannot run (unknown, internal, wrong arity), as Redis words it. */
function refusal(argv: readonly Buffer[], name: string): string | undefined {
  const d = COMMAND_DEFS.get(name);
  if (d === undefined || d.flags.includes('internal')) return unknownCommand(argv);
  return checkCommand(argv)?.message;
}

/** An unknown subcommand or a subcommand's wrong arity, for commands queued in MULTI. */
function subcommandRefusal(argv: readonly Buffer[], name: string): string | undefined {
  if (!hasSubcommands(name) || argv.length < 2) return undefined;
  if (subcommandArity(name, str(argv[1])) === undefined) {
    const given = argv[1]!.subarray(0, 128);
    const nul = given.indexOf(0);
    const shown = (nul < 0 ? given : given.subarray(0, nul)).toString('utf8');
    return `ERR unknown subcommand '${shown}'. Try ${name.toUpperCase()} HELP.`.replace(
      /[\r\n]/g,
      ' ',
    );
  }
  return subcommandArityError(name, argv);
}

/**
 * Replies whose RESP3 type is richer than the state machine's plain list: HGETALL and LCS ...
 * IDX are maps, HRANDFIELD ... WITHVALUES a list of [field, value] pairs (flat lists in RESP2,
 * as in Redis).
 */
const SHAPED = new Set(['hgetall', 'hrandfield', 'lcs']);

function writeShaped(w: ReplyWriter, name: string, argv: readonly Buffer[], r: Result): void {
  if (Array.isArray(r) && (name === 'hgetall' || name === 'lcs')) {
    const items = r as readonly Result[];
    w.mapHeader(items.length / 2);
    for (const item of items) writeResult(w, item);
    return;
  }
  if (Array.isArray(r) && name === 'hrandfield' && argv.length === 4 && w.protocol === 3) {
    const items = r as readonly Result[];
    w.arrayHeader(items.length / 2);
    for (let i = 0; i + 1 < items.length; i += 2) {
      w.arrayHeader(2);
      writeResult(w, items[i]!);
      writeResult(w, items[i + 1]!);
    }
    return;
  }
  writeResult(w, r);
}

/** Whether the command changes the replicated state (what CLIENT PAUSE WRITE holds). */
function writes(name: string, argv: readonly Buffer[]): boolean {
  return (COMMAND_DEFS.get(name)?.kind ?? LOCAL_COMMANDS.get(name)?.order?.(argv)) === 'write';
}

/**
 * Routes parsed commands. Connection and cluster commands run here; data writes go through
 * the Raft log (on a follower: forwarded to the leader, or `-MOVED` in redirect mode); data
 * reads run on local state at the connection's consistency. MULTI/EXEC transactions are
 * queued here and become one log entry.
 */
export class CommandDispatcher implements Dispatcher {
  /**
   * The database the commands queued so far in a connection's MULTI will run in. SELECT inside
   * MULTI is queued like any command and takes effect when EXEC runs it (not after DISCARD or
   * an aborted EXEC), so the connection's own database does not change while queueing.
   */
  private readonly txDb = new WeakMap<Connection, number>();
  /** Per connection, what each EXEC closed on arrival (undefined: there was no MULTI). */
  private readonly execArrivals = new WeakMap<Connection, (ClosedTransaction | undefined)[]>();
  /** A command just classified inside MULTI, about to be dispatched at once (it is local). */
  private readonly arrivedInMulti = new WeakSet<Connection>();

  constructor(
    private readonly kv: KvService,
    private readonly server: ServerInfo,
  ) {}

  /**
   * What CLIENT PAUSE WRITE holds: a write, EXEC of a transaction that queued one, and WAIT
   * (its answer is about writes; Redis delays it too). Commands queued inside MULTI only
   * queue: their EXEC is what a pause holds.
   */
  pauseClass(conn: Connection, name: string, argv: readonly Buffer[]): PauseClass {
    if (name === 'wait') return 'write';
    const queue = conn.multi;
    if (name === 'exec') {
      const queuedWrite = queue?.some((q) =>
        writes(q.argv[0]!.toString('latin1').toLowerCase(), q.argv),
      );
      return queuedWrite === true ? 'write' : 'other';
    }
    if (queue !== undefined) return 'other';
    return writes(name, argv) ? 'write' : 'other';
  }

  /**
   * Called as each command arrives, in order; dispatch may come later, once the reads or
   * writes before it have finished. So the transaction state follows arrival order here: EXEC
   * closes the queue as it arrives (else commands pipelined behind a waiting EXEC would be
   * queued into its transaction), and a command sent before MULTI but dispatched after it
   * (a write waiting for the reads before it) is not queued into the transaction.
   */
  classify(conn: Connection, name: string, argv: readonly Buffer[]): CommandClass {
    if (name === 'exec') {
      const arrivals = this.execArrivals.get(conn) ?? [];
      this.execArrivals.set(conn, arrivals);
      arrivals.push(this.closeTransaction(conn));
      return 'write';
    }
    if (conn.multi !== undefined) {
      // Local: dispatched right after this call, which tells it apart from a command that
      // arrived before MULTI and is dispatched only now.
      this.arrivedInMulti.add(conn);
      return 'local';
    }
    if (name === 'watch') return 'read';
    return COMMAND_DEFS.get(name)?.kind ?? LOCAL_COMMANDS.get(name)?.order?.(argv) ?? 'local';
  }

  /** Ends queueing; the connection switches at once to the database the SELECTs chose. */
  private closeTransaction(conn: Connection): ClosedTransaction | undefined {
    const queue = conn.multi;
    if (queue === undefined) return undefined;
    const tx = {
      queue,
      dirty: conn.multiDirty,
      from: conn.db,
      to: this.txDb.get(conn) ?? conn.db,
    };
    conn.multi = undefined;
    conn.multiDirty = false;
    this.txDb.delete(conn);
    // Commands pipelined after EXEC take their database on arrival: they must see the switch.
    // Undone (see undoSelect) if the transaction does not run after all.
    if (!tx.dirty) conn.db = tx.to;
    return tx;
  }

  /** The transaction did not run: neither did its SELECTs (unless the client chose since). */
  private undoSelect(conn: Connection, tx: ClosedTransaction): void {
    if (conn.db === tx.to) conn.db = tx.from;
  }

  dispatch(conn: Connection, argv: Buffer[], name: string, db: number): Outcome {
    const outcome = this.route(conn, argv, name, db);
    // A read or write may be dispatched late, once the commands before it finish, and then
    // Connection flushes only replies that arrive asynchronously: one answered at once (an
    // arity error after a pipelined write, EXEC without MULTI after a read) would sit unsent
    // and hang the client. So these commands always answer asynchronously.
    if (
      outcome.kind === 'emit' &&
      (name === 'exec' ||
        name === 'watch' ||
        COMMAND_DEFS.has(name) ||
        LOCAL_COMMANDS.get(name)?.order !== undefined)
    ) {
      return { kind: 'custom', value: Promise.resolve(outcome.emit) };
    }
    return outcome;
  }

  private route(conn: Connection, argv: Buffer[], name: string, db: number): Outcome {
    const arrivedInMulti = this.arrivedInMulti.delete(conn);
    // What this EXEC closed on arrival, taken even if it is refused, to keep the pairing.
    const closed = name === 'exec' ? this.closedByExec(conn) : undefined;
    if (!conn.authenticated && !NO_AUTH_NEEDED.has(name)) return error(AUTH_REQUIRED);
    if (name === 'exec') return this.execCommand(conn, argv, closed);
    const inMulti = conn.multi !== undefined && arrivedInMulti;
    const txArity = TX_ARITY.get(name);
    if (txArity !== undefined && !arityOk(txArity, argv.length)) {
      // Like any command with a wrong arity, it also dooms an open transaction.
      if (inMulti) conn.multiDirty = true;
      return error(wrongArity(name).message);
    }
    if (inMulti) return this.inMulti(conn, argv, name, db);
    switch (name) {
      case 'multi':
        conn.multi = [];
        conn.multiDirty = false;
        this.txDb.set(conn, conn.db);
        return emit((w) => w.ok());
      case 'discard':
        return error('ERR DISCARD without MULTI');
      case 'watch':
        return this.watch(conn, argv, db);
      case 'unwatch':
        conn.watches = [];
        return emit((w) => w.ok());
      case FORWARDED_TRANSACTION:
        return {
          kind: 'result',
          value: this.guard(this.kv.proposeForwardedTransaction(argv[1] ?? Buffer.alloc(0)), argv),
        };
      default:
        break;
    }
    const local = LOCAL_COMMANDS.get(name);
    if (local !== undefined) {
      if (!arityOk(local.arity, argv.length)) return error(wrongArity(name).message);
      return local.fn({ conn, kv: this.kv, db, server: this.server }, argv);
    }
    const invalid = refusal(argv, name);
    if (invalid !== undefined) return error(invalid);
    const def = COMMAND_DEFS.get(name)!;
    if (def.kind === 'write') {
      return { kind: 'result', value: this.guard(this.kv.write(db, argv), argv) };
    }
    const value = this.guard(this.kv.read(db, argv, this.consistency(conn)), argv);
    if (SHAPED.has(name)) {
      return { kind: 'custom', value: value.then((r) => (w) => writeShaped(w, name, argv, r)) };
    }
    return { kind: 'result', value };
  }

  /** The transaction the EXEC being dispatched closed when it arrived, if any. */
  private closedByExec(conn: Connection): ClosedTransaction | undefined {
    const arrivals = this.execArrivals.get(conn);
    // Without a recorded arrival (not classified), the transaction closes now.
    return arrivals !== undefined && arrivals.length > 0
      ? arrivals.shift()
      : this.closeTransaction(conn);
  }

  private execCommand(
    conn: Connection,
    argv: Buffer[],
    tx: ClosedTransaction | undefined,
  ): Outcome {
    const watches = conn.watches;
    conn.watches = [];
    if (argv.length !== 1) {
      // Redis's execCommandAbort: a refused EXEC ends any transaction, and says so even when
      // there was none.
      if (tx !== undefined) this.undoSelect(conn, tx);
      return error(
        "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command",
      );
    }
    if (tx === undefined) {
      conn.watches = watches; // EXEC without MULTI leaves the watches alone
      return error('ERR EXEC without MULTI');
    }
    if (tx.dirty) return error('EXECABORT Transaction discarded because of previous errors.');
    return { kind: 'custom', value: this.exec(conn, tx, watches) };
  }

  private inMulti(conn: Connection, argv: Buffer[], name: string, db: number): Outcome {
    const queue = conn.multi!;
    switch (name) {
      case 'discard':
        conn.multi = undefined;
        conn.watches = [];
        conn.multiDirty = false;
        this.txDb.delete(conn);
        return emit((w) => w.ok());
      case 'unwatch':
        // Queued and answered OK at EXEC, as Redis does; the watches still apply to this EXEC.
        queue.push({ db: this.txDb.get(conn) ?? db, argv, local: true });
        return emit((w) => w.simple('QUEUED'));
      case 'multi':
        return error('ERR MULTI calls can not be nested');
      case 'watch':
        return error('ERR WATCH inside MULTI is not allowed');
      case 'quit':
      case 'reset':
        return LOCAL_COMMANDS.get(name)!.fn({ conn, kv: this.kv, db, server: this.server }, argv);
      default:
        break;
    }
    const local = LOCAL_COMMANDS.get(name);
    if (local !== undefined) {
      if (!QUEUEABLE_LOCAL.has(name)) {
        conn.multiDirty = true;
        return error('ERR Command not allowed inside a transaction');
      }
      if (!arityOk(local.arity, argv.length)) {
        conn.multiDirty = true;
        return error(wrongArity(name).message);
      }
      const subcommandError = subcommandArityError(name, argv);
      if (subcommandError !== undefined) {
        conn.multiDirty = true;
        return error(subcommandError);
      }
      const queuedDb = this.txDb.get(conn) ?? db;
      if (name === 'select') {
        // The commands queued after a valid SELECT run in its database; an invalid one is
        // an error in EXEC's reply only, as in Redis.
        const target = parseDbIndex(argv[1]);
        if (typeof target === 'number') this.txDb.set(conn, target);
      }
      queue.push({ db: queuedDb, argv, local: true });
      return emit((w) => w.simple('QUEUED'));
    }
    const invalid = refusal(argv, name) ?? subcommandRefusal(argv, name);
    if (invalid !== undefined) {
      conn.multiDirty = true;
      return error(invalid);
    }
    queue.push({ db: this.txDb.get(conn) ?? db, argv, local: false });
    return emit((w) => w.simple('QUEUED'));
  }

  /** Runs a queued transaction: data commands as one log entry, local ones answered here. */
  private async exec(
    conn: Connection,
    tx: ClosedTransaction,
    watches: Connection['watches'],
  ): Promise<(w: ReplyWriter) => void> {
    const queue = tx.queue;
    const data = queue.filter((q) => !q.local);
    let results: Result;
    try {
      results =
        data.length === 0 && watches.length === 0
          ? []
          : await this.kv.transaction(
              watches,
              data.map((q) => ({ db: q.db, argv: q.argv })),
            );
    } catch (err) {
      this.undoSelect(conn, tx);
      const mapped = this.mapError(err, queue[0]?.argv ?? []);
      if (mapped !== undefined) return (w) => w.error(mapped.message);
      throw err;
    }
    if (results === null) {
      this.undoSelect(conn, tx);
      return (w) => w.nullArray(); // a watched key changed
    }
    if (!Array.isArray(results)) {
      // A forwarded transaction's error (e.g. the leader refused it).
      this.undoSelect(conn, tx);
      const r = results;
      return (w) => {
        writeResult(w, r);
      };
    }
    const dataResults = results as readonly Result[];
    let next = 0;
    const replies: ((w: ReplyWriter) => void)[] = [];
    for (const q of queue) {
      const name = str(q.argv[0]).toLowerCase();
      if (!q.local) {
        const r = dataResults[next++] ?? null;
        replies.push((w) => writeShaped(w, name, q.argv, r));
        continue;
      }
      if (name === 'select') {
        // The connection switched database when EXEC arrived (see closeTransaction).
        const target = parseDbIndex(q.argv[1]);
        replies.push(typeof target === 'string' ? (w) => w.error(target) : (w) => w.ok());
        continue;
      }
      if (name === 'unwatch') {
        replies.push((w) => w.ok());
        continue;
      }
      // Run in order as the replies are written, as Redis runs them: HELLO's protocol switch
      // applies from its own reply on, the replies before it stay in the old protocol.
      const ctx = { conn, kv: this.kv, db: q.db, server: this.server, inExec: true };
      replies.push((w) => emitOutcome(w, LOCAL_COMMANDS.get(name)!.fn(ctx, q.argv)));
    }
    return (w) => {
      w.arrayHeader(replies.length);
      for (const r of replies) r(w);
    };
  }

  private watch(conn: Connection, argv: Buffer[], db: number): Outcome {
    if (argv.length < 2) return error(wrongArity('watch').message);
    const keys = argv.slice(1);
    const value = this.kv.watchVersions(db, keys, 'linearizable').then(
      (versions) => {
        conn.watches.push(...versions);
        return (w: ReplyWriter) => w.ok();
      },
      (err: unknown) => {
        const mapped = this.mapError(err, argv);
        if (mapped === undefined) throw err;
        return (w: ReplyWriter) => w.error(mapped.message);
      },
    );
    return { kind: 'custom', value };
  }

  private consistency(conn: Connection): ReadConsistency {
    return conn.readonlyMode ? 'stale' : conn.consistency;
  }

  /** Turns routing failures into the replies clients expect. */
  /** Maps the errors clients expect as replies (MOVED, CLUSTERDOWN, ...); one `then`, no async frame. */
  private guard(p: Promise<Result>, argv: readonly Buffer[]): Promise<Result> {
    return p.then(undefined, (err: unknown) => {
      const mapped = this.mapError(err, argv);
      if (mapped !== undefined) return mapped;
      throw err;
    });
  }

  private mapError(err: unknown, argv: readonly Buffer[]): CommandError | undefined {
    if (err instanceof NotLeaderError) {
      if (err.leaderId === 0)
        return new CommandError('CLUSTERDOWN No leader is known at the moment');
      const info = this.kv.leaderInfo();
      if (info === undefined)
        return new CommandError('CLUSTERDOWN The leader has not published its address yet');
      // The key's real slot (not always 0): a cluster client updates exactly the slot it
      // asked for, so the next request for this key goes straight to the leader.
      const key = argv[1];
      return new CommandError(`MOVED ${key === undefined ? 0 : keySlot(key)} ${info.respAddr}`);
    }
    if (err instanceof RedraftError) return new CommandError(`${err.mapping.resp} ${err.message}`);
    return undefined;
  }
}

/** Every command name a client may send to this server, lower-case (for per-command metrics). */
export function respCommandNames(): string[] {
  const names = new Set<string>([...LOCAL_COMMANDS.keys(), ...TX_ARITY.keys(), 'exec']);
  names.add(FORWARDED_TRANSACTION);
  for (const [name, def] of COMMAND_DEFS) if (!def.flags.includes('internal')) names.add(name);
  return [...names].sort();
}

/** Writes a local command's reply inside EXEC's array (only replies written at once fit there). */
function emitOutcome(w: ReplyWriter, outcome: Outcome): void {
  if (outcome.kind === 'emit') outcome.emit(w);
  else w.error('ERR unsupported inside MULTI');
}

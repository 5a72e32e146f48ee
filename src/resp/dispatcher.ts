import { NotLeaderError, RedraftError } from '../errors.js';
import { COMMAND_DEFS } from '../fsm/commands/index.js';
import { checkCommand } from '../fsm/kv-state-machine.js';
import { CommandError, wrongArity, type Result } from '../fsm/result.js';
import { FORWARDED_TRANSACTION, type KvService } from '../node/kv-service.js';
import type { ReadConsistency } from '../node/raft-node.js';
import { keySlot } from './cluster-view.js';
import type { CommandClass, Connection, Dispatcher, Outcome } from './connection.js';
import type { ReplyWriter } from './encoder.js';
import { writeResult } from './result-writer.js';
import { LOCAL_COMMANDS, emit, error, type ServerInfo } from './local-commands.js';

export type { ServerInfo } from './local-commands.js';

const AUTH_REQUIRED = 'NOAUTH Authentication required.';
/** Commands a client may send before AUTH when a password is set. */
const NO_AUTH_NEEDED = new Set(['auth', 'hello', 'quit', 'reset']);
/** Local commands that may be queued inside MULTI and run at EXEC (answered in place). */
const QUEUEABLE_LOCAL = new Set(['ping', 'echo', 'select', 'time', 'leader']);

const str = (b: Buffer | undefined): string => (b === undefined ? '' : b.toString('latin1'));

/**
 * Routes parsed commands. Connection and cluster commands run here; data writes go through
 * the Raft log (on a follower: forwarded to the leader, or `-MOVED` in redirect mode); data
 * reads run on local state at the connection's consistency. MULTI/EXEC transactions are
 * queued here and become one log entry.
 */
export class CommandDispatcher implements Dispatcher {
  constructor(
    private readonly kv: KvService,
    private readonly server: ServerInfo,
  ) {}

  classify(conn: Connection, name: string): CommandClass {
    if (conn.multi !== undefined) return name === 'exec' ? 'write' : 'local';
    if (name === 'exec') return 'write';
    if (name === 'watch') return 'read';
    return COMMAND_DEFS.get(name)?.kind ?? 'local';
  }

  dispatch(conn: Connection, argv: Buffer[], name: string, db: number): Outcome {
    if (!conn.authenticated && !NO_AUTH_NEEDED.has(name)) return error(AUTH_REQUIRED);
    if (conn.multi !== undefined) return this.inMulti(conn, argv, name, db);
    switch (name) {
      case 'multi':
        if (argv.length !== 1) return error(wrongArity('multi').message);
        conn.multi = [];
        conn.multiDirty = false;
        return emit((w) => w.ok());
      case 'exec':
        return error('ERR EXEC without MULTI');
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
    const invalid = checkCommand(argv);
    if (invalid !== undefined) return error(invalid.message);
    const def = COMMAND_DEFS.get(name)!;
    if (def.kind === 'write') {
      return { kind: 'result', value: this.guard(this.kv.write(db, argv), argv) };
    }
    return {
      kind: 'result',
      value: this.guard(this.kv.read(db, argv, this.consistency(conn)), argv),
    };
  }

  private inMulti(conn: Connection, argv: Buffer[], name: string, db: number): Outcome {
    const queue = conn.multi!;
    switch (name) {
      case 'exec': {
        conn.multi = undefined;
        const watches = conn.watches;
        conn.watches = [];
        if (conn.multiDirty) {
          conn.multiDirty = false;
          return error('EXECABORT Transaction discarded because of previous errors.');
        }
        return { kind: 'custom', value: this.exec(conn, queue, watches) };
      }
      case 'discard':
        conn.multi = undefined;
        conn.watches = [];
        conn.multiDirty = false;
        return emit((w) => w.ok());
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
        return error(`ERR Command not allowed inside a transaction: ${name}`);
      }
      if (!arityOk(local.arity, argv.length)) {
        conn.multiDirty = true;
        return error(wrongArity(name).message);
      }
      if (name === 'select') {
        // Applied to the commands queued after it; the reply is given at EXEC.
        const outcome = local.fn({ conn, kv: this.kv, db, server: this.server }, argv);
        if (outcome.kind === 'emit' && conn.db === db && str(argv[1]) !== String(db)) {
          conn.multiDirty = true;
          return outcome; // an invalid index: the error now, and EXEC aborts
        }
      }
      queue.push({ db: conn.db, argv, local: true });
      return emit((w) => w.simple('QUEUED'));
    }
    const invalid = checkCommand(argv);
    if (invalid !== undefined) {
      conn.multiDirty = true;
      return error(invalid.message);
    }
    queue.push({ db, argv, local: false });
    return emit((w) => w.simple('QUEUED'));
  }

  /** Runs a queued transaction: data commands as one log entry, local ones answered here. */
  private async exec(
    conn: Connection,
    queue: NonNullable<Connection['multi']>,
    watches: Connection['watches'],
  ): Promise<(w: ReplyWriter) => void> {
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
      const mapped = this.mapError(err, queue[0]?.argv ?? []);
      if (mapped !== undefined) return (w) => w.error(mapped.message);
      throw err;
    }
    if (results === null) return (w) => w.nullArray(); // a watched key changed
    if (!Array.isArray(results)) {
      // A forwarded transaction's error (e.g. the leader refused it).
      const r = results;
      return (w) => {
        writeResult(w, r);
      };
    }
    const dataResults = results as readonly Result[];
    let next = 0;
    const replies: ((w: ReplyWriter) => void)[] = [];
    for (const q of queue) {
      if (!q.local) {
        const r = dataResults[next++] ?? null;
        replies.push((w) => {
          writeResult(w, r);
        });
        continue;
      }
      const outcome = LOCAL_COMMANDS.get(str(q.argv[0]).toLowerCase())!.fn(
        { conn, kv: this.kv, db: q.db, server: this.server },
        q.argv,
      );
      replies.push(
        outcome.kind === 'emit' ? outcome.emit : (w) => w.error('ERR unsupported inside MULTI'),
      );
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
  private async guard(p: Promise<Result>, argv: readonly Buffer[]): Promise<Result> {
    try {
      return await p;
    } catch (err) {
      const mapped = this.mapError(err, argv);
      if (mapped !== undefined) return mapped;
      throw err;
    }
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

function arityOk(arity: number, n: number): boolean {
  return arity > 0 ? n === arity : n >= -arity;
}

import { NotLeaderError, RedraftError } from '../errors.js';
import { CommandError, wrongArity } from '../fsm/result.js';
import type { KvService } from '../node/kv-service.js';
import type { ReadConsistency } from '../node/raft-node.js';
import { NONE } from '../raft/index.js';
import type { Connection, CommandClass, Dispatcher, Outcome } from './connection.js';
import type { ReplyWriter } from './encoder.js';

/** Redis's arity convention: n means exactly n arguments (name included), -n at least n. */
interface CommandSpec {
  readonly arity: number;
  readonly cls: CommandClass;
  /** Flags as COMMAND INFO reports them. */
  readonly flags: readonly string[];
  readonly firstKey: number;
  readonly lastKey: number;
  readonly keyStep: number;
  /** Local commands only. */
  readonly run?: (ctx: LocalContext, argv: Buffer[]) => Outcome;
}

export interface LocalContext {
  readonly conn: Connection;
  readonly kv: KvService;
  readonly db: number;
  readonly server: ServerInfo;
}

/** Facts about the running server that local commands report. */
export interface ServerInfo {
  readonly nodeId: number;
  readonly version: string;
  readonly startedAt: number;
  readonly requirepass: string;
  readonly routing: 'forward' | 'redirect';
  readonly tcpPort: number;
  readonly connections: () => number;
}

const emit = (fn: (w: ReplyWriter) => void): Outcome => ({ kind: 'emit', emit: fn });
const error = (message: string): Outcome => emit((w) => w.error(message));

const AUTH_REQUIRED = 'NOAUTH Authentication required.';

function spec(
  arity: number,
  cls: CommandClass,
  flags: readonly string[],
  keys: [number, number, number] = [0, 0, 0],
  run?: CommandSpec['run'],
): CommandSpec {
  return { arity, cls, flags, firstKey: keys[0], lastKey: keys[1], keyStep: keys[2], run };
}

const str = (b: Buffer | undefined): string => (b === undefined ? '' : b.toString('latin1'));

function ping(ctx: LocalContext, argv: Buffer[]): Outcome {
  if (argv.length > 2) return error("ERR wrong number of arguments for 'ping' command");
  const msg = argv[1];
  return emit((w) => {
    if (msg === undefined) w.simple('PONG');
    else w.bulk(msg);
  });
}

function select(ctx: LocalContext, argv: Buffer[]): Outcome {
  const s = str(argv[1]);
  if (!/^-?\d+$/.test(s)) return error('ERR value is not an integer or out of range');
  const n = Number(s);
  if (n < 0 || n >= 16) return error('ERR DB index is out of range');
  ctx.conn.db = n;
  return emit((w) => w.ok());
}

/** LEADER: the leader's id and RESP address, then its HTTP and gRPC addresses. */
function leader(ctx: LocalContext): Outcome {
  const lead = ctx.kv.node.leader;
  if (lead === NONE) return error('CLUSTERDOWN No leader is known at the moment');
  const info = ctx.kv.leaderInfo();
  return emit((w) => {
    w.arrayHeader(4);
    w.integer(lead);
    if (info === undefined) {
      // Elected, but its addresses are not yet replicated: say so rather than guess.
      w.null();
      w.null();
      w.null();
    } else {
      w.bulk(info.respAddr);
      w.bulk(info.httpAddr);
      w.bulk(info.grpcAddr);
    }
  });
}

function quit(ctx: LocalContext): Outcome {
  ctx.conn.closeWhenFlushed();
  return emit((w) => w.ok());
}

function auth(ctx: LocalContext, argv: Buffer[]): Outcome {
  const password = str(argv[argv.length - 1]);
  if (argv.length > 3) return error('ERR syntax error');
  if (ctx.server.requirepass === '') {
    return error(
      'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
    );
  }
  if (argv.length === 3 && str(argv[1]) !== 'default') {
    return error('WRONGPASS invalid username-password pair or user is disabled.');
  }
  if (password !== ctx.server.requirepass) {
    return error('WRONGPASS invalid username-password pair or user is disabled.');
  }
  ctx.conn.authenticated = true;
  return emit((w) => w.ok());
}

function hello(ctx: LocalContext, argv: Buffer[]): Outcome {
  let i = 1;
  let protocol = ctx.conn.protocol;
  if (argv.length > 1) {
    const v = str(argv[1]);
    if (!/^\d+$/.test(v)) return error('ERR Protocol version is not an integer or out of range');
    const n = Number(v);
    if (n !== 2 && n !== 3) return error('NOPROTO unsupported protocol version');
    protocol = n;
    i = 2;
  }
  for (; i < argv.length; i++) {
    const opt = str(argv[i]).toUpperCase();
    if (opt === 'AUTH' && i + 2 < argv.length) {
      const user = str(argv[i + 1]);
      const pass = str(argv[i + 2]);
      if (ctx.server.requirepass === '' || user !== 'default' || pass !== ctx.server.requirepass) {
        return error('WRONGPASS invalid username-password pair or user is disabled.');
      }
      ctx.conn.authenticated = true;
      i += 2;
    } else if (opt === 'SETNAME' && i + 1 < argv.length) {
      ctx.conn.name = str(argv[i + 1]);
      i += 1;
    } else {
      return error(`ERR Syntax error in HELLO option '${str(argv[i])}'`);
    }
  }
  if (!ctx.conn.authenticated) return error(AUTH_REQUIRED);
  ctx.conn.protocol = protocol;
  const isLeader = ctx.kv.node.isLeader;
  return emit((w) => {
    w.mapHeader(7);
    w.bulk('server');
    w.bulk('redis');
    w.bulk('version');
    w.bulk(ctx.server.version);
    w.bulk('proto');
    w.integer(protocol);
    w.bulk('id');
    w.integer(ctx.conn.id);
    w.bulk('mode');
    w.bulk(ctx.server.routing === 'redirect' ? 'cluster' : 'standalone');
    w.bulk('role');
    w.bulk(isLeader ? 'master' : 'replica');
    w.bulk('modules');
    w.arrayHeader(0);
  });
}

function client(ctx: LocalContext, argv: Buffer[]): Outcome {
  const sub = str(argv[1]).toUpperCase();
  const c = ctx.conn;
  switch (sub) {
    case 'ID':
      return emit((w) => w.integer(c.id));
    case 'SETNAME': {
      if (argv.length !== 3) return error(wrongArity('client|setname').message);
      const name = str(argv[2]);
      if (/[\s]/.test(name)) return error('ERR Client names cannot contain spaces, newlines or special characters.');
      c.name = name;
      return emit((w) => w.ok());
    }
    case 'GETNAME':
      return emit((w) => (c.name === '' ? w.null() : w.bulk(c.name)));
    case 'SETINFO': {
      if (argv.length !== 4) return error(wrongArity('client|setinfo').message);
      const attr = str(argv[2]).toUpperCase();
      if (attr === 'LIB-NAME') c.libName = str(argv[3]);
      else if (attr === 'LIB-VER') c.libVersion = str(argv[3]);
      else return error(`ERR Unrecognized option '${str(argv[2])}'`);
      return emit((w) => w.ok());
    }
    case 'INFO':
      return emit((w) => w.verbatim(clientLine(c) + '\n'));
    default:
      return error(
        `ERR unknown subcommand '${str(argv[1])}'. Try CLIENT HELP.`,
      );
  }
}

function clientLine(c: Connection): string {
  const age = Math.floor((Date.now() - c.createdAt) / 1000);
  return `id=${c.id} addr=${c.remoteAddress} laddr=${c.localAddress} fd=0 name=${c.name} age=${age} idle=0 flags=N db=${c.db} sub=0 psub=0 ssub=0 multi=-1 qbuf=${c.parser.bufferedBytes} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=${c.lastCommand} user=default redir=-1 resp=${c.protocol} lib-name=${c.libName} lib-ver=${c.libVersion}`;
}

function info(ctx: LocalContext): Outcome {
  const status = ctx.kv.node.status();
  const s = ctx.server;
  const uptime = Math.floor((Date.now() - s.startedAt) / 1000);
  const lines = [
    '# Server',
    `redis_version:${s.version}`,
    'redis_mode:' + (s.routing === 'redirect' ? 'cluster' : 'standalone'),
    `process_id:${process.pid}`,
    `tcp_port:${s.tcpPort}`,
    `uptime_in_seconds:${uptime}`,
    `uptime_in_days:${Math.floor(uptime / 86400)}`,
    '',
    '# Clients',
    `connected_clients:${s.connections()}`,
    '',
    '# Replication',
    `role:${status.role === 'leader' ? 'master' : 'slave'}`,
    '',
    '# Raft',
    `raft_node_id:${status.id}`,
    `raft_role:${status.role}`,
    `raft_term:${status.term}`,
    `raft_leader_id:${status.lead}`,
    `raft_commit_index:${status.commit}`,
    `raft_applied_index:${ctx.kv.node.applied}`,
    `raft_last_index:${status.lastIndex}`,
    `raft_first_index:${status.firstIndex}`,
    `raft_voters:${status.config.voters.join(',')}`,
    `raft_learners:${status.config.learners.join(',')}`,
    '',
    '# Keyspace',
    ...ctx.kv.fsm.dbs.flatMap((db, i) => (db.size === 0 ? [] : [`db${i}:keys=${db.size},expires=0,avg_ttl=0`])),
    '',
  ];
  const text = lines.join('\r\n');
  return emit((w) => w.verbatim(text));
}

function command(ctx: LocalContext, argv: Buffer[]): Outcome {
  const sub = str(argv[1]).toUpperCase();
  if (argv.length === 1 || sub === 'INFO' || sub === 'DOCS' || sub === 'LIST' || sub === 'COUNT') {
    if (sub === 'COUNT') return emit((w) => w.integer(COMMANDS.size));
    if (sub === 'LIST') {
      const names = [...COMMANDS.keys()];
      return emit((w) => {
        w.arrayHeader(names.length);
        for (const n of names) w.bulk(n);
      });
    }
    if (sub === 'DOCS') {
      // No documentation is served; clients only need a well-formed (empty) map.
      return emit((w) => w.mapHeader(0));
    }
    const names = sub === 'INFO' ? argv.slice(2).map((b) => str(b).toLowerCase()) : [...COMMANDS.keys()];
    return emit((w) => {
      w.arrayHeader(names.length);
      for (const n of names) {
        const c = COMMANDS.get(n);
        if (c === undefined) {
          w.nullArray();
          continue;
        }
        w.arrayHeader(6);
        w.bulk(n);
        w.integer(c.arity);
        w.setHeader(c.flags.length);
        for (const f of c.flags) w.simple(f);
        w.integer(c.firstKey);
        w.integer(c.lastKey);
        w.integer(c.keyStep);
      }
    });
  }
  return error(`ERR unknown subcommand '${str(argv[1])}'. Try COMMAND HELP.`);
}

/** The command table: name -> arity, class, flags, key positions, and local handler. */
export const COMMANDS: ReadonlyMap<string, CommandSpec> = new Map<string, CommandSpec>([
  ['ping', spec(-1, 'local', ['fast', 'stale'], [0, 0, 0], ping)],
  ['echo', spec(2, 'local', ['fast'], [0, 0, 0], (_c, a) => emit((w) => w.bulk(a[1]!)))],
  ['select', spec(2, 'local', ['loading', 'stale', 'fast'], [0, 0, 0], select)],
  ['quit', spec(-1, 'local', ['noscript', 'loading', 'stale', 'fast'], [0, 0, 0], quit)],
  ['auth', spec(-2, 'local', ['noscript', 'loading', 'stale', 'fast'], [0, 0, 0], auth)],
  ['hello', spec(-1, 'local', ['noscript', 'loading', 'stale', 'fast'], [0, 0, 0], hello)],
  ['client', spec(-2, 'local', ['admin', 'noscript', 'loading', 'stale'], [0, 0, 0], client)],
  ['command', spec(-1, 'local', ['loading', 'stale'], [0, 0, 0], command)],
  ['info', spec(-1, 'local', ['loading', 'stale'], [0, 0, 0], info)],
  ['leader', spec(1, 'local', ['fast', 'stale'], [0, 0, 0], leader)],
  ['get', spec(2, 'read', ['readonly', 'fast'], [1, 1, 1])],
  ['set', spec(-3, 'write', ['write', 'denyoom'], [1, 1, 1])],
  ['del', spec(-2, 'write', ['write'], [1, -1, 1])],
  ['unlink', spec(-2, 'write', ['write', 'fast'], [1, -1, 1])],
]);

/** Commands a client may send before AUTH when a password is set. */
const NO_AUTH_NEEDED = new Set(['auth', 'hello', 'quit']);

/** Routes parsed commands: local ones run here, writes go to the log, reads to local state. */
export class CommandDispatcher implements Dispatcher {
  constructor(
    private readonly kv: KvService,
    private readonly server: ServerInfo,
  ) {}

  classify(name: string): CommandClass {
    return COMMANDS.get(name)?.cls ?? 'local';
  }

  dispatch(conn: Connection, argv: Buffer[], name: string, db: number): Outcome {
    const cmd = COMMANDS.get(name);
    if (cmd === undefined) {
      const args = argv
        .slice(1)
        .map((a) => `'${str(a)}'`)
        .join(' ');
      return error(`ERR unknown command '${str(argv[0])}', with args beginning with: ${args}`);
    }
    if (!conn.authenticated && !NO_AUTH_NEEDED.has(name)) return error(AUTH_REQUIRED);
    if ((cmd.arity > 0 && argv.length !== cmd.arity) || (cmd.arity < 0 && argv.length < -cmd.arity)) {
      return error(wrongArity(name).message);
    }
    switch (cmd.cls) {
      case 'local':
        return cmd.run!({ conn, kv: this.kv, db, server: this.server }, argv);
      case 'write':
        return { kind: 'result', value: this.write(db, argv) };
      case 'read':
        return { kind: 'result', value: this.kv.read(db, argv, this.readConsistency(conn)) };
    }
  }

  private readConsistency(conn: Connection): ReadConsistency {
    return conn.readonlyMode ? 'stale' : conn.consistency;
  }

  private async write(db: number, argv: Buffer[]): ReturnType<KvService['write']> {
    try {
      return await this.kv.write(db, argv);
    } catch (err) {
      if (err instanceof NotLeaderError && this.server.routing === 'redirect') {
        const info = this.kv.leaderInfo();
        if (info !== undefined) return new CommandError(`MOVED 0 ${info.respAddr}`);
      }
      if (err instanceof NotLeaderError && err.leaderId === 0) {
        return new CommandError('CLUSTERDOWN No leader is known at the moment');
      }
      if (err instanceof RedraftError) return new CommandError(`${err.mapping.resp} ${err.message}`);
      throw err;
    }
  }
}

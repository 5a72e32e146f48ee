import { createHash, timingSafeEqual } from 'node:crypto';
import { INT64_MAX, arityOk, parseLongLong } from '../fsm/commands/args.js';
import { COMMAND_DEFS } from '../fsm/commands/index.js';
import { HASH_MAX_LISTPACK_ENTRIES, HASH_MAX_LISTPACK_VALUE } from '../fsm/commands/keys.js';
import { wrongArity } from '../fsm/result.js';
import type { ClusterMembership } from '../node/cluster-admin-service.js';
import type { KvService } from '../node/kv-service.js';
import type { MerkleService } from '../node/merkle-service.js';
import { NONE } from '../raft/index.js';
import {
  SLOT_COUNT,
  clusterNodeId,
  clusterNodesText,
  keySlot,
  splitAddress,
  type ClusterMember,
} from './cluster-view.js';
import type { ClientPause, PauseMode } from './client-pause.js';
import { errorEmitter, type Connection, type Outcome } from './connection.js';
import type { SlowLog } from './slowlog.js';
import { subcommandArityError, subcommandHelp } from './subcommands.js';
import type { ReplyWriter } from './encoder.js';
import { forwardedRaftCommand, raftCommand } from './raft-commands.js';
import { MERKLE_COMMANDS, merkleInfoLines } from './merkle-commands.js';

/** Facts about the running server that local commands report. */
/** Counters INFO stats reports, kept by the server and its connections. */
export interface ServerStats {
  connectionsReceived: number;
  commandsProcessed: number;
}

/**
 * The Redis version Redraft answers to (HELLO, INFO's redis_version): the release its commands
 * are checked against. Clients and job queues (BullMQ, Sidekiq) refuse a server whose version
 * is below what they need, so Redraft's own version goes in redraft_version instead.
 */
export const REDIS_COMPATIBLE_VERSION = '7.0.15';

export interface ServerInfo {
  readonly nodeId: number;
  /** Redraft's own version (INFO redraft_version). */
  readonly version: string;
  readonly stats: ServerStats;
  readonly startedAt: number;
  readonly requirepass: string;
  readonly routing: 'forward' | 'redirect';
  readonly tcpPort: number;
  /** The largest bulk argument accepted (--proto-max-bulk-len): CONFIG GET reports it. */
  readonly maxBulkLength: number;
  /** This member's slow log (SLOWLOG; CONFIG GET and SET its two settings). */
  readonly slowlog: SlowLog;
  /** CLIENT PAUSE and UNPAUSE; INFO clients reports it. */
  readonly clientPause: ClientPause;
  readonly connections: () => readonly Connection[];
  readonly kill: (conn: Connection) => void;
  /** Cluster administration (RAFT ...), when the server offers it. */
  readonly admin?: ClusterMembership | undefined;
  /** Checkpoints, tags, the root log and the audit view; undefined with --no-merkle. */
  readonly merkle?: MerkleService | undefined;
  /** Stops the member (SHUTDOWN); undefined where the server cannot stop its process. */
  readonly shutdown?: (() => void) | undefined;
}

export interface LocalContext {
  readonly conn: Connection;
  readonly kv: KvService;
  readonly db: number;
  readonly server: ServerInfo;
  /** Run by EXEC, as a queued command (a few answer differently there, as in Redis). */
  readonly inExec?: boolean;
}

export type LocalFn = (ctx: LocalContext, argv: Buffer[]) => Outcome;

export interface LocalDef {
  readonly arity: number;
  readonly flags: readonly string[];
  readonly fn: LocalFn;
  /**
   * Set for commands that read or change the replicated state: the connection orders them
   * with the reads and writes around them, as it orders data commands. Their replies must
   * always be asynchronous ('custom' or 'result' with a promise).
   */
  readonly order?: (argv: readonly Buffer[]) => 'read' | 'write';
}

export const emit = (fn: (w: ReplyWriter) => void): Outcome => ({ kind: 'emit', emit: fn });
export const error = (message: string): Outcome => emit((w) => w.error(message));
const OK: Outcome = emit((w) => w.ok());

const str = (b: Buffer | undefined): string => (b === undefined ? '' : b.toString('latin1'));

/**
 * Redis's answer to a known subcommand of `command` given the wrong number of arguments, or to
 * its HELP; undefined when the subcommand is to run.
 */
function subcommandPreamble(command: string, argv: readonly Buffer[]): Outcome | undefined {
  const arityError = subcommandArityError(command, argv);
  if (arityError !== undefined) return error(arityError);
  if (str(argv[1]).toUpperCase() !== 'HELP') return undefined;
  const lines = subcommandHelp(command);
  return emit((w) => {
    w.arrayHeader(lines.length);
    for (const line of lines) w.simple(line);
  });
}

function ping(_ctx: LocalContext, argv: Buffer[]): Outcome {
  if (argv.length > 2) return error(wrongArity('ping').message);
  const msg = argv[1];
  return emit((w) => (msg === undefined ? w.simple('PONG') : w.bulk(msg)));
}

/**
 * SELECT's argument read as Redis reads it (getIntFromObjectOrReply: string2ll, then the int
 * range, then the database count): the index, or the error line. Shared with MULTI, where
 * SELECT is checked only when EXEC runs it.
 */
export function parseDbIndex(arg: Buffer | undefined): number | string {
  const s = str(arg);
  if (!/^(0|-?[1-9]\d{0,18})$/.test(s)) return 'ERR value is not an integer or out of range';
  const n = BigInt(s);
  if (n > 9223372036854775807n || n < -9223372036854775808n) {
    return 'ERR value is not an integer or out of range';
  }
  if (n > 2147483647n || n < -2147483648n) {
    return 'ERR value is out of range, value must between -2147483648 and 2147483647';
  }
  return n < 0n || n >= 16n ? 'ERR DB index is out of range' : Number(n);
}

function select(ctx: LocalContext, argv: Buffer[]): Outcome {
  const n = parseDbIndex(argv[1]);
  if (typeof n === 'string') return error(n);
  ctx.conn.db = n;
  return OK;
}

/** LEADER: [id, RESP address, HTTP address, gRPC address]; CLUSTERDOWN while none is known. */
function leader(ctx: LocalContext): Outcome {
  const lead = ctx.kv.node.leader;
  if (lead === NONE) return error('CLUSTERDOWN No leader is known at the moment');
  const info = ctx.kv.leaderInfo();
  return emit((w) => {
    w.arrayHeader(4);
    w.integer(lead);
    if (info === undefined) {
      // Elected, but its addresses are not replicated yet: say so rather than guess.
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
  return OK;
}

/**
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], as Redis 7.0 parses it. The member stops as on
 * SIGTERM: it stops serving, hands leadership over if it leads, and closes its log; the
 * connection closes without a reply, as Redis's does. Every acknowledged write is in the
 * log already, so SAVE and NOSAVE change nothing, and NOW and FORCE have nothing to skip.
 * ABORT: a stop cannot be called back once started, so there is never one to abort.
 */
function shutdown(ctx: LocalContext, argv: Buffer[]): Outcome {
  const options = new Set<string>();
  for (const arg of argv.slice(1)) {
    const option = str(arg).toUpperCase();
    if (!['NOSAVE', 'SAVE', 'NOW', 'FORCE', 'ABORT'].includes(option)) {
      return error('ERR syntax error');
    }
    options.add(option);
  }
  if ((options.has('SAVE') && options.has('NOSAVE')) || (options.has('ABORT') && argv.length > 2))
    return error('ERR syntax error');
  if (options.has('ABORT')) return error('ERR No shutdown in progress.');
  const stop = ctx.server.shutdown;
  if (stop === undefined) {
    return error('ERR SHUTDOWN is not available: this node is stopped by the program embedding it');
  }
  // Once the replies before it in the pipeline are written.
  ctx.conn.closeWhenFlushed(stop);
  return emit(() => undefined);
}

function reset(ctx: LocalContext): Outcome {
  const c = ctx.conn;
  c.db = 0;
  c.protocol = 2;
  c.name = '';
  c.readonlyMode = false;
  c.multi = undefined;
  c.multiDirty = false;
  c.watches = [];
  c.authenticated = ctx.server.requirepass === '';
  return emit((w) => w.simple('RESET'));
}

const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';

/**
 * Whether `given` (the client's bytes) is the configured password (UTF-8). Digests of equal
 * length compared in constant time: how long the check takes says nothing about how much of
 * a guess was right, nor about the password's length.
 */
function passwordMatches(given: Buffer | undefined, password: string): boolean {
  if (given === undefined || password === '') return false;
  const digest = (b: Buffer | string): Buffer => createHash('sha256').update(b).digest();
  return timingSafeEqual(digest(given), digest(password));
}

/**
 * AUTH user pass and HELLO ... AUTH user pass, as Redis's ACL sees them with only the default
 * user: that user, with the configured password, or with any password when none is configured
 * (Redis's default user is then "nopass"). Every other user name is refused.
 */
function credentialsAccepted(ctx: LocalContext, user: string, password: Buffer): boolean {
  if (user !== 'default') return false;
  return ctx.server.requirepass === '' || passwordMatches(password, ctx.server.requirepass);
}

function auth(ctx: LocalContext, argv: Buffer[]): Outcome {
  if (argv.length > 3) return error('ERR syntax error');
  if (argv.length === 2 && ctx.server.requirepass === '') {
    return error(
      'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
    );
  }
  const user = argv.length === 3 ? str(argv[1]) : 'default';
  if (!credentialsAccepted(ctx, user, argv[argv.length - 1]!)) return error(WRONGPASS);
  ctx.conn.authenticated = true;
  return OK;
}

function hello(ctx: LocalContext, argv: Buffer[]): Outcome {
  let i = 1;
  let protocol = ctx.conn.protocol;
  if (argv.length > 1) {
    const v = str(argv[1]);
    if (!/^-?\d+$/.test(v)) return error('ERR Protocol version is not an integer or out of range');
    const n = Number(v);
    if (n !== 2 && n !== 3) return error('NOPROTO unsupported protocol version');
    protocol = n;
    i = 2;
  }
  for (; i < argv.length; i++) {
    const opt = str(argv[i]).toUpperCase();
    if (opt === 'AUTH' && i + 2 < argv.length) {
      if (!credentialsAccepted(ctx, str(argv[i + 1]), argv[i + 2]!)) return error(WRONGPASS);
      ctx.conn.authenticated = true;
      i += 2;
    } else if (opt === 'SETNAME' && i + 1 < argv.length) {
      ctx.conn.name = str(argv[i + 1]);
      i += 1;
    } else {
      return error(`ERR Syntax error in HELLO option '${str(argv[i])}'`);
    }
  }
  if (!ctx.conn.authenticated) {
    return error(
      'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
    );
  }
  ctx.conn.protocol = protocol;
  const role = ctx.kv.node.isLeader ? 'master' : 'replica';
  return emit((w) => {
    w.mapHeader(7);
    w.bulk('server');
    w.bulk('redis');
    w.bulk('version');
    w.bulk(REDIS_COMPATIBLE_VERSION);
    w.bulk('proto');
    w.integer(protocol);
    w.bulk('id');
    w.integer(ctx.conn.id);
    w.bulk('mode');
    w.bulk(ctx.server.routing === 'redirect' ? 'cluster' : 'standalone');
    w.bulk('role');
    w.bulk(role);
    w.bulk('modules');
    w.arrayHeader(0);
  });
}

export function clientLine(c: Connection): string {
  const age = Math.floor((Date.now() - c.createdAt) / 1000);
  const idle = Math.floor((Date.now() - c.lastActive) / 1000);
  const multi = c.multi === undefined ? -1 : c.multi.length;
  return `id=${c.id} addr=${c.remoteAddress} laddr=${c.localAddress} fd=0 name=${c.name} age=${age} idle=${idle} flags=${c.multi === undefined ? 'N' : 'x'} db=${c.db} sub=0 psub=0 ssub=0 multi=${multi} watch=${c.watches.length} qbuf=${c.parser.bufferedBytes} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=${c.lastCommand} user=default redir=-1 resp=${c.protocol} lib-name=${c.libName} lib-ver=${c.libVersion}`;
}

/**
 * A byte CLIENT LIST could not show in its space-separated fields (a space, a control or a
 * non-ASCII byte): client names and library names and versions refuse them, as in Redis.
 */
const UNPRINTABLE = /[^!-~]/;

function client(ctx: LocalContext, argv: Buffer[]): Outcome {
  const preamble = subcommandPreamble('client', argv);
  if (preamble !== undefined) return preamble;
  const sub = str(argv[1]).toUpperCase();
  const c = ctx.conn;
  switch (sub) {
    case 'ID':
      return emit((w) => w.integer(c.id));
    case 'SETNAME': {
      const name = str(argv[2]);
      if (UNPRINTABLE.test(name)) {
        return error('ERR Client names cannot contain spaces, newlines or special characters.');
      }
      c.name = name;
      return OK;
    }
    case 'GETNAME':
      return emit((w) => (c.name === '' ? w.null() : w.bulk(c.name)));
    case 'SETINFO': {
      const attr = str(argv[2]).toUpperCase();
      const value = str(argv[3]);
      if (attr !== 'LIB-NAME' && attr !== 'LIB-VER')
        return error(`ERR Unrecognized option '${str(argv[2])}'`);
      if (UNPRINTABLE.test(value)) {
        return error(
          `ERR ${attr.toLowerCase()} cannot contain spaces, newlines or special characters.`,
        );
      }
      if (attr === 'LIB-NAME') c.libName = value;
      else c.libVersion = value;
      return OK;
    }
    case 'REPLY':
      // Outside MULTI the connection handles it (it decides about its own reply).
      return error('ERR CLIENT REPLY is not supported inside MULTI');
    case 'TRACKING': {
      // Client-side caching needs invalidation messages Redraft does not send; turning it
      // off (what a client that never asked for it may send) is always fine.
      const mode = argv.length >= 3 ? str(argv[2]).toUpperCase() : '';
      if (mode === 'OFF') return OK;
      if (mode === 'ON') return error('ERR CLIENT TRACKING is not supported by Redraft');
      return error('ERR syntax error');
    }
    case 'INFO':
      return emit((w) => w.verbatim(`${clientLine(c)}\n`));
    case 'LIST': {
      const listed = listedClients(ctx.server.connections(), argv);
      if (typeof listed === 'string') return error(listed);
      const text = listed.map((x) => `${clientLine(x)}\n`).join('');
      return emit((w) => w.verbatim(text));
    }
    case 'KILL': {
      // CLIENT KILL addr | CLIENT KILL ID id | ADDR addr | LADDR addr ...
      const all = ctx.server.connections();
      if (argv.length === 3) {
        const target = all.find((x) => x.remoteAddress === str(argv[2]));
        if (target === undefined) return error('ERR No such client');
        killAfterReply(ctx, [target]);
        return OK;
      }
      if (argv.length < 4 || argv.length % 2 !== 0) return error('ERR syntax error');
      let matches = [...all];
      // As in Redis, the new-style form spares the calling connection unless SKIPME no.
      let skipMe = true;
      for (let i = 2; i < argv.length; i += 2) {
        const filter = str(argv[i]).toUpperCase();
        const value = str(argv[i + 1]);
        if (filter === 'ID') {
          if (!/^[1-9]\d*$/.test(value) || Number(value) > Number.MAX_SAFE_INTEGER) {
            return error('ERR client-id should be greater than 0');
          }
          matches = matches.filter((x) => String(x.id) === value);
        } else if (filter === 'TYPE') {
          const ofType = clientsOfType(matches, value);
          if (typeof ofType === 'string') return error(ofType);
          matches = [...ofType];
        } else if (filter === 'USER') {
          // The default user is the only one (AUTH with --requirepass).
          if (value !== 'default') return error(`ERR No such user '${value}'`);
        } else if (filter === 'ADDR') matches = matches.filter((x) => x.remoteAddress === value);
        else if (filter === 'LADDR') matches = matches.filter((x) => x.localAddress === value);
        else if (filter === 'SKIPME') {
          const yesNo = value.toLowerCase();
          if (yesNo !== 'yes' && yesNo !== 'no') return error('ERR syntax error');
          skipMe = yesNo === 'yes';
        } else return error('ERR syntax error');
      }
      if (skipMe) matches = matches.filter((x) => x !== c);
      killAfterReply(ctx, matches);
      return emit((w) => w.integer(matches.length));
    }
    case 'PAUSE': {
      const timeout = str(argv[2]);
      if (!/^-?\d+$/.test(timeout) || !Number.isSafeInteger(Number(timeout))) {
        return error('ERR timeout is not an integer or out of range');
      }
      const ms = Number(timeout);
      if (ms < 0) return error('ERR timeout is negative');
      let mode: PauseMode = 'all';
      if (argv.length === 4) {
        const given = str(argv[3]).toUpperCase();
        if (given !== 'WRITE' && given !== 'ALL') return error('ERR syntax error');
        mode = given === 'WRITE' ? 'write' : 'all';
      } else if (argv.length > 4) return error('ERR syntax error');
      ctx.server.clientPause.pause(ms, mode);
      return OK;
    }
    case 'UNPAUSE':
      ctx.server.clientPause.unpause();
      return OK;
    case 'NO-EVICT':
    case 'NO-TOUCH': {
      // Nothing to do (Redraft never evicts clients, and keeps no access times to spare).
      const onOff = str(argv[2]).toUpperCase();
      return onOff === 'ON' || onOff === 'OFF' ? OK : error('ERR syntax error');
    }
    default:
      return error(`ERR unknown subcommand '${str(argv[1])}'. Try CLIENT HELP.`);
  }
}

/**
 * The connections among `all` of a client type CLIENT LIST and CLIENT KILL accept, or Redis's
 * error text. Every client of a member is a normal one: replication is Raft's, not RESP's.
 */
function clientsOfType(all: readonly Connection[], type: string): readonly Connection[] | string {
  const known = ['normal', 'master', 'replica', 'slave', 'pubsub'];
  if (!known.includes(type.toLowerCase())) return `ERR Unknown client type '${type}'`;
  return type.toLowerCase() === 'normal' ? all : [];
}

/**
 * The connections CLIENT LIST [TYPE type | ID id...] names (Redis 7.0 takes one filter), or
 * Redis's error text.
 */
function listedClients(
  all: readonly Connection[],
  argv: readonly Buffer[],
): readonly Connection[] | string {
  if (argv.length === 2) return all;
  const filter = str(argv[2]).toUpperCase();
  if (filter === 'TYPE' && argv.length === 4) return clientsOfType(all, str(argv[3]));
  if (filter === 'ID' && argv.length >= 4) {
    const ids = argv.slice(3).map(str);
    if (ids.some((id) => !/^-?\d+$/.test(id))) return 'ERR Invalid client ID';
    return all.filter((x) => ids.includes(String(x.id)));
  }
  return 'ERR syntax error';
}

/** Closes `targets` now; the calling connection, if among them, once its reply is written. */
function killAfterReply(ctx: LocalContext, targets: readonly Connection[]): void {
  for (const x of targets) {
    if (x === ctx.conn) x.closeWhenFlushed();
    else ctx.server.kill(x);
  }
}

/**
 * This member in Redis's replication terms, for INFO replication and ROLE: the leader is the
 * master, its followers (and learners) the replicas, and a Raft index is the offset (the
 * leader's commit index; a follower's applied index).
 */
type ReplicationView =
  | {
      readonly role: 'master';
      readonly offset: number;
      readonly replicas: readonly {
        readonly host: string;
        readonly port: number;
        /** Receiving appends, as opposed to probing or catching up from a snapshot. */
        readonly online: boolean;
        readonly offset: number;
      }[];
    }
  | {
      readonly role: 'slave';
      /** The leader's RESP address; empty host and port 0 while no leader is known. */
      readonly host: string;
      readonly port: number;
      readonly linkUp: boolean;
      readonly offset: number;
    };

function replicationView(ctx: LocalContext): ReplicationView {
  const status = ctx.kv.node.status();
  if (status.role === 'leader') {
    const replicas = [...(status.progress ?? [])]
      .filter(([id]) => id !== status.id)
      .map(([id, pr]) => {
        const { host, port } = splitAddress(ctx.kv.fsm.members.get(id)?.respAddr ?? '?:0');
        return { host, port, online: pr.state === 'replicate', offset: pr.match };
      });
    return { role: 'master', offset: status.commit, replicas };
  }
  const { host, port } = splitAddress(ctx.kv.leaderInfo()?.respAddr ?? ':0');
  return {
    role: 'slave',
    host,
    port,
    linkUp: status.lead !== NONE,
    offset: ctx.kv.node.applied,
  };
}

/**
 * ROLE, as Redis answers it: ["master", offset, [[host, port, offset], ...]] on the leader,
 * ["slave", host, port, state, offset] elsewhere ("connected" while a leader is known,
 * "connect" while none is: the state Redis gives a replica looking for its master).
 */
function role(ctx: LocalContext): Outcome {
  const view = replicationView(ctx);
  return emit((w) => {
    if (view.role === 'master') {
      w.arrayHeader(3);
      w.bulk('master');
      w.integer(view.offset);
      w.arrayHeader(view.replicas.length);
      for (const r of view.replicas) {
        w.arrayHeader(3);
        w.bulk(r.host);
        w.bulk(String(r.port));
        w.bulk(String(r.offset));
      }
      return;
    }
    w.arrayHeader(5);
    w.bulk('slave');
    w.bulk(view.host);
    w.integer(view.port);
    w.bulk(view.linkUp ? 'connected' : 'connect');
    w.integer(view.offset);
  });
}

/** INFO clients: connections, those CLIENT PAUSE holds, and the pause itself (as Redis 8). */
function clientsSection(s: ServerInfo): string[] {
  const pause = s.clientPause.status();
  return [
    `connected_clients:${s.connections().length}`,
    `blocked_clients:${pause.held}`,
    `paused_reason:${pause.actions === 'none' ? 'none' : 'client_pause'}`,
    `paused_actions:${pause.actions}`,
    `paused_timeout_milliseconds:${pause.remainingMs}`,
  ];
}

function info(ctx: LocalContext, argv: Buffer[]): Outcome {
  const status = ctx.kv.node.status();
  const s = ctx.server;
  const uptime = Math.floor((Date.now() - s.startedAt) / 1000);
  const wanted = new Set(argv.slice(1).map((a) => str(a).toLowerCase()));
  const all =
    wanted.size === 0 || wanted.has('all') || wanted.has('everything') || wanted.has('default');
  const sections: [string, string[]][] = [
    [
      'server',
      [
        `redis_version:${REDIS_COMPATIBLE_VERSION}`,
        'redis_git_sha1:00000000',
        `redis_mode:${s.routing === 'redirect' ? 'cluster' : 'standalone'}`,
        'os:' + process.platform,
        `process_id:${process.pid}`,
        `tcp_port:${s.tcpPort}`,
        `uptime_in_seconds:${uptime}`,
        `uptime_in_days:${Math.floor(uptime / 86400)}`,
        `redraft_version:${s.version}`,
      ],
    ],
    ['clients', clientsSection(s)],
    ['memory', memorySection()],
    ['persistence', persistenceSection(ctx)],
    [
      'stats',
      [
        `total_connections_received:${s.stats.connectionsReceived}`,
        `total_commands_processed:${s.stats.commandsProcessed}`,
      ],
    ],
    [
      'replication',
      (() => {
        const view = replicationView(ctx);
        if (view.role === 'master') {
          return [
            'role:master',
            `connected_slaves:${view.replicas.length}`,
            ...view.replicas.map(
              (r, i) =>
                `slave${i}:ip=${r.host},port=${r.port},state=${r.online ? 'online' : 'wait_bgsave'},offset=${r.offset},lag=0`,
            ),
            `master_repl_offset:${view.offset}`,
          ];
        }
        return [
          'role:slave',
          `master_host:${view.host}`,
          `master_port:${view.port}`,
          `master_link_status:${view.linkUp ? 'up' : 'down'}`,
          `slave_repl_offset:${view.offset}`,
        ];
      })(),
    ],
    [
      'raft',
      [
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
        `raft_members:${ctx.kv
          .members()
          .map((m) => `${m.id}@${m.respAddr}`)
          .join(',')}`,
      ],
    ],
    ['merkle', merkleInfoLines(ctx.kv.fsm.merkle?.status())],
    [
      'keyspace',
      ctx.kv.fsm.dbs.flatMap((db, i) =>
        db.size === 0 ? [] : [`db${i}:keys=${db.size},expires=${db.expires.size},avg_ttl=0`],
      ),
    ],
  ];
  const text = sections
    .filter(([name]) => all || wanted.has(name))
    .map(
      ([name, lines]) =>
        `# ${name[0]!.toUpperCase()}${name.slice(1)}\r\n${lines.map((l) => `${l}\r\n`).join('')}`,
    )
    .join('\r\n');
  return emit((w) => w.verbatim(text));
}

/** Settings clients ask for on connect; answered with what this server actually does. */
const CONFIG_VALUES: Record<string, (ctx: LocalContext) => string> = {
  databases: () => '16',
  appendonly: () => 'yes',
  appendfsync: () => 'always',
  save: () => '',
  'maxmemory-policy': () => 'noeviction',
  maxmemory: () => '0',
  'proto-max-bulk-len': (ctx) => String(ctx.server.maxBulkLength),
  'cluster-enabled': (ctx) => (ctx.server.routing === 'redirect' ? 'yes' : 'no'),
  timeout: () => '0',
  port: (ctx) => String(ctx.server.tcpPort),
  requirepass: () => '',
  'slave-read-only': () => 'yes',
  'replica-read-only': () => 'yes',
  // What OBJECT ENCODING reports follows these (src/fsm/commands/keys.ts).
  'hash-max-listpack-entries': () => String(HASH_MAX_LISTPACK_ENTRIES),
  'hash-max-listpack-value': () => String(HASH_MAX_LISTPACK_VALUE),
  'hash-max-ziplist-entries': () => String(HASH_MAX_LISTPACK_ENTRIES),
  'hash-max-ziplist-value': () => String(HASH_MAX_LISTPACK_VALUE),
  // No keyspace notifications are published.
  'notify-keyspace-events': () => '',
  'slowlog-log-slower-than': (ctx) => String(ctx.server.slowlog.slowerThanUs),
  'slowlog-max-len': (ctx) => String(ctx.server.slowlog.maxLen),
};

/**
 * The settings CONFIG SET changes, on this member only and until it restarts (as Redis
 * without CONFIG REWRITE), with the range Redis 7.0 accepts for each.
 */
const SETTABLE: ReadonlyMap<string, { min: bigint; set: (ctx: LocalContext, n: number) => void }> =
  new Map([
    [
      'slowlog-log-slower-than',
      { min: -1n, set: (ctx, n) => (ctx.server.slowlog.slowerThanUs = n) },
    ],
    ['slowlog-max-len', { min: 0n, set: (ctx, n) => (ctx.server.slowlog.maxLen = n) }],
  ]);

/** CONFIG SET name value [name value ...]: all or nothing, checked in Redis's order. */
function configSet(ctx: LocalContext, argv: Buffer[]): Outcome {
  if (argv.length % 2 !== 0) return error(wrongArity('config|set').message);
  const failed = (name: string, why: string): Outcome =>
    error(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${why}`);
  const names: string[] = [];
  for (let i = 2; i < argv.length; i += 2) {
    const name = str(argv[i]).toLowerCase();
    if (!SETTABLE.has(name)) {
      if (name in CONFIG_VALUES)
        return error(`ERR CONFIG SET ${name} is not supported: configure redraft with its flags`);
      return error(`ERR Unknown option or number of arguments for CONFIG SET - '${str(argv[i])}'`);
    }
    if (names.includes(name)) return failed(name, 'duplicate parameter');
    names.push(name);
  }
  const values: number[] = [];
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const n = parseLongLong(argv[3 + 2 * i]);
    if (n === undefined) return failed(name, "argument couldn't be parsed into an integer");
    const { min } = SETTABLE.get(name)!;
    if (n < min) return failed(name, `argument must be between ${min} and ${INT64_MAX} inclusive`);
    values.push(Number(n));
  }
  names.forEach((name, i) => {
    SETTABLE.get(name)!.set(ctx, values[i]!);
  });
  return OK;
}

/** SLOWLOG GET [count] | LEN | RESET | HELP: this member's slow log (src/resp/slowlog.ts). */
function slowlog(ctx: LocalContext, argv: Buffer[]): Outcome {
  const preamble = subcommandPreamble('slowlog', argv);
  if (preamble !== undefined) return preamble;
  const log = ctx.server.slowlog;
  const sub = str(argv[1]).toUpperCase();
  if (sub === 'LEN') return emit((w) => w.integer(log.length));
  if (sub === 'RESET') {
    log.reset();
    return OK;
  }
  if (sub === 'GET' && argv.length <= 3) {
    let count = 10;
    if (argv.length === 3) {
      const n = parseLongLong(argv[2]);
      if (n === undefined || n < -1n)
        return error('ERR count should be greater than or equal to -1');
      count = n === -1n ? log.length : Number(n);
    }
    const entries = log.newest(count);
    return emit((w) => {
      w.arrayHeader(entries.length);
      for (const e of entries) {
        w.arrayHeader(6);
        w.integer(e.id);
        w.integer(e.time);
        w.integer(e.durationUs);
        w.arrayHeader(e.args.length);
        for (const a of e.args) w.bulk(a);
        w.bulk(e.peer);
        w.bulk(e.clientName);
      }
    });
  }
  if (sub === 'GET')
    return error(
      `ERR unknown subcommand or wrong number of arguments for '${str(argv[1])}'. Try SLOWLOG HELP.`,
    );
  return error(`ERR unknown subcommand '${str(argv[1])}'. Try SLOWLOG HELP.`);
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

function config(ctx: LocalContext, argv: Buffer[]): Outcome {
  const preamble = subcommandPreamble('config', argv);
  if (preamble !== undefined) return preamble;
  const sub = str(argv[1]).toUpperCase();
  if (sub === 'GET') {
    const out: [string, string][] = [];
    for (const p of argv.slice(2)) {
      const re = globToRegExp(str(p));
      for (const [name, value] of Object.entries(CONFIG_VALUES)) {
        if (re.test(name) && !out.some(([n]) => n === name)) out.push([name, value(ctx)]);
      }
    }
    return emit((w) => {
      w.mapHeader(out.length);
      for (const [n, v] of out) {
        w.bulk(n);
        w.bulk(v);
      }
    });
  }
  if (sub === 'SET') return configSet(ctx, argv);
  if (sub === 'RESETSTAT') return OK;
  return error(`ERR unknown subcommand '${str(argv[1])}'. Try CONFIG HELP.`);
}

/** Bytes as Redis's *_human fields write them: 1.50M, 917.16K, 12B. */
function humanBytes(n: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n}B` : `${v.toFixed(2)}${units[u]!}`;
}

/**
 * INFO memory: what this process holds (V8's heap and the buffers outside it) and its resident
 * size. Redraft never evicts, and sets no memory limit of its own: writes are refused only
 * when the process runs out, hence maxmemory 0 and noeviction.
 */
function memorySection(): string[] {
  const m = process.memoryUsage();
  const used = m.heapUsed + m.external;
  return [
    `used_memory:${used}`,
    `used_memory_human:${humanBytes(used)}`,
    `used_memory_rss:${m.rss}`,
    `used_memory_rss_human:${humanBytes(m.rss)}`,
    'maxmemory:0',
    'maxmemory_human:0B',
    'maxmemory_policy:noeviction',
    'mem_allocator:v8',
  ];
}

/**
 * INFO persistence in Redis's terms: every write is in the member's fsynced log before it is
 * acknowledged (an always-fsynced append-only file), and the snapshots play the part of RDB
 * saves. A member serving commands has finished loading.
 */
function persistenceSection(ctx: LocalContext): string[] {
  const snap = ctx.kv.node.snapshotStatus();
  return [
    'loading:0',
    `rdb_changes_since_last_save:${Math.max(0, ctx.kv.node.applied - snap.index)}`,
    `rdb_bgsave_in_progress:${snap.inProgress ? 1 : 0}`,
    `rdb_last_save_time:${Math.floor(snap.savedAtMs / 1000)}`,
    'rdb_last_bgsave_status:ok',
    `redraft_snapshot_index:${snap.index}`,
    'aof_enabled:1',
    'aof_rewrite_in_progress:0',
    'aof_last_write_status:ok',
  ];
}

/** LASTSAVE: when this member's latest snapshot was saved, in seconds since the epoch. */
function lastsave(ctx: LocalContext): Outcome {
  const at = Math.floor(ctx.kv.node.snapshotStatus().savedAtMs / 1000);
  return emit((w) => w.integer(at));
}

/** SAVE: takes this member's snapshot now and replies once it is on disk. */
function save(ctx: LocalContext): Outcome {
  return {
    kind: 'custom',
    value: ctx.kv.node.takeSnapshot().then(
      () => (w: ReplyWriter) => w.ok(),
      (err: unknown) => errorEmitter(err),
    ),
  };
}

/** BGSAVE [SCHEDULE]: starts this member's snapshot and replies at once, as Redis does. */
function bgsave(ctx: LocalContext, argv: Buffer[]): Outcome {
  if (argv.length > 2 || (argv.length === 2 && str(argv[1]).toUpperCase() !== 'SCHEDULE'))
    return error('ERR syntax error');
  // Redis runs one save at a time, and with SCHEDULE starts the next one after it; so does
  // takeSnapshot, which waits for the one being written and then covers what it missed.
  const running = ctx.kv.node.snapshotStatus().inProgress;
  if (running && argv.length === 1) return error('ERR Background save already in progress');
  void ctx.kv.node.takeSnapshot().catch(() => {
    // Nothing to tell a client that has had its reply: the node logs a snapshot that fails to
    // be written, and one refused up front (nothing applied yet, the node stopping) is no loss.
  });
  // Inside EXEC Redis never starts a save, it schedules one, and says so.
  const scheduled = running || ctx.inExec === true;
  return emit((w) => w.simple(`Background saving ${scheduled ? 'scheduled' : 'started'}`));
}

function time(): Outcome {
  // Microseconds, as Redis gives them: Date.now() has only milliseconds.
  const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  return emit((w) => {
    w.arrayHeader(2);
    w.bulk(String(Math.floor(us / 1_000_000)));
    w.bulk(String(us % 1_000_000));
  });
}

/**
 * WAIT: how many replicas hold this connection's writes. An acknowledged write is committed,
 * so it is on a majority; the leader reports the followers that hold its commit index.
 */
function wait(ctx: LocalContext, argv: Buffer[]): Outcome {
  // As Redis: any integer number of replicas; a timeout that is a non-negative integer.
  if (!/^-?\d+$/.test(str(argv[1])) || !/^-?\d+$/.test(str(argv[2]))) {
    return error('ERR value is not an integer or out of range');
  }
  if (str(argv[2]).startsWith('-')) return error('ERR timeout is negative');
  const status = ctx.kv.node.status();
  let count: number;
  if (status.progress !== undefined) {
    count = [...status.progress].filter(
      ([id, pr]) => id !== status.id && pr.match >= status.commit,
    ).length;
  } else {
    count = Math.floor(status.config.voters.length / 2);
  }
  return emit((w) => w.integer(count));
}

function clusterMembers(ctx: LocalContext): ClusterMember[] {
  const lead = ctx.kv.node.leader;
  const voters = new Set<number>(ctx.kv.node.currentConfState.voters);
  return ctx.kv
    .members()
    .filter((m) => voters.has(m.id))
    .map((info) => ({ info, isLeader: info.id === lead }));
}

function cluster(ctx: LocalContext, argv: Buffer[]): Outcome {
  const sub = str(argv[1]).toUpperCase();
  const members = clusterMembers(ctx);
  const leaderMember = members.find((m) => m.isLeader);
  const epoch = ctx.kv.node.status().term;
  switch (sub) {
    case 'MYID':
      return emit((w) => w.bulk(clusterNodeId(ctx.server.nodeId)));
    case 'KEYSLOT':
      if (argv.length !== 3) return error(wrongArity('cluster|keyslot').message);
      return emit((w) => w.integer(keySlot(argv[2]!)));
    case 'INFO': {
      const ok = leaderMember !== undefined;
      const text = [
        `cluster_state:${ok ? 'ok' : 'fail'}`,
        `cluster_slots_assigned:${SLOT_COUNT}`,
        `cluster_slots_ok:${ok ? SLOT_COUNT : 0}`,
        'cluster_slots_pfail:0',
        `cluster_slots_fail:${ok ? 0 : SLOT_COUNT}`,
        `cluster_known_nodes:${members.length}`,
        'cluster_size:1',
        `cluster_current_epoch:${epoch}`,
        `cluster_my_epoch:${epoch}`,
        '',
      ].join('\r\n');
      return emit((w) => w.verbatim(text));
    }
    case 'NODES': {
      const text = clusterNodesText(members, ctx.server.nodeId, epoch);
      return emit((w) => w.verbatim(text));
    }
    case 'SLOTS': {
      if (leaderMember === undefined) return emit((w) => w.arrayHeader(0));
      const ordered = [leaderMember, ...members.filter((m) => !m.isLeader)];
      return emit((w) => {
        w.arrayHeader(1);
        w.arrayHeader(2 + ordered.length);
        w.integer(0);
        w.integer(SLOT_COUNT - 1);
        for (const m of ordered) {
          const { host, port } = splitAddress(m.info.respAddr);
          w.arrayHeader(4);
          w.bulk(host);
          w.integer(port);
          w.bulk(clusterNodeId(m.info.id));
          w.mapHeader(0);
        }
      });
    }
    case 'SHARDS': {
      const ordered =
        leaderMember === undefined
          ? members
          : [leaderMember, ...members.filter((m) => !m.isLeader)];
      return emit((w) => {
        w.arrayHeader(1);
        w.mapHeader(2);
        w.bulk('slots');
        w.arrayHeader(2);
        w.integer(0);
        w.integer(SLOT_COUNT - 1);
        w.bulk('nodes');
        w.arrayHeader(ordered.length);
        for (const m of ordered) {
          const { host, port } = splitAddress(m.info.respAddr);
          w.mapHeader(7);
          w.bulk('id');
          w.bulk(clusterNodeId(m.info.id));
          w.bulk('port');
          w.integer(port);
          w.bulk('ip');
          w.bulk(host);
          w.bulk('endpoint');
          w.bulk(host);
          w.bulk('role');
          w.bulk(m.isLeader ? 'master' : 'replica');
          w.bulk('replication-offset');
          w.integer(0);
          w.bulk('health');
          w.bulk('online');
        }
      });
    }
    default:
      return error(`ERR unknown subcommand '${str(argv[1])}'. Try CLUSTER HELP.`);
  }
}

function command(_ctx: LocalContext, argv: Buffer[]): Outcome {
  const preamble = subcommandPreamble('command', argv);
  if (preamble !== undefined) return preamble;
  const sub = str(argv[1]).toUpperCase();
  const names = [...COMMAND_DEFS.keys(), ...LOCAL_COMMANDS.keys()].filter(
    (n) => !(COMMAND_DEFS.get(n) ?? LOCAL_COMMANDS.get(n))?.flags.includes('internal'),
  );
  const describe = (w: ReplyWriter, n: string): void => {
    const d = COMMAND_DEFS.get(n);
    const l = LOCAL_COMMANDS.get(n);
    if ((d === undefined || d.flags.includes('internal')) && l === undefined) {
      w.null();
      return;
    }
    const arity = d?.arity ?? l!.arity;
    const flags = d?.flags ?? l!.flags;
    w.arrayHeader(10);
    w.bulk(n);
    w.integer(arity);
    w.setHeader(flags.length);
    for (const f of flags) w.simple(f);
    w.integer(d?.firstKey ?? 0);
    w.integer(d?.lastKey ?? 0);
    w.integer(d?.keyStep ?? 0);
    w.setHeader(0); // ACL categories
    w.arrayHeader(0); // tips
    w.arrayHeader(0); // key specs
    w.arrayHeader(0); // subcommands
  };
  switch (sub) {
    case '':
      return emit((w) => {
        w.arrayHeader(names.length);
        for (const n of names) describe(w, n);
      });
    case 'COUNT':
      return emit((w) => w.integer(names.length));
    case 'LIST': {
      const listed = filteredCommandNames(names, argv);
      if (listed === undefined) return error('ERR syntax error');
      return emit((w) => {
        w.arrayHeader(listed.length);
        for (const n of listed) w.bulk(n);
      });
    }
    case 'INFO': {
      const asked = argv.length > 2 ? argv.slice(2).map((b) => str(b).toLowerCase()) : names;
      return emit((w) => {
        w.arrayHeader(asked.length);
        for (const n of asked) describe(w, n);
      });
    }
    case 'DOCS': {
      // Clients use DOCS for help texts only; a well-formed map with a summary per command.
      const asked =
        argv.length > 2
          ? argv
              .slice(2)
              .map((b) => str(b).toLowerCase())
              .filter((n) => names.includes(n))
          : names;
      return emit((w) => {
        w.mapHeader(asked.length);
        for (const n of asked) {
          w.bulk(n);
          w.mapHeader(1);
          w.bulk('summary');
          w.bulk(`the ${n.toUpperCase()} command`);
        }
      });
    }
    case 'GETKEYS': {
      // Checked in Redis's order: the command, whether it takes keys, then its arity.
      const target = argv.slice(2);
      const targetName = str(target[0]).toLowerCase();
      const d = COMMAND_DEFS.get(targetName);
      const known = d !== undefined && !d.flags.includes('internal');
      if (!known && !LOCAL_COMMANDS.has(targetName)) return error('ERR Invalid command specified');
      if (!known || d.firstKey === 0) return error('ERR The command has no key arguments');
      if (!arityOk(d.arity, target.length))
        return error('ERR Invalid number of arguments specified for command');
      const last = d.lastKey < 0 ? target.length + d.lastKey : d.lastKey;
      const keys: Buffer[] = [];
      for (let i = d.firstKey; i <= last && i < target.length; i += d.keyStep)
        keys.push(target[i]!);
      return emit((w) => {
        w.arrayHeader(keys.length);
        for (const k of keys) w.bulk(k);
      });
    }
    default:
      return error(`ERR unknown subcommand '${str(argv[1])}'. Try COMMAND HELP.`);
  }
}

/**
 * COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN glob]; undefined for a syntax
 * error. Redraft loads no modules, and keeps no ACL categories, so those filters match none.
 */
function filteredCommandNames(
  names: readonly string[],
  argv: readonly Buffer[],
): readonly string[] | undefined {
  if (argv.length === 2) return names;
  if (argv.length !== 5 || str(argv[2]).toUpperCase() !== 'FILTERBY') return undefined;
  switch (str(argv[3]).toUpperCase()) {
    case 'MODULE':
    case 'ACLCAT':
      return [];
    case 'PATTERN': {
      const re = globToRegExp(str(argv[4]));
      return names.filter((n) => re.test(n));
    }
    default:
      return undefined;
  }
}

function readonly(ctx: LocalContext): Outcome {
  ctx.conn.readonlyMode = true;
  return OK;
}

function readwrite(ctx: LocalContext): Outcome {
  ctx.conn.readonlyMode = false;
  return OK;
}

/** Chooses this connection's read consistency: READCONSISTENCY linearizable|lease|stale. */
function readConsistency(ctx: LocalContext, argv: Buffer[]): Outcome {
  if (argv.length === 1) return emit((w) => w.bulk(ctx.conn.consistency));
  const v = str(argv[1]).toLowerCase();
  if (v !== 'linearizable' && v !== 'lease' && v !== 'stale') {
    return error('ERR read consistency must be linearizable, lease or stale');
  }
  ctx.conn.consistency = v;
  return OK;
}

const l = (arity: number, flags: readonly string[], fn: LocalFn): LocalDef => ({
  arity,
  flags,
  fn,
});

/** Connection, server and cluster commands answered by this node without the log. */
export const LOCAL_COMMANDS: ReadonlyMap<string, LocalDef> = new Map<string, LocalDef>([
  ['ping', l(-1, ['fast', 'stale'], ping)],
  ['echo', l(2, ['fast'], (_c, a) => emit((w) => w.bulk(a[1]!)))],
  ['select', l(2, ['loading', 'stale', 'fast'], select)],
  ['quit', l(-1, ['noscript', 'loading', 'stale', 'fast'], quit)],
  ['shutdown', l(-1, ['admin', 'noscript', 'loading', 'stale'], shutdown)],
  ['reset', l(1, ['noscript', 'loading', 'stale', 'fast'], reset)],
  ['auth', l(-2, ['noscript', 'loading', 'stale', 'fast'], auth)],
  ['hello', l(-1, ['noscript', 'loading', 'stale', 'fast'], hello)],
  ['client', l(-2, ['admin', 'noscript', 'loading', 'stale'], client)],
  ['command', l(-1, ['loading', 'stale'], command)],
  ['info', l(-1, ['loading', 'stale'], info)],
  ['config', l(-2, ['admin', 'noscript', 'loading', 'stale'], config)],
  ['time', l(1, ['loading', 'stale', 'fast'], time)],
  ['lastsave', l(1, ['loading', 'stale', 'fast'], lastsave)],
  ['slowlog', l(-2, [], slowlog)],
  // Ordered as a read: after the writes sent before it have applied, so that it covers them.
  ['save', { ...l(1, ['admin', 'noscript'], save), order: () => 'read' }],
  ['bgsave', l(-1, ['admin', 'noscript'], bgsave)],
  ['wait', l(3, ['noscript'], wait)],
  ['leader', l(1, ['fast', 'stale'], leader)],
  ['role', l(1, ['noscript', 'loading', 'stale', 'fast'], role)],
  ['cluster', l(-2, ['stale'], cluster)],
  ['readonly', l(1, ['loading', 'stale', 'fast'], readonly)],
  ['readwrite', l(1, ['loading', 'stale', 'fast'], readwrite)],
  ['readconsistency', l(-1, ['fast', 'stale'], readConsistency)],
  ['raft', l(-2, ['admin', 'noscript', 'stale'], (c, a) => raftCommand(c.server, a))],
  ['__raft', l(-2, ['admin', 'internal'], (c, a) => forwardedRaftCommand(c.server, a))],
  ...MERKLE_COMMANDS,
]);

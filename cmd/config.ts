/**
 * `redraft server` configuration: command-line flags, each also settable as REDRAFT_<FLAG>
 * in the environment, and optionally a JSON config file (`--config`). Precedence: flag, then
 * environment, then file, then default. Every flag of DESIGN.md section 8 is accepted.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_SLOWLOG_MAX_LEN, DEFAULT_SLOWLOG_SLOWER_THAN_US } from '../src/resp/slowlog.js';

export interface ServerConfig {
  id: number;
  dataDir: string;
  peerAddr: string;
  respAddr: string;
  httpAddr: string;
  grpcAddr: string;
  /** id -> peer address; empty when joining. */
  initialCluster: Map<number, string>;
  /** Address of a running member to join through; empty for a bootstrapping node. */
  join: string;
  /** The address other members reach our peer port at (defaults to peerAddr). */
  advertisePeerAddr: string;
  advertiseRespAddr: string;
  advertiseHttpAddr: string;
  advertiseGrpcAddr: string;
  logLevel: string;
  tickMs: number;
  electionTicks: number;
  heartbeatTicks: number;
  snapshotEntries: number;
  sync: boolean;
  readConsistency: 'linearizable' | 'lease' | 'stale';
  routing: 'forward' | 'redirect';
  maxEntryBytes: number;
  protoMaxBulkLen: number;
  slowlogLogSlowerThan: number;
  slowlogMaxLen: number;
  requirepass: string;
  merkle: boolean;
  merkleCheckpointMs: number;
  merkleMaxTags: number;
  authToken: string;
  tlsCert: string;
  tlsKey: string;
  tlsCa: string;
  peerTlsCert: string;
  peerTlsKey: string;
  peerTlsCa: string;
}

type Kind = 'string' | 'number' | 'boolean';

interface FlagSpec {
  readonly key: keyof ServerConfig;
  readonly kind: Kind;
  readonly help: string;
  readonly default?: string;
}

/** The flags, in the order `--help` prints them. Flag names are the kebab-case keys. */
export const SERVER_FLAGS: readonly FlagSpec[] = [
  { key: 'id', kind: 'number', help: "this member's id (a positive integer)" },
  {
    key: 'dataDir',
    kind: 'string',
    help: 'directory for the log and snapshots',
    default: './data',
  },
  {
    key: 'peerAddr',
    kind: 'string',
    help: 'host:port for Raft traffic between members',
    default: '127.0.0.1:7001',
  },
  {
    key: 'respAddr',
    kind: 'string',
    help: 'host:port for Redis clients (RESP)',
    default: '127.0.0.1:6379',
  },
  {
    key: 'httpAddr',
    kind: 'string',
    help: 'host:port for REST, metrics and health',
    default: '127.0.0.1:8080',
  },
  {
    key: 'grpcAddr',
    kind: 'string',
    help: 'host:port for the gRPC API',
    default: '127.0.0.1:9090',
  },
  {
    key: 'initialCluster',
    kind: 'string',
    help: 'bootstrap members as 1=host:port,2=host:port,... (peer addresses)',
  },
  {
    key: 'join',
    kind: 'string',
    help: 'host:port of a running member to join through (instead of --initial-cluster)',
  },
  {
    key: 'advertisePeerAddr',
    kind: 'string',
    help: 'peer address other members use (default: --peer-addr)',
  },
  {
    key: 'advertiseRespAddr',
    kind: 'string',
    help: 'RESP address announced to clients (default: --resp-addr)',
  },
  {
    key: 'advertiseHttpAddr',
    kind: 'string',
    help: 'HTTP address announced (default: --http-addr)',
  },
  {
    key: 'advertiseGrpcAddr',
    kind: 'string',
    help: 'gRPC address announced (default: --grpc-addr)',
  },
  { key: 'logLevel', kind: 'string', help: 'trace, debug, info, warn, error', default: 'info' },
  { key: 'tickMs', kind: 'number', help: 'milliseconds per Raft tick', default: '100' },
  {
    key: 'electionTicks',
    kind: 'number',
    help: 'ticks before a follower campaigns',
    default: '10',
  },
  { key: 'heartbeatTicks', kind: 'number', help: 'ticks between leader heartbeats', default: '1' },
  {
    key: 'snapshotEntries',
    kind: 'number',
    help: 'applied entries between snapshots',
    default: '100000',
  },
  {
    key: 'sync',
    kind: 'boolean',
    help: 'fsync the log (turn off only for throwaway data)',
    default: 'true',
  },
  {
    key: 'readConsistency',
    kind: 'string',
    help: 'default reads: linearizable, lease or stale',
    default: 'linearizable',
  },
  {
    key: 'routing',
    kind: 'string',
    help: 'followers forward to the leader, or redirect (-MOVED)',
    default: 'forward',
  },
  {
    key: 'maxEntryBytes',
    kind: 'number',
    help: 'largest write (one replicated log entry), bytes',
    default: String(32 * 1024 * 1024),
  },
  {
    key: 'protoMaxBulkLen',
    kind: 'number',
    help: 'largest RESP bulk string accepted, bytes (Redis: proto-max-bulk-len)',
    default: String(512 * 1024 * 1024),
  },
  {
    key: 'slowlogLogSlowerThan',
    kind: 'number',
    help: 'SLOWLOG keeps commands answered in at least this many µs; -1: none (Redis: slowlog-log-slower-than)',
    default: String(DEFAULT_SLOWLOG_SLOWER_THAN_US),
  },
  {
    key: 'slowlogMaxLen',
    kind: 'number',
    help: 'most commands SLOWLOG keeps (Redis: slowlog-max-len)',
    default: String(DEFAULT_SLOWLOG_MAX_LEN),
  },
  { key: 'requirepass', kind: 'string', help: 'password Redis clients must AUTH with' },
  {
    key: 'merkle',
    kind: 'boolean',
    help: 'keep the Merkle state: PROVE, checkpoints, tags (the same on every member)',
    default: 'true',
  },
  {
    key: 'merkleCheckpointMs',
    kind: 'number',
    help: 'ms between the leader checkpoints of the state root (only when keys changed)',
    default: '10000',
  },
  {
    key: 'merkleMaxTags',
    kind: 'number',
    help: 'most tagged versions kept (each pins at most the state it tagged)',
    default: '16',
  },
  { key: 'authToken', kind: 'string', help: 'bearer token for REST and gRPC' },
  {
    key: 'tlsCert',
    kind: 'string',
    help: 'PEM certificate for the client ports: with --tls-key, they serve TLS only',
  },
  { key: 'tlsKey', kind: 'string', help: 'PEM key for --tls-cert' },
  {
    key: 'tlsCa',
    kind: 'string',
    help: 'PEM CA: clients must present a certificate it signed (followers verify the leader with it)',
  },
  {
    key: 'peerTlsCert',
    kind: 'string',
    help: 'PEM certificate of this member for mutual TLS between members (all three --peer-tls-*)',
  },
  { key: 'peerTlsKey', kind: 'string', help: 'PEM key for --peer-tls-cert' },
  {
    key: 'peerTlsCa',
    kind: 'string',
    help: 'PEM CA that signs every member certificate; peers without one are refused',
  },
];

export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function envName(key: string): string {
  return `REDRAFT_${flagName(key).replace(/-/g, '_').toUpperCase()}`;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function serverUsage(): string {
  const lines = SERVER_FLAGS.map((f) => {
    const def = f.default === undefined ? '' : ` (default ${f.default})`;
    return `  --${flagName(f.key).padEnd(22)} ${f.help}${def}\n  ${''.padEnd(24)} env ${envName(f.key)}`;
  });
  return `usage: redraft server [flags]\n\n  --config FILE            JSON file with any of the settings below (camelCase keys)\n${lines.join('\n')}\n`;
}

/** Parses flags, environment and config file into a validated config. Throws ConfigError. */
export function parseServerConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ServerConfig {
  const options: Record<string, { type: 'string' | 'boolean' }> = { config: { type: 'string' } };
  for (const f of SERVER_FLAGS) {
    options[flagName(f.key)] = { type: f.kind === 'boolean' ? 'boolean' : 'string' };
    if (f.kind === 'boolean') options[`no-${flagName(f.key)}`] = { type: 'boolean' };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;

  const configPath = (values.config as string | undefined) ?? env.REDRAFT_CONFIG;
  let file: Record<string, unknown> = {};
  if (configPath !== undefined && configPath !== '') {
    try {
      const raw: unknown = JSON.parse(readFileSync(configPath, 'utf8'));
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
        throw new Error('not a JSON object');
      file = raw as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`cannot read config file ${configPath}: ${(err as Error).message}`);
    }
    for (const k of Object.keys(file)) {
      if (!SERVER_FLAGS.some((f) => f.key === k))
        throw new ConfigError(`unknown setting "${k}" in ${configPath}`);
    }
  }

  const raw = new Map<keyof ServerConfig, string | boolean>();
  for (const f of SERVER_FLAGS) {
    const flag = values[flagName(f.key)];
    const negated = values[`no-${flagName(f.key)}`];
    const fromEnv = env[envName(f.key)];
    const fromFile = file[f.key];
    let v: string | boolean | undefined;
    if (flag !== undefined) v = flag;
    else if (negated === true) v = false;
    else if (fromEnv !== undefined && fromEnv !== '') v = fromEnv;
    else if (
      typeof fromFile === 'boolean' ||
      typeof fromFile === 'string' ||
      typeof fromFile === 'number'
    ) {
      v = typeof fromFile === 'boolean' ? fromFile : String(fromFile);
    } else if (fromFile !== undefined) {
      throw new ConfigError(
        `setting "${f.key}" in the config file must be a string, number or boolean`,
      );
    } else v = f.default;
    if (v !== undefined) raw.set(f.key, v);
  }

  const str = (k: keyof ServerConfig): string => {
    const v = raw.get(k);
    return v === undefined ? '' : String(v);
  };
  /** A whole number of at least `min`; a negative `min` admits a sign (-1 as "off"). */
  const num = (k: keyof ServerConfig, min: number): number => {
    const s = str(k);
    if (!(min < 0 ? /^-?\d+$/ : /^\d+$/).test(s))
      throw new ConfigError(`--${flagName(k)} must be a whole number, got "${s}"`);
    const n = Number(s);
    if (n < min) throw new ConfigError(`--${flagName(k)} must be at least ${min}`);
    return n;
  };
  const bool = (k: keyof ServerConfig): boolean => {
    const v = raw.get(k);
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === '1' || v === 'yes') return true;
    if (v === 'false' || v === '0' || v === 'no') return false;
    throw new ConfigError(`--${flagName(k)} must be true or false, got "${String(v)}"`);
  };
  const addr = (k: keyof ServerConfig): string => {
    const s = str(k);
    parseHostPort(s, `--${flagName(k)}`);
    return s;
  };

  if (!raw.has('id')) throw new ConfigError('--id is required (or REDRAFT_ID)');
  const id = num('id', 1);
  const join = str('join');
  const initialCluster = parseInitialCluster(str('initialCluster'));
  if (join === '' && initialCluster.size === 0) {
    throw new ConfigError('one of --initial-cluster or --join is required');
  }
  if (join !== '' && initialCluster.size > 0) {
    throw new ConfigError('--initial-cluster and --join are mutually exclusive');
  }
  if (join !== '') parseHostPort(join, '--join');
  if (initialCluster.size > 0 && !initialCluster.has(id)) {
    throw new ConfigError(`--initial-cluster does not include this node's id ${id}`);
  }
  const readConsistency = str('readConsistency');
  if (
    readConsistency !== 'linearizable' &&
    readConsistency !== 'lease' &&
    readConsistency !== 'stale'
  ) {
    throw new ConfigError('--read-consistency must be linearizable, lease or stale');
  }
  const routing = str('routing');
  if (routing !== 'forward' && routing !== 'redirect') {
    throw new ConfigError('--routing must be forward or redirect');
  }
  const logLevel = str('logLevel');
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) {
    throw new ConfigError(
      '--log-level must be one of trace, debug, info, warn, error, fatal, silent',
    );
  }
  const electionTicks = num('electionTicks', 2);
  const heartbeatTicks = num('heartbeatTicks', 1);
  if (heartbeatTicks >= electionTicks) {
    throw new ConfigError('--heartbeat-ticks must be smaller than --election-ticks');
  }
  checkTlsFlags(str('tlsCert'), str('tlsKey'), str('tlsCa'));
  checkPeerTlsFlags(str('peerTlsCert'), str('peerTlsKey'), str('peerTlsCa'));
  const merkleMaxTags = num('merkleMaxTags', 0);
  if (merkleMaxTags > 65535) throw new ConfigError('--merkle-max-tags must be at most 65535');
  const peerAddr = addr('peerAddr');
  const respAddr = addr('respAddr');
  const httpAddr = addr('httpAddr');
  const grpcAddr = addr('grpcAddr');
  return {
    id,
    dataDir: str('dataDir'),
    peerAddr,
    respAddr,
    httpAddr,
    grpcAddr,
    initialCluster,
    join,
    advertisePeerAddr: str('advertisePeerAddr') || peerAddr,
    advertiseRespAddr: str('advertiseRespAddr') || respAddr,
    advertiseHttpAddr: str('advertiseHttpAddr') || httpAddr,
    advertiseGrpcAddr: str('advertiseGrpcAddr') || grpcAddr,
    logLevel,
    tickMs: num('tickMs', 1),
    electionTicks,
    heartbeatTicks,
    snapshotEntries: num('snapshotEntries', 1),
    sync: bool('sync'),
    readConsistency,
    routing,
    maxEntryBytes: num('maxEntryBytes', 1024),
    protoMaxBulkLen: num('protoMaxBulkLen', 1),
    // -1 turns the slow log off (Redis 7.0's range).
    slowlogLogSlowerThan: num('slowlogLogSlowerThan', -1),
    slowlogMaxLen: num('slowlogMaxLen', 0),
    requirepass: str('requirepass'),
    merkle: bool('merkle'),
    merkleCheckpointMs: num('merkleCheckpointMs', 10),
    merkleMaxTags,
    authToken: str('authToken'),
    tlsCert: str('tlsCert'),
    tlsKey: str('tlsKey'),
    tlsCa: str('tlsCa'),
    peerTlsCert: str('peerTlsCert'),
    peerTlsKey: str('peerTlsKey'),
    peerTlsCa: str('peerTlsCa'),
  };
}

/** Client-port TLS: certificate and key together; a client CA only on top of them. */
function checkTlsFlags(cert: string, key: string, ca: string): void {
  if ((cert === '') !== (key === '')) {
    throw new ConfigError('--tls-cert and --tls-key must be given together');
  }
  if (ca !== '' && cert === '') {
    throw new ConfigError('--tls-ca needs --tls-cert and --tls-key (it makes TLS mutual)');
  }
}

/** Peer TLS is mutual or absent: a CA without which peers could not be checked is refused. */
function checkPeerTlsFlags(cert: string, key: string, ca: string): void {
  const given = [cert, key, ca].filter((v) => v !== '').length;
  if (given !== 0 && given !== 3) {
    throw new ConfigError(
      '--peer-tls-cert, --peer-tls-key and --peer-tls-ca must be given together (mutual TLS between members)',
    );
  }
}

export function parseHostPort(s: string, what: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(s);
  const port = m === null ? NaN : Number(m[2]);
  if (m === null || port > 65535) throw new ConfigError(`${what} must be host:port, got "${s}"`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

export function parseInitialCluster(s: string): Map<number, string> {
  const out = new Map<number, string>();
  if (s.trim() === '') return out;
  for (const part of s.split(',')) {
    const m = /^\s*(\d+)=(\S+)\s*$/.exec(part);
    if (m === null) throw new ConfigError(`--initial-cluster entry "${part}" is not id=host:port`);
    const id = Number(m[1]);
    if (id < 1) throw new ConfigError(`--initial-cluster id must be positive in "${part}"`);
    if (out.has(id)) throw new ConfigError(`--initial-cluster lists id ${id} twice`);
    parseHostPort(m[2]!, `--initial-cluster entry for ${id}`);
    out.set(id, m[2]!);
  }
  return out;
}

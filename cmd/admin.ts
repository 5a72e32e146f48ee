/**
 * `redraft admin`: cluster administration from the command line, over any member's RESP port
 * (the RAFT command family; a follower hands changes to the leader).
 *
 *   redraft admin [--addr HOST:PORT] [--password P] [--json] <command>
 *     status | members | add-learner ID PEER RESP HTTP GRPC | promote ID | remove ID |
 *     transfer [ID] | snapshot
 *
 * Exit status: 0 on success, 1 when the cluster refused or could not be reached, 2 on a usage
 * error. Human-readable output by default; `--json` prints the result as JSON (the shapes of
 * src/node/cluster-admin.ts) for scripts.
 */
import { readFile } from 'node:fs/promises';
import type { ConnectionOptions } from 'node:tls';
import { parseArgs } from 'node:util';
import type { ClusterStatus, MemberStatus, SnapshotInfo } from '../src/node/cluster-admin.js';
import { isHostPort } from '../src/node/admin-request.js';
import { AdminClient, replyValue } from '../src/resp/admin-client.js';
import { leaderTlsOptions } from '../src/resp/leader-forwarder.js';
import { loadTlsMaterial } from '../src/security/tls-material.js';
import { ConfigError } from './config.js';

export const ADMIN_USAGE = `usage: redraft admin [--addr HOST:PORT] [--password P] [--json] [TLS flags] <command>

commands:
  status                                   this member's role, term, leader, indexes and the members
  members                                  voters and learners with their addresses
  add-learner ID PEER RESP HTTP GRPC       add a learner (ID 0: the leader picks one); addresses are host:port
  promote ID                               make a caught-up learner a voter
  remove ID                                remove a voter or a learner (the leader hands over first)
  transfer [ID]                            hand leadership to ID, or to the most caught-up voter
  snapshot                                 snapshot the member at --addr now and compact its log

  --addr HOST:PORT   any member's RESP address (default 127.0.0.1:6379)
  --password P       the members' password (default: $REDRAFT_REQUIREPASS)
  --json             print the result as JSON

  When the members' RESP ports speak TLS (the same variables as redraft server's):
  --tls              connect with TLS, trusting the system's CAs
  --tls-ca FILE      trust this CA for the member's certificate ($REDRAFT_TLS_CA)
  --tls-cert FILE    present this client certificate ($REDRAFT_TLS_CERT), with
  --tls-key FILE     its key ($REDRAFT_TLS_KEY); without --tls-ca, trust it and the system's CAs
`;

/** How long one request may take: a leader removing itself first hands leadership over. */
const REQUEST_TIMEOUT_MS = 60_000;

/** What to ask, as parsed from the command line. */
export interface AdminInvocation {
  readonly addr: string;
  readonly password: string;
  readonly json: boolean;
  /** TLS, when asked for: file paths ('' when not given). */
  readonly tls: { readonly cert: string; readonly key: string; readonly ca: string } | undefined;
  /** The RAFT command to send. */
  readonly argv: readonly string[];
  readonly command: string;
}

const ARITY: ReadonlyMap<string, readonly [number, number]> = new Map([
  ['status', [0, 0]],
  ['members', [0, 0]],
  ['add-learner', [5, 5]],
  ['promote', [1, 1]],
  ['remove', [1, 1]],
  ['transfer', [0, 1]],
  ['snapshot', [0, 0]],
]);

/** Parses `redraft admin` arguments; throws ConfigError on a usage error. */
export function parseAdminArgs(args: readonly string[], env: NodeJS.ProcessEnv): AdminInvocation {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        addr: { type: 'string' },
        password: { type: 'string' },
        json: { type: 'boolean' },
        tls: { type: 'boolean' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'tls-ca': { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const [command, ...rest] = parsed.positionals;
  if (command === undefined) throw new ConfigError('a command is required');
  const arity = ARITY.get(command);
  if (arity === undefined) throw new ConfigError(`unknown admin command "${command}"`);
  if (rest.length < arity[0] || rest.length > arity[1]) {
    throw new ConfigError(`wrong number of arguments for "${command}"`);
  }
  const addr = parsed.values.addr ?? '127.0.0.1:6379';
  if (!isHostPort(addr)) throw new ConfigError(`--addr must be host:port, got "${addr}"`);
  const ids = command === 'add-learner' ? rest.slice(0, 1) : rest;
  for (const id of ids) {
    if (!/^\d+$/.test(id)) throw new ConfigError(`a member id must be a whole number, got "${id}"`);
  }
  if (command === 'add-learner') {
    for (const a of rest.slice(1)) {
      if (!isHostPort(a)) throw new ConfigError(`an address must be host:port, got "${a}"`);
    }
  }
  const sub = command === 'add-learner' ? 'ADDLEARNER' : command.toUpperCase();
  const cert = parsed.values['tls-cert'] ?? env.REDRAFT_TLS_CERT ?? '';
  const key = parsed.values['tls-key'] ?? env.REDRAFT_TLS_KEY ?? '';
  const ca = parsed.values['tls-ca'] ?? env.REDRAFT_TLS_CA ?? '';
  if ((cert === '') !== (key === '')) {
    throw new ConfigError('--tls-cert and --tls-key must be given together');
  }
  const tls =
    parsed.values.tls === true || cert !== '' || ca !== '' ? { cert, key, ca } : undefined;
  return {
    addr,
    password: parsed.values.password ?? env.REDRAFT_REQUIREPASS ?? '',
    json: parsed.values.json === true,
    tls,
    argv: ['RAFT', sub, ...rest],
    command,
  };
}

/** Runs `redraft admin`; resolves with the exit status. */
export async function runAdmin(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  out: (text: string) => void,
  err: (text: string) => void,
): Promise<number> {
  let invocation: AdminInvocation;
  try {
    invocation = parseAdminArgs(args, env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    err(`redraft admin: ${e.message}\n\n${ADMIN_USAGE}`);
    return 2;
  }
  let tls: ConnectionOptions | undefined;
  try {
    tls = await tlsOptions(invocation.tls);
  } catch (e) {
    err(`redraft admin: ${(e as Error).message}\n`);
    return 2;
  }
  let client: AdminClient | undefined;
  try {
    client = await AdminClient.connect(invocation.addr, {
      password: invocation.password,
      timeoutMs: REQUEST_TIMEOUT_MS,
      tls,
    });
    const value = replyValue(await client.command(invocation.argv));
    out(render(invocation, value));
    return 0;
  } catch (e) {
    err(`redraft admin: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  } finally {
    client?.close();
  }
}

/** How to speak TLS to the member, as a follower does to the leader; undefined: plain text. */
async function tlsOptions(files: AdminInvocation['tls']): Promise<ConnectionOptions | undefined> {
  if (files === undefined) return undefined;
  if (files.cert !== '') {
    const material = await loadTlsMaterial(files, '--tls');
    return material === undefined ? {} : leaderTlsOptions(material);
  }
  if (files.ca === '') return {};
  try {
    return { ca: await readFile(files.ca) };
  } catch (e) {
    throw new Error(`cannot read --tls-ca file ${files.ca}: ${(e as Error).message}`, { cause: e });
  }
}

/** The result, as JSON or as text for a person. */
function render(invocation: AdminInvocation, value: unknown): string {
  const { command, json } = invocation;
  const print = (data: unknown, text: string): string =>
    json ? `${JSON.stringify(data, null, 2)}\n` : `${text}\n`;
  switch (command) {
    case 'status': {
      const s = clusterStatus(value);
      const leader = s.leader === 0 ? 'no leader known' : `leader ${s.leader}`;
      return print(
        s,
        `node ${s.id}: ${s.role}, term ${s.term}, ${leader}\n` +
          `commit index ${s.commitIndex}, applied index ${s.appliedIndex}\n\n` +
          memberTable(s.members),
      );
    }
    case 'members': {
      const members = list(value).map(memberStatus);
      return print(members, memberTable(members));
    }
    case 'add-learner': {
      const m = memberStatus(value);
      return print(m, `added node ${m.id} as a learner (peer ${m.peerAddr})`);
    }
    case 'promote':
      return print({ ok: true }, `node ${invocation.argv[2]} is now a voter`);
    case 'remove':
      return print({ ok: true }, `node ${invocation.argv[2]} was removed`);
    case 'transfer': {
      const leader = num(value, 'leader');
      return print({ leader }, `node ${leader} is now the leader`);
    }
    default: {
      const s = snapshotInfo(value);
      return print(s, `snapshot at index ${s.index} (term ${s.term}, ${s.bytes} bytes)`);
    }
  }
}

function memberTable(members: readonly MemberStatus[]): string {
  const rows = [
    ['ID', 'ROLE', 'LEADER', 'PEER', 'RESP', 'HTTP', 'GRPC', 'MATCH'],
    ...members.map((m) => [
      String(m.id),
      m.role,
      m.isLeader ? 'yes' : '',
      m.peerAddr || '-',
      m.respAddr || '-',
      m.httpAddr || '-',
      m.grpcAddr || '-',
      m.matchIndex === undefined ? '' : String(m.matchIndex),
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

// Reply shapes (RESP3 maps with the snake_case keys of src/resp/raft-commands.ts).

class ReplyShapeError extends Error {
  constructor(what: string) {
    super(`unexpected reply from the server: ${what}`);
  }
}

function record(v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new ReplyShapeError('not a map');
  return v as Record<string, unknown>;
}

function list(v: unknown): unknown[] {
  if (!Array.isArray(v)) throw new ReplyShapeError('not an array');
  return v;
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number') throw new ReplyShapeError(`${what} is not a number`);
  return v;
}

function text(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new ReplyShapeError(`${what} is not a string`);
  return v;
}

function memberStatus(v: unknown): MemberStatus {
  const r = record(v);
  const role = text(r.role, 'role');
  if (role !== 'voter' && role !== 'learner') throw new ReplyShapeError(`role ${role}`);
  const match = r.match_index;
  return {
    id: num(r.id, 'id'),
    role,
    isLeader: r.leader === true || r.leader === 1,
    peerAddr: text(r.peer_addr, 'peer_addr'),
    respAddr: text(r.resp_addr, 'resp_addr'),
    httpAddr: text(r.http_addr, 'http_addr'),
    grpcAddr: text(r.grpc_addr, 'grpc_addr'),
    ...(match === null || match === undefined ? {} : { matchIndex: num(match, 'match_index') }),
  };
}

function clusterStatus(v: unknown): ClusterStatus {
  const r = record(v);
  const role = text(r.role, 'role');
  if (role !== 'leader' && role !== 'follower' && role !== 'candidate' && role !== 'pre-candidate')
    throw new ReplyShapeError(`role ${role}`);
  return {
    id: num(r.id, 'id'),
    role,
    term: num(r.term, 'term'),
    leader: num(r.leader, 'leader'),
    commitIndex: num(r.commit_index, 'commit_index'),
    appliedIndex: num(r.applied_index, 'applied_index'),
    members: list(r.members).map(memberStatus),
  };
}

function snapshotInfo(v: unknown): SnapshotInfo {
  const r = record(v);
  return { index: num(r.index, 'index'), term: num(r.term, 'term'), bytes: num(r.bytes, 'bytes') };
}

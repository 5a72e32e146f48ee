/**
 * The `RAFT` command family: cluster administration over RESP, on any member (a follower hands
 * changes to the leader). `redraft admin` and `redraft server --join` speak it; so can
 * redis-cli. Every subcommand calls the one ClusterAdmin the gRPC and REST front doors use.
 *
 *   RAFT STATUS                              this member's view: role, term, leader, indexes, members
 *   RAFT MEMBERS                             voters and learners with addresses (match index on the leader)
 *   RAFT ADDLEARNER id peer resp http grpc   add a learner (id 0: the leader picks one); the member
 *   RAFT JOIN id peer resp http grpc         add a learner the leader promotes once caught up; the members
 *   RAFT PROMOTE id                          make a caught-up learner a voter
 *   RAFT REMOVE id                           remove a voter or learner (the leader too)
 *   RAFT TRANSFER [id]                       hand leadership to id (default: the most caught-up voter)
 *   RAFT SNAPSHOT                            snapshot this member now and compact its log
 *
 * `__raft <json> [LEADER]` is internal: how a follower hands a change to the leader, and how a
 * joining node asks to join. Its reply is always a bulk JSON answer (the result, or the error
 * with its stable code; see src/node/admin-request.ts), so the caller sees the leader's error
 * code, not just its text, and knows whether retrying is safe.
 */
import { RedraftError } from '../errors.js';
import { wrongArity } from '../fsm/result.js';
import { decodeAdminRequest, encodeAdminReply, type AdminRequest } from '../node/admin-request.js';
import type { ClusterStatus, MemberAddresses, MemberStatus } from '../node/cluster-admin.js';
import type { ClusterMembership } from '../node/cluster-admin-service.js';
import type { Outcome } from './connection.js';
import type { ReplyWriter } from './encoder.js';

/** The part of the server's facilities RAFT needs. */
export interface RaftCommandContext {
  readonly admin?: ClusterMembership | undefined;
}

const HELP = [
  'RAFT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'STATUS',
  "    This member's role, term, leader, commit and applied index, and the members.",
  'MEMBERS',
  '    Voters and learners with their addresses (and match index, on the leader).',
  'ADDLEARNER <id> <peer-addr> <resp-addr> <http-addr> <grpc-addr>',
  '    Add a learner (id 0: the leader picks a free id). Replies with the member.',
  'JOIN <id> <peer-addr> <resp-addr> <http-addr> <grpc-addr>',
  '    Add a learner that the leader promotes to voter once it has caught up.',
  'PROMOTE <id>',
  '    Make a caught-up learner a voter.',
  'REMOVE <id>',
  '    Remove a voter or a learner (the leader hands over leadership first).',
  'TRANSFER [<id>]',
  '    Hand leadership to <id>, or to the most caught-up voter. Replies with the new leader.',
  'SNAPSHOT',
  "    Snapshot this member's state now and compact its log.",
  'HELP',
  '    Print this help.',
];

/** Arity of each subcommand, counting RAFT and the subcommand (negative: at least). */
const ARITY = new Map([
  ['help', 2],
  ['status', 2],
  ['members', 2],
  ['addlearner', 7],
  ['join', 7],
  ['promote', 3],
  ['remove', 3],
  ['transfer', -2],
  ['snapshot', 2],
]);

const str = (b: Buffer | undefined): string => (b === undefined ? '' : b.toString('utf8'));

const errorOutcome = (message: string): Outcome => ({
  kind: 'emit',
  emit: (w) => w.error(message.replace(/[\r\n]/g, ' ')),
});

class ArgumentError extends Error {}

/** A RESP integer argument as Redis reads one (string2ll), within the safe integer range. */
function integerArg(b: Buffer | undefined): number {
  const s = str(b);
  const n = Number(s);
  if (!/^(0|-?[1-9]\d*)$/.test(s) || !Number.isSafeInteger(n)) {
    throw new ArgumentError('ERR value is not an integer or out of range');
  }
  return n;
}

function addressesArg(argv: readonly Buffer[]): MemberAddresses {
  return {
    peerAddr: str(argv[3]),
    respAddr: str(argv[4]),
    httpAddr: str(argv[5]),
    grpcAddr: str(argv[6]),
  };
}

/** The RESP error line for a failed admin call (the registry's prefix, then the message). */
export function adminErrorLine(err: unknown): string {
  if (err instanceof RedraftError) {
    // Nothing ran when the leader moved under the request: retrying is safe, and MOVED (the
    // registry's prefix for data commands) would send a cluster client to a slot map.
    if (err.code === 'NOT_LEADER') return `TRYAGAIN ${err.message}`;
    return `${err.mapping.resp} ${err.message}`;
  }
  return `ERR ${err instanceof Error ? err.message : String(err)}`;
}

function later<T>(promise: Promise<T>, write: (w: ReplyWriter, value: T) => void): Outcome {
  return {
    kind: 'custom',
    value: promise.then(
      (value) => (w: ReplyWriter) => {
        write(w, value);
      },
      (err: unknown) => {
        const line = adminErrorLine(err).replace(/[\r\n]/g, ' ');
        return (w: ReplyWriter) => {
          w.error(line);
        };
      },
    ),
  };
}

/** `RAFT <subcommand> ...` */
export function raftCommand(ctx: RaftCommandContext, argv: Buffer[]): Outcome {
  const sub = str(argv[1]).toLowerCase();
  const arity = ARITY.get(sub);
  if (arity === undefined) {
    return errorOutcome(`ERR unknown subcommand '${str(argv[1])}'. Try RAFT HELP.`);
  }
  if (arity > 0 ? argv.length !== arity : argv.length < -arity || argv.length > 3) {
    return errorOutcome(wrongArity(`raft|${sub}`).message);
  }
  if (sub === 'help') {
    return {
      kind: 'emit',
      emit: (w) => {
        w.arrayHeader(HELP.length);
        for (const line of HELP) w.simple(line);
      },
    };
  }
  const admin = ctx.admin;
  if (admin === undefined) return errorOutcome('ERR cluster administration is not available');
  try {
    switch (sub) {
      case 'status': {
        const status = admin.status();
        return { kind: 'emit', emit: (w) => writeStatus(w, status) };
      }
      case 'members': {
        const members = admin.members();
        return { kind: 'emit', emit: (w) => writeMembers(w, members) };
      }
      case 'addlearner': {
        const id = integerArg(argv[2]);
        return later(admin.addLearner(id, addressesArg(argv)), writeMember);
      }
      case 'join': {
        const id = integerArg(argv[2]);
        return later(admin.join(id, addressesArg(argv)), writeMembers);
      }
      case 'promote': {
        const id = integerArg(argv[2]);
        return later(admin.promote(id), (w) => w.ok());
      }
      case 'remove': {
        const id = integerArg(argv[2]);
        return later(admin.remove(id), (w) => w.ok());
      }
      case 'transfer': {
        const to = argv.length === 3 ? integerArg(argv[2]) : 0;
        return later(admin.transferLeader(to), (w, leader) => w.integer(leader));
      }
      default: {
        // 'snapshot'
        return later(admin.snapshot(), (w, info) => {
          w.mapHeader(3);
          w.bulk('index');
          w.integer(info.index);
          w.bulk('term');
          w.integer(info.term);
          w.bulk('bytes');
          w.integer(info.bytes);
        });
      }
    }
  } catch (err) {
    if (err instanceof ArgumentError) return errorOutcome(err.message);
    return errorOutcome(adminErrorLine(err));
  }
}

/**
 * `__raft <json request> [LEADER]`: a change as JSON, answered with a bulk JSON reply that
 * carries the result or the error's stable code. Without LEADER it runs as RAFT would (a
 * follower forwards it); with LEADER it runs only on the leader — how a follower forwards, so
 * that two members who each believe the other leads cannot bounce a request between them.
 */
export function forwardedRaftCommand(ctx: RaftCommandContext, argv: Buffer[]): Outcome {
  const admin = ctx.admin;
  let request: AdminRequest;
  let leaderOnly: boolean;
  try {
    if (admin === undefined) {
      throw new RedraftError('INTERNAL', 'cluster administration is not available');
    }
    if (argv.length > 3 || (argv.length === 3 && str(argv[2]).toUpperCase() !== 'LEADER')) {
      throw new RedraftError('BAD_REQUEST', 'usage: __raft <json request> [LEADER]');
    }
    leaderOnly = argv.length === 3;
    request = decodeAdminRequest(str(argv[1]));
  } catch (error) {
    const reply = encodeAdminReply({ error });
    return { kind: 'emit', emit: (w) => w.bulk(reply) };
  }
  const run = leaderOnly ? admin.executeForwarded(request) : admin.execute(request);
  const value = run.then(
    (ok) => encodeAdminReply({ ok }),
    (error: unknown) => encodeAdminReply({ error }),
  );
  return {
    kind: 'custom',
    value: value.then((reply) => (w: ReplyWriter) => {
      w.bulk(reply);
    }),
  };
}

function writeMember(w: ReplyWriter, m: MemberStatus): void {
  w.mapHeader(8);
  w.bulk('id');
  w.integer(m.id);
  w.bulk('role');
  w.bulk(m.role);
  w.bulk('leader');
  w.boolean(m.isLeader);
  w.bulk('peer_addr');
  w.bulk(m.peerAddr);
  w.bulk('resp_addr');
  w.bulk(m.respAddr);
  w.bulk('http_addr');
  w.bulk(m.httpAddr);
  w.bulk('grpc_addr');
  w.bulk(m.grpcAddr);
  w.bulk('match_index');
  if (m.matchIndex === undefined) w.null();
  else w.integer(m.matchIndex);
}

function writeMembers(w: ReplyWriter, members: readonly MemberStatus[]): void {
  w.arrayHeader(members.length);
  for (const m of members) writeMember(w, m);
}

function writeStatus(w: ReplyWriter, s: ClusterStatus): void {
  w.mapHeader(7);
  w.bulk('id');
  w.integer(s.id);
  w.bulk('role');
  w.bulk(s.role);
  w.bulk('term');
  w.integer(s.term);
  w.bulk('leader');
  w.integer(s.leader);
  w.bulk('commit_index');
  w.integer(s.commitIndex);
  w.bulk('applied_index');
  w.integer(s.appliedIndex);
  w.bulk('members');
  writeMembers(w, s.members);
}

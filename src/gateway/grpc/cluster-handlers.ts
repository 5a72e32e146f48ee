import { RedraftError } from '../../errors.js';
import type { ClusterAdmin, MemberStatus, NodeRole } from '../../node/cluster-admin.js';
import type { CallErrors } from './call-errors.js';
import type { ClusterHandlers } from './generated/redraft/v1/Cluster.js';
import type { Member } from './generated/redraft/v1/Member.js';
import type { NodeRole as ProtoNodeRole } from './generated/redraft/v1/NodeRole.js';

const NODE_ROLES: Readonly<Record<NodeRole, ProtoNodeRole>> = {
  leader: 'NODE_ROLE_LEADER',
  follower: 'NODE_ROLE_FOLLOWER',
  candidate: 'NODE_ROLE_CANDIDATE',
  'pre-candidate': 'NODE_ROLE_PRE_CANDIDATE',
};

/**
 * The `redraft.v1.Cluster` service over the shared {@link ClusterAdmin}. Without one (a build
 * whose membership support is not wired in), every call answers UNIMPLEMENTED.
 */
export function clusterHandlers(
  admin: ClusterAdmin | undefined,
  errors: CallErrors,
): ClusterHandlers {
  const need = (): ClusterAdmin => {
    if (admin === undefined) {
      throw new RedraftError('NOT_IMPLEMENTED', 'cluster administration is not available');
    }
    return admin;
  };
  return {
    Status: errors.unary(() => {
      const s = need().status();
      return {
        id: s.id,
        role: NODE_ROLES[s.role],
        term: s.term,
        leader: s.leader,
        commitIndex: s.commitIndex,
        appliedIndex: s.appliedIndex,
        members: s.members.map(member),
      };
    }),
    Members: errors.unary(() => ({ members: need().members().map(member) })),
    AddMember: errors.unary(async (req) => {
      const added = await need().addLearner(req.id, {
        peerAddr: req.peerAddr,
        respAddr: req.respAddr,
        httpAddr: req.httpAddr,
        grpcAddr: req.grpcAddr,
      });
      return { member: member(added) };
    }),
    PromoteMember: errors.unary(async (req) => {
      await need().promote(positiveId(req.id));
      return {};
    }),
    RemoveMember: errors.unary(async (req) => {
      await need().remove(positiveId(req.id));
      return {};
    }),
    TransferLeader: errors.unary(async (req) => ({
      leader: await need().transferLeader(req.to),
    })),
    Snapshot: errors.unary(() => need().snapshot()),
  };
}

function positiveId(id: number): number {
  if (id <= 0) throw new RedraftError('BAD_REQUEST', 'a member id is a positive integer');
  return id;
}

function member(m: MemberStatus): Member {
  return {
    id: m.id,
    role: m.role === 'voter' ? 'MEMBER_ROLE_VOTER' : 'MEMBER_ROLE_LEARNER',
    isLeader: m.isLeader,
    peerAddr: m.peerAddr,
    respAddr: m.respAddr,
    httpAddr: m.httpAddr,
    grpcAddr: m.grpcAddr,
    matchIndex: m.matchIndex ?? 0,
  };
}

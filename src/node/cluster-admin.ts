/**
 * The cluster administration contract every front door shares: RESP's `RAFT ...` commands,
 * the gRPC `redraft.v1.Cluster` service, REST's `/v1/cluster/...` and `redraft admin` all call
 * one `ClusterAdmin`, so they cannot drift apart. Every method works on any member: a
 * follower forwards a change to the leader. Failures throw `RedraftError` (src/errors.ts) so
 * each front door maps them through the one error registry.
 */

export type MemberRole = 'voter' | 'learner';
export type NodeRole = 'leader' | 'follower' | 'candidate' | 'pre-candidate';

/** The addresses a member advertises (as in the replicated member table). */
export interface MemberAddresses {
  readonly peerAddr: string;
  readonly respAddr: string;
  readonly httpAddr: string;
  readonly grpcAddr: string;
}

export interface MemberStatus extends MemberAddresses {
  readonly id: number;
  readonly role: MemberRole;
  readonly isLeader: boolean;
  /** Highest log index known replicated to this member (leader's view), when known. */
  readonly matchIndex?: number;
}

export interface ClusterStatus {
  /** This member's id and role. */
  readonly id: number;
  readonly role: NodeRole;
  readonly term: number;
  /** 0 while no leader is known. */
  readonly leader: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly members: readonly MemberStatus[];
}

export interface SnapshotInfo {
  readonly index: number;
  readonly term: number;
  readonly bytes: number;
}

export interface ClusterAdmin {
  status(): ClusterStatus;
  members(): readonly MemberStatus[];
  /** Adds a learner; `id` 0 asks the leader to choose a free id. Resolves once committed. */
  addLearner(id: number, addresses: MemberAddresses): Promise<MemberStatus>;
  /** Promotes a learner to voter. Resolves once committed. */
  promote(id: number): Promise<void>;
  /** Removes a voter or learner. Resolves once committed. */
  remove(id: number): Promise<void>;
  /** Hands leadership to `to` (0: the most up-to-date voter). Resolves with the new leader. */
  transferLeader(to: number): Promise<number>;
  /** Takes a snapshot of this member's state machine now and compacts its log. */
  snapshot(): Promise<SnapshotInfo>;
}

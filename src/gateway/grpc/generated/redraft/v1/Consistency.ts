// Original file: proto/redraft/v1/kv.proto

/**
 * How fresh a read must be.
 */
export const Consistency = {
  /**
   * The node's default (its --read-consistency flag).
   */
  CONSISTENCY_UNSPECIFIED: 'CONSISTENCY_UNSPECIFIED',
  /**
   * Sees every write acknowledged before the read started (a ReadIndex round).
   */
  CONSISTENCY_LINEARIZABLE: 'CONSISTENCY_LINEARIZABLE',
  /**
   * Trusts the leader's lease: no quorum round, correct while clocks drift little.
   */
  CONSISTENCY_LEASE: 'CONSISTENCY_LEASE',
  /**
   * This node's local state, which may lag the leader.
   */
  CONSISTENCY_STALE: 'CONSISTENCY_STALE',
} as const;

/**
 * How fresh a read must be.
 */
export type Consistency =
  /**
   * The node's default (its --read-consistency flag).
   */
  | 'CONSISTENCY_UNSPECIFIED'
  | 0
  /**
   * Sees every write acknowledged before the read started (a ReadIndex round).
   */
  | 'CONSISTENCY_LINEARIZABLE'
  | 1
  /**
   * Trusts the leader's lease: no quorum round, correct while clocks drift little.
   */
  | 'CONSISTENCY_LEASE'
  | 2
  /**
   * This node's local state, which may lag the leader.
   */
  | 'CONSISTENCY_STALE'
  | 3

/**
 * How fresh a read must be.
 */
export type Consistency__Output = typeof Consistency[keyof typeof Consistency]

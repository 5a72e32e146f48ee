import type { ProgressStatus } from '../raft/index.js';

/**
 * When a learner counts as caught up, so that making it a voter does not stall commits: a new
 * voter far behind the leader is one more member the quorum may have to wait for. (etcd refuses
 * the same promotions, with ErrLearnerNotReady.)
 */

/** A learner whose log is within this many entries of the leader's counts as caught up. */
export const DEFAULT_PROMOTION_LAG_ENTRIES = 1000;

/** Entries the learner lacks, as the leader sees it. */
export function learnerLag(progress: ProgressStatus, leaderLastIndex: number): number {
  return Math.max(0, leaderLastIndex - progress.match);
}

/** Whether an operator's promotion of this learner should go ahead. */
export function caughtUp(
  progress: ProgressStatus,
  leaderLastIndex: number,
  maxLagEntries: number,
): boolean {
  return progress.match > 0 && learnerLag(progress, leaderLastIndex) <= maxLagEntries;
}

/**
 * The learners the leader promotes by itself: those that asked for it (joined with `--join`)
 * and are caught up and in steady replication (not being sent a snapshot, and not probed: the
 * leader probes a member it could not reach). Sorted by id, so the leader promotes them in a
 * stable order, one at a time. (Not `recentActive`: the leader clears it every election
 * timeout, and a check on the same period could keep landing just after the clearing.)
 */
export function learnersToPromote(
  progress: ReadonlyMap<number, ProgressStatus>,
  leaderLastIndex: number,
  wanted: ReadonlySet<number>,
  maxLagEntries: number,
): number[] {
  const ready: number[] = [];
  for (const [id, pr] of progress) {
    if (!wanted.has(id) || !pr.isLearner) continue;
    if (pr.state !== 'replicate') continue;
    if (caughtUp(pr, leaderLastIndex, maxLagEntries)) ready.push(id);
  }
  return ready.sort((a, b) => a - b);
}

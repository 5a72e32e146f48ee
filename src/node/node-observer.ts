import type { NodeId } from '../raft/index.js';

/**
 * What the driver reports as it works, for metrics (src/observe implements it). Optional: a
 * node without one does no timing at all. Durations are milliseconds from
 * `performance.now()`.
 *
 * The per-entry calls (`proposed`, `proposalApplied`, `entryApplied`) run on the write path
 * for every command: an implementation must be allocation-free and constant-time there.
 */
export interface RaftNodeObserver {
  /** A proposal of this node was accepted by its core (it leads). */
  proposed(): void;
  /** A proposal of this node was applied here, `latencyMs` after it was proposed. */
  proposalApplied(latencyMs: number): void;
  /** A proposal of this node was abandoned (leadership lost, another leader's entry took its
   *  slot, or the node stopped): its client got an error. */
  proposalFailed(count: number): void;
  /** One committed entry went through the state machine, taking `durationMs`. */
  entryApplied(durationMs: number): void;
  /** The known leader changed to `leader` (never reported for "no leader"). */
  leaderChanged(leader: NodeId): void;
  /** A local snapshot was taken: `durationMs` from freezing the state to the compacted log. */
  snapshotTaken(durationMs: number, bytes: number): void;
  /** A snapshot from the leader replaced the local state. */
  snapshotInstalled(bytes: number): void;
}

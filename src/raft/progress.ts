import { Inflights } from './inflights.js';
import { index, type Index } from './types.js';

/**
 * How the leader is replicating to a follower.
 * - probe: one MsgApp at a time until the follower's position is known;
 * - replicate: optimistic pipelining, bounded by {@link Inflights};
 * - snapshot: a snapshot is on its way; nothing else is sent until it is reported.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** The leader's view of one member's log. */
export class Progress {
  /** Highest index known to match the leader's log. */
  match: Index;
  /** Index of the next entry to send. */
  next: Index;
  state: ProgressState = 'probe';
  /** In snapshot state, the index of the snapshot being sent. */
  pendingSnapshot: Index = index(0);
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** In probe state: a MsgApp is outstanding; wait for an answer or a heartbeat response. */
  msgAppFlowPaused = false;
  readonly inflights: Inflights;
  isLearner: boolean;

  constructor(next: Index, match: Index, inflights: Inflights, isLearner: boolean) {
    this.next = next;
    this.match = match;
    this.inflights = inflights;
    this.isLearner = isLearner;
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = index(0);
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      // Resume right after the snapshot if it was delivered, else after the known match.
      const pending = this.pendingSnapshot;
      this.resetState('probe');
      this.next = index(Math.max(this.match + 1, pending + 1));
    } else {
      this.resetState('probe');
      this.next = index(this.match + 1);
    }
  }

  becomeReplicate(): void {
    this.resetState('replicate');
    this.next = index(this.match + 1);
  }

  becomeSnapshot(snapshotIndex: Index): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  /**
   * Accounts for a MsgApp carrying `entries` entries ending before `nextIndex`: in replicate
   * state the window advances optimistically; in probe state sending pauses until an answer.
   */
  sentEntries(entries: number, bytes: number, lastIndex: Index): void {
    if (this.state === 'replicate') {
      if (entries > 0) {
        this.next = index(lastIndex + 1);
        this.inflights.add(lastIndex, bytes);
      }
      this.msgAppFlowPaused = this.inflights.full();
    } else if (this.state === 'probe') {
      this.msgAppFlowPaused = true;
    }
  }

  /**
   * An acknowledgement up to `n`. Returns false if it is stale (the follower already
   * acknowledged as much).
   */
  maybeUpdate(n: Index): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.msgAppFlowPaused = false;
    }
    this.next = index(Math.max(this.next, n + 1));
    return updated;
  }

  /**
   * A rejection of the MsgApp at `rejected`, with `matchHint` the follower's best guess of a
   * matching index. Returns false if the rejection is stale (out of order) and was ignored.
   */
  maybeDecrTo(rejected: Index, matchHint: Index): boolean {
    if (this.state === 'replicate') {
      // Stale if it concerns an index already matched.
      if (rejected <= this.match) return false;
      // Directly fall back to right after the last known match; probing follows.
      this.next = index(this.match + 1);
      return true;
    }
    // In probe state only the rejection of the last probe (next-1) counts.
    if (this.next - 1 !== rejected) return false;
    this.next = index(Math.max(Math.min(rejected, matchHint + 1), this.match + 1));
    this.msgAppFlowPaused = false;
    return true;
  }

  /** Whether sending to this member is held back by flow control. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.msgAppFlowPaused;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }

  toString(): string {
    let s = `${this.state} match=${this.match} next=${this.next}`;
    if (this.isLearner) s += ' learner';
    if (this.isPaused()) s += ' paused';
    if (this.pendingSnapshot > 0) s += ` pendingSnap=${this.pendingSnapshot}`;
    if (!this.recentActive) s += ' inactive';
    const n = this.inflights.size();
    if (n > 0) s += ` inflight=${n}${this.inflights.full() ? '[full]' : ''}`;
    return s;
  }
}

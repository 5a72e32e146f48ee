import { Inflights } from './inflights.js';
import { Progress } from './progress.js';
import { JointConfig, MajorityConfig, type VoteResult } from './quorum.js';
import type { ConfState, Index, NodeId } from './types.js';

/** The active membership: voters (possibly joint), learners, and what leaving a joint config does. */
export interface TrackerConfig {
  readonly voters: JointConfig;
  readonly learners: ReadonlySet<NodeId>;
  /** Outgoing voters that become learners when the joint config is left. */
  readonly learnersNext: ReadonlySet<NodeId>;
  readonly autoLeave: boolean;
}

export function emptyTrackerConfig(): TrackerConfig {
  return {
    voters: new JointConfig(new MajorityConfig(), new MajorityConfig()),
    learners: new Set(),
    learnersNext: new Set(),
    autoLeave: false,
  };
}

export function confStateOf(cfg: TrackerConfig): ConfState {
  const sorted = (ids: Iterable<NodeId>): NodeId[] => [...ids].sort((a, b) => a - b);
  return {
    voters: cfg.voters.incoming.sorted(),
    votersOutgoing: cfg.voters.outgoing.sorted(),
    learners: sorted(cfg.learners),
    learnersNext: sorted(cfg.learnersNext),
    autoLeave: cfg.autoLeave,
  };
}

export type ProgressMap = Map<NodeId, Progress>;

/** The leader's bookkeeping: the membership, each member's progress, and the votes of an election. */
export class ProgressTracker {
  config: TrackerConfig = emptyTrackerConfig();
  progress: ProgressMap = new Map();
  votes = new Map<NodeId, boolean>();

  constructor(
    readonly maxInflight: number,
    readonly maxInflightBytes: number,
  ) {}

  newInflights(): Inflights {
    return new Inflights(this.maxInflight, this.maxInflightBytes);
  }

  newProgress(next: Index, match: Index, isLearner: boolean): Progress {
    return new Progress(next, match, this.newInflights(), isLearner);
  }

  isSingleton(): boolean {
    return this.config.voters.incoming.size === 1 && !this.config.voters.isJoint();
  }

  /** The largest index acknowledged by a quorum of voters (joint-aware). */
  committed(): Index {
    return this.config.voters.committedIndex((id) => this.progress.get(id)?.match);
  }

  /** Visits members in id order, so that message order is deterministic. */
  visit(fn: (id: NodeId, pr: Progress) => void): void {
    const ids = [...this.progress.keys()].sort((a, b) => a - b);
    for (const id of ids) fn(id, this.progress.get(id)!);
  }

  /** Whether the voters that were recently active form a quorum. */
  quorumActive(): boolean {
    const votes = new Map<NodeId, boolean>();
    for (const [id, pr] of this.progress) {
      if (!pr.isLearner) votes.set(id, pr.recentActive);
    }
    return this.config.voters.voteResult(votes) === 'won';
  }

  voterIds(): Set<NodeId> {
    return this.config.voters.ids();
  }

  learnerIds(): Set<NodeId> {
    return new Set([...this.config.learners, ...this.config.learnersNext]);
  }

  resetVotes(): void {
    this.votes = new Map();
  }

  /** Records a vote, keeping the first one a voter gave in this election. */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): { granted: number; rejected: number; result: VoteResult } {
    let granted = 0;
    let rejected = 0;
    for (const [id, pr] of this.progress) {
      if (pr.isLearner) continue;
      const v = this.votes.get(id);
      if (v === undefined) continue;
      if (v) granted++;
      else rejected++;
    }
    return { granted, rejected, result: this.config.voters.voteResult(this.votes) };
  }
}

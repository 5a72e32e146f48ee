import { RaftInvariantError } from './errors.js';
import { JointConfig, MajorityConfig } from './quorum.js';
import type { ProgressMap, ProgressTracker, TrackerConfig } from './tracker.js';
import {
  ConfChangeType,
  index,
  type ConfChangeSingle,
  type ConfState,
  type Index,
  type NodeId,
} from './types.js';

/** A membership change request that cannot be carried out as asked. */
export class ConfChangeError extends RaftInvariantError {}

interface Working {
  incoming: Set<NodeId>;
  outgoing: Set<NodeId>;
  learners: Set<NodeId>;
  learnersNext: Set<NodeId>;
  autoLeave: boolean;
  progress: ProgressMap;
}

/**
 * Computes the configuration (and progress map) that results from applying changes to the
 * tracker's current one, without mutating it. Three kinds of transition exist (§6 and the
 * thesis §4.3): a simple change of at most one voter; entering a joint configuration in which
 * both the old and the new voters must agree; and leaving it.
 */
export class Changer {
  constructor(
    private readonly tracker: ProgressTracker,
    /** The leader's last index: where new members' progress starts. */
    private readonly lastIndex: Index,
  ) {}

  enterJoint(
    autoLeave: boolean,
    changes: readonly ConfChangeSingle[],
  ): [TrackerConfig, ProgressMap] {
    const w = this.checkAndCopy();
    if (w.outgoing.size > 0) throw new ConfChangeError('config is already joint');
    if (w.incoming.size === 0) {
      // Without voters there would be no quorum to leave the joint config with.
      throw new ConfChangeError("can't make a zero-voter config joint");
    }
    for (const id of w.incoming) w.outgoing.add(id);
    this.apply(w, changes);
    w.autoLeave = autoLeave;
    return this.checkAndReturn(w);
  }

  leaveJoint(): [TrackerConfig, ProgressMap] {
    const w = this.checkAndCopy();
    if (w.outgoing.size === 0) throw new ConfChangeError("can't leave a non-joint config");
    for (const id of w.learnersNext) {
      w.learners.add(id);
      w.progress.get(id)!.isLearner = true;
    }
    w.learnersNext.clear();
    for (const id of w.outgoing) {
      if (!w.incoming.has(id) && !w.learners.has(id)) w.progress.delete(id);
    }
    w.outgoing.clear();
    w.autoLeave = false;
    return this.checkAndReturn(w);
  }

  /** At most one voter may be added or removed: any two majorities then overlap. */
  simple(changes: readonly ConfChangeSingle[]): [TrackerConfig, ProgressMap] {
    const w = this.checkAndCopy();
    if (w.outgoing.size > 0)
      throw new ConfChangeError("can't apply simple config change in joint config");
    const before = new Set(w.incoming);
    this.apply(w, changes);
    let diff = 0;
    for (const id of before) if (!w.incoming.has(id)) diff++;
    for (const id of w.incoming) if (!before.has(id)) diff++;
    if (diff > 1) {
      throw new ConfChangeError('more than one voter changed without entering joint config');
    }
    return this.checkAndReturn(w);
  }

  private apply(w: Working, changes: readonly ConfChangeSingle[]): void {
    for (const cc of changes) {
      if (cc.nodeId === 0) continue; // etcd's convention: a no-op change.
      switch (cc.type) {
        case ConfChangeType.AddVoter:
          this.makeVoter(w, cc.nodeId);
          break;
        case ConfChangeType.AddLearner:
          this.makeLearner(w, cc.nodeId);
          break;
        case ConfChangeType.Remove:
          this.remove(w, cc.nodeId);
          break;
      }
    }
    if (w.incoming.size === 0) throw new ConfChangeError('removed all voters');
  }

  private makeVoter(w: Working, id: NodeId): void {
    const pr = w.progress.get(id);
    if (pr === undefined) {
      this.initProgress(w, id, false);
      w.incoming.add(id);
      return;
    }
    pr.isLearner = false;
    w.learners.delete(id);
    w.learnersNext.delete(id);
    w.incoming.add(id);
  }

  private makeLearner(w: Working, id: NodeId): void {
    const pr = w.progress.get(id);
    if (pr === undefined) {
      this.initProgress(w, id, true);
      w.learners.add(id);
      return;
    }
    if (pr.isLearner) return;
    // Demoting a voter: it stops voting in the incoming config at once, but a voter of the
    // outgoing config keeps voting there until the joint config is left.
    this.remove(w, id);
    w.progress.set(id, pr);
    if (w.outgoing.has(id)) {
      w.learnersNext.add(id);
    } else {
      pr.isLearner = true;
      w.learners.add(id);
    }
  }

  private remove(w: Working, id: NodeId): void {
    if (!w.progress.has(id)) return;
    w.incoming.delete(id);
    w.learners.delete(id);
    w.learnersNext.delete(id);
    // An outgoing voter keeps its progress: it still votes until the joint config is left.
    if (!w.outgoing.has(id)) w.progress.delete(id);
  }

  private initProgress(w: Working, id: NodeId, isLearner: boolean): void {
    // Start optimistically at the leader's last index; a rejection walks back. Marked active so
    // that a check-quorum right after the change does not count it against the leader.
    const pr = this.tracker.newProgress(index(Math.max(this.lastIndex, 1)), index(0), isLearner);
    pr.recentActive = true;
    w.progress.set(id, pr);
  }

  private checkAndCopy(): Working {
    const cfg = this.tracker.config;
    const progress: ProgressMap = new Map();
    for (const [id, pr] of this.tracker.progress) {
      // Progress objects are shared; only the learner flag is mutated, so copy just that.
      const copy = Object.assign(
        Object.create(Object.getPrototypeOf(pr) as object) as typeof pr,
        pr,
      );
      progress.set(id, copy);
    }
    const w: Working = {
      incoming: new Set(cfg.voters.incoming.ids),
      outgoing: new Set(cfg.voters.outgoing.ids),
      learners: new Set(cfg.learners),
      learnersNext: new Set(cfg.learnersNext),
      autoLeave: cfg.autoLeave,
      progress,
    };
    checkInvariants(w);
    return w;
  }

  private checkAndReturn(w: Working): [TrackerConfig, ProgressMap] {
    checkInvariants(w);
    return [
      {
        voters: new JointConfig(new MajorityConfig(w.incoming), new MajorityConfig(w.outgoing)),
        learners: w.learners,
        learnersNext: w.learnersNext,
        autoLeave: w.autoLeave,
      },
      w.progress,
    ];
  }
}

function checkInvariants(w: Working): void {
  for (const ids of [w.incoming, w.outgoing, w.learners, w.learnersNext]) {
    for (const id of ids) {
      if (!w.progress.has(id)) throw new ConfChangeError(`no progress for ${id}`);
    }
  }
  for (const id of w.learnersNext) {
    if (!w.outgoing.has(id))
      throw new ConfChangeError(`${id} is in learnersNext, but not outgoing`);
    if (w.progress.get(id)!.isLearner) {
      throw new ConfChangeError(`${id} is in learnersNext, but is already marked as learner`);
    }
  }
  for (const id of w.learners) {
    if (w.outgoing.has(id)) throw new ConfChangeError(`${id} is in learners and outgoing voters`);
    if (w.incoming.has(id)) throw new ConfChangeError(`${id} is in learners and incoming voters`);
    if (!w.progress.get(id)!.isLearner) {
      throw new ConfChangeError(`${id} is in learners, but is not marked as learner`);
    }
  }
  if (w.outgoing.size === 0) {
    if (w.learnersNext.size > 0)
      throw new ConfChangeError('learnersNext must be empty when not joint');
    if (w.autoLeave) throw new ConfChangeError('autoLeave must be false when not joint');
  }
}

/**
 * Rebuilds a tracker config from a persisted {@link ConfState}, e.g. on restart or when a
 * snapshot is restored, by replaying it as changes to an empty config.
 */
export function restoreConfig(
  tracker: ProgressTracker,
  lastIndex: Index,
  cs: ConfState,
): [TrackerConfig, ProgressMap] {
  const add =
    (type: ConfChangeType) =>
    (id: NodeId): ConfChangeSingle => ({ type, nodeId: id });
  // Example: voters=(1 2 3) learners=(5) outgoing=(1 2 4 6) learnersNext=(4). Before the
  // joint config the voters were (1 2 4 6). Rebuild that first, one voter at a time, then
  // enter the joint config by removing them all and adding back what the incoming half holds.
  const outgoing = cs.votersOutgoing.map(add(ConfChangeType.AddVoter));
  const incoming: ConfChangeSingle[] = [
    ...cs.votersOutgoing.map(add(ConfChangeType.Remove)),
    ...cs.voters.map(add(ConfChangeType.AddVoter)),
    ...cs.learners.map(add(ConfChangeType.AddLearner)),
    // Adding an outgoing voter as a learner while joint puts it in learnersNext.
    ...cs.learnersNext.map(add(ConfChangeType.AddLearner)),
  ];
  const step = (result: [TrackerConfig, ProgressMap]): void => {
    [tracker.config, tracker.progress] = result;
  };
  if (outgoing.length === 0) {
    for (const cc of incoming) step(new Changer(tracker, lastIndex).simple([cc]));
  } else {
    for (const cc of outgoing) step(new Changer(tracker, lastIndex).simple([cc]));
    step(new Changer(tracker, lastIndex).enterJoint(cs.autoLeave, incoming));
  }
  return [tracker.config, tracker.progress];
}

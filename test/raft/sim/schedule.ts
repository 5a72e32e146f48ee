/**
 * The schedule generator: from the run's random source it draws the cluster's shape and
 * Raft options, a profile (how often each kind of event happens, so that schedules differ in
 * character: crash-heavy, partition-heavy, churn in membership, ...), and then, step by
 * step, the events of the fault phase. Events that depend on the cluster's state (who leads,
 * which membership change is valid) are drawn against the live state, still from the seed.
 */
import {
  ConfChangeType,
  EMPTY_BYTES,
  NONE,
  type ConfChange,
  type ConfChangeSingle,
  type ConfChangeTransition,
  type NodeId,
  type RandomInt,
} from '../../../src/raft/index.js';
import {
  bridgePartition,
  oneWayPartition,
  symmetricPartition,
  NO_PARTITION,
  type LinkFaults,
  type Partition,
} from './network.js';
import type { NodeOptions, SimNode } from './sim-node.js';

/** Election timeout in ticks. Fixed, so that the liveness bound is one number. */
export const ELECTION_TICK = 10;
/** Voters are never added beyond this, so quorums stay small enough to be reached. */
const MAX_VOTERS = 5;

/** What the generator may do to the simulation. */
export interface SimControl {
  /** Every node ever created and not shut down for good, up or down, in id order. */
  nodes(): readonly SimNode[];
  /** The live leader of the highest term, if any. */
  leader(): SimNode | undefined;
  /** A fresh node id for a new member, or undefined when the id budget is spent. */
  newNodeId(): NodeId | undefined;
  addNode(id: NodeId): void;
  propose(n: SimNode): void;
  read(n: SimNode): void;
  transfer(n: SimNode, to: NodeId): void;
  /** Proposes a membership change; false if the node refused it. */
  confChange(n: SimNode, cc: ConfChange): boolean;
  compact(n: SimNode): void;
  crash(n: SimNode): void;
  /** Crashes the node in the middle of its next write that follows early messages. */
  crashBeforeSync(n: SimNode): void;
  restart(n: SimNode): void;
  campaign(n: SimNode): void;
  setPartition(p: Partition): void;
  setFaults(f: LinkFaults): void;
}

export interface ClusterShape {
  readonly voters: number;
  readonly options: NodeOptions;
}

function pick<T>(random: RandomInt, xs: readonly T[]): T {
  if (xs.length === 0) throw new Error('pick from an empty list');
  return xs[random(xs.length)]!;
}

function shuffled<T>(random: RandomInt, xs: readonly T[]): T[] {
  const out = xs.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = random(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Cluster size and Raft options. Small limits make batching and flow control matter. */
export function drawClusterShape(random: RandomInt): ClusterShape {
  return {
    voters: pick(random, [1, 2, 3, 3, 3, 3, 4, 5, 5, 5]),
    options: {
      electionTick: ELECTION_TICK,
      heartbeatTick: 1 + random(3),
      checkQuorum: random(2) === 0,
      preVote: random(2) === 0,
      maxSizePerMsg: pick(random, [1, 128, 1024 * 1024]),
      maxInflightMsgs: pick(random, [1, 4, 256]),
      maxInflightBytes: pick(random, [0, 0, 400]),
      maxCommittedSizePerReady: pick(random, [1, 256, 64 * 1024 * 1024]),
      maxUncommittedEntriesSize: pick(random, [0, 0, 1000]),
    },
  };
}

export function drawFaults(random: RandomInt): LinkFaults {
  return {
    dropPercent: pick(random, [0, 0, 1, 5, 15, 30]),
    duplicatePercent: pick(random, [0, 0, 2, 10]),
    maxDelay: pick(random, [0, 1, 2, 4, 8]),
    reorder: random(2) === 0,
  };
}

const ACTIONS = [
  'propose',
  'read',
  'transfer',
  'confChange',
  'compact',
  'crash',
  'restart',
  'bounce',
  'crashBeforeSync',
  'partition',
  'heal',
  'faults',
  'campaign',
] as const;
type Action = (typeof ACTIONS)[number];

/** How eventful a schedule is, and what kind of events dominate. */
export interface Profile {
  /** Chance per step, in percent, that an event happens. */
  readonly eventPercent: number;
  /** Chance per step, in percent, that a node voting in an election is crashed and restarted. */
  readonly electionBouncePercent: number;
  readonly weights: Readonly<Record<Action, number>>;
}

export function drawProfile(random: RandomInt): Profile {
  // Each weight is drawn on its own, so some schedules are all crashes and others all churn.
  const w = (max: number): number => random(max + 1);
  return {
    eventPercent: 20 + random(50),
    electionBouncePercent: random(3) === 0 ? 0 : 1 + random(10),
    weights: {
      propose: 10 + w(30),
      read: w(12),
      transfer: w(4),
      confChange: w(6),
      compact: w(5),
      crash: w(5),
      restart: w(6),
      bounce: w(4),
      crashBeforeSync: w(4),
      partition: w(5),
      heal: w(5),
      faults: w(3),
      campaign: w(3),
    },
  };
}

export class ScheduleGenerator {
  private readonly total: number;

  constructor(
    private readonly sim: SimControl,
    private readonly random: RandomInt,
    private readonly profile: Profile,
  ) {
    this.total = ACTIONS.reduce((sum, a) => sum + profile.weights[a], 0);
  }

  /** Called once per step of the fault phase; may fire one event. */
  step(): void {
    if (this.random(100) < this.profile.electionBouncePercent) this.bounceVoter();
    if (this.random(100) >= this.profile.eventPercent) return;
    let x = this.random(this.total);
    for (const a of ACTIONS) {
      x -= this.profile.weights[a];
      if (x < 0) {
        this.fire(a);
        return;
      }
    }
  }

  private live(): SimNode[] {
    return this.sim.nodes().filter((n) => n.up);
  }

  /** The leader most of the time (clients find it), any live node otherwise. */
  private target(): SimNode | undefined {
    const leader = this.sim.leader();
    if (leader !== undefined && this.random(10) < 7) return leader;
    const live = this.live();
    return live.length === 0 ? undefined : pick(this.random, live);
  }

  private fire(a: Action): void {
    const sim = this.sim;
    switch (a) {
      case 'propose': {
        const n = this.target();
        if (n !== undefined) sim.propose(n);
        return;
      }
      case 'read': {
        const n = this.target();
        if (n !== undefined) sim.read(n);
        return;
      }
      case 'transfer': {
        const n = this.target();
        if (n === undefined) return;
        const voters = n.raw!.raft.prs.voterIds();
        if (voters.size > 0)
          sim.transfer(
            n,
            pick(
              this.random,
              [...voters].sort((x, y) => x - y),
            ),
          );
        return;
      }
      case 'confChange': {
        const leader = sim.leader();
        if (leader !== undefined) this.confChange(leader);
        return;
      }
      case 'compact': {
        const live = this.live();
        if (live.length > 0) sim.compact(pick(this.random, live));
        return;
      }
      case 'crash': {
        // The leader half of the time: that is what forces elections.
        const leader = sim.leader();
        if (leader !== undefined && this.random(2) === 0) {
          sim.crash(leader);
          return;
        }
        const live = this.live();
        if (live.length > 0) sim.crash(pick(this.random, live));
        return;
      }
      case 'restart': {
        const down = sim.nodes().filter((n) => !n.up);
        if (down.length > 0) sim.restart(pick(this.random, down));
        return;
      }
      case 'bounce': {
        // A crash and an immediate restart: the node loses what it had not persisted while
        // messages to and from it are still in flight.
        const live = this.live();
        if (live.length === 0) return;
        const n = pick(this.random, live);
        sim.crash(n);
        sim.restart(n);
        return;
      }
      case 'crashBeforeSync': {
        // Mostly the leader: it is the one that sends before its own write is durable.
        const n = this.random(5) > 0 ? (sim.leader() ?? this.target()) : this.target();
        if (n !== undefined) sim.crashBeforeSync(n);
        return;
      }
      case 'partition':
        sim.setPartition(this.partition());
        return;
      case 'heal':
        sim.setPartition(NO_PARTITION);
        return;
      case 'faults':
        sim.setFaults(drawFaults(this.random));
        return;
      case 'campaign': {
        // While an election is under way, mostly a rival: competing candidates of one term
        // are where vote bookkeeping goes wrong.
        const live = this.live();
        if (live.length === 0) return;
        const electing = live.some((n) => n.raw!.raft.role.endsWith('candidate'));
        const rivals = live.filter((n) => n.raw!.raft.role === 'follower');
        const useRival = electing && rivals.length > 0 && this.random(4) > 0;
        sim.campaign(pick(this.random, useRival ? rivals : live));
        return;
      }
    }
  }

  /**
   * Bounces a node in the middle of someone's election (it voted for another node and knows
   * no leader yet), if there is one: with more than one candidate in a term, that is where a
   * driver that does not persist its vote would let the node vote twice.
   */
  private bounceVoter(): void {
    const voting = this.live().filter((n) => {
      const r = n.raw!.raft;
      return r.vote !== NONE && r.vote !== n.id && r.lead === NONE;
    });
    if (voting.length === 0) return;
    const n = pick(this.random, voting);
    this.sim.crash(n);
    this.sim.restart(n);
  }

  private partition(): Partition {
    const ids = shuffled(
      this.random,
      this.sim.nodes().map((n) => n.id),
    );
    if (ids.length < 2) return NO_PARTITION;
    const kind = this.random(ids.length >= 3 ? 4 : 3);
    if (kind === 0) {
      // Isolate one node, often the leader.
      const leader = this.sim.leader()?.id;
      const isolated = leader !== undefined && this.random(2) === 0 ? leader : ids[0]!;
      return symmetricPartition(
        [isolated],
        ids.filter((id) => id !== isolated),
      );
    }
    if (kind === 3) {
      // A bridge needs both halves non-empty besides itself.
      const bridge = ids[0]!;
      const rest = ids.slice(1);
      const cut = 1 + this.random(rest.length - 1);
      return bridgePartition(rest.slice(0, cut), rest.slice(cut), bridge);
    }
    const cut = 1 + this.random(ids.length - 1);
    const a = ids.slice(0, cut);
    const b = ids.slice(cut);
    return kind === 1 ? symmetricPartition(a, b) : oneWayPartition(a, b);
  }

  /**
   * A membership change the leader's current configuration allows. The core does not
   * validate changes (a nonsensical one fails when applied, as in etcd), so like a real
   * server this checks them against the configuration they will apply to: the leader's,
   * which is final because the core refuses a new change while one is pending.
   */
  private confChange(leader: SimNode): void {
    const r = leader.raw!.raft;
    const cfg = r.prs.config;
    if (cfg.voters.isJoint()) {
      // An explicit joint configuration is left by the application: propose the empty change.
      if (!cfg.autoLeave) this.propose(leader, 'auto', []);
      return;
    }
    const voters = cfg.voters.incoming.sorted();
    const learners = [...cfg.learners].sort((x, y) => x - y);
    // Like etcd's server, promote only a learner that has caught up, so that the new quorum
    // does not depend on a member still fetching the log.
    const caughtUp = learners.filter(
      (id) => (r.prs.progress.get(id)?.match ?? 0) >= r.raftLog.committed,
    );
    const options: (() => void)[] = [];
    const fresh = this.sim.newNodeId();
    if (fresh !== undefined) {
      options.push(() => {
        this.propose(leader, 'auto', [{ type: ConfChangeType.AddLearner, nodeId: fresh }], fresh);
      });
    }
    if (caughtUp.length > 0 && voters.length < MAX_VOTERS) {
      options.push(() => {
        const id = pick(this.random, caughtUp);
        this.propose(leader, 'auto', [{ type: ConfChangeType.AddVoter, nodeId: id }]);
      });
    }
    if (voters.length >= 2) {
      options.push(() => {
        const id = pick(this.random, voters);
        const type = this.random(2) === 0 ? ConfChangeType.Remove : ConfChangeType.AddLearner;
        this.propose(leader, 'auto', [{ type, nodeId: id }]);
      });
    }
    if (learners.length > 0) {
      options.push(() => {
        this.propose(leader, 'auto', [
          { type: ConfChangeType.Remove, nodeId: pick(this.random, learners) },
        ]);
      });
    }
    options.push(() => {
      this.jointChange(leader, voters, caughtUp, fresh);
    });
    pick(this.random, options)();
  }

  /** Several voters at once, through a joint configuration. */
  private jointChange(
    leader: SimNode,
    voters: readonly NodeId[],
    caughtUp: readonly NodeId[],
    fresh: NodeId | undefined,
  ): void {
    const changes: ConfChangeSingle[] = [];
    const incoming = new Set(voters);
    for (const id of shuffled(this.random, caughtUp).slice(0, 1 + this.random(2))) {
      if (incoming.size >= MAX_VOTERS) break;
      changes.push({ type: ConfChangeType.AddVoter, nodeId: id });
      incoming.add(id);
    }
    for (const id of shuffled(this.random, voters).slice(0, 1 + this.random(2))) {
      if (incoming.size <= 1) break;
      const demote = this.random(3) === 0;
      changes.push({
        type: demote ? ConfChangeType.AddLearner : ConfChangeType.Remove,
        nodeId: id,
      });
      incoming.delete(id);
    }
    if (fresh !== undefined && this.random(2) === 0) {
      changes.push({ type: ConfChangeType.AddLearner, nodeId: fresh });
    }
    if (changes.length === 0) return;
    const transition = pick<ConfChangeTransition>(this.random, ['auto', 'implicit', 'explicit']);
    // 'auto' with a single change would be a simple change, which is fine too.
    const usesFresh = changes.some((c) => c.nodeId === fresh);
    this.propose(leader, transition, changes, usesFresh ? fresh : undefined);
  }

  private propose(
    leader: SimNode,
    transition: ConfChangeTransition,
    changes: ConfChangeSingle[],
    fresh?: NodeId,
  ): void {
    const cc: ConfChange = { transition, changes, context: EMPTY_BYTES };
    // The new member must exist before the leader starts sending to it.
    if (this.sim.confChange(leader, cc) && fresh !== undefined) this.sim.addNode(fresh);
  }
}

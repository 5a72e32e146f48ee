/**
 * One randomized schedule, start to finish, driven by one seed:
 * 1. Fault phase: a few hundred steps. Each step may fire one event of the schedule
 *    (proposals, reads, transfers, membership changes, compaction, crashes, restarts,
 *    partitions, new link faults), then every live node ticks once and the cluster runs
 *    (Readies handled, due messages delivered) until quiet or a round limit.
 * 2. Liveness: heal the network, restart every node, and require a single leader and a new
 *    entry applied on every live voter, with the membership settled, within
 *    {@link LIVENESS_BOUND_TICKS}; then shut down removed members, crash a minority of the
 *    voters, and require it again.
 * Invariants are checked throughout by {@link InvariantChecker}; any violation, and any
 * exception from the core, fails the schedule with its seed.
 */
import {
  EntryType,
  MemoryStorage,
  ProposalDroppedError,
  nodeId,
  seededRandom,
  type ConfChange,
  type ConfState,
  type Message,
  type NodeId,
  type RandomInt,
  type RawNode,
} from '../../../src/raft/index.js';
import { InvariantChecker, InvariantViolation } from './invariants.js';
import { NO_PARTITION, RELIABLE, SimNetwork, type LinkFaults, type Partition } from './network.js';
import {
  ELECTION_TICK,
  ScheduleGenerator,
  drawClusterShape,
  drawFaults,
  drawProfile,
  type ClusterShape,
  type SimControl,
} from './schedule.js';
import { SimNode, type DriverBug } from './sim-node.js';
import { entryKey } from './state-machine.js';

/** Node ids are never reused; this caps how many members a schedule can ever add. */
const MAX_NODE_ID = 8;
/** Within one step, rounds of (handle Readies, deliver due messages) before time moves on. */
const MAX_ROUNDS_PER_STEP = 12;
/** How often the pairwise whole-log comparison runs (it is the expensive check). */
const PAIRWISE_CHECK_EVERY = 40;

/**
 * How long the healed cluster gets, in ticks, to elect a single leader, apply a new entry on
 * every live voter and settle its membership: 50 election timeouts (E = ELECTION_TICK).
 *
 * Why it is enough. With a reliable network and a quorum up, recovery takes a constant number
 * of election rounds, each shorter than 2E: leases (check-quorum) and abandoned transfers
 * lapse within E; a leaderless follower campaigns within its randomized timeout, below 2E;
 * restarted nodes first replay their log (they may not campaign with a conf change pending);
 * once elected, a leader commits within a few heartbeats, a lagging voter catches up through
 * a snapshot in a few round trips, and a joint configuration is left with one more entry.
 *
 * Why it is not smaller. A randomized election has no worst case, only a geometric tail: a
 * round fails when the vote splits or, without pre-vote, when a node that cannot win (its log
 * is behind) times out first, raises the term and so restarts everyone's timer (etcd resets
 * it on every term change), which is about a coin flip per round. Across 100000 schedules the
 * median was under 1E, the 99th percentile under 5E and the longest 25E. 50E leaves that tail
 * a margin of another 15 or so failed rounds (odds of about one in 2^15 each time), while a
 * cluster that is actually stuck (every liveness bug found so far was a deadlock) fails it
 * for certain.
 */
export const LIVENESS_BOUND_TICKS = 50 * ELECTION_TICK;

export interface RunOptions {
  /** Receives a line per event and message; for debugging one seed. */
  readonly trace?: (line: string) => void;
  /** Break the driver on purpose (checks that the checker notices). */
  readonly bug?: DriverBug;
  /** Steps in the fault phase; drawn from the seed when omitted. */
  readonly faultSteps?: number;
  /**
   * Also issue lease reads (when the schedule has check-quorum); see the note on LEASE_READS
   * in simulation.test.ts.
   */
  readonly leaseReads?: boolean;
}

export interface ScheduleStats {
  steps: number;
  leaders: number;
  commits: number;
  reads: number;
  readStates: number;
  proposals: number;
  crashes: number;
  crashesBeforeSync: number;
  restarts: number;
  partitions: number;
  transfers: number;
  confChangesProposed: number;
  confChangesApplied: number;
  jointEntered: number;
  snapshotsTaken: number;
  snapshotsRestored: number;
  messages: number;
  dropped: number;
  duplicated: number;
}

export interface ScheduleResult {
  readonly seed: number;
  /** Ticks the healed cluster needed, per liveness stage (all up; minority down). */
  readonly livenessTicks: readonly number[];
  readonly stats: ScheduleStats;
}

/** The shell command that reruns exactly one schedule, as it ran. */
export function reproduceCommand(seed: number, opts: RunOptions = {}, trace = false): string {
  const env = [
    `REDRAFT_SIM_SEED=${seed}`,
    ...(opts.leaseReads === true ? [] : ['REDRAFT_SIM_LEASE_READS=0']),
    ...(trace ? ['REDRAFT_SIM_TRACE=1'] : []),
  ];
  return `npm run build && ${env.join(' ')} node scripts/run-tests.mjs test/raft/sim`;
}

export class SimulationFailure extends Error {
  constructor(
    readonly seed: number,
    readonly step: number,
    readonly reason: string,
    opts: RunOptions = {},
  ) {
    super(
      `simulation seed ${seed} failed at step ${step}: ${reason}\n` +
        `  reproduce: ${reproduceCommand(seed, opts)}\n` +
        `  trace it:  ${reproduceCommand(seed, opts, true)}`,
    );
    this.name = 'SimulationFailure';
  }
}

/** Runs schedule `seed`; throws {@link SimulationFailure} if anything goes wrong. */
export function runSchedule(seed: number, opts: RunOptions = {}): ScheduleResult {
  const sim = new Simulation(seed, opts);
  try {
    return sim.run();
  } catch (err) {
    const reason =
      err instanceof InvariantViolation
        ? err.message
        : err instanceof Error
          ? (err.stack ?? err.message)
          : String(err);
    throw new SimulationFailure(seed, sim.now, reason, opts);
  }
}

const encoder = new TextEncoder();

function fmt(m: Message): string {
  let s = `${m.from}->${m.to} ${m.type} t${m.term}`;
  if (m.logTerm !== 0 || m.index !== 0) s += ` i${m.index}/t${m.logTerm}`;
  if (m.entries.length > 0) {
    s += ` [${m.entries[0]!.index}..${m.entries[m.entries.length - 1]!.index}]`;
  }
  if (m.commit !== 0) s += ` c${m.commit}`;
  if (m.reject) s += ` reject(hint ${m.rejectHint})`;
  if (m.snapshot !== undefined) s += ` snap@${m.snapshot.metadata.index}`;
  return s;
}

class Simulation implements SimControl {
  now = 0;
  readonly checker: InvariantChecker;
  private readonly random: RandomInt;
  private readonly network: SimNetwork;
  private readonly shape: ClusterShape;
  private readonly initialConf: ConfState;
  private readonly all = new Map<NodeId, SimNode>();
  /** Removed members, shut down for good once the cluster heals. */
  private readonly retired = new Set<NodeId>();
  private nextId: number;
  private seq = 0;
  /** Last role traced per node. */
  private readonly roles = new Map<NodeId, string>();
  /** Transport reports (snapshot status, unreachable) to give the sender after its Ready. */
  private reports: { from: NodeId; report: (raw: RawNode) => void }[] = [];
  private readonly stats: ScheduleStats = {
    steps: 0,
    leaders: 0,
    commits: 0,
    reads: 0,
    readStates: 0,
    proposals: 0,
    crashes: 0,
    crashesBeforeSync: 0,
    restarts: 0,
    partitions: 0,
    transfers: 0,
    confChangesProposed: 0,
    confChangesApplied: 0,
    jointEntered: 0,
    snapshotsTaken: 0,
    snapshotsRestored: 0,
    messages: 0,
    dropped: 0,
    duplicated: 0,
  };
  private readonly send = (m: Message): void => {
    this.trace(() => `send ${fmt(m)}`);
    this.network.send(m, this.now);
  };

  constructor(
    readonly seed: number,
    private readonly opts: RunOptions,
  ) {
    this.random = seededRandom(seed);
    this.network = new SimNetwork(this.derive());
    this.network.onDrop = (m, reason) => {
      this.trace(() => `lost (${reason}) ${fmt(m)}`);
      this.lost(m, reason === 'partition');
    };
    this.shape = drawClusterShape(this.random);
    const voters = Array.from({ length: this.shape.voters }, (_, i) => nodeId(i + 1));
    this.initialConf = {
      voters,
      learners: [],
      votersOutgoing: [],
      learnersNext: [],
      autoLeave: false,
    };
    this.checker = new InvariantChecker(this.initialConf);
    for (const id of voters) this.createNode(id);
    this.nextId = voters.length + 1;
  }

  /** A generator of its own for a component, seeded from the run's one seed. */
  private derive(): RandomInt {
    return seededRandom(this.random(0x1_0000_0000));
  }

  private trace(line: () => string): void {
    if (this.opts.trace !== undefined) this.opts.trace(`[${this.now}] ${line()}`);
  }

  /** Checks a node after a call into it (and, when tracing, reports a change of role). */
  private observe(n: SimNode): void {
    this.checker.afterCall(n);
    if (this.opts.trace === undefined || n.raw === undefined) return;
    const r = n.raw.raft;
    const role = `${r.role} term ${r.term}`;
    if (this.roles.get(n.id) !== role) {
      this.roles.set(n.id, role);
      this.trace(() => `node ${n.id} is ${role}`);
    }
  }

  run(): ScheduleResult {
    const generator = new ScheduleGenerator(this, this.derive(), drawProfile(this.random));
    this.network.faults = drawFaults(this.random);
    const faultSteps = this.opts.faultSteps ?? 150 + this.random(150);
    this.trace(
      () =>
        `cluster of ${this.shape.voters}: ${JSON.stringify(this.shape.options)}, ` +
        `faults ${JSON.stringify(this.network.faults)}, ${faultSteps} fault steps`,
    );
    for (let s = 0; s < faultSteps; s++) {
      generator.step();
      this.step();
    }

    this.heal();
    const livenessTicks = [this.awaitLiveness('all nodes up')];
    const leader = this.leader()!;
    this.retireNonMembers(leader);
    const voters = leader.raw!.raft.prs.config.voters.incoming.sorted();
    const tolerated = Math.floor((voters.length - 1) / 2);
    if (tolerated > 0) {
      const victims = this.shuffle(voters).slice(0, 1 + this.random(tolerated));
      for (const id of victims) this.crash(this.all.get(id)!);
      livenessTicks.push(this.awaitLiveness(`voters ${victims.join(',')} down`));
    }
    this.checker.checkLogsPairwise(this.nodes());
    return { seed: this.seed, livenessTicks, stats: this.collectStats() };
  }

  private shuffle<T>(xs: readonly T[]): T[] {
    const out = xs.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.random(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** One tick of the logical clock: every live node ticks, then the cluster runs. */
  private step(): void {
    this.now++;
    this.stats.steps++;
    for (const n of this.nodes()) {
      if (n.raw === undefined) continue;
      n.raw.tick();
      this.observe(n);
    }
    this.runRounds();
    if (this.now % PAIRWISE_CHECK_EVERY === 0) this.checker.checkLogsPairwise(this.nodes());
  }

  private runRounds(): void {
    for (let round = 0; round < MAX_ROUNDS_PER_STEP; round++) {
      let moved = this.flushReports();
      for (const n of this.nodes()) {
        // A Ready can lead to another (an applied conf change, an auto-leave proposal).
        for (let k = 0; k < 8 && n.handleReady(this.send, this.checker); k++) {
          moved = true;
          if (!n.up) this.trace(() => `crash ${n.id} before its write was durable`);
          this.observe(n);
        }
      }
      const due = this.network.takeDue(this.now);
      for (const m of due) this.deliver(m);
      if (!moved && due.length === 0) return;
    }
  }

  private deliver(m: Message): void {
    const to = this.all.get(m.to);
    if (to?.raw === undefined || this.retired.has(m.to)) {
      this.trace(() => `lost (down) ${fmt(m)}`);
      this.lost(m, true);
      return;
    }
    this.trace(() => `deliver ${fmt(m)}`);
    to.raw.step(m);
    this.observe(to);
    if (m.type === 'MsgSnap') this.report(m.from, (raw) => raw.reportSnapshot(m.to, true));
  }

  /**
   * What the sender's transport would notice about a lost message: a snapshot that did not
   * arrive (the leader must learn it, or it waits for that follower forever), and a peer that
   * could not be reached. A silent random drop is noticed only for snapshots.
   */
  private lost(m: Message, unreachable: boolean): void {
    if (m.type === 'MsgSnap') this.report(m.from, (raw) => raw.reportSnapshot(m.to, false));
    else if (unreachable) this.report(m.from, (raw) => raw.reportUnreachable(m.to));
  }

  private report(from: NodeId, report: (raw: RawNode) => void): void {
    this.reports.push({ from, report });
  }

  private flushReports(): boolean {
    if (this.reports.length === 0) return false;
    const reports = this.reports;
    this.reports = [];
    for (const { from, report } of reports) {
      const n = this.all.get(from);
      if (n?.raw === undefined || this.retired.has(from)) continue;
      report(n.raw);
      this.observe(n);
    }
    return true;
  }

  private createNode(id: NodeId): SimNode {
    // Every node starts from the cluster's initial membership (like etcd's --initial-cluster);
    // a node added later learns the rest from the log or from a snapshot.
    const node = new SimNode(
      id,
      MemoryStorage.bootstrap(this.initialConf),
      this.shape.options,
      this.derive(),
      this.opts.bug,
    );
    this.all.set(id, node);
    this.checker.afterCall(node);
    return node;
  }

  // ---------------------------------------------------------------------------------------
  // Liveness

  private heal(): void {
    this.trace(() => 'heal: reliable network, every node up');
    this.network.partition = NO_PARTITION;
    this.network.faults = RELIABLE;
    for (const n of this.nodes()) n.crashBeforeSync = false;
    // Removed members come back too: until the remaining members have learned that their
    // removal committed, a joint configuration may still need their votes (etcd's operators
    // face the same rule). They are shut down once the membership has settled.
    for (const n of this.nodes()) if (!n.up) this.restart(n);
  }

  /** Shuts down for good every node outside the leader's settled membership. */
  private retireNonMembers(leader: SimNode): void {
    const members = leader.raw!.raft.prs.progress;
    for (const n of this.nodes()) {
      if (members.has(n.id)) continue;
      this.trace(() => `retire ${n.id}`);
      if (n.up) n.crash();
      this.retired.add(n.id);
    }
  }

  /**
   * Steps until exactly one member leads, a proposal made to it is applied on every live
   * voter, and the membership is settled (not joint, no conf change pending). Returns the
   * ticks it took; fails past {@link LIVENESS_BOUND_TICKS}.
   */
  private awaitLiveness(stage: string): number {
    const start = this.now;
    let pending: { leader: NodeId; term: number; index: number; key: string } | undefined;
    while (this.now - start < LIVENESS_BOUND_TICKS) {
      this.step();
      const leader = this.leader();
      if (leader === undefined) continue;
      const r = leader.raw!.raft;
      // A stale leader outside the membership (removed while cut off, say) hears from nobody
      // and may go on believing it leads; it is shut down below. Within it, one leader only.
      const members = r.prs.progress;
      const others = this.nodes().filter(
        (n) => n !== leader && members.has(n.id) && n.raw?.raft.role === 'leader',
      );
      if (others.length > 0) continue;
      if (pending?.leader !== leader.id || pending.term !== r.term) {
        const data = encoder.encode(`live-${++this.seq}`);
        try {
          const receipt = leader.raw!.propose(data);
          this.checker.afterCall(leader);
          if (receipt !== undefined) {
            const key = entryKey({ ...receipt, type: EntryType.Normal, data });
            pending = { leader: leader.id, term: receipt.term, index: receipt.index, key };
          }
        } catch (err) {
          if (!(err instanceof ProposalDroppedError)) throw err;
        }
      }
      const cfg = r.prs.config;
      const confPending = r.pendingConfIndex > r.raftLog.applied;
      if (cfg.voters.isJoint() && !cfg.autoLeave && !confPending) {
        // The application's job: leave an explicit joint configuration.
        this.confChange(leader, { transition: 'auto', changes: [], context: new Uint8Array() });
      }
      if (pending === undefined || cfg.voters.isJoint() || confPending) continue;
      const p = pending;
      const done = [...cfg.voters.ids()].every((id) => {
        const n = this.all.get(id);
        if (n?.up !== true) return true;
        return n.applied.length >= p.index && n.applied[p.index - 1] === p.key;
      });
      if (done) {
        this.trace(() => `liveness (${stage}): leader ${leader.id} after ${this.now - start}`);
        return this.now - start;
      }
    }
    throw new InvariantViolation(
      `liveness (${stage}): no single leader with a new entry applied on all live voters ` +
        `within ${LIVENESS_BOUND_TICKS} ticks of healing; ${this.describe()}`,
    );
  }

  /** Every node's state in one line, for failure messages. */
  private describe(): string {
    const nodes = [...this.all.values()].map((n) => {
      if (this.retired.has(n.id)) return `${n.id}: retired`;
      if (n.raw === undefined) return `${n.id}: down`;
      const s = n.raw.status();
      const c = s.config;
      const cfg =
        `voters ${c.voters.join(',')}` +
        (c.votersOutgoing.length > 0 ? ` & ${c.votersOutgoing.join(',')}` : '') +
        (c.learners.length > 0 ? ` learners ${c.learners.join(',')}` : '');
      return (
        `${n.id}: ${s.role} term ${s.term} lead ${s.lead} commit ${s.commit} ` +
        `applied ${s.applied} last ${s.lastIndex} (${cfg})`
      );
    });
    return nodes.join('; ');
  }

  private collectStats(): ScheduleStats {
    const s = this.stats;
    s.leaders = this.checker.counts.leaders;
    s.commits = this.checker.counts.commits;
    s.reads = this.checker.counts.reads;
    s.readStates = this.checker.counts.readStates;
    for (const n of this.all.values()) {
      s.snapshotsTaken += n.stats.snapshotsTaken;
      s.snapshotsRestored += n.stats.snapshotsRestored;
      s.confChangesApplied += n.stats.confChangesApplied;
      s.crashesBeforeSync += n.stats.crashesBeforeSync;
    }
    s.messages = this.network.stats.sent;
    s.dropped = this.network.stats.dropped;
    s.duplicated = this.network.stats.duplicated;
    return s;
  }

  // ---------------------------------------------------------------------------------------
  // SimControl: what the schedule generator does

  nodes(): SimNode[] {
    const out: SimNode[] = [];
    for (const n of this.all.values()) if (!this.retired.has(n.id)) out.push(n);
    return out;
  }

  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes()) {
      const r = n.raw?.raft;
      if (r?.role !== 'leader') continue;
      if (best === undefined || r.term > best.raw!.raft.term) best = n;
    }
    return best;
  }

  newNodeId(): NodeId | undefined {
    return this.nextId <= MAX_NODE_ID ? nodeId(this.nextId) : undefined;
  }

  addNode(id: NodeId): void {
    if (this.all.has(id)) return;
    this.nextId = Math.max(this.nextId, id + 1);
    this.trace(() => `add node ${id}`);
    this.createNode(id);
  }

  /** Calls into a node on behalf of a client; a refused request is normal and ignored. */
  private call(n: SimNode, what: string, fn: (raw: RawNode) => void): boolean {
    const raw = n.raw;
    if (raw === undefined) return false;
    this.trace(() => `${what} on ${n.id}`);
    try {
      fn(raw);
      return true;
    } catch (err) {
      if (!(err instanceof ProposalDroppedError)) throw err;
      this.trace(() => `  refused: ${err.message}`);
      return false;
    } finally {
      this.observe(n);
    }
  }

  propose(n: SimNode): void {
    // Payloads of varied size, so that byte limits on messages and Readies come into play.
    const data = encoder.encode(`p${++this.seq}${'.'.repeat(this.random(40))}`);
    this.stats.proposals++;
    this.call(n, `propose p${this.seq}`, (raw) => raw.propose(data));
  }

  read(n: SimNode): void {
    const ctx = encoder.encode(`r${++this.seq}`);
    // The bound is what is known committed now, before the request exists.
    this.checker.onReadRequest(n, ctx);
    const lease =
      this.opts.leaseReads === true &&
      this.shape.options.checkQuorum === true &&
      this.random(2) === 0;
    this.call(n, `${lease ? 'lease ' : ''}read r${this.seq}`, (raw) => {
      raw.readIndex(ctx, lease ? 'lease' : 'safe');
    });
  }

  transfer(n: SimNode, to: NodeId): void {
    this.stats.transfers++;
    this.call(n, `transfer leadership to ${to}`, (raw) => {
      raw.transferLeader(to);
    });
  }

  confChange(n: SimNode, cc: ConfChange): boolean {
    const what = `conf change ${cc.transition} ${JSON.stringify(cc.changes)}`;
    const ok = this.call(n, what, (raw) => raw.proposeConfChange(cc));
    if (ok) {
      this.stats.confChangesProposed++;
      if (cc.transition !== 'auto' || cc.changes.length > 1) this.stats.jointEntered++;
    }
    return ok;
  }

  compact(n: SimNode): void {
    if (n.compact()) this.trace(() => `compact ${n.id} at ${n.applied.length}`);
  }

  crash(n: SimNode): void {
    this.trace(() => `crash ${n.id}`);
    this.stats.crashes++;
    n.crash();
  }

  crashBeforeSync(n: SimNode): void {
    this.trace(() => `crash ${n.id} at its next write after early messages`);
    n.crashBeforeSync = true;
  }

  restart(n: SimNode): void {
    n.restart(this.derive());
    this.stats.restarts++;
    this.trace(() => {
      const hs = n.storage.getHardState();
      return `restart ${n.id} (term ${hs.term}, vote ${hs.vote}, commit ${hs.commit}, snapshot ${n.storage.snapshot().metadata.index}, last ${n.storage.lastIndex()})`;
    });
    this.checker.onRestart(n);
  }

  campaign(n: SimNode): void {
    this.call(n, 'campaign', (raw) => {
      raw.campaign();
    });
  }

  setPartition(p: Partition): void {
    this.trace(() => `partition ${p.label}`);
    if (p.blocked.size > 0) this.stats.partitions++;
    this.network.partition = p;
  }

  setFaults(f: LinkFaults): void {
    this.trace(() => `faults ${JSON.stringify(f)}`);
    this.network.faults = f;
  }
}

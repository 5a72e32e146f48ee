import type { Logger } from 'pino';
import {
  CompactedError,
  ConfChangeType,
  EntryType,
  NONE,
  ProposalDroppedError,
  RawNode,
  SnapshotOutOfDateError,
  decodeConfChange,
  index,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Index,
  type Message,
  type NodeId,
  type RandomInt,
  type Ready,
  type Role,
  type Snapshot,
  type Storage,
  type Term,
} from '../raft/index.js';
import {
  LeadershipLostError,
  NotLeaderError,
  RedraftError,
  RequestTimeoutError,
  ShuttingDownError,
} from '../errors.js';
import type { Transport } from '../transport/transport.js';
import type { SnapshotInfo } from './cluster-admin.js';
import type { RaftNodeObserver } from './node-observer.js';
import type { Ticker } from './ticker.js';

/** Upper bound on the bytes applied in one go outside the Ready loop. */
const EARLY_APPLY_BYTES = 4 * 1024 * 1024;

/** How long an unanswered linearizable ReadIndex round holds back the next (see readRoundOut). */
const READ_ROUND_PATIENCE_MS = 20;

/** The durable Raft log the node writes each Ready to (src/storage implements it). */
export interface DurableLog extends Storage {
  /** Persists one Ready's worth of state as ONE atomic batch, synced when `sync`. */
  persist(
    batch: { hardState?: HardState; entries: readonly Entry[]; snapshot?: Snapshot },
    sync: boolean,
  ): Promise<void>;
  /** Records a snapshot of this node's own applied state; the log is kept until compacted. */
  recordSnapshot(snapshot: Snapshot): Promise<void>;
  /** Discards entries before `index` (never beyond the recorded snapshot). */
  compact(index: Index): Promise<void>;
  close(): Promise<void>;
}

/** Snapshot files (src/storage implements it). */
export interface SnapshotFiles {
  save(snapshot: Snapshot): Promise<void>;
}

/** The state machine as the node drives it. */
export interface NodeStateMachine<R> {
  apply(entry: Entry): R;
  /**
   * Freezes the current state; serializing may happen later. With `serializeDeferred`, the
   * node writes the snapshot once its promise resolves (see FsmSnapshot).
   */
  snapshot(): { serialize(): Buffer; serializeDeferred?(): Promise<Buffer> };
  restore(data: Uint8Array): void;
  /**
   * Optional: `restore` in two steps, the checks first (throwing as `restore` would) and the
   * replacement on `commit`. A snapshot from the leader is then checked before this member
   * writes it to disk: an image it refuses (e.g. a state that does not hash to its recorded
   * Merkle root) never replaces its own log and snapshots, and it can restart as it was.
   */
  prepareRestore?(data: Uint8Array): { commit(): void };
  /** A conf change was applied (membership metadata travels in its context). */
  applyConfChange(change: ConfChange, confState: ConfState): void;
}

export type ReadConsistency = 'linearizable' | 'lease' | 'stale';

export interface RaftNodeOptions<R> {
  id: NodeId;
  log: DurableLog;
  snapshots: SnapshotFiles;
  /** The snapshot the state machine was restored from at start, if any. */
  initialSnapshot: Snapshot | undefined;
  transport: Transport;
  fsm: NodeStateMachine<R>;
  ticker: Ticker;
  logger: Logger;
  random: RandomInt;
  /** Milliseconds one tick stands for; used to turn tick counts into request timeouts. */
  tickMs: number;
  electionTicks?: number;
  heartbeatTicks?: number;
  /**
   * Take a snapshot and compact the log after this many applied entries. Default 100,000, as
   * etcd's --snapshot-count: a snapshot serializes the whole state on the main thread, so its
   * cost grows with the state, not with the entries since the last one. At 10,000, a 100k-key
   * state under 15k writes/s spent a third of every member's CPU on snapshots (measured with
   * --cpu-prof); the price of fewer is a longer log to replay at start (about a second).
   */
  snapshotEntries?: number;
  /** Entries kept behind a snapshot for followers that are only slightly behind. */
  compactionWindow?: number;
  /** fsync each Ready that needs it. Off only for benchmarks of the non-durable path. */
  sync?: boolean;
  maxSizePerMsg?: number;
  maxInflightMsgs?: number;
  /** Leader lease reads may be requested (needs check-quorum, which is always on). */
  requestTimeoutMs?: number;
  /** Metrics hooks; without one the node takes no timings. */
  observer?: RaftNodeObserver;
}

interface ProposalWaiter<R> {
  readonly term: Term;
  /** performance.now() when proposed; 0 without an observer. */
  readonly proposedAt: number;
  readonly resolve: (result: R) => void;
  readonly reject: (err: Error) => void;
}

/**
 * Reads queued together. They are confirmed by one ReadIndex and served, or failed, all at
 * once, so they share one promise: a read costs a reaction on it, not a promise of its own
 * with its resolving functions (on a leader serving 60,000 GETs a second, one of the larger
 * allocations per GET).
 */
class ReadGroup {
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (err: Error) => void;

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

interface ReadBatch {
  /** Its context, as the readBatches key. */
  readonly key: string;
  readonly reads: ReadGroup;
  readonly deadline: number;
  /** Known once the ReadState arrives: the batch is served when applied reaches it. */
  readIndex: Index | undefined;
  issuedAsLeader: boolean;
}

/**
 * The driver: it ticks the Raft core, and turns each Ready into a durable write, network
 * sends and state machine applies, in the order raw-node.ts prescribes. Proposals arriving
 * while a Ready is being persisted pile up in the core and share the next Ready: that is group
 * commit, and it is where throughput comes from. Nothing here awaits per entry.
 */
export class RaftNode<R> {
  readonly id: NodeId;
  readonly rawNode: RawNode;
  private readonly log: DurableLog;
  private readonly snapshots: SnapshotFiles;
  private readonly transport: Transport;
  private readonly fsm: NodeStateMachine<R>;
  private readonly ticker: Ticker;
  private readonly logger: Logger;
  private readonly tickMs: number;
  private readonly snapshotEntries: number;
  private readonly compactionWindow: number;
  private readonly sync: boolean;
  private readonly requestTimeoutMs: number;
  private readonly observer: RaftNodeObserver | undefined;

  private confState: ConfState;
  private latestSnapshot: Snapshot | undefined;
  /** When latestSnapshot was saved or installed (the start, for one loaded at start), ms. */
  private latestSnapshotAt = Date.now();
  private appliedIndex: Index;
  private role: Role = 'follower';
  private leaderId: NodeId = NONE;
  private readonly proposals = new Map<number, ProposalWaiter<R>>();
  /** Reads not yet sent to the core, by consistency; each group becomes one ReadIndex. */
  private queuedReads: { linearizable?: ReadGroup; lease?: ReadGroup } = {};
  private readonly readBatches = new Map<string, ReadBatch>();
  /**
   * The linearizable ReadIndex round waiting for its quorum, if any. While one is out, new
   * reads queue for the next round instead of starting their own, as etcd's read loop does:
   * each round costs every follower a message in and out, and under load rounds overlapped by
   * the dozen, each for a handful of reads. A read waits at most one extra round trip. A round
   * that is not answered within READ_ROUND_PATIENCE_MS (a lost message) stops holding others.
   */
  private readRoundOut: { readonly batch: ReadBatch; readonly issuedAt: number } | undefined;
  private nextReadContext = 1;
  /**
   * Read contexts must be unique across the cluster: the leader keeps one pending ReadIndex
   * per context and ignores a duplicate, so two followers' batches numbered alike would
   * leave one unanswered until it timed out. A context is this node's id, this incarnation's
   * random number (a restarted node's numbering starts again) and the batch number.
   */
  private readonly readIncarnation: number;
  private processing = false;
  private processAgain = false;
  private scheduled = false;
  private stopped = false;
  private closing: Promise<void> | undefined;
  private failed: Error | undefined;
  private readonly stateListeners = new Set<() => void>();
  private readonly appliedListeners = new Set<(index: Index) => void>();
  /** Milliseconds since start, advanced by ticks: request deadlines live on this clock. */
  private elapsedMs = 0;
  /** The snapshot being written in the background, if any. */
  private snapshotTask: Promise<void> | undefined;
  /** Take a snapshot at the next chance, however few entries were applied since the last. */
  private snapshotWanted = false;
  /** Conf change proposers waiting for the core to count their entry applied. */
  private coreAppliedWaiters: {
    readonly at: Index;
    readonly resolve: () => void;
    readonly reject: (err: Error) => void;
  }[] = [];
  /** Callers of takeSnapshot, answered once a snapshot reaches their index. */
  private snapshotWaiters: {
    readonly target: Index;
    readonly resolve: (info: SnapshotInfo) => void;
    readonly reject: (err: Error) => void;
  }[] = [];
  private refusedSinceReport = 0;
  private nextRefusalReportMs = 0;

  constructor(options: RaftNodeOptions<R>) {
    this.id = options.id;
    this.log = options.log;
    this.snapshots = options.snapshots;
    this.transport = options.transport;
    this.fsm = options.fsm;
    this.ticker = options.ticker;
    this.logger = options.logger;
    this.tickMs = options.tickMs;
    this.snapshotEntries = options.snapshotEntries ?? 100_000;
    this.compactionWindow = options.compactionWindow ?? Math.min(5_000, this.snapshotEntries);
    this.sync = options.sync ?? true;
    this.observer = options.observer;
    this.latestSnapshot = options.initialSnapshot;
    const electionTicks = options.electionTicks ?? 10;
    this.requestTimeoutMs = options.requestTimeoutMs ?? electionTicks * options.tickMs * 3;
    this.readIncarnation = options.random(0x1_0000_0000);
    const applied = options.initialSnapshot?.metadata.index ?? index(0);
    this.appliedIndex = applied;
    this.confState =
      options.initialSnapshot?.metadata.confState ?? this.log.initialState().confState;

    // The core reads the log through this view, which adds the snapshot *with its data*
    // (the log keeps only snapshot metadata) so that lagging followers can be sent it.
    const storage: Storage = {
      initialState: () => this.log.initialState(),
      entries: (lo, hi, maxBytes) => this.log.entries(lo, hi, maxBytes),
      term: (i) => this.log.term(i),
      lastIndex: () => this.log.lastIndex(),
      firstIndex: () => this.log.firstIndex(),
      snapshot: () => this.latestSnapshot ?? this.log.snapshot(),
    };
    this.rawNode = new RawNode({
      id: options.id,
      storage,
      applied,
      electionTick: electionTicks,
      heartbeatTick: options.heartbeatTicks ?? 1,
      maxSizePerMsg: options.maxSizePerMsg ?? 1024 * 1024,
      maxInflightMsgs: options.maxInflightMsgs ?? 256,
      checkQuorum: true,
      preVote: true,
      random: options.random,
      logger: options.logger.child({ component: 'raft' }),
    });
  }

  async start(): Promise<void> {
    await this.transport.start(
      (m) => {
        this.onMessage(m);
      },
      {
        unreachable: (to) => {
          this.rawNode.reportUnreachable(to);
        },
        snapshotStatus: (to, ok) => {
          this.rawNode.reportSnapshot(to, ok);
          this.schedule();
        },
      },
    );
    this.ticker.start(() => {
      this.onTick();
    });
    this.schedule();
  }

  // -------------------------------------------------------------------------------------
  // Public API

  get isLeader(): boolean {
    return this.role === 'leader';
  }

  get leader(): NodeId {
    return this.leaderId;
  }

  get applied(): Index {
    return this.appliedIndex;
  }

  /** The highest index this node knows to be committed (its core's view, always current). */
  get commitIndex(): Index {
    return this.rawNode.raft.raftLog.committed;
  }

  /** Why the node stopped on its own (fail-stop), or undefined while it has not. */
  get failure(): Error | undefined {
    return this.failed;
  }

  get currentConfState(): ConfState {
    return this.confState;
  }

  /**
   * Committed entries in [lo, hi) at most `maxBytes` of them (always at least one), for the
   * audit view. Entries before the log's first index were compacted into a snapshot and are
   * gone: `firstIndex` says where the log starts, and asking below it returns no entries.
   */
  committedEntries(
    lo: Index,
    hi: Index,
    maxBytes: number,
  ): { firstIndex: Index; entries: Entry[] } {
    const log = this.rawNode.raft.raftLog;
    const firstIndex = log.firstIndex();
    const end = Math.min(hi, log.committed + 1);
    if (lo < firstIndex || lo >= end) return { firstIndex, entries: [] };
    return { firstIndex, entries: log.slice(lo, index(end), maxBytes) };
  }

  /** Called whenever the role or the known leader changes. */
  onStateChange(listener: () => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Called after each batch of entries is applied. */
  onApplied(listener: (index: Index) => void): () => void {
    this.appliedListeners.add(listener);
    return () => this.appliedListeners.delete(listener);
  }

  /**
   * Proposes an entry and resolves with the state machine's result once it is applied here.
   * Only the leader accepts proposals; others throw {@link NotLeaderError} naming the leader.
   */
  propose(data: Uint8Array): Promise<R> {
    this.checkRunning();
    const notLeader = this.notLeader();
    if (notLeader !== undefined) return Promise.reject(notLeader);
    let receipt;
    try {
      receipt = this.rawNode.propose(data);
    } catch (err) {
      return Promise.reject(this.mapCoreError(err));
    }
    // Unreachable while the core leads; if it ever is, the core forwarded the entry to
    // another leader, which may commit it: the outcome is unknown, not "not applied".
    if (receipt === undefined) return Promise.reject(new LeadershipLostError());
    return this.awaitApply(receipt.term, receipt.index);
  }

  /** The promise of a proposal the core accepted at `at`, settled when that index applies. */
  private awaitApply(term: Term, at: Index): Promise<R> {
    const observer = this.observer;
    let proposedAt = 0;
    if (observer !== undefined) {
      observer.proposed();
      proposedAt = performance.now();
    }
    const promise = new Promise<R>((resolve, reject) => {
      this.proposals.set(at, { term, proposedAt, resolve, reject });
    });
    this.schedule();
    return promise;
  }

  /**
   * Proposes without waiting for the result and without requiring leadership: a follower's
   * core forwards it to the leader. For idempotent housekeeping entries only.
   */
  proposeForwarded(data: Uint8Array): void {
    try {
      this.rawNode.propose(data);
      this.schedule();
    } catch (err) {
      if (!(err instanceof ProposalDroppedError)) throw err;
    }
  }

  /**
   * Proposes a membership change; resolves with the new ConfState once it is applied, by the
   * state machine and by the core (which refuses the next change until then).
   */
  proposeConfChange(change: ConfChange): Promise<ConfState> {
    this.checkRunning();
    const notLeader = this.notLeader();
    if (notLeader !== undefined) return Promise.reject(notLeader);
    let receipt;
    try {
      receipt = this.rawNode.proposeConfChange(change);
    } catch (err) {
      return Promise.reject(this.mapCoreError(err));
    }
    if (receipt === undefined) return Promise.reject(new LeadershipLostError());
    const at = receipt.index;
    return this.awaitApply(receipt.term, at)
      .then(() => this.coreApplied(at))
      .then(() => this.confState);
  }

  /**
   * Resolves once the core counts `at` as applied. Entries are applied before the Ready that
   * carries them is advanced (see applyCommittedNow), and only advancing tells the core.
   */
  private coreApplied(at: Index): Promise<void> {
    if (this.rawNode.raft.raftLog.applied >= at) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.coreAppliedWaiters.push({ at, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Resolves when local state may be read at the given consistency: `linearizable` waits for
   * a ReadIndex confirmed by a quorum (batched with other reads) and for the state machine
   * to reach it; `lease` trusts the leader's lease; `stale` resolves at once.
   */
  read(consistency: ReadConsistency): Promise<void> {
    this.checkRunning();
    if (consistency === 'stale') return Promise.resolve();
    const group = (this.queuedReads[consistency] ??= new ReadGroup());
    this.schedule();
    return group.promise;
  }

  transferLeadership(to: NodeId): void {
    this.rawNode.transferLeader(to);
    this.schedule();
  }

  /** Steps down gracefully: hands leadership to the most caught-up voter and waits (bounded). */
  async handOverLeadership(timeoutMs: number): Promise<boolean> {
    if (this.role !== 'leader') return true;
    const status = this.rawNode.status();
    let best: NodeId = NONE;
    let bestMatch = -1;
    for (const [id, pr] of status.progress ?? []) {
      if (id === this.id || pr.isLearner || !this.confState.voters.includes(id)) continue;
      if (pr.match > bestMatch) {
        best = id;
        bestMatch = pr.match;
      }
    }
    if (best === NONE) return false;
    const handed = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        unsubscribe();
        resolve(false);
      }, timeoutMs);
      const unsubscribe = this.onStateChange(() => {
        if (this.role === 'leader') return;
        clearTimeout(timer);
        unsubscribe();
        resolve(true);
      });
    });
    this.transferLeadership(best);
    return handed;
  }

  status(): ReturnType<RawNode['status']> {
    return this.rawNode.status();
  }

  /**
   * Whether a membership change was proposed and is not applied yet (the core accepts one at a
   * time). A new leader counts everything it has not applied yet as possibly one.
   */
  membershipChangePending(): boolean {
    const raft = this.rawNode.raft;
    return raft.pendingConfIndex > raft.raftLog.applied || this.confState.votersOutgoing.length > 0;
  }

  /** This member's latest snapshot and whether one is being written (INFO persistence). */
  snapshotStatus(): {
    readonly index: number;
    /** When it was saved, installed, or (for one loaded at start) when the node started, ms. */
    readonly savedAtMs: number;
    readonly inProgress: boolean;
  } {
    return {
      index: this.latestSnapshot?.metadata.index ?? 0,
      savedAtMs: this.latestSnapshotAt,
      inProgress: this.snapshotTask !== undefined,
    };
  }

  /**
   * Takes a snapshot of the applied state now, unless the latest one already covers it, and
   * compacts the log behind it as the automatic snapshots do. Resolves with the latest snapshot
   * once it is durable. The snapshot itself is taken by the Ready loop, where every applied
   * entry is known to be durable in the local log (a snapshot must not cover entries that
   * were applied early and are still being written).
   */
  takeSnapshot(): Promise<SnapshotInfo> {
    this.checkRunning();
    const target = this.appliedIndex;
    if (this.latestSnapshot !== undefined && this.latestSnapshot.metadata.index >= target) {
      return Promise.resolve(snapshotInfo(this.latestSnapshot));
    }
    if (target === 0) {
      return Promise.reject(new RedraftError('INVALID_CHANGE', 'nothing has been applied yet'));
    }
    return new Promise<SnapshotInfo>((resolve, reject) => {
      this.snapshotWaiters.push({ target, resolve, reject });
      this.snapshotWanted = true;
      this.schedule();
    });
  }

  /** Stops ticking, fails what is pending, closes transport and log. */
  async stop(): Promise<void> {
    // Also after a fail-stop, which only stops the node's own work: the transport's server
    // would otherwise keep the process alive, and a dead member must not hold its port.
    this.closing ??= this.close();
    return this.closing;
  }

  private async close(): Promise<void> {
    this.stopped = true;
    this.ticker.stop();
    // Let a Ready in progress finish its write, so the log is left consistent.
    while (this.processing) await new Promise((r) => setImmediate(r));
    await this.snapshotTask;
    this.failAll(new ShuttingDownError());
    await this.transport.close();
    await this.log.close();
  }

  // -------------------------------------------------------------------------------------
  // Inputs

  private onMessage(m: Message): void {
    if (this.stopped) return;
    try {
      this.rawNode.step(m);
    } catch (err) {
      this.reportRefused(m, err);
      return;
    }
    this.applyCommittedNow();
    this.schedule();
  }

  /**
   * Applies entries the moment the core learns they are committed, instead of when the Ready
   * loop next comes round — it may be waiting on this node's own fsync, a full disk round trip
   * during which the clients of already-committed writes would wait too. Safe before the
   * entries are durable here: committed means durable on a quorum, and a crash loses only
   * in-memory state that is rebuilt from the snapshot and the log (or from the leader).
   * The Ready loop skips what was applied here.
   */
  private applyCommittedNow(): void {
    if (this.failed !== undefined || this.stopped) return;
    const log = this.rawNode.raft.raftLog;
    const committed = log.committed;
    if (committed <= this.appliedIndex || log.hasPendingSnapshot()) return;
    const lo = this.appliedIndex + 1;
    if (lo < log.firstIndex()) return; // a snapshot is on its way: the Ready loop handles it
    try {
      const entries = log.slice(index(lo), index(committed + 1), EARLY_APPLY_BYTES);
      this.applyRange(entries, 0, entries.length);
    } catch (err) {
      this.fail(err);
      return;
    }
    this.serveReads();
    for (const listener of this.appliedListeners) listener(this.appliedIndex);
  }

  /**
   * Logs a message the core refused, at most once a second: the cause usually persists (the
   * same heartbeat arrives every tick), and a log line per message would flood the log.
   */
  private reportRefused(m: Message, err: unknown): void {
    this.refusedSinceReport++;
    if (this.elapsedMs < this.nextRefusalReportMs) return;
    this.nextRefusalReportMs = this.elapsedMs + 1000;
    const fields = { err, from: m.from, type: m.type, refused: this.refusedSinceReport };
    this.refusedSinceReport = 0;
    if (m.commit > this.log.lastIndex()) {
      // Only a log that lost entries it had acknowledged gets here; the core cannot repair it.
      this.logger.error(
        { ...fields, commit: m.commit, lastIndex: this.log.lastIndex() },
        'the leader believes this member holds log entries it does not have (lost or replaced data directory): it cannot catch up until the leader changes; replace this member',
      );
      return;
    }
    this.logger.warn(fields, 'dropped a message the core refused');
  }

  private onTick(): void {
    if (this.stopped) return;
    this.elapsedMs += this.tickMs;
    this.rawNode.tick();
    this.expireReads();
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.process();
    });
  }

  // -------------------------------------------------------------------------------------
  // The Ready loop

  private async process(): Promise<void> {
    if (this.processing) {
      this.processAgain = true;
      return;
    }
    if (this.failed !== undefined) return;
    this.processing = true;
    try {
      do {
        this.processAgain = false;
        this.issueQueuedReads();
        while (this.rawNode.hasReady()) {
          const rd = this.rawNode.ready();
          await this.handleReady(rd);
          this.rawNode.advance(rd);
          this.answerCoreAppliedWaiters();
          this.serveReads();
          for (const listener of this.appliedListeners) listener(this.appliedIndex);
        }
        this.maybeSnapshot();
      } while (this.anotherPassRequested() && !this.isStopped());
    } catch (err) {
      this.fail(err);
    } finally {
      this.processing = false;
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    // 0. A leader's appends and heartbeats go out at once, so that followers write to their
    //    disks while we write to ours; the leader counts its own copy only after advance().
    if (rd.earlyMessages.length > 0) this.transport.send(rd.earlyMessages);
    // Committed entries that an earlier Ready already made durable here are applied now,
    // without waiting for this Ready's disk write: their clients get answers one fsync
    // sooner. The rest (committed entries among this Ready's own) wait for step 1.
    const firstNew = rd.entries.length > 0 ? rd.entries[0]!.index : Number.POSITIVE_INFINITY;
    let applyNow = 0;
    while (
      applyNow < rd.committedEntries.length &&
      rd.committedEntries[applyNow]!.index < firstNew
    ) {
      applyNow++;
    }
    this.applyRange(rd.committedEntries, 0, applyNow);
    // 1. Durable first: the snapshot file, then entries + hard state (+ snapshot metadata)
    //    in one atomic batch. Nothing that depends on them is sent before this completes. A
    //    snapshot is checked before it is written: a refused one fails this node (below, in
    //    process) with its disk as it was.
    let restore: { commit(): void } | undefined;
    if (rd.snapshot !== undefined) {
      const data = rd.snapshot.data;
      restore = this.fsm.prepareRestore?.(data) ?? {
        commit: () => {
          this.fsm.restore(data);
        },
      };
      await this.snapshots.save(rd.snapshot);
    }
    const batch: { hardState?: HardState; entries: readonly Entry[]; snapshot?: Snapshot } = {
      entries: rd.entries,
    };
    if (rd.hardState !== undefined) batch.hardState = rd.hardState;
    if (rd.snapshot !== undefined) batch.snapshot = rd.snapshot;
    if (rd.entries.length > 0 || rd.hardState !== undefined || rd.snapshot !== undefined) {
      await this.log.persist(batch, rd.mustSync && this.sync);
    }
    // 2. Send.
    if (rd.messages.length > 0) this.transport.send(rd.messages);
    // 3. Apply.
    if (rd.snapshot !== undefined) {
      restore!.commit();
      this.latestSnapshot = rd.snapshot;
      this.latestSnapshotAt = Date.now();
      this.confState = rd.snapshot.metadata.confState;
      this.appliedIndex = rd.snapshot.metadata.index;
      this.observer?.snapshotInstalled(rd.snapshot.data.length);
      this.logger.info(
        { index: rd.snapshot.metadata.index },
        'restored state from leader snapshot',
      );
    }
    this.applyRange(rd.committedEntries, applyNow, rd.committedEntries.length);
    // 4. Reads: record where each batch may be served; serveReads() resolves them.
    for (const rs of rd.readStates) {
      const batchState = this.readBatches.get(contextKey(rs.context));
      if (batchState !== undefined) batchState.readIndex = rs.index;
    }
    if (this.readRoundOut !== undefined && this.readRoundOut.batch.readIndex !== undefined) {
      this.readRoundOut = undefined;
      // The reads that queued behind it go out as the next round.
      if (this.queuedReads.linearizable !== undefined) this.processAgain = true;
    }
    if (rd.softState !== undefined) this.onSoftState(rd.softState.role, rd.softState.lead);
  }

  /**
   * Applies `entries[from..to)`. Observed, each entry's time is measured from the end of the
   * previous one: one clock read per entry.
   */
  private applyRange(entries: readonly Entry[], from: number, to: number): void {
    const observer = this.observer;
    if (observer === undefined) {
      for (let i = from; i < to; i++) this.applyEntry(entries[i]!);
      return;
    }
    let started = performance.now();
    for (let i = from; i < to; i++) {
      if (!this.applyEntry(entries[i]!)) continue;
      const done = performance.now();
      observer.entryApplied(done - started);
      started = done;
    }
  }

  /** Applies one committed entry and settles its proposal; false if it was applied before. */
  private applyEntry(entry: Entry): boolean {
    if (entry.index <= this.appliedIndex) return false; // applied early (applyCommittedNow)
    let result: R | undefined;
    let error: Error | undefined;
    if (entry.type === EntryType.ConfChange) {
      const change = decodeConfChange(entry.data);
      try {
        const before = this.confState;
        this.confState = this.rawNode.applyConfChange(change);
        this.fsm.applyConfChange(change, this.confState);
        if (addsMember(before, this.confState) && this.log.firstIndex() > 1) {
          // The new member will need a snapshot (the log no longer starts at 1), and a
          // snapshot taken before this change does not list it: the member would refuse it
          // and wait for the next periodic one. Take one that lists it now.
          this.snapshotWanted = true;
        }
      } catch (err) {
        // A change the tracker rejects (e.g. removing the last voter) is a no-op everywhere,
        // deterministically; tell the proposer why.
        error = new RedraftError('BAD_REQUEST', (err as Error).message);
      }
      for (const c of change.changes) {
        if (c.type === ConfChangeType.Remove) this.transport.removePeer(c.nodeId);
      }
    } else {
      result = this.fsm.apply(entry);
    }
    this.appliedIndex = entry.index;
    const waiter = this.proposals.get(entry.index);
    if (waiter === undefined) return true;
    this.proposals.delete(entry.index);
    if (waiter.term !== entry.term) {
      // Another leader's entry took this slot: our proposal was lost.
      this.observer?.proposalFailed(1);
      waiter.reject(new LeadershipLostError());
    } else {
      this.observer?.proposalApplied(performance.now() - waiter.proposedAt);
      if (error !== undefined) waiter.reject(error);
      else waiter.resolve(result as R);
    }
    return true;
  }

  private onSoftState(role: Role, lead: NodeId): void {
    const wasLeader = this.role === 'leader';
    if (lead !== this.leaderId && lead !== NONE) this.observer?.leaderChanged(lead);
    this.role = role;
    this.leaderId = lead;
    if (wasLeader && role !== 'leader') {
      // Our proposals may or may not commit under the next leader: say so, never "OK".
      if (this.proposals.size > 0) this.observer?.proposalFailed(this.proposals.size);
      for (const waiter of this.proposals.values()) waiter.reject(new LeadershipLostError());
      this.proposals.clear();
      for (const [key, b] of this.readBatches) {
        if (b.issuedAsLeader && b.readIndex === undefined) {
          b.reads.reject(new LeadershipLostError());
          this.readBatches.delete(key);
        }
      }
    }
    this.logger.info({ role, lead, term: this.rawNode.raft.term }, 'raft state changed');
    for (const listener of this.stateListeners) listener();
  }

  private issueQueuedReads(): void {
    for (const consistency of ['linearizable', 'lease'] as const) {
      const reads = this.queuedReads[consistency];
      if (reads === undefined) continue;
      const linearizable = consistency === 'linearizable';
      if (linearizable && this.readRoundOut !== undefined) {
        const { batch, issuedAt } = this.readRoundOut;
        const pending = batch.readIndex === undefined && this.readBatches.has(batch.key);
        if (pending && performance.now() - issuedAt < READ_ROUND_PATIENCE_MS) continue;
        this.readRoundOut = undefined;
      }
      this.queuedReads[consistency] = undefined;
      const context = Buffer.allocUnsafe(16);
      context.writeUInt32BE(this.id, 0);
      context.writeUInt32BE(this.readIncarnation, 4);
      context.writeDoubleBE(this.nextReadContext++, 8);
      const key = contextKey(context);
      const batch: ReadBatch = {
        key,
        reads,
        deadline: this.elapsedMs + this.requestTimeoutMs,
        readIndex: undefined,
        issuedAsLeader: this.role === 'leader',
      };
      this.readBatches.set(key, batch);
      if (linearizable) this.readRoundOut = { batch, issuedAt: performance.now() };
      try {
        this.rawNode.readIndex(context, linearizable ? 'safe' : 'lease');
      } catch (err) {
        if (linearizable) this.readRoundOut = undefined;
        this.readBatches.delete(key);
        reads.reject(this.mapCoreError(err));
      }
    }
  }

  private serveReads(): void {
    for (const [key, b] of this.readBatches) {
      if (b.readIndex !== undefined && this.appliedIndex >= b.readIndex) {
        this.readBatches.delete(key);
        b.reads.resolve();
      }
    }
  }

  private expireReads(): void {
    for (const [key, b] of this.readBatches) {
      if (b.deadline <= this.elapsedMs) {
        this.readBatches.delete(key);
        b.reads.reject(new RequestTimeoutError('linearizable read'));
      }
    }
  }

  // -------------------------------------------------------------------------------------
  // Snapshots

  /**
   * Starts a snapshot once enough entries were applied since the last one. The state is frozen
   * and serialized now, at the applied index; the file, its record and the compaction are
   * written in the background. The Ready loop must not wait for them: a snapshot's fsyncs can
   * take longer than an election timeout on a busy machine, and a leader that stops sending
   * heartbeats meanwhile loses its followers (and check-quorum makes it step down).
   */
  private maybeSnapshot(): void {
    const last = this.latestSnapshot?.metadata.index ?? 0;
    if (this.snapshotTask !== undefined) return;
    if (!this.snapshotWanted && this.appliedIndex - last < this.snapshotEntries) return;
    this.startSnapshot();
  }

  /** Starts writing a snapshot at the applied index, unless the latest is already there. */
  private startSnapshot(): void {
    this.snapshotWanted = false;
    const last = this.latestSnapshot?.metadata.index ?? 0;
    if (this.snapshotTask !== undefined) return;
    if (this.appliedIndex <= last) {
      // E.g. a snapshot from the leader was installed meanwhile: it covers every waiter.
      this.answerSnapshotWaiters();
      return;
    }
    const at = this.appliedIndex;
    const snapTerm = this.rawNode.raft.raftLog.termOrUndefined(at);
    if (snapTerm === undefined) return;
    const started = performance.now();
    const metadata = { index: at, term: snapTerm, confState: this.confState };
    const image = this.fsm.snapshot();
    const data = image.serializeDeferred?.() ?? image.serialize();
    this.snapshotTask = this.writeSnapshot(metadata, data, last, started).finally(() => {
      this.snapshotTask = undefined;
      this.answerSnapshotWaiters();
      // Enough may have been applied meanwhile for the next one.
      this.schedule();
    });
  }

  private answerCoreAppliedWaiters(): void {
    if (this.coreAppliedWaiters.length === 0) return;
    const applied = this.rawNode.raft.raftLog.applied;
    const waiting: typeof this.coreAppliedWaiters = [];
    for (const w of this.coreAppliedWaiters) {
      if (applied >= w.at) w.resolve();
      else waiting.push(w);
    }
    this.coreAppliedWaiters = waiting;
  }

  private answerSnapshotWaiters(): void {
    const latest = this.latestSnapshot;
    if (latest === undefined || this.snapshotWaiters.length === 0) return;
    const waiting: typeof this.snapshotWaiters = [];
    for (const w of this.snapshotWaiters) {
      if (latest.metadata.index >= w.target) w.resolve(snapshotInfo(latest));
      else waiting.push(w);
    }
    this.snapshotWaiters = waiting;
    // A snapshot taken before a waiter's request did not cover it: take another.
    if (waiting.length > 0) this.snapshotWanted = true;
  }

  /** `started`: performance.now() before the state was serialized. */
  private async writeSnapshot(
    metadata: Snapshot['metadata'],
    data: Buffer | Promise<Buffer>,
    previous: number,
    started: number,
  ): Promise<void> {
    const at = metadata.index;
    try {
      const snapshot: Snapshot = { metadata, data: await data };
      await this.snapshots.save(snapshot);
      await this.log.recordSnapshot(snapshot);
      // A newer snapshot from the leader may have been installed meanwhile.
      if ((this.latestSnapshot?.metadata.index ?? 0) < at) {
        this.latestSnapshot = snapshot;
        this.latestSnapshotAt = Date.now();
      }
      // Keep a window of entries behind the snapshot: a follower slightly behind catches up
      // from the log instead of being sent the whole snapshot. And keep everything after the
      // previous snapshot: if this snapshot's file is found damaged at the next start, the
      // previous file plus the log rebuild the state (LevelLogStorage.adoptSnapshot).
      const compactTo = Math.min(at - this.compactionWindow, previous);
      if (compactTo > this.log.firstIndex()) await this.log.compact(index(compactTo));
      const ms = performance.now() - started;
      this.observer?.snapshotTaken(ms, snapshot.data.length);
      this.logger.info(
        { index: at, bytes: snapshot.data.length, ms: Math.round(ms) },
        'snapshot taken and log compacted',
      );
    } catch (err) {
      if (err instanceof SnapshotOutOfDateError || err instanceof CompactedError) {
        // A snapshot from the leader replaced the log while this one was being written.
        this.logger.info({ index: at }, 'local snapshot superseded by a newer one from the leader');
        return;
      }
      if (this.stopped) return;
      this.fail(err);
    }
  }

  // -------------------------------------------------------------------------------------
  // Failure

  private fail(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.failed = error;
    this.logger.fatal({ err: error }, 'raft node failed; stopping (fail-stop)');
    this.failAll(
      new RedraftError('STORAGE_FAILED', `node failed: ${error.message}`, { cause: error }),
    );
    this.ticker.stop();
    this.stopped = true;
    for (const listener of this.failureListeners) listener(error);
  }

  private readonly failureListeners = new Set<(err: Error) => void>();

  /** Called once if the node stops because it could not persist or apply (fail-stop). */
  onFailure(listener: (err: Error) => void): void {
    this.failureListeners.add(listener);
  }

  private failAll(err: Error): void {
    if (this.proposals.size > 0) this.observer?.proposalFailed(this.proposals.size);
    for (const waiter of this.proposals.values()) waiter.reject(err);
    this.proposals.clear();
    for (const b of this.readBatches.values()) b.reads.reject(err);
    this.readBatches.clear();
    this.queuedReads.linearizable?.reject(err);
    this.queuedReads.lease?.reject(err);
    this.queuedReads = {};
    for (const w of this.snapshotWaiters) w.reject(err);
    this.snapshotWaiters = [];
    for (const w of this.coreAppliedWaiters) w.reject(err);
    this.coreAppliedWaiters = [];
  }

  /** Methods, so that the compiler does not narrow these flags across awaits. */
  private isStopped(): boolean {
    return this.stopped;
  }

  private anotherPassRequested(): boolean {
    return this.processAgain;
  }

  private checkRunning(): void {
    if (this.stopped)
      throw this.failed !== undefined
        ? new RedraftError('STORAGE_FAILED', this.failed.message)
        : new ShuttingDownError();
  }

  /**
   * Why this node cannot propose, or undefined if it can. The core decides, not `this.role`:
   * `this.role` follows the core only once a Ready is handled, and in between the core may
   * have stepped down (it stepped a message with a higher term). A follower's core forwards
   * a proposal to the leader it knows, which commits it — while the client would be told
   * -MOVED, i.e. "not applied", and a cluster client would send it again (fault schedule,
   * seed 280282460: a CAS and INCRs answered -MOVED took effect).
   */
  private notLeader(): NotLeaderError | undefined {
    if (this.role === 'leader' && this.rawNode.raft.role === 'leader') return undefined;
    return new NotLeaderError(this.role === 'leader' ? this.rawNode.raft.lead : this.leaderId);
  }

  private mapCoreError(err: unknown): Error {
    if (err instanceof ProposalDroppedError) {
      return this.leaderId === NONE
        ? new NotLeaderError(0)
        : new RedraftError('PROPOSAL_DROPPED', err.message);
    }
    return err instanceof Error ? err : new Error(String(err));
  }
}

function snapshotInfo(s: Snapshot): SnapshotInfo {
  return { index: s.metadata.index, term: s.metadata.term, bytes: s.data.length };
}

/** Whether `after` has a voter or learner that `before` did not. */
function addsMember(before: ConfState, after: ConfState): boolean {
  const known = new Set([...before.voters, ...before.learners, ...before.votersOutgoing]);
  return [...after.voters, ...after.learners].some((id) => !known.has(id));
}

function contextKey(context: Uint8Array): string {
  return Buffer.from(context.buffer, context.byteOffset, context.byteLength).toString('latin1');
}

import { Changer, restoreConfig } from './confchange.js';
import { decodeConfChange, encodeConfChange } from './conf-change-codec.js';
import {
  CompactedError,
  ProposalDroppedError,
  RaftInvariantError,
  SnapshotTemporarilyUnavailableError,
} from './errors.js';
import { silentLogger, type RaftLogger } from './logger.js';
import type { Progress } from './progress.js';
import type { RandomInt } from './random.js';
import { RaftLog } from './raft-log.js';
import { ReadOnly } from './read-only.js';
import type { Storage } from './storage.js';
import { confStateOf, ProgressTracker, type ProgressMap, type TrackerConfig } from './tracker.js';
import {
  CAMPAIGN_TRANSFER,
  EMPTY_BYTES,
  EntryType,
  NONE,
  entersJoint,
  index,
  isEmptyHardState,
  isLeaveJoint,
  message,
  term,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Index,
  type Message,
  type MessageType,
  type NodeId,
  type ReadMode,
  type ReadState,
  type Role,
  type Snapshot,
  type SoftState,
  type Term,
} from './types.js';
import { bytesEqual, entriesSize } from './util.js';

export interface RaftConfig {
  id: NodeId;
  /**
   * Ticks without hearing from a leader before a follower campaigns. The actual timeout is
   * drawn from [electionTick, 2*electionTick) each time, so that candidates rarely collide.
   */
  electionTick: number;
  /** Ticks between a leader's heartbeats. Must be less than electionTick. */
  heartbeatTick: number;
  storage: Storage;
  /** The last index the state machine applied before a restart; 0 for a fresh node. */
  applied?: Index;
  /** Byte limit of one MsgApp (batching). Default 1 MiB. */
  maxSizePerMsg?: number;
  /** Byte limit of committed entries in one Ready. Default 64 MiB. */
  maxCommittedSizePerReady?: number;
  /** Uncommitted payload bytes a leader accepts before it drops proposals; 0 = no limit. */
  maxUncommittedEntriesSize?: number;
  /** MsgApps in flight to one follower (pipelining window). Default 256. */
  maxInflightMsgs?: number;
  /** Bytes in flight to one follower; 0 = no limit. */
  maxInflightBytes?: number;
  /** A leader that has not heard from a quorum for an election timeout steps down. */
  checkQuorum?: boolean;
  /** Candidates first ask whether they could win (thesis §9.6), so a partitioned node
   *  rejoining does not disrupt the cluster by bumping the term. */
  preVote?: boolean;
  /** The default for read requests that do not choose: 'safe' (a heartbeat round) or
   *  'lease' (trust the leader lease; requires checkQuorum and bounded clock drift). */
  readOnlyOption?: ReadMode;
  /** Followers drop proposals instead of forwarding them to the leader. */
  disableProposalForwarding?: boolean;
  /** Returns an integer in [0, bound). Inject a seeded source for reproducible runs. */
  random: RandomInt;
  logger?: RaftLogger;
}

type CampaignType = 'pre-election' | 'election' | 'transfer';

/** The leader's view of one member, as reported by {@link Raft.status}. */
export interface ProgressStatus {
  readonly match: Index;
  readonly next: Index;
  readonly state: Progress['state'];
  readonly isLearner: boolean;
  readonly recentActive: boolean;
  readonly paused: boolean;
  readonly inflight: number;
  readonly pendingSnapshot: Index;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly term: Term;
  readonly vote: NodeId;
  readonly commit: Index;
  readonly applied: Index;
  readonly lead: NodeId;
  readonly role: Role;
  readonly leadTransferee: NodeId;
  readonly config: ConfState;
  readonly lastIndex: Index;
  readonly firstIndex: Index;
  /** Only on the leader. */
  readonly progress: ReadonlyMap<NodeId, ProgressStatus> | undefined;
}

function voteResponseType(t: MessageType): MessageType {
  if (t === 'MsgVote') return 'MsgVoteResp';
  if (t === 'MsgPreVote') return 'MsgPreVoteResp';
  throw new RaftInvariantError(`not a vote message: ${t}`);
}

/**
 * The Raft state machine of one member. Synchronous and deterministic: it reacts to `tick`
 * and `step`, and leaves what must be persisted, sent and applied in its fields for
 * {@link RawNode} to collect into a Ready. Section numbers refer to the Raft paper (§) and
 * Ongaro's thesis.
 */
export class Raft {
  readonly id: NodeId;
  term: Term = term(0);
  vote: NodeId = NONE;
  readStates: ReadState[] = [];
  readonly raftLog: RaftLog;
  readonly prs: ProgressTracker;
  role: Role = 'follower';
  /** This node is a learner in the current configuration. */
  isLearner = false;
  /** Messages to send, collected by the next Ready. */
  msgs: Message[] = [];
  lead: NodeId = NONE;
  /** The member leadership is being handed to, or NONE. */
  leadTransferee: NodeId = NONE;
  /** Only one conf change may be pending: this is the index of the latest one proposed. */
  pendingConfIndex: Index = index(0);
  /** Payload bytes appended by this leader and not yet committed. */
  uncommittedSize = 0;
  readOnly = new ReadOnly();
  /** Ticks since the last election timeout reset (or, on a leader, since the last quorum check). */
  electionElapsed = 0;
  heartbeatElapsed = 0;
  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  readonly readOnlyOption: ReadMode;
  readonly heartbeatTimeout: number;
  readonly electionTimeout: number;
  /** Drawn from [electionTimeout, 2*electionTimeout) at every reset. */
  randomizedElectionTimeout = 0;
  readonly disableProposalForwarding: boolean;
  /** Reads that arrived before this leader committed an entry of its own term (§6.4). */
  private pendingReadIndexMessages: Message[] = [];
  /** Appends are batched: proposals mark the log dirty and one MsgApp per follower goes out
   *  when the driver collects the next Ready. */
  private appendBroadcastPending = false;
  /** Likewise, ReadIndex requests arriving together share one heartbeat round. */
  private readBroadcastPending = false;
  /**
   * Leader only: the followers whose answers completed the latest confirmed read round, with
   * this leader a quorum. The next round asks only them (see sendReadRound); undefined sends
   * the next round to everyone.
   */
  private readQuorum: NodeId[] | undefined;
  /** Context of the latest round sent to `readQuorum` alone, while it is unconfirmed. */
  private targetedReadContext: Uint8Array | undefined;
  /** This leader sent TimeoutNow in its term: the transferee may have won with votes that
   *  disregard leases, so this leader's lease proves nothing any more (lease reads go safe). */
  private leaseRevoked = false;
  /**
   * Leader only: ticks since this node became leader, the clock its lease is measured on.
   * Heartbeats carry it (in `index`, plus one so that 0 means "not stamped") and followers
   * echo it back.
   */
  private leaderTicks = 0;
  /** Leader only: voter -> the newest `leaderTicks` stamp it echoed back. */
  private leaseAcks = new Map<NodeId, number>();
  private readonly maxMsgSize: number;
  private readonly maxUncommittedSize: number;
  private readonly random: RandomInt;
  private readonly logger: RaftLogger;

  constructor(config: RaftConfig) {
    validateConfig(config);
    this.id = config.id;
    this.raftLog = new RaftLog(config.storage, config.maxCommittedSizePerReady ?? 64 * 1024 * 1024);
    this.maxMsgSize = config.maxSizePerMsg ?? 1024 * 1024;
    this.maxUncommittedSize = config.maxUncommittedEntriesSize ?? 0;
    this.prs = new ProgressTracker(config.maxInflightMsgs ?? 256, config.maxInflightBytes ?? 0);
    this.electionTimeout = config.electionTick;
    this.heartbeatTimeout = config.heartbeatTick;
    this.checkQuorum = config.checkQuorum ?? false;
    this.preVote = config.preVote ?? false;
    this.readOnlyOption = config.readOnlyOption ?? 'safe';
    this.disableProposalForwarding = config.disableProposalForwarding ?? false;
    this.random = config.random;
    this.logger = config.logger ?? silentLogger;

    const { hardState, confState } = config.storage.initialState();
    this.switchToConfig(...restoreConfig(this.prs, this.raftLog.lastIndex(), confState));
    if (!isEmptyHardState(hardState)) this.loadState(hardState);
    if (config.applied !== undefined && config.applied > 0) this.raftLog.appliedTo(config.applied);
    this.becomeFollower(this.term, NONE);
    this.logger.info(
      {
        term: this.term,
        commit: this.raftLog.committed,
        applied: this.raftLog.applied,
        lastIndex: this.raftLog.lastIndex(),
        lastTerm: this.raftLog.lastTerm(),
        config: this.prs.config.voters.toString(),
      },
      'raft node started',
    );
  }

  softState(): SoftState {
    return { lead: this.lead, role: this.role };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.raftLog.committed };
  }

  // ---------------------------------------------------------------------------------------
  // Sending

  private send(m: Message): void {
    if (m.from === NONE) m.from = this.id;
    if (
      m.type === 'MsgVote' ||
      m.type === 'MsgVoteResp' ||
      m.type === 'MsgPreVote' ||
      m.type === 'MsgPreVoteResp'
    ) {
      // Vote traffic carries an explicit term: a pre-vote asks about a future term, and the
      // answer to it must echo that term rather than the voter's.
      if (m.term === 0) throw new RaftInvariantError(`term should be set when sending ${m.type}`);
    } else {
      if (m.term !== 0)
        throw new RaftInvariantError(`term should not be set when sending ${m.type}`);
      // Proposals and read requests forwarded to the leader are local requests to it.
      if (m.type !== 'MsgProp' && m.type !== 'MsgReadIndex') m.term = this.term;
    }
    this.msgs.push(m);
  }

  /** Sends one MsgApp (or a snapshot) to `to` if flow control allows; true if it sent. */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.prs.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = index(pr.next - 1);
    const prevTerm = this.raftLog.termOrUndefined(prevIndex);
    let entries: Entry[] | undefined;
    if (prevTerm !== undefined) {
      try {
        entries = this.raftLog.entries(pr.next, this.maxMsgSize);
      } catch (err) {
        if (!(err instanceof CompactedError)) throw err;
      }
    }
    if (prevTerm === undefined || entries === undefined) return this.maybeSendSnapshot(to, pr);
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.send(
      message({
        type: 'MsgApp',
        to,
        index: prevIndex,
        logTerm: prevTerm,
        entries,
        commit: this.raftLog.committed,
      }),
    );
    const last = entries.length > 0 ? entries[entries.length - 1]!.index : prevIndex;
    pr.sentEntries(entries.length, entries.length > 0 ? entriesSize(entries) : 0, last);
    return true;
  }

  /** The follower needs entries that were compacted: send the snapshot instead (§7). */
  private maybeSendSnapshot(to: NodeId, pr: Progress): boolean {
    if (!pr.recentActive) {
      this.logger.debug({ to }, 'ignore sending snapshot as the follower is not recently active');
      return false;
    }
    let snapshot: Snapshot;
    try {
      snapshot = this.raftLog.snapshot();
    } catch (err) {
      if (err instanceof SnapshotTemporarilyUnavailableError) {
        this.logger.debug({ to }, 'failed to send snapshot because it is temporarily unavailable');
        return false;
      }
      throw err;
    }
    if (snapshot.metadata.index === 0) throw new RaftInvariantError('need non-empty snapshot');
    this.logger.info(
      {
        to,
        snapshotIndex: snapshot.metadata.index,
        snapshotTerm: snapshot.metadata.term,
        progress: pr.toString(),
      },
      'sending snapshot to a follower behind the compacted log',
    );
    pr.becomeSnapshot(snapshot.metadata.index);
    this.send(message({ type: 'MsgSnap', to, snapshot }));
    return true;
  }

  private sendHeartbeat(to: NodeId, context: Uint8Array): void {
    const pr = this.prs.progress.get(to)!;
    // A follower may not have the leader's whole log: never tell it to commit past its match.
    const commit = index(Math.min(pr.match, this.raftLog.committed));
    const stamp = index(this.leaderTicks + 1);
    this.send(message({ type: 'MsgHeartbeat', to, commit, context, index: stamp }));
  }

  /** Marks every follower for an append at the next flush (batched; see {@link flushBroadcasts}). */
  private bcastAppend(): void {
    this.appendBroadcastPending = true;
  }

  private bcastHeartbeat(): void {
    const context = this.readOnly.lastPendingContext() ?? EMPTY_BYTES;
    this.prs.visit((id) => {
      if (id !== this.id) this.sendHeartbeat(id, context);
    });
    // The heartbeat just sent carries the newest pending read context.
    this.readBroadcastPending = false;
  }

  /**
   * Sends what was batched since the last Ready: appends to every follower (as many MsgApps
   * as flow control allows) and one heartbeat round for the ReadIndex requests that arrived.
   * The driver calls this (through RawNode) before collecting messages.
   */
  flushBroadcasts(): void {
    if (this.role !== 'leader') {
      this.appendBroadcastPending = false;
      this.readBroadcastPending = false;
      return;
    }
    if (this.appendBroadcastPending) {
      this.appendBroadcastPending = false;
      this.prs.visit((id) => {
        if (id === this.id) return;
        // The first append goes out even when empty, to carry the commit index.
        if (this.maybeSendAppend(id, true)) while (this.maybeSendAppend(id, false));
      });
    }
    if (this.readBroadcastPending) this.sendReadRound();
  }

  /**
   * Sends the heartbeat round that confirms the pending ReadIndex requests. A quorum's answers
   * are all a round needs, so once a round has been confirmed, the next asks only the
   * followers whose answers made that quorum: with three voters, one follower instead of two.
   * Under a steady stream of reads that halves the messages every round costs the followers
   * and this leader. Which followers answer makes no difference to safety: any quorum that
   * answers a heartbeat sent after a request arrived confirms that this node still led then.
   * If a targeted round is still unconfirmed when the next one goes out (a chosen follower is
   * slow or gone), that one goes to everyone, and so does every tick's heartbeat, which
   * carries the newest pending context: a lost follower delays reads by at most the driver's
   * patience for a round, never indefinitely.
   */
  private sendReadRound(): void {
    const context = this.readOnly.lastPendingContext();
    const stalled =
      this.targetedReadContext !== undefined && this.readOnly.isPending(this.targetedReadContext);
    if (stalled || this.readQuorum === undefined || context === undefined) {
      this.readQuorum = undefined;
      this.targetedReadContext = undefined;
      this.bcastHeartbeat();
      return;
    }
    for (const id of this.readQuorum) this.sendHeartbeat(id, context);
    this.targetedReadContext = context;
    this.readBroadcastPending = false;
  }

  hasPendingBroadcasts(): boolean {
    return this.role === 'leader' && (this.appendBroadcastPending || this.readBroadcastPending);
  }

  // ---------------------------------------------------------------------------------------
  // Applying and committing

  /** The application has applied up to `applied`. A leader leaves an auto-leave joint config here. */
  appliedTo(applied: Index, appliedBytes: number): void {
    const oldApplied = this.raftLog.applied;
    const newApplied = index(Math.max(applied, oldApplied));
    this.raftLog.appliedTo(newApplied);
    this.reduceUncommittedSize(appliedBytes);
    if (
      this.prs.config.autoLeave &&
      newApplied >= this.pendingConfIndex &&
      this.role === 'leader'
    ) {
      // The joint config is committed and applied: propose leaving it. An empty change is the
      // request to leave (see isLeaveJoint).
      const data = encodeConfChange({ transition: 'auto', changes: [], context: EMPTY_BYTES });
      // Exempt from the uncommitted-size budget (etcd gives it empty data for the same
      // reason): refused, it would never be proposed again and the cluster would stay joint.
      const leave: Entry = { term: term(0), index: index(0), type: EntryType.ConfChange, data };
      if (!this.appendEntry([leave], false)) {
        throw new RaftInvariantError('refused to propose leaving the joint config');
      }
      this.pendingConfIndex = this.raftLog.lastIndex();
      this.bcastAppend();
      this.logger.info(
        { config: this.prs.config.voters.toString() },
        'initiating automatic transition out of joint configuration',
      );
    }
  }

  /** Commits what a quorum has acknowledged. Returns true if the commit index moved. */
  private maybeCommit(): boolean {
    return this.raftLog.maybeCommit(this.prs.committed(), this.term);
  }

  /**
   * Appends entries from a proposal, stamping them with this term. False if refused for size;
   * `budgeted` false exempts them from the uncommitted-size limit (they are still counted).
   */
  private appendEntry(entries: readonly Entry[], budgeted = true): boolean {
    const last = this.raftLog.lastIndex();
    const stamped: Entry[] = new Array<Entry>(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      stamped[i] = { term: this.term, index: index(last + 1 + i), type: e.type, data: e.data };
    }
    if (!this.increaseUncommittedSize(stamped, budgeted)) return false;
    this.raftLog.append(stamped);
    // The leader's own copy counts toward the quorum only once it is durable: the driver
    // reports that through persisted(), which lets it send appends to followers while its
    // own disk write is still under way (thesis §10.2.1).
    return true;
  }

  /**
   * The driver made the log durable up to (`last`, `lastTerm`). On a leader its own copy now
   * counts toward the quorum, which may commit entries.
   */
  persisted(last: Index, lastTerm: Term): void {
    if (this.role !== 'leader' || this.raftLog.zeroTermOnOutOfBounds(last) !== lastTerm) return;
    const self = this.prs.progress.get(this.id);
    if (self === undefined || !self.maybeUpdate(last)) return;
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    }
  }

  private increaseUncommittedSize(entries: readonly Entry[], budgeted: boolean): boolean {
    let size = 0;
    for (const e of entries) size += e.data.length;
    if (
      budgeted &&
      this.maxUncommittedSize > 0 &&
      this.uncommittedSize > 0 &&
      size > 0 &&
      this.uncommittedSize + size > this.maxUncommittedSize
    ) {
      return false;
    }
    this.uncommittedSize += size;
    return true;
  }

  private reduceUncommittedSize(bytes: number): void {
    this.uncommittedSize = bytes >= this.uncommittedSize ? 0 : this.uncommittedSize - bytes;
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.raftLog.zeroTermOnOutOfBounds(this.raftLog.committed) === this.term;
  }

  // ---------------------------------------------------------------------------------------
  // Role transitions

  private reset(newTerm: Term): void {
    if (this.term !== newTerm) {
      this.term = newTerm;
      this.vote = NONE;
    }
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.prs.resetVotes();
    const last = this.raftLog.lastIndex();
    for (const [id, pr] of this.prs.progress) {
      const fresh = this.prs.newProgress(index(last + 1), index(0), pr.isLearner);
      if (id === this.id) fresh.match = last;
      this.prs.progress.set(id, fresh);
    }
    this.pendingConfIndex = index(0);
    this.uncommittedSize = 0;
    this.readOnly = new ReadOnly();
    this.pendingReadIndexMessages = [];
    this.appendBroadcastPending = false;
    this.readBroadcastPending = false;
    this.readQuorum = undefined;
    this.targetedReadContext = undefined;
    this.leaseRevoked = false;
    this.leaderTicks = 0;
    this.leaseAcks = new Map();
  }

  becomeFollower(newTerm: Term, lead: NodeId): void {
    this.reset(newTerm);
    this.lead = lead;
    this.role = 'follower';
    this.logger.debug({ term: this.term, lead }, 'became follower');
  }

  becomeCandidate(): void {
    if (this.role === 'leader')
      throw new RaftInvariantError('invalid transition [leader -> candidate]');
    this.reset(term(this.term + 1));
    this.vote = this.id;
    this.role = 'candidate';
    this.logger.debug({ term: this.term }, 'became candidate');
  }

  becomePreCandidate(): void {
    if (this.role === 'leader')
      throw new RaftInvariantError('invalid transition [leader -> pre-candidate]');
    // A pre-candidate changes neither its term nor its vote: it only asks.
    this.prs.resetVotes();
    this.lead = NONE;
    this.role = 'pre-candidate';
    this.logger.debug({ term: this.term }, 'became pre-candidate');
  }

  becomeLeader(): void {
    if (this.role === 'follower')
      throw new RaftInvariantError('invalid transition [follower -> leader]');
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    const self = this.prs.progress.get(this.id);
    if (self !== undefined) {
      self.becomeReplicate();
      self.recentActive = true; // a leader always hears itself
    }
    // Conservatively treat any unapplied entry as a possible conf change: no new one may be
    // proposed until everything up to here has been applied.
    this.pendingConfIndex = this.raftLog.lastIndex();
    // An empty entry of this term: committing it commits everything before it (§5.4.2), and
    // it tells the leader where its commit index really is (§8).
    if (
      !this.appendEntry([
        { term: term(0), index: index(0), type: EntryType.Normal, data: EMPTY_BYTES },
      ])
    ) {
      throw new RaftInvariantError('empty entry was dropped');
    }
    // The empty entry does not count against the uncommitted-size budget.
    this.uncommittedSize = 0;
    this.logger.info({ term: this.term }, 'became leader');
  }

  // ---------------------------------------------------------------------------------------
  // Elections (§5.2, thesis §9.6 pre-vote)

  private resetRandomizedElectionTimeout(): void {
    this.randomizedElectionTimeout = this.electionTimeout + this.random(this.electionTimeout);
  }

  pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  /** Whether this node may become leader: a voter in the config, not waiting on a snapshot. */
  promotable(): boolean {
    const pr = this.prs.progress.get(this.id);
    return pr !== undefined && !pr.isLearner && !this.raftLog.hasPendingSnapshot();
  }

  private hup(t: CampaignType): void {
    if (this.role === 'leader') {
      this.logger.debug({ term: this.term }, 'ignoring MsgHup because already leader');
      return;
    }
    if (!this.promotable()) {
      this.logger.warn({ term: this.term }, 'is unpromotable and can not campaign');
      return;
    }
    if (this.hasUnappliedConfChanges()) {
      // The config this node would lead with is not settled yet.
      this.logger.warn(
        { term: this.term },
        'cannot campaign: pending configuration changes to apply',
      );
      return;
    }
    this.logger.info({ term: this.term }, 'starting a new election');
    this.campaign(t);
  }

  private hasUnappliedConfChanges(): boolean {
    if (this.raftLog.applied >= this.raftLog.committed) return false;
    const lo = index(Math.max(this.raftLog.applied + 1, this.raftLog.firstIndex()));
    const entries = this.raftLog.slice(
      lo,
      index(this.raftLog.committed + 1),
      Number.MAX_SAFE_INTEGER,
    );
    return entries.some((e) => e.type === EntryType.ConfChange);
  }

  campaign(t: CampaignType): void {
    let voteType: MessageType;
    let voteTerm: Term;
    if (t === 'pre-election') {
      this.becomePreCandidate();
      voteType = 'MsgPreVote';
      // A pre-vote asks about the term this node would campaign in.
      voteTerm = term(this.term + 1);
    } else {
      this.becomeCandidate();
      voteType = 'MsgVote';
      voteTerm = this.term;
    }
    if (this.poll(this.id, true) === 'won') {
      // A single-voter cluster wins at once.
      if (t === 'pre-election') this.campaign('election');
      else this.becomeLeader();
      return;
    }
    const lastIndex = this.raftLog.lastIndex();
    const lastTerm = this.raftLog.lastTerm();
    const voters = [...this.prs.voterIds()].sort((a, b) => a - b);
    for (const id of voters) {
      if (id === this.id) continue;
      this.send(
        message({
          type: voteType,
          to: id,
          term: voteTerm,
          index: lastIndex,
          logTerm: lastTerm,
          context: t === 'transfer' ? CAMPAIGN_TRANSFER : EMPTY_BYTES,
        }),
      );
    }
  }

  private poll(id: NodeId, granted: boolean): 'pending' | 'won' | 'lost' {
    this.prs.recordVote(id, granted);
    return this.prs.tallyVotes().result;
  }

  // ---------------------------------------------------------------------------------------
  // Ticks

  tick(): void {
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.pastElectionTimeout()) {
      this.electionElapsed = 0;
      this.step(message({ type: 'MsgHup', from: this.id }));
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.step(message({ type: 'MsgCheckQuorum', from: this.id }));
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.role === 'leader' && this.leadTransferee !== NONE) this.abortLeaderTransfer();
    }
    if (this.role !== 'leader') return;
    this.leaderTicks++;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.step(message({ type: 'MsgBeat', from: this.id }));
    }
  }

  // ---------------------------------------------------------------------------------------
  // Stepping messages

  /**
   * Feeds one message into the state machine. Throws {@link ProposalDroppedError} when a
   * proposal or read request cannot be accepted.
   */
  step(m: Message): void {
    if ((m.type === 'MsgVoteResp' || m.type === 'MsgPreVoteResp') && m.reject) {
      this.learnCommit(m);
    }
    if (m.term === 0) {
      // A local message.
    } else if (m.term > this.term) {
      if (m.type === 'MsgVote' || m.type === 'MsgPreVote') {
        const force = bytesEqual(m.context, CAMPAIGN_TRANSFER);
        const inLease =
          this.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTimeout;
        if (!force && inLease) {
          // Heard from a leader within the minimum election timeout: the cluster is fine and
          // this candidate is likely a partitioned node coming back (thesis §4.2.3).
          this.logger.debug(
            { term: this.term, from: m.from, msgTerm: m.term },
            'ignored vote request: lease is not expired',
          );
          return;
        }
      }
      if (m.type === 'MsgPreVote') {
        // Never change the term in answer to a pre-vote.
      } else if (m.type === 'MsgPreVoteResp' && !m.reject) {
        // A granted pre-vote carries the future term the pre-candidate asked about; the term
        // only changes if the pre-election is won and a real election begins.
      } else {
        const fromLeader = m.type === 'MsgApp' || m.type === 'MsgHeartbeat' || m.type === 'MsgSnap';
        this.logger.debug(
          { term: this.term, msgType: m.type, from: m.from, msgTerm: m.term },
          'received a message with higher term',
        );
        this.becomeFollower(m.term, fromLeader ? m.from : NONE);
      }
    } else if (m.term < this.term) {
      if (m.type === 'MsgHeartbeat' || m.type === 'MsgApp') {
        // A stale leader, perhaps cut off and now back. Its messages are ignored, and nothing
        // else may ever tell it our term: with check-quorum or pre-vote our term may have been
        // raised without its knowledge, and without them etcd (which answers only then)
        // counts on us campaigning, which a learner, or a node removed, never does. Answering
        // with our term makes it step down (§5.1).
        this.send(message({ type: 'MsgAppResp', to: m.from }));
      } else if (m.type === 'MsgPreVote' || m.type === 'MsgVote') {
        // Reject with our term so that the candidate learns it is behind (§5.1). etcd answers
        // only pre-votes, but a candidate we never send to (a voter of the configuration it
        // knows, a learner of ours) would then learn our term only by luck, and could keep
        // asking for our vote one term too low while we keep campaigning past it.
        this.rejectVote(m);
      }
      return;
    }

    switch (m.type) {
      case 'MsgHup':
        this.hup(this.preVote ? 'pre-election' : 'election');
        return;
      case 'MsgVote':
      case 'MsgPreVote': {
        // We can vote for the node we already voted for (a repeated request), for anyone if we
        // have not voted and know no leader in this term, or in a pre-vote for a future term.
        const canVote =
          this.vote === m.from ||
          (this.vote === NONE && this.lead === NONE) ||
          (m.type === 'MsgPreVote' && m.term > this.term);
        if (canVote && this.raftLog.isUpToDate(m.index, m.logTerm)) {
          this.send(message({ type: voteResponseType(m.type), to: m.from, term: m.term }));
          if (m.type === 'MsgVote') {
            this.electionElapsed = 0;
            this.vote = m.from;
          }
        } else {
          this.rejectVote(m);
        }
        return;
      }
      default:
        switch (this.role) {
          case 'leader':
            this.stepLeader(m);
            return;
          case 'candidate':
          case 'pre-candidate':
            this.stepCandidate(m);
            return;
          case 'follower':
            this.stepFollower(m);
            return;
        }
    }
  }

  /**
   * Rejects a (pre-)vote with our term, and with how far we know the log committed (capped at
   * the candidate's last index) and our term there, for {@link learnCommit}.
   */
  private rejectVote(m: Message): void {
    const commit = index(Math.min(this.raftLog.committed, m.index));
    this.send(
      message({
        type: voteResponseType(m.type),
        to: m.from,
        term: this.term,
        reject: true,
        commit,
        logTerm: this.raftLog.zeroTermOnOutOfBounds(commit),
      }),
    );
  }

  /**
   * A voter that rejected us told us an index it knows committed and its term there. If our
   * entry at that index has that term, Log Matching makes our log identical up to it, so it is
   * committed for us too. This is what keeps a cluster available after its leader removed or
   * demoted itself: the leader steps down as soon as it applies the change, and the remaining
   * voters may never have heard that it committed. Until they apply it they still count the old
   * leader as a voter, and it refuses them (its log is longer) while, no longer a voter, it
   * cannot campaign itself. Learning the commit index here lets them apply the change and elect
   * a leader among themselves.
   */
  private learnCommit(m: Message): void {
    if (this.role === 'leader' || m.commit <= this.raftLog.committed) return;
    if (!this.raftLog.matchTerm(m.commit, m.logTerm)) return;
    this.raftLog.commitTo(m.commit);
    // The newly committed entries may change the membership this election counts votes in
    // (even remove us): give the election up, and campaign again once they are applied.
    if (this.role !== 'follower') this.becomeFollower(this.term, NONE);
  }

  private stepLeader(m: Message): void {
    // Messages that need no progress of the sender.
    switch (m.type) {
      case 'MsgBeat':
        this.bcastHeartbeat();
        return;
      case 'MsgCheckQuorum':
        if (!this.prs.quorumActive()) {
          this.logger.warn(
            { term: this.term },
            'stepped down to follower since quorum is not active',
          );
          this.becomeFollower(this.term, NONE);
        }
        // Start the next round: every other member must prove itself active again.
        this.prs.progress.forEach((pr, id) => {
          if (id !== this.id) pr.recentActive = false;
        });
        return;
      case 'MsgProp':
        this.handleProposal(m);
        return;
      case 'MsgReadIndex':
        if (this.prs.isSingleton()) {
          this.respondToReadIndex(m, this.raftLog.committed);
          return;
        }
        // Until this leader commits an entry of its term it does not know the commit index
        // of the cluster (§8): hold the read.
        if (!this.committedEntryInCurrentTerm()) {
          this.pendingReadIndexMessages.push(m);
          return;
        }
        this.serveReadIndex(m);
        return;
      default:
        break;
    }

    const pr = this.prs.progress.get(m.from);
    if (pr === undefined) {
      this.logger.debug({ from: m.from, msgType: m.type }, 'no progress available for sender');
      return;
    }
    switch (m.type) {
      case 'MsgAppResp':
        this.handleAppendResponse(m, pr);
        return;
      case 'MsgHeartbeatResp':
        this.handleHeartbeatResponse(m, pr);
        return;
      case 'MsgSnapStatus':
        if (pr.state !== 'snapshot') return;
        if (m.reject) {
          // The snapshot did not arrive: forget it, so that the next attempt sends a fresh one.
          pr.pendingSnapshot = index(0);
        }
        pr.becomeProbe();
        // Wait for the follower's answer (or the next heartbeat) before probing.
        pr.msgAppFlowPaused = true;
        return;
      case 'MsgUnreachable':
        // The transport lost a message to it: stop pipelining and probe again.
        if (pr.state === 'replicate') pr.becomeProbe();
        return;
      case 'MsgTransferLeader':
        this.handleTransferLeader(m, pr);
        return;
      default:
        return;
    }
  }

  private handleProposal(m: Message): void {
    if (m.entries.length === 0) throw new RaftInvariantError('stepped empty MsgProp');
    if (!this.prs.progress.has(this.id)) {
      throw new ProposalDroppedError('this node was removed from the configuration');
    }
    if (this.leadTransferee !== NONE) {
      throw new ProposalDroppedError(
        `leadership transfer to ${this.leadTransferee} is in progress`,
      );
    }
    let confIndex: Index | undefined;
    for (let i = 0; i < m.entries.length; i++) {
      const e = m.entries[i]!;
      if (e.type !== EntryType.ConfChange) continue;
      let cc: ConfChange;
      try {
        cc = decodeConfChange(e.data);
      } catch (err) {
        // Every replica decodes it again when applying: refuse it now rather than commit an
        // entry that would stop them all. (A forwarded proposal is peer input.)
        if (err instanceof RaftInvariantError) throw new ProposalDroppedError(err.message);
        throw err;
      }
      const alreadyJoint = this.prs.config.voters.isJoint();
      let refused: string | undefined;
      if (confIndex !== undefined || this.pendingConfIndex > this.raftLog.applied) {
        refused = 'a configuration change is already pending';
      } else if (alreadyJoint && !isLeaveJoint(cc)) {
        refused = 'must transition out of the joint configuration first';
      } else if (!alreadyJoint && isLeaveJoint(cc)) {
        refused = 'not in a joint configuration; refusing the empty conf change';
      }
      if (refused !== undefined) throw new ProposalDroppedError(refused);
      confIndex = index(this.raftLog.lastIndex() + i + 1);
    }
    if (!this.appendEntry(m.entries)) {
      throw new ProposalDroppedError('too many uncommitted entries');
    }
    if (confIndex !== undefined) this.pendingConfIndex = confIndex;
    this.bcastAppend();
  }

  private handleAppendResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      // The follower's log does not match at m.index. Its hint (rejectHint, logTerm) is the
      // last entry it has with a term <= the one we sent; skipping to the last entry of ours
      // with a term <= that hint jumps over a whole conflicting term per round trip.
      let nextProbe = m.rejectHint;
      if (m.logTerm > 0) nextProbe = this.raftLog.findConflictByTerm(m.rejectHint, m.logTerm).index;
      if (pr.maybeDecrTo(m.index, nextProbe)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.maybeSendAppend(m.from, true);
      }
      return;
    }
    const oldPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index) && !(pr.match === m.index && pr.state === 'probe')) return;
    if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else if (pr.state === 'snapshot' && pr.match + 1 >= this.raftLog.firstIndex()) {
      // The follower caught up past the snapshot (or our log covers it): resume replication.
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') {
      pr.inflights.freeLE(m.index);
    }
    if (this.maybeCommit()) {
      this.releasePendingReadIndexMessages();
      this.bcastAppend();
    } else if (oldPaused) {
      this.maybeSendAppend(m.from, true);
    }
    // The window may have opened: send as much as flow control now allows.
    while (this.maybeSendAppend(m.from, false));
    if (m.from === this.leadTransferee && pr.match === this.raftLog.lastIndex()) {
      this.logger.info({ to: m.from }, 'sent MsgTimeoutNow after the transferee caught up');
      this.sendTimeoutNow(m.from);
    }
  }

  private handleHeartbeatResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (m.index > 0) {
      const sentAt = m.index - 1;
      if (sentAt > (this.leaseAcks.get(m.from) ?? -1)) this.leaseAcks.set(m.from, sentAt);
    }
    pr.msgAppFlowPaused = false;
    // A full window may be full of lost appends: nothing would ever be sent to this follower
    // again. Free one slot per heartbeat; the follower rejects the gap if the appends were
    // lost, which sends the leader back to probing from its match.
    if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
    if (pr.match < this.raftLog.lastIndex() || pr.state === 'probe')
      this.maybeSendAppend(m.from, true);
    if (m.context.length === 0) return;
    const acks = this.readOnly.recvAck(m.from, m.context);
    if (acks === undefined) return;
    const votes = new Map<NodeId, boolean>();
    for (const id of acks) votes.set(id, true);
    if (this.prs.config.voters.voteResult(votes) !== 'won') return;
    // Acks gathered under an older configuration may name members that have since left.
    const followers = [...acks].filter((id) => id !== this.id && this.prs.progress.has(id));
    const current = new Map<NodeId, boolean>([[this.id, true]]);
    for (const id of followers) current.set(id, true);
    this.readQuorum = this.prs.config.voters.voteResult(current) === 'won' ? followers : undefined;
    this.targetedReadContext = undefined;
    for (const status of this.readOnly.advance(m.context)) {
      this.respondToReadIndex(status.request, status.index);
    }
  }

  private handleTransferLeader(m: Message, pr: Progress): void {
    if (pr.isLearner) {
      this.logger.debug({ to: m.from }, 'ignored transferring leadership to a learner');
      return;
    }
    const transferee = m.from;
    if (this.leadTransferee !== NONE) {
      if (this.leadTransferee === transferee) return; // already under way
      this.abortLeaderTransfer();
    }
    if (transferee === this.id) return; // already leader
    // The transfer must finish within one election timeout or it is abandoned.
    this.electionElapsed = 0;
    this.leadTransferee = transferee;
    this.logger.info({ to: transferee }, 'starting leadership transfer');
    if (pr.match === this.raftLog.lastIndex()) this.sendTimeoutNow(transferee);
    else this.maybeSendAppend(transferee, true);
  }

  private sendTimeoutNow(to: NodeId): void {
    this.leaseRevoked = true;
    this.send(message({ type: 'MsgTimeoutNow', to }));
  }

  abortLeaderTransfer(): void {
    this.leadTransferee = NONE;
  }

  private serveReadIndex(m: Message): void {
    const lease =
      (m.leaseRead || this.readOnlyOption === 'lease') &&
      this.checkQuorum &&
      !this.leaseRevoked &&
      this.leaseHolds();
    if (lease) {
      // No other leader can exist yet (see leaseHolds): the commit index is current without a
      // round trip. Otherwise the read takes the safe path below rather than failing.
      this.respondToReadIndex(m, this.raftLog.committed);
      return;
    }
    this.readOnly.addRequest(this.raftLog.committed, m);
    // The leader's own acknowledgement counts toward the quorum.
    this.readOnly.recvAck(this.id, m.context);
    this.readBroadcastPending = true;
  }

  /**
   * Whether a quorum of voters acknowledged a heartbeat this leader sent at most
   * `electionTimeout - 2` of its ticks ago. A voter that received a heartbeat refuses votes
   * (check-quorum) until a full election timeout of ITS ticks has passed since then; one tick
   * of margin covers where in a tick the heartbeat arrived, one where in a tick this check
   * runs. Every possible new leader needs a vote from that quorum, so none can exist while
   * this holds — given tick rates that agree, and voters that do not restart (a restarted
   * voter forgets whom it heard). Measuring from when the heartbeat was SENT, not when its
   * answer arrived, is what makes a delayed answer harmless; etcd's check-quorum-only lease
   * can outlive a partition by up to a second election timeout.
   */
  private leaseHolds(): boolean {
    const horizon = this.leaderTicks - (this.electionTimeout - 2);
    const votes = new Map<NodeId, boolean>();
    this.prs.visit((id, pr) => {
      if (pr.isLearner) return;
      votes.set(id, id === this.id || (this.leaseAcks.get(id) ?? -1) >= horizon);
    });
    return this.prs.config.voters.voteResult(votes) === 'won';
  }

  private respondToReadIndex(request: Message, readIndex: Index): void {
    if (request.from === NONE || request.from === this.id) {
      this.readStates.push({ index: readIndex, context: request.context });
      return;
    }
    this.send(
      message({
        type: 'MsgReadIndexResp',
        to: request.from,
        index: readIndex,
        context: request.context,
      }),
    );
  }

  private releasePendingReadIndexMessages(): void {
    if (this.pendingReadIndexMessages.length === 0) return;
    if (!this.committedEntryInCurrentTerm()) return;
    const pending = this.pendingReadIndexMessages;
    this.pendingReadIndexMessages = [];
    for (const m of pending) this.serveReadIndex(m);
  }

  private stepCandidate(m: Message): void {
    // A pre-candidate only counts answers to pre-votes, a candidate only to votes: a stale
    // answer from the other kind of election is ignored.
    const myVoteResponse: MessageType =
      this.role === 'pre-candidate' ? 'MsgPreVoteResp' : 'MsgVoteResp';
    switch (m.type) {
      case 'MsgProp':
        throw new ProposalDroppedError('no leader');
      case 'MsgReadIndex':
        throw new ProposalDroppedError('no leader');
      case 'MsgApp':
        this.becomeFollower(m.term, m.from); // always m.term === this.term here
        this.handleAppendEntries(m);
        return;
      case 'MsgHeartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case 'MsgSnap':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case myVoteResponse: {
        const result = this.poll(m.from, !m.reject);
        if (result === 'won') {
          if (this.role === 'pre-candidate') {
            this.campaign('election');
          } else {
            this.becomeLeader();
            this.bcastAppend();
          }
        } else if (result === 'lost') {
          // A pre-vote rejection with a higher term already made us a follower in step().
          this.becomeFollower(this.term, NONE);
        }
        return;
      }
      case 'MsgTimeoutNow':
        this.logger.debug({ from: m.from }, 'ignored MsgTimeoutNow as a candidate');
        return;
      default:
        return;
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'MsgProp':
        if (this.lead === NONE) throw new ProposalDroppedError('no leader');
        if (this.disableProposalForwarding)
          throw new ProposalDroppedError('proposal forwarding is disabled');
        m.to = this.lead;
        this.send(m);
        return;
      case 'MsgApp':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppendEntries(m);
        return;
      case 'MsgHeartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case 'MsgSnap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case 'MsgTransferLeader':
        if (this.lead === NONE) {
          this.logger.debug({}, 'no leader; dropping leader transfer request');
          return;
        }
        m.to = this.lead;
        this.send(m);
        return;
      case 'MsgTimeoutNow':
        // The leader asks us to take over: campaign now, without pre-vote, and with the
        // transfer flag so that voters disregard their leader lease.
        this.logger.info(
          { from: m.from, term: this.term },
          'received MsgTimeoutNow; starting election for leadership transfer',
        );
        this.hup('transfer');
        return;
      case 'MsgReadIndex':
        if (this.lead === NONE) throw new ProposalDroppedError('no leader');
        m.to = this.lead;
        this.send(m);
        return;
      case 'MsgReadIndexResp':
        this.readStates.push({ index: m.index, context: m.context });
        return;
      default:
        return;
    }
  }

  private handleAppendEntries(m: Message): void {
    if (m.index < this.raftLog.committed) {
      // Everything up to our commit index matches the leader by definition.
      this.send(message({ type: 'MsgAppResp', to: m.from, index: this.raftLog.committed }));
      return;
    }
    const lastNew = this.raftLog.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.send(message({ type: 'MsgAppResp', to: m.from, index: lastNew }));
      return;
    }
    // Mismatch at m.index. Hint the leader at the last entry we have with a term no greater
    // than the one it sent, so it can skip the rest of a conflicting term at once.
    const hint = this.raftLog.findConflictByTerm(
      index(Math.min(m.index, this.raftLog.lastIndex())),
      m.logTerm,
    );
    this.send(
      message({
        type: 'MsgAppResp',
        to: m.from,
        index: m.index,
        reject: true,
        rejectHint: hint.index,
        logTerm: hint.term,
      }),
    );
  }

  private handleHeartbeat(m: Message): void {
    this.raftLog.commitTo(m.commit);
    // Echo the leader's tick stamp: it measures its lease from when it sent this heartbeat.
    this.send(
      message({ type: 'MsgHeartbeatResp', to: m.from, context: m.context, index: m.index }),
    );
  }

  private handleSnapshot(m: Message): void {
    const snapshot = m.snapshot;
    if (snapshot === undefined) throw new RaftInvariantError('MsgSnap without a snapshot');
    if (this.restore(snapshot)) {
      this.logger.info(
        { index: snapshot.metadata.index, term: snapshot.metadata.term },
        'restored snapshot',
      );
      this.send(message({ type: 'MsgAppResp', to: m.from, index: this.raftLog.lastIndex() }));
    } else {
      this.send(message({ type: 'MsgAppResp', to: m.from, index: this.raftLog.committed }));
    }
  }

  /** Replaces the log with a snapshot from the leader. False if it is stale or not for us. */
  private restore(s: Snapshot): boolean {
    if (s.metadata.index <= this.raftLog.committed) return false;
    if (this.role !== 'follower') {
      // Only a leader of the current term sends snapshots, so this should not happen; if it
      // does, become a follower of a later term rather than risk a split brain.
      this.logger.warn({ term: this.term }, 'non-follower attempted to restore snapshot');
      this.becomeFollower(term(this.term + 1), NONE);
      return false;
    }
    const cs = s.metadata.confState;
    const inConfig =
      cs.voters.includes(this.id) ||
      cs.learners.includes(this.id) ||
      cs.votersOutgoing.includes(this.id);
    if (!inConfig) {
      this.logger.warn(
        { index: s.metadata.index },
        'attempted to restore snapshot but it is not in the ConfState',
      );
      return false;
    }
    if (this.raftLog.matchTerm(s.metadata.index, s.metadata.term)) {
      // We already have the entry the snapshot ends with: just move the commit index.
      this.raftLog.commitTo(s.metadata.index);
      return false;
    }
    this.raftLog.restore(s);
    const fresh = new ProgressTracker(this.prs.maxInflight, this.prs.maxInflightBytes);
    this.switchToConfig(...restoreConfig(fresh, this.raftLog.lastIndex(), cs));
    const self = this.prs.progress.get(this.id);
    self?.maybeUpdate(index(self.next - 1));
    return true;
  }

  // ---------------------------------------------------------------------------------------
  // Membership (§6, thesis §4)

  /** Applies a committed conf change to the tracked membership; returns the new ConfState. */
  applyConfChange(cc: ConfChange): ConfState {
    const changer = new Changer(this.prs, this.raftLog.lastIndex());
    let result: [TrackerConfig, ProgressMap];
    if (isLeaveJoint(cc)) {
      result = changer.leaveJoint();
    } else {
      const { joint, autoLeave } = entersJoint(cc);
      result = joint ? changer.enterJoint(autoLeave, cc.changes) : changer.simple(cc.changes);
    }
    return this.switchToConfig(...result);
  }

  private switchToConfig(cfg: TrackerConfig, progress: ProgressMap): ConfState {
    // Replace the tracker's contents in place: Progress objects may be shared with a copy.
    this.prs.config = cfg;
    this.prs.progress = progress;
    // A read quorum of the old configuration may not be one of the new.
    this.readQuorum = undefined;
    this.targetedReadContext = undefined;
    const cs = confStateOf(cfg);
    const self = progress.get(this.id);
    this.isLearner = self?.isLearner ?? false;

    if ((self === undefined || this.isLearner) && this.role === 'leader') {
      // This leader was removed or demoted. Hand over to the most up-to-date voter so the
      // cluster need not wait out an election timeout, then step down.
      let best: NodeId = NONE;
      let bestMatch = -1;
      this.prs.visit((id, pr) => {
        if (
          id !== this.id &&
          !pr.isLearner &&
          this.prs.config.voters.has(id) &&
          pr.match > bestMatch
        ) {
          best = id;
          bestMatch = pr.match;
        }
      });
      if (best !== NONE && bestMatch === this.raftLog.lastIndex()) this.sendTimeoutNow(best);
      this.logger.info(
        { term: this.term, handedTo: best },
        'leader removed from configuration; stepping down',
      );
      this.becomeFollower(this.term, NONE);
      return cs;
    }
    if (this.role !== 'leader' || cs.voters.length === 0) return cs;
    // The quorum changed: the commit index may move, and new members need their first append.
    if (this.maybeCommit()) {
      this.bcastAppend();
    } else {
      this.prs.visit((id) => {
        if (id !== this.id) this.maybeSendAppend(id, false);
      });
    }
    if (this.leadTransferee !== NONE && !this.prs.config.voters.has(this.leadTransferee)) {
      this.abortLeaderTransfer();
    }
    return cs;
  }

  private loadState(hs: HardState): void {
    if (hs.commit < this.raftLog.committed || hs.commit > this.raftLog.lastIndex()) {
      throw new RaftInvariantError(
        `hard state commit ${hs.commit} is out of range [${this.raftLog.committed}, ${this.raftLog.lastIndex()}]`,
      );
    }
    this.raftLog.committed = hs.commit;
    this.term = hs.term;
    this.vote = hs.vote;
  }

  status(): RaftStatus {
    let progress: Map<NodeId, ProgressStatus> | undefined;
    if (this.role === 'leader') {
      progress = new Map();
      this.prs.visit((id, pr) => {
        progress!.set(id, {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          isLearner: pr.isLearner,
          recentActive: pr.recentActive,
          paused: pr.isPaused(),
          inflight: pr.inflights.size(),
          pendingSnapshot: pr.pendingSnapshot,
        });
      });
    }
    return {
      id: this.id,
      term: this.term,
      vote: this.vote,
      commit: this.raftLog.committed,
      applied: this.raftLog.applied,
      lead: this.lead,
      role: this.role,
      leadTransferee: this.leadTransferee,
      config: confStateOf(this.prs.config),
      lastIndex: this.raftLog.lastIndex(),
      firstIndex: this.raftLog.firstIndex(),
      progress,
    };
  }
}

function validateConfig(c: RaftConfig): void {
  if (c.id === NONE) throw new RangeError('cannot use none as id');
  if (!Number.isInteger(c.heartbeatTick) || c.heartbeatTick <= 0) {
    throw new RangeError('heartbeat tick must be greater than 0');
  }
  if (!Number.isInteger(c.electionTick) || c.electionTick <= c.heartbeatTick) {
    throw new RangeError('election tick must be greater than heartbeat tick');
  }
  if (c.maxInflightMsgs !== undefined && c.maxInflightMsgs <= 0) {
    throw new RangeError('max inflight messages must be greater than 0');
  }
  if (c.readOnlyOption === 'lease' && c.checkQuorum !== true) {
    throw new RangeError('lease reads require checkQuorum');
  }
}

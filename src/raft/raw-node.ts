import { encodeConfChange } from './conf-change-codec.js';
import { ProposalDroppedError, RaftInvariantError } from './errors.js';
import { Raft, type RaftConfig, type RaftStatus } from './raft.js';
import {
  EntryType,
  LOCAL_MESSAGE_TYPES,
  hardStateEqual,
  index,
  isResponseMessage,
  message,
  term,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Index,
  type Message,
  type NodeId,
  type ReadMode,
  type ReadState,
  type Snapshot,
  type SoftState,
  type Term,
} from './types.js';

/**
 * Everything the driver must do after the core changed: persist, send, apply.
 *
 * Ordering rules (the driver must keep them, or safety is lost):
 * 0. `earlyMessages` may be sent at once, before or while persisting: they are a leader's
 *    appends and heartbeats, which promise nothing about this node's disk (the leader counts
 *    its own copy only after `advance`; thesis §10.2.1). Sending them after step 1 is fine too.
 * 1. Persist `snapshot` (if any), then `entries` and `hardState` — atomically, and synced to
 *    disk when `mustSync` — BEFORE sending any of `messages`: a vote or an append
 *    acknowledgement must never promise something a crash could take back.
 * 2. Send `messages`.
 * 3. Apply `snapshot` (if any) and then `committedEntries`, in order. `committedEntries` may
 *    include entries of this same Ready's `entries`; they are durable after step 1. For a
 *    ConfChange entry call {@link RawNode.applyConfChange} as it is applied.
 * 4. Answer reads from `readStates` once the state machine has applied their index.
 * 5. Call {@link RawNode.advance} with this Ready before asking for the next one.
 */
export interface Ready {
  /** Set when the leader or role changed. */
  readonly softState: SoftState | undefined;
  /** Set when term, vote or commit changed. */
  readonly hardState: HardState | undefined;
  readonly readStates: readonly ReadState[];
  /** Entries to append to stable storage, overwriting any existing ones from the first index on. */
  readonly entries: readonly Entry[];
  /** A snapshot to persist and restore, replacing the state machine. */
  readonly snapshot: Snapshot | undefined;
  readonly committedEntries: readonly Entry[];
  /** A leader's MsgApp, MsgHeartbeat and MsgSnap: sendable before persisting (rule 0). */
  readonly earlyMessages: readonly Message[];
  /** Everything else: send only after persisting (rule 2). */
  readonly messages: readonly Message[];
  /** Whether step 1 needs an fsync: new entries, or a new term or vote. A commit index alone
   *  can be recovered and need not be synced. */
  readonly mustSync: boolean;
}

/** Where a proposal landed in the leader's log; it is applied at `index` if it commits in `term`. */
export interface ProposalReceipt {
  readonly index: Index;
  readonly term: Term;
}

/**
 * The driver-facing API of the core (etcd's RawNode): a thread-safe-by-construction wrapper
 * that never does I/O. The driver ticks it, steps messages into it, and turns its Readies into
 * disk writes, network sends and state-machine applies.
 */
export class RawNode {
  readonly raft: Raft;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  private awaitingAdvance = false;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.prevSoftState = this.raft.softState();
    this.prevHardState = this.raft.hardState();
  }

  /** Advances the logical clock by one tick (elections and heartbeats are counted in ticks). */
  tick(): void {
    this.raft.tick();
  }

  /** Starts an election now, without waiting for the election timeout. */
  campaign(): void {
    this.raft.step(message({ type: 'MsgHup' }));
  }

  /**
   * Proposes data to be appended to the log. On the leader returns where it landed; on a
   * follower the proposal is forwarded to the leader and undefined is returned. Throws
   * {@link ProposalDroppedError} when it cannot be accepted (no leader, transfer under way).
   */
  propose(data: Uint8Array): ProposalReceipt | undefined {
    return this.proposeEntry(EntryType.Normal, data);
  }

  /** Proposes a membership change. At most one may be pending (uncommitted) at a time. */
  proposeConfChange(cc: ConfChange): ProposalReceipt | undefined {
    return this.proposeEntry(EntryType.ConfChange, encodeConfChange(cc));
  }

  private proposeEntry(type: EntryType, data: Uint8Array): ProposalReceipt | undefined {
    const wasLeader = this.raft.role === 'leader';
    this.raft.step(
      message({
        type: 'MsgProp',
        from: this.raft.id,
        entries: [{ term: term(0), index: index(0), type, data }],
      }),
    );
    if (!wasLeader) return undefined;
    return { index: this.raft.raftLog.lastIndex(), term: this.raft.term };
  }

  /**
   * Applies a committed conf change entry to the membership. Call it while applying that
   * entry (Ready rule 3); returns the ConfState to persist with the applied state.
   */
  applyConfChange(cc: ConfChange): ConfState {
    return this.raft.applyConfChange(cc);
  }

  /** Steps a message received from a peer. Local message types are refused. */
  step(m: Message): void {
    if (LOCAL_MESSAGE_TYPES.has(m.type)) {
      throw new RaftInvariantError(`cannot step raft local message ${m.type}`);
    }
    if (!this.raft.prs.progress.has(m.from) && isResponseMessage(m.type)) {
      return; // a response from a member no longer in the configuration
    }
    try {
      this.raft.step(m);
    } catch (err) {
      // A forwarded proposal or read that cannot be served here is dropped; its sender times
      // out and retries, as it would after a lost message.
      if (!(err instanceof ProposalDroppedError)) throw err;
    }
  }

  /**
   * Requests a linearizable read point. `context` identifies the request (unique among
   * outstanding ones); a {@link ReadState} with the same context appears in a later Ready.
   * `mode` overrides the configured default; 'lease' needs checkQuorum. Reads issued between
   * two Readies share one heartbeat round.
   */
  readIndex(context: Uint8Array, mode?: ReadMode): void {
    this.raft.step(message({ type: 'MsgReadIndex', context, leaseRead: mode === 'lease' }));
  }

  /** Asks the leader to hand leadership to `transferee` (thesis §3.10). */
  transferLeader(transferee: NodeId): void {
    this.raft.step(message({ type: 'MsgTransferLeader', from: transferee }));
  }

  /** The transport could not deliver to `id`: the leader stops pipelining to it. */
  reportUnreachable(id: NodeId): void {
    this.raft.step(message({ type: 'MsgUnreachable', from: id }));
  }

  /** The transport finished sending a snapshot to `id`, successfully or not. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    this.raft.step(message({ type: 'MsgSnapStatus', from: id, reject: !ok }));
  }

  hasReady(): boolean {
    const r = this.raft;
    if (r.hasPendingBroadcasts()) return true;
    const soft = r.softState();
    if (soft.lead !== this.prevSoftState.lead || soft.role !== this.prevSoftState.role) return true;
    const hard = r.hardState();
    if (hard.term !== 0 && !hardStateEqual(hard, this.prevHardState)) return true;
    if (r.raftLog.hasPendingSnapshot()) return true;
    if (r.msgs.length > 0 || r.raftLog.unstableEntries().length > 0) return true;
    if (r.raftLog.hasNextCommittedEnts()) return true;
    return r.readStates.length > 0;
  }

  /** Collects what must be persisted, sent and applied (see {@link Ready} for the rules). */
  ready(): Ready {
    if (this.awaitingAdvance) {
      throw new RaftInvariantError('ready() called before the previous Ready was advanced');
    }
    const r = this.raft;
    r.flushBroadcasts();
    const soft = r.softState();
    const hard = r.hardState();
    const softChanged =
      soft.lead !== this.prevSoftState.lead || soft.role !== this.prevSoftState.role;
    const hardChanged = !hardStateEqual(hard, this.prevHardState);
    const entries = r.raftLog.unstableEntries().slice();
    const { early, late } = this.splitMessages(r.msgs, hard);
    const rd: Ready = {
      softState: softChanged ? soft : undefined,
      hardState: hardChanged ? hard : undefined,
      readStates: r.readStates,
      entries,
      snapshot: r.raftLog.unstable.snapshot,
      committedEntries: r.raftLog.nextCommittedEnts(),
      earlyMessages: early,
      messages: late,
      mustSync:
        entries.length > 0 ||
        hard.term !== this.prevHardState.term ||
        hard.vote !== this.prevHardState.vote,
    };
    if (softChanged) this.prevSoftState = soft;
    r.msgs = [];
    r.readStates = [];
    this.awaitingAdvance = true;
    return rd;
  }

  /**
   * A leader's replication messages may leave before its own disk write, unless this Ready
   * also changes its term or vote: those must be durable before it acts as leader of the term.
   */
  private splitMessages(msgs: Message[], hard: HardState): { early: Message[]; late: Message[] } {
    const r = this.raft;
    if (
      r.role !== 'leader' ||
      hard.term !== this.prevHardState.term ||
      hard.vote !== this.prevHardState.vote
    ) {
      return { early: [], late: msgs };
    }
    const early: Message[] = [];
    const late: Message[] = [];
    for (const m of msgs) {
      if (m.type === 'MsgApp' || m.type === 'MsgHeartbeat' || m.type === 'MsgSnap') early.push(m);
      else late.push(m);
    }
    return { early, late };
  }

  /** The Ready was fully handled: its entries are durable and its committed entries applied. */
  advance(rd: Ready): void {
    const r = this.raft;
    if (rd.hardState !== undefined) this.prevHardState = rd.hardState;
    let applied: Index | undefined;
    let appliedBytes = 0;
    if (rd.committedEntries.length > 0) {
      applied = rd.committedEntries[rd.committedEntries.length - 1]!.index;
      for (const e of rd.committedEntries) appliedBytes += e.data.length;
    } else if (rd.snapshot !== undefined) {
      applied = rd.snapshot.metadata.index;
    }
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1]!;
      r.raftLog.stableTo(last.index, last.term);
      r.persisted(last.index, last.term);
    }
    if (rd.snapshot !== undefined) r.raftLog.stableSnapTo(rd.snapshot.metadata.index);
    if (applied !== undefined) r.appliedTo(applied, appliedBytes);
    this.awaitingAdvance = false;
  }

  status(): RaftStatus {
    return this.raft.status();
  }

  /** The leader this node knows of, or NONE. */
  leader(): NodeId {
    return this.raft.lead;
  }
}

/**
 * One simulated server: a RawNode, the storage that survives its crashes, and its state
 * machine. It drives the RawNode exactly as the Ready ordering rules say (persist, send,
 * apply, advance), reports everything it does to the invariant checker, and can crash and
 * restart from what it had persisted.
 */
import {
  EntryType,
  MemoryStorage,
  NONE,
  RawNode,
  decodeConfChange,
  index,
  type ConfState,
  type Message,
  type NodeId,
  type RaftConfig,
  type RandomInt,
  type Snapshot,
} from '../../../src/raft/index.js';
import type { InvariantChecker } from './invariants.js';
import { decodeAppliedState, encodeAppliedState, entryKey } from './state-machine.js';

/** The RaftConfig fields a schedule chooses; identity, storage and randomness are per node. */
export type NodeOptions = Omit<RaftConfig, 'id' | 'storage' | 'random' | 'applied'>;

/**
 * Deliberate driver mistakes. They exist only so that a test can show the invariant checker
 * catches a broken driver; a correct simulation runs with 'none'.
 * - forget-vote-on-restart: the vote is not part of the recovered hard state.
 * - lose-last-ready-on-crash: the last Ready was acknowledged (its messages sent) but never
 *   synced, so a crash takes its entries and hard state back.
 */
export type DriverBug = 'none' | 'forget-vote-on-restart' | 'lose-last-ready-on-crash';

/** A storage holding the same snapshot, entries and hard state: what a restart reads from disk. */
export function copyStorage(src: MemoryStorage): MemoryStorage {
  const snap = src.snapshot();
  let dst: MemoryStorage;
  if (snap.metadata.index === 0) {
    dst = MemoryStorage.bootstrap(snap.metadata.confState);
  } else {
    dst = new MemoryStorage();
    dst.applySnapshot(snap);
  }
  const first = src.firstIndex();
  const last = src.lastIndex();
  if (last >= first) dst.append(src.entries(first, index(last + 1), Number.MAX_SAFE_INTEGER));
  dst.setHardState(src.getHardState());
  return dst;
}

export interface NodeStats {
  readies: number;
  snapshotsRestored: number;
  snapshotsTaken: number;
  confChangesApplied: number;
  readStates: number;
  crashesBeforeSync: number;
}

export class SimNode {
  /** The running server, or undefined while it is down. */
  raw: RawNode | undefined;
  /** Counts restarts: the checker tells one lifetime of a node from the next. */
  incarnation = 0;
  /** The state machine: entryKey of entries 1..n, so `applied.length` is the applied index. */
  applied: string[] = [];
  /** The membership as of the applied index (what a snapshot taken now must record). */
  confState: ConfState;
  readonly stats: NodeStats = {
    readies: 0,
    snapshotsRestored: 0,
    snapshotsTaken: 0,
    confChangesApplied: 0,
    readStates: 0,
    crashesBeforeSync: 0,
  };
  /** Crash at the next Ready that sends early messages, before its write is durable. */
  crashBeforeSync = false;
  /** With lose-last-ready-on-crash: the storage as it was before the last Ready. */
  private beforeLastReady: MemoryStorage | undefined;

  constructor(
    readonly id: NodeId,
    /** The durable state: written only while handling a Ready, or by a compaction. */
    public storage: MemoryStorage,
    private readonly options: NodeOptions,
    random: RandomInt,
    private readonly bug: DriverBug = 'none',
  ) {
    this.confState = storage.initialState().confState;
    this.raw = this.newRawNode(random);
  }

  get up(): boolean {
    return this.raw !== undefined;
  }

  private newRawNode(random: RandomInt): RawNode {
    const snap = this.storage.snapshot();
    return new RawNode({
      ...this.options,
      id: this.id,
      storage: this.storage,
      random,
      // The state machine is rebuilt from the snapshot, so that is what it has applied;
      // the committed entries after it are replayed through the next Readies.
      applied: snap.metadata.index,
    });
  }

  /**
   * Handles one Ready if there is one, following the ordering rules of raw-node.ts.
   * Returns false when there was nothing to do.
   */
  handleReady(send: (m: Message) => void, checker: InvariantChecker): boolean {
    const raw = this.raw;
    if (raw === undefined || !raw.hasReady()) return false;
    const rd = raw.ready();
    this.stats.readies++;
    if (this.bug === 'lose-last-ready-on-crash') this.beforeLastReady = copyStorage(this.storage);

    // 0. A leader's appends and heartbeats may leave before its own write (thesis §10.2.1).
    //    Sending them first is the order that asks the most of the core.
    for (const m of rd.earlyMessages) send(m);
    if (
      this.crashBeforeSync &&
      rd.earlyMessages.length > 0 &&
      (rd.entries.length > 0 || rd.hardState !== undefined)
    ) {
      // The crash comes while the write is under way: the early messages are out, nothing of
      // this Ready is durable, and the rest of it is never sent or applied.
      this.stats.crashesBeforeSync++;
      this.crash();
      return true;
    }

    // 1. Persist the snapshot, the entries and the hard state, before the other messages.
    if (rd.snapshot !== undefined) this.storage.applySnapshot(rd.snapshot);
    this.storage.append(rd.entries);
    if (rd.hardState !== undefined) {
      this.storage.setHardState(rd.hardState);
      checker.onPersistedHardState(this, rd.hardState);
    }

    // 2. Send the rest.
    for (const m of rd.messages) send(m);

    // 3. Apply the snapshot, then the committed entries, in order.
    if (rd.snapshot !== undefined) this.restoreSnapshot(rd.snapshot, checker);
    for (const e of rd.committedEntries) {
      checker.onApply(this, e);
      this.applied.push(entryKey(e));
      if (e.type === EntryType.ConfChange) {
        this.confState = raw.applyConfChange(decodeConfChange(e.data));
        this.stats.confChangesApplied++;
        checker.onConfChangeApplied(this, e.index, this.confState);
        checker.afterCall(this);
      }
    }

    // 4. Reads. The checker needs only the read index, not the value.
    for (const rs of rd.readStates) {
      this.stats.readStates++;
      checker.onReadState(this, rs);
    }

    // 5. Advance.
    raw.advance(rd);
    checker.afterCall(this);
    return true;
  }

  private restoreSnapshot(snap: Snapshot, checker: InvariantChecker): void {
    this.applied = decodeAppliedState(snap.data);
    this.confState = snap.metadata.confState;
    this.stats.snapshotsRestored++;
    checker.onSnapshotRestored(this, snap);
  }

  /**
   * Log compaction: snapshot the state machine at the applied index and discard the log up
   * to it. False if there is nothing new to snapshot.
   */
  compact(): boolean {
    if (this.raw === undefined) return false;
    const at = this.applied.length;
    if (at <= this.storage.snapshot().metadata.index) return false;
    this.storage.createSnapshot(index(at), this.confState, encodeAppliedState(this.applied));
    this.storage.compact(index(at));
    this.stats.snapshotsTaken++;
    return true;
  }

  /** Loses everything not persisted: the RawNode with its unstable log, and the state machine. */
  crash(): void {
    this.raw = undefined;
    this.crashBeforeSync = false;
    if (this.beforeLastReady !== undefined) {
      this.storage = this.beforeLastReady;
      this.beforeLastReady = undefined;
    }
  }

  /** Starts a new RawNode from a copy of the persisted storage, replaying from its snapshot. */
  restart(random: RandomInt): void {
    if (this.raw !== undefined) throw new Error(`node ${this.id} is already up`);
    this.storage = copyStorage(this.storage);
    if (this.bug === 'forget-vote-on-restart') {
      this.storage.setHardState({ ...this.storage.getHardState(), vote: NONE });
    }
    const snap = this.storage.snapshot();
    this.applied = decodeAppliedState(snap.data);
    this.confState = snap.metadata.confState;
    this.incarnation++;
    this.raw = this.newRawNode(random);
  }
}

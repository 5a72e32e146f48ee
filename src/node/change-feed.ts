import { RedraftError } from '../errors.js';
import type { KvStateMachine } from '../fsm/kv-state-machine.js';
import type { StoredEntry } from '../fsm/keyspace.js';

/** One key written or deleted by the entry at `index`, with the key's state right after. */
export interface Change {
  readonly index: number;
  readonly db: number;
  /** The key's bytes as a latin1 string (as the keyspace holds it). */
  readonly key: string;
  /** undefined: the change deleted the key. */
  readonly type: 'string' | 'hash' | undefined;
  /** A string key's value (shared with the state: values are never mutated in place). */
  readonly value: Buffer | undefined;
  /** The key's version after the change: the change's own index. */
  readonly version: number;
  /** Expiry in ms since the epoch (leader time); 0: none. */
  readonly expireAt: number;
}

/** Asked for changes the feed no longer holds (or never held: before this node's history). */
export class CompactedError extends RedraftError {
  constructor(readonly oldestIndex: number) {
    super(
      'COMPACTED',
      `changes before log index ${oldestIndex} are no longer available on this node; resume from index ${oldestIndex} or later (re-read the keys first)`,
    );
  }
}

export interface ChangeFeedLimits {
  /** Changes kept at most. */
  readonly maxChanges: number;
  /** Bytes of keys and values kept at most (values are shared with the live state). */
  readonly maxBytes: number;
}

export const DEFAULT_CHANGE_FEED_LIMITS: ChangeFeedLimits = {
  maxChanges: 100_000,
  maxBytes: 64 * 1024 * 1024,
};

/** Accounting overhead of one change besides its key and value bytes. */
const CHANGE_OVERHEAD_BYTES = 64;

/**
 * The recent history of committed key changes, for watches that resume after a disconnect:
 * a bounded ring fed synchronously by the state machine as entries apply
 * (`KvStateMachine.onKeyChange`), read by cursors at their own pace.
 *
 * The feed is complete for every index above `compactedThrough`: changes up to it were
 * evicted (oldest first, whole or in part), replaced by a snapshot restore, or happened
 * before this node started (it starts from its snapshot). A cursor that has not read past
 * `compactedThrough` may have missed changes, and fails with {@link CompactedError} instead
 * of skipping them silently.
 *
 * Cursors are pulled, not pushed: the feed only tells them (once per event-loop turn) that
 * there is something to read, so a slow reader costs nothing but its position, and falls
 * off the end of the ring instead of buffering without bound.
 */
export class ChangeFeed {
  /**
   * The ring, a column per field of a Change rather than an object per change: a write then
   * allocates nothing here, and the ring holds no object of its own for the collector to copy
   * and promote (measured under redis-benchmark's pipelined SETs, that object cost each member
   * a few percent of its CPU). Cursors make a Change only for the changes they return.
   */
  private readonly keys: string[];
  /** A string key's value (shared with the state), undefined for a hash or a deletion. */
  private readonly values: (Buffer | undefined)[];
  private readonly dbs: Uint8Array;
  private readonly types: Uint8Array;
  private readonly expireAts: Float64Array;
  /**
   * Per ring slot, its change's index and accounted bytes: eviction reads these rather than
   * the change's other columns, which by then have not been touched for maxChanges writes.
   */
  private readonly slotIndex: Float64Array;
  private readonly slotBytes: Uint32Array;
  /** Sequence number of the oldest change held; sequence numbers never restart. */
  private firstSeq = 0;
  private nextSeq = 0;
  private bytes = 0;
  private compacted: number;
  /** A restore replaced the state; `compacted` moves up to the restored index when known. */
  private restorePending = false;
  private readonly readers = new Set<() => void>();
  private notifyScheduled = false;
  private readonly unsubscribe: (() => void)[];

  /**
   * @param appliedIndex this node's applied index (RaftNode.applied). Read when the feed is
   *   built: the state then is the starting point, and its changes are not in the feed.
   */
  constructor(
    fsm: KvStateMachine,
    private readonly appliedIndex: () => number,
    private readonly limits: ChangeFeedLimits = DEFAULT_CHANGE_FEED_LIMITS,
  ) {
    this.keys = new Array<string>(limits.maxChanges).fill('');
    this.values = new Array<Buffer | undefined>(limits.maxChanges).fill(undefined);
    this.dbs = new Uint8Array(limits.maxChanges);
    this.types = new Uint8Array(limits.maxChanges);
    this.expireAts = new Float64Array(limits.maxChanges);
    this.slotIndex = new Float64Array(limits.maxChanges);
    this.slotBytes = new Uint32Array(limits.maxChanges);
    this.compacted = appliedIndex();
    this.unsubscribe = [
      fsm.onKeyChange((db, key, index, entry) => {
        this.record(db, key, index, entry);
      }),
      fsm.onRestore(() => {
        this.restored();
      }),
    ];
  }

  /** Every change above this index is held (or still to come). */
  get compactedThrough(): number {
    this.settleRestore();
    return this.compacted;
  }

  /** The oldest index a cursor can start from. */
  get oldestIndex(): number {
    return this.compactedThrough + 1;
  }

  /** How many changes the feed holds now. */
  get size(): number {
    return this.nextSeq - this.firstSeq;
  }

  /**
   * A cursor that reads the changes at `startIndex` and after; 0 means "from now": changes
   * after the index applied so far. Throws {@link CompactedError} when changes at
   * `startIndex` may be gone.
   */
  open(startIndex: number): ChangeCursor {
    const through = this.compactedThrough;
    if (startIndex === 0) return new ChangeCursor(this, this.nextSeq, this.appliedIndex());
    if (startIndex <= through) throw new CompactedError(through + 1);
    return new ChangeCursor(this, this.seqAtOrAfter(startIndex), startIndex - 1);
  }

  /** Stops listening to the state machine; cursors read what is left and then nothing new. */
  close(): void {
    for (const u of this.unsubscribe) u();
    this.readers.clear();
  }

  /** @internal */
  addReader(wake: () => void): void {
    this.readers.add(wake);
  }

  /** @internal */
  removeReader(wake: () => void): void {
    this.readers.delete(wake);
  }

  /** @internal The change at `seq`, or undefined outside what the feed holds. */
  at(seq: number): Change | undefined {
    if (seq < this.firstSeq || seq >= this.nextSeq) return undefined;
    const slot = seq % this.limits.maxChanges;
    const index = this.slotIndex[slot]!;
    return {
      index,
      db: this.dbs[slot]!,
      key: this.keys[slot]!,
      type: TYPE_OF_CODE[this.types[slot]!],
      value: this.values[slot],
      version: index,
      expireAt: this.expireAts[slot]!,
    };
  }

  /** @internal The index of the change at `seq`, which the feed must hold. */
  indexAt(seq: number): number {
    return this.slotIndex[seq % this.limits.maxChanges]!;
  }

  /** @internal Whether the change at `seq`, which the feed must hold, passes `filter`. */
  passes(seq: number, filter: ChangeFilter): boolean {
    const slot = seq % this.limits.maxChanges;
    return this.dbs[slot] === filter.db && this.keys[slot]!.startsWith(filter.prefix);
  }

  /** @internal */
  get startSeq(): number {
    return this.firstSeq;
  }

  /** @internal */
  get endSeq(): number {
    return this.nextSeq;
  }

  /** @internal The index every change at or below is in the feed (outside an apply). */
  get appliedThrough(): number {
    return this.appliedIndex();
  }

  private record(db: number, key: string, index: number, entry: StoredEntry | undefined): void {
    this.settleRestore();
    const value = entry?.value.type === 'string' ? entry.value.value : undefined;
    if (this.nextSeq - this.firstSeq === this.limits.maxChanges) this.evictOldest();
    const slot = this.nextSeq % this.limits.maxChanges;
    const bytes = key.length + (value?.length ?? 0) + CHANGE_OVERHEAD_BYTES;
    this.keys[slot] = key;
    this.values[slot] = value;
    this.dbs[slot] = db;
    this.types[slot] =
      entry === undefined ? DELETED : entry.value.type === 'string' ? STRING : HASH;
    this.expireAts[slot] = entry?.expireAt ?? 0;
    this.slotIndex[slot] = index;
    this.slotBytes[slot] = bytes;
    this.nextSeq++;
    this.bytes += bytes;
    while (this.bytes > this.limits.maxBytes && this.nextSeq - this.firstSeq > 1) {
      this.evictOldest();
    }
    this.wakeReaders();
  }

  private evictOldest(): void {
    const slot = this.firstSeq % this.limits.maxChanges;
    this.keys[slot] = '';
    this.values[slot] = undefined;
    this.firstSeq++;
    this.bytes -= this.slotBytes[slot]!;
    // Other changes of the same index may remain: that index is no longer whole.
    const index = this.slotIndex[slot]!;
    if (index > this.compacted) this.compacted = index;
  }

  private restored(): void {
    this.keys.fill('');
    this.values.fill(undefined);
    this.firstSeq = this.nextSeq;
    this.bytes = 0;
    // The node records the snapshot's index only after the restore returns.
    this.restorePending = true;
    this.wakeReaders();
  }

  /**
   * Completes a restore once the node has taken the snapshot's index as applied: no change
   * was recorded since (this runs before any), so the feed is complete above it.
   */
  private settleRestore(): void {
    if (!this.restorePending) return;
    this.restorePending = false;
    this.compacted = Math.max(this.compacted, this.appliedIndex());
  }

  private wakeReaders(): void {
    if (this.readers.size === 0 || this.notifyScheduled) return;
    this.notifyScheduled = true;
    // Once per turn, after the whole batch of entries applied: readers never run inside
    // an apply, and see every change of an index together.
    setImmediate(() => {
      this.notifyScheduled = false;
      for (const wake of [...this.readers]) wake();
    });
  }

  /** The first sequence number whose change has index >= `index` (changes are in order). */
  private seqAtOrAfter(index: number): number {
    let lo = this.firstSeq;
    let hi = this.nextSeq;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.indexAt(mid) < index) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Change.type in the ring's type column. */
const DELETED = 0;
const STRING = 1;
const HASH = 2;
const TYPE_OF_CODE: readonly Change['type'][] = [undefined, 'string', 'hash'];

/** Which changes a cursor returns; the others only advance it. */
export interface ChangeFilter {
  readonly db: number;
  /** latin1 string of the key prefix; '' matches every key. */
  readonly prefix: string;
}

export interface ChangeBatch {
  readonly changes: readonly Change[];
  /** Every change at or below this index has been read. */
  readonly position: number;
}

/** Changes scanned per read at most, so that a selective filter never blocks the loop long. */
const MAX_SCAN_PER_READ = 10_000;

/** A reader's position in a {@link ChangeFeed}. */
export class ChangeCursor {
  private wake: (() => void) | undefined;
  private closed = false;

  /** @internal Use {@link ChangeFeed.open}. */
  constructor(
    private readonly feed: ChangeFeed,
    private seq: number,
    private positionIndex: number,
  ) {}

  /** Every change at or below this index has been read. */
  get position(): number {
    return this.positionIndex;
  }

  /**
   * Reads the next changes that pass `filter`, at most about `maxChanges` of them: a batch
   * never ends inside one index, so that resuming from `position + 1` neither repeats nor
   * skips a change. Empty when there is nothing new. Throws {@link CompactedError} when
   * changes this cursor had not read were dropped.
   */
  read(filter: ChangeFilter, maxChanges: number): ChangeBatch {
    const through = this.feed.compactedThrough;
    if (this.positionIndex < through) throw new CompactedError(through + 1);
    const changes: Change[] = [];
    const end = this.feed.endSeq;
    let scanned = 0;
    // Changes dropped before this cursor's start index were never its to read.
    let seq = Math.max(this.seq, this.feed.startSeq);
    let lastIndex = this.positionIndex;
    for (; seq < end; seq++) {
      const index = this.feed.indexAt(seq);
      if (index <= this.positionIndex) continue; // before a start in the future
      if (index !== lastIndex && (changes.length >= maxChanges || scanned >= MAX_SCAN_PER_READ))
        break;
      lastIndex = index;
      scanned++;
      if (this.feed.passes(seq, filter)) changes.push(this.feed.at(seq)!);
    }
    this.seq = seq;
    // Caught up: every applied index is read, changes or not.
    this.positionIndex =
      seq === end ? Math.max(lastIndex, this.feed.appliedThrough, this.positionIndex) : lastIndex;
    return { changes, position: this.positionIndex };
  }

  /** Whether a read now could return something new (or fail). */
  get pending(): boolean {
    return this.seq < this.feed.endSeq || this.positionIndex < this.feed.compactedThrough;
  }

  /**
   * Calls `wake` (at most once per event-loop turn) whenever new changes arrived or the feed
   * was reset; read again then. One listener per cursor.
   */
  onChange(wake: () => void): void {
    if (this.closed) return;
    if (this.wake !== undefined) this.feed.removeReader(this.wake);
    this.wake = wake;
    this.feed.addReader(wake);
  }

  close(): void {
    this.closed = true;
    if (this.wake !== undefined) this.feed.removeReader(this.wake);
    this.wake = undefined;
  }
}

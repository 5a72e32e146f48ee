import { CompactedError, SnapshotOutOfDateError, UnavailableError } from './errors.js';
import {
  EMPTY_HARD_STATE,
  EMPTY_SNAPSHOT,
  EntryType,
  index,
  type ConfState,
  type Entry,
  type HardState,
  type Index,
  type Snapshot,
  type Term,
} from './types.js';
import { limitSize } from './util.js';

/**
 * What the core reads of the persisted log. Reads are synchronous: an implementation over a
 * database keeps the tail it may be asked for in memory (see DESIGN.md section 3). Writes are
 * the driver's business and happen outside the core, from {@link Ready}.
 */
export interface Storage {
  /** The persisted hard state and membership, read once when the core starts. */
  initialState(): { hardState: HardState; confState: ConfState };
  /**
   * Entries in [lo, hi), at least one if any is in range, and no more than `maxBytes` beyond
   * the first. Throws {@link CompactedError} below firstIndex, {@link UnavailableError} past
   * lastIndex.
   */
  entries(lo: Index, hi: Index, maxBytes: number): Entry[];
  /** The term of entry `i`, for i in [firstIndex-1, lastIndex]. Throws as `entries`. */
  term(i: Index): Term;
  lastIndex(): Index;
  /** The first index still held; the entry before it is covered by the snapshot. */
  firstIndex(): Index;
  /** The most recent snapshot, to send to a follower that fell behind the log. */
  snapshot(): Snapshot;
}

/**
 * An in-memory {@link Storage}, for tests and simulations. `entries[0]` is a placeholder
 * holding the index and term of the last compacted entry (or of the snapshot).
 */
export class MemoryStorage implements Storage {
  private hardState: HardState = EMPTY_HARD_STATE;
  private snap: Snapshot = EMPTY_SNAPSHOT;
  private ents: Entry[] = [
    { index: index(0), term: 0 as Term, type: EntryType.Normal, data: new Uint8Array(0) },
  ];

  /** A fresh storage for a new cluster whose initial membership is `confState`. */
  static bootstrap(confState: ConfState): MemoryStorage {
    const storage = new MemoryStorage();
    storage.snap = { ...EMPTY_SNAPSHOT, metadata: { ...EMPTY_SNAPSHOT.metadata, confState } };
    return storage;
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardState, confState: this.snap.metadata.confState };
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  /** The hard state as last set (for simulating a restart). */
  getHardState(): HardState {
    return this.hardState;
  }

  entries(lo: Index, hi: Index, maxBytes: number): Entry[] {
    const offset = this.ents[0]!.index;
    if (lo <= offset) throw new CompactedError();
    if (hi > this.lastIndex() + 1) {
      throw new UnavailableError(
        `entries' hi(${hi}) is out of bound lastindex(${this.lastIndex()})`,
      );
    }
    if (this.ents.length === 1) throw new UnavailableError();
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxBytes);
  }

  term(i: Index): Term {
    const offset = this.ents[0]!.index;
    if (i < offset) throw new CompactedError();
    if (i - offset >= this.ents.length) throw new UnavailableError();
    return this.ents[i - offset]!.term;
  }

  lastIndex(): Index {
    return index(this.ents[0]!.index + this.ents.length - 1);
  }

  firstIndex(): Index {
    return index(this.ents[0]!.index + 1);
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the whole content with a snapshot received from the leader. */
  applySnapshot(snap: Snapshot): void {
    if (this.snap.metadata.index >= snap.metadata.index) throw new SnapshotOutOfDateError();
    this.snap = snap;
    this.ents = [
      {
        index: snap.metadata.index,
        term: snap.metadata.term,
        type: EntryType.Normal,
        data: new Uint8Array(0),
      },
    ];
  }

  /**
   * Records a snapshot of the state machine as of `i` (which must be applied), so that the
   * log before it may be compacted and lagging followers can be sent it. Without `confState`
   * the membership of the previous snapshot is kept (etcd's rule): an empty one would leave a
   * follower restoring it, or this node restarting from it, with no voters.
   */
  createSnapshot(i: Index, confState?: ConfState, data: Uint8Array = new Uint8Array(0)): Snapshot {
    if (i <= this.snap.metadata.index) throw new SnapshotOutOfDateError();
    confState ??= this.snap.metadata.confState;
    const offset = this.ents[0]!.index;
    if (i > this.lastIndex()) {
      throw new UnavailableError(`snapshot ${i} is out of bound lastindex(${this.lastIndex()})`);
    }
    this.snap = { metadata: { index: i, term: this.ents[i - offset]!.term, confState }, data };
    return this.snap;
  }

  /** Discards entries before `compactIndex`; the entry at `compactIndex` becomes the placeholder. */
  compact(compactIndex: Index): void {
    const offset = this.ents[0]!.index;
    if (compactIndex <= offset) throw new CompactedError();
    if (compactIndex > this.lastIndex()) {
      throw new UnavailableError(
        `compact ${compactIndex} is out of bound lastindex(${this.lastIndex()})`,
      );
    }
    const i = compactIndex - offset;
    const head = this.ents[i]!;
    this.ents = [
      { index: head.index, term: head.term, type: EntryType.Normal, data: new Uint8Array(0) },
      ...this.ents.slice(i + 1),
    ];
  }

  /**
   * Appends entries, overwriting any conflicting suffix. Entries already compacted are skipped.
   * The entries must be contiguous with what is held.
   */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = this.firstIndex();
    const last = entries[0]!.index + entries.length - 1;
    if (last < first) return;
    const toAppend = first > entries[0]!.index ? entries.slice(first - entries[0]!.index) : entries;
    const offset = toAppend[0]!.index - this.ents[0]!.index;
    if (offset > this.ents.length) {
      throw new UnavailableError(
        `missing log entry [last: ${this.lastIndex()}, append at: ${toAppend[0]!.index}]`,
      );
    }
    // In place: appends are the hot path, and copying the whole log each time is quadratic.
    this.ents.length = offset;
    for (const e of toAppend) this.ents.push(e);
  }
}

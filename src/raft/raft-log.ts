import { CompactedError, RaftInvariantError, UnavailableError } from './errors.js';
import type { Storage } from './storage.js';
import { Unstable } from './unstable.js';
import { index, term, type Entry, type Index, type Snapshot, type Term } from './types.js';
import { limitSize } from './util.js';

/**
 * The log as the core sees it: the durable part read through {@link Storage}, followed by
 * the {@link Unstable} part not yet persisted.
 */
export class RaftLog {
  readonly unstable: Unstable;
  /** The highest index known to be stored on a quorum. */
  committed: Index;
  /** The highest index the application has applied. Invariant: applied <= committed. */
  applied: Index;

  constructor(
    readonly storage: Storage,
    /** Upper bound on the bytes of committed entries handed out in one Ready. */
    readonly maxApplyingBytes: number,
  ) {
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable(index(last + 1));
    this.committed = index(first - 1);
    this.applied = index(first - 1);
  }

  toString(): string {
    return `committed=${this.committed}, applied=${this.applied}, unstable.offset=${this.unstable.offset}, unstable.entries=${this.unstable.entries.length}`;
  }

  /**
   * Appends `ents` if the entry before them, (prevIndex, prevTerm), matches the log. Returns
   * the index of the last new entry, or undefined when it does not match.
   */
  maybeAppend(
    prevIndex: Index,
    prevTerm: Term,
    committed: Index,
    ents: readonly Entry[],
  ): Index | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = index(prevIndex + ents.length);
    const conflict = this.findConflict(ents);
    if (conflict !== 0) {
      if (conflict <= this.committed) {
        throw new RaftInvariantError(
          `entry ${conflict} conflicts with committed entry [committed(${this.committed})]`,
        );
      }
      this.append(ents.slice(conflict - (prevIndex + 1)));
    }
    this.commitTo(index(Math.min(committed, lastNew)));
    return lastNew;
  }

  append(ents: readonly Entry[]): Index {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0]!.index - 1;
    if (after < this.committed) {
      throw new RaftInvariantError(
        `after(${after}) is out of range [committed(${this.committed})]`,
      );
    }
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /**
   * The index of the first entry in `ents` that is new or conflicts with the log, or 0 when
   * all of them are already present.
   */
  findConflict(ents: readonly Entry[]): Index | 0 {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The largest index <= `i` whose term is <= `t`, with that term. Used on both sides of a
   * rejected append to skip a whole term of mismatching entries at once.
   */
  findConflictByTerm(i: Index, t: Term): { index: Index; term: Term } {
    for (; i > 0; i = index(i - 1)) {
      const ti = this.termOrUndefined(i);
      if (ti === undefined) return { index: i, term: term(0) };
      if (ti <= t) return { index: i, term: ti };
    }
    return { index: index(0), term: term(0) };
  }

  unstableEntries(): Entry[] {
    return this.unstable.entries;
  }

  hasNextCommittedEnts(): boolean {
    return this.committed > this.applied && !this.hasPendingSnapshot();
  }

  /** Committed entries not yet applied, up to the byte limit. */
  nextCommittedEnts(): Entry[] {
    if (this.hasPendingSnapshot()) return [];
    const lo = index(Math.max(this.applied + 1, this.firstIndex()));
    const hi = index(this.committed + 1);
    if (lo >= hi) return [];
    return this.slice(lo, hi, this.maxApplyingBytes);
  }

  hasPendingSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  firstIndex(): Index {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): Index {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  commitTo(toCommit: Index): void {
    if (this.committed < toCommit) {
      if (this.lastIndex() < toCommit) {
        throw new RaftInvariantError(
          `tocommit(${toCommit}) is out of range [lastIndex(${this.lastIndex()})]. Was the raft log corrupted, truncated, or lost?`,
        );
      }
      this.committed = toCommit;
    }
  }

  appliedTo(i: Index): void {
    if (i === 0) return;
    if (this.committed < i || i < this.applied) {
      throw new RaftInvariantError(
        `applied(${i}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`,
      );
    }
    this.applied = i;
  }

  stableTo(i: Index, t: Term): void {
    this.unstable.stableTo(i, t);
  }

  stableSnapTo(i: Index): void {
    this.unstable.stableSnapTo(i);
  }

  lastTerm(): Term {
    const t = this.termOrUndefined(this.lastIndex());
    if (t === undefined)
      throw new RaftInvariantError('unexpected error when getting the last term');
    return t;
  }

  /** The term of entry `i`, or undefined if it was compacted away or does not exist yet. */
  termOrUndefined(i: Index): Term | undefined {
    // The valid range is [index of the entry before the first one, last index].
    const dummy = this.firstIndex() - 1;
    if (i < dummy || i > this.lastIndex()) return undefined;
    const fromUnstable = this.unstable.maybeTerm(i);
    if (fromUnstable !== undefined) return fromUnstable;
    try {
      return this.storage.term(i);
    } catch (err) {
      if (err instanceof CompactedError || err instanceof UnavailableError) return undefined;
      throw err;
    }
  }

  /** Term of `i`, with 0 standing for "unknown" where a comparison just needs to fail. */
  zeroTermOnOutOfBounds(i: Index): Term {
    return this.termOrUndefined(i) ?? term(0);
  }

  /** Entries from `i` to the end, within `maxBytes`. Throws CompactedError below firstIndex. */
  entries(i: Index, maxBytes: number): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, index(this.lastIndex() + 1), maxBytes);
  }

  /** The whole log from the first index (tests and debugging). */
  allEntries(): Entry[] {
    return this.entries(this.firstIndex(), Number.MAX_SAFE_INTEGER);
  }

  /** Whether a candidate with last entry (lastIndex, lastTerm) is at least as up to date (§5.4.1). */
  isUpToDate(lastIndex: Index, lastTerm: Term): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  matchTerm(i: Index, t: Term): boolean {
    const ti = this.termOrUndefined(i);
    return ti !== undefined && ti === t;
  }

  /** Commits up to `maxIndex` if that entry is of term `t` (§5.4.2: only current-term entries by counting). */
  maybeCommit(maxIndex: Index, t: Term): boolean {
    if (maxIndex > this.committed && this.zeroTermOnOutOfBounds(maxIndex) === t) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /** Entries in [lo, hi) within `maxBytes`. Throws CompactedError when lo is compacted. */
  slice(lo: Index, hi: Index, maxBytes: number): Entry[] {
    this.checkOutOfBounds(lo, hi);
    if (lo === hi) return [];
    const offset = this.unstable.offset;
    let ents: Entry[] = [];
    if (lo < offset) {
      const stored = this.storage.entries(lo, index(Math.min(hi, offset)), maxBytes);
      // Storage returned fewer than asked: the byte limit was reached.
      if (stored.length < Math.min(hi, offset) - lo) return stored;
      ents = stored;
    }
    if (hi > offset) {
      const unstable = this.unstable.slice(index(Math.max(lo, offset)), hi);
      ents = ents.length > 0 ? ents.concat(unstable) : unstable;
    }
    return limitSize(ents, maxBytes);
  }

  private checkOutOfBounds(lo: Index, hi: Index): void {
    if (lo > hi) throw new RaftInvariantError(`invalid slice ${lo} > ${hi}`);
    const first = this.firstIndex();
    if (lo < first) throw new CompactedError();
    const length = this.lastIndex() + 1 - first;
    if (hi > first + length) {
      throw new RaftInvariantError(
        `slice[${lo},${hi}) out of bound [${first},${this.lastIndex()}]`,
      );
    }
  }
}

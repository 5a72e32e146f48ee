import { RaftInvariantError } from './errors.js';
import { index, type Entry, type Index, type Snapshot, type Term } from './types.js';

/**
 * The part of the log the driver has not yet confirmed durable: entries (and possibly an
 * incoming snapshot) that were handed out in a Ready and await `advance`.
 * Invariant: entries[i].index === offset + i.
 */
export class Unstable {
  snapshot: Snapshot | undefined = undefined;
  entries: Entry[] = [];

  constructor(public offset: Index) {}

  /** The first index, if the unstable part starts with a snapshot. */
  maybeFirstIndex(): Index | undefined {
    return this.snapshot === undefined ? undefined : index(this.snapshot.metadata.index + 1);
  }

  maybeLastIndex(): Index | undefined {
    if (this.entries.length > 0) return index(this.offset + this.entries.length - 1);
    return this.snapshot?.metadata.index;
  }

  maybeTerm(i: Index): Term | undefined {
    if (i < this.offset) {
      if (this.snapshot !== undefined && this.snapshot.metadata.index === i) {
        return this.snapshot.metadata.term;
      }
      return undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || i > last) return undefined;
    return this.entries[i - this.offset]!.term;
  }

  /** Entries up to (i, t) are durable: drop them, unless they were overwritten meanwhile. */
  stableTo(i: Index, t: Term): void {
    const gt = this.maybeTerm(i);
    if (gt === undefined) return;
    if (gt === t && i >= this.offset) {
      this.entries = this.entries.slice(i + 1 - this.offset);
      this.offset = index(i + 1);
    }
  }

  stableSnapTo(i: Index): void {
    if (this.snapshot !== undefined && this.snapshot.metadata.index === i) {
      this.snapshot = undefined;
    }
  }

  restore(s: Snapshot): void {
    this.offset = index(s.metadata.index + 1);
    this.entries = [];
    this.snapshot = s;
  }

  truncateAndAppend(ents: readonly Entry[]): void {
    const after = ents[0]!.index;
    if (after === this.offset + this.entries.length) {
      // The common case: a plain append. push() avoids copying the whole tail.
      for (const e of ents) this.entries.push(e);
    } else if (after <= this.offset) {
      // Replacing everything unstable; the driver overwrites storage from `after` on.
      this.offset = after;
      this.entries = ents.slice();
    } else {
      this.entries = this.slice(this.offset, after).concat(ents);
    }
  }

  slice(lo: Index, hi: Index): Entry[] {
    const upper = this.offset + this.entries.length;
    if (lo > hi || lo < this.offset || hi > upper) {
      throw new RaftInvariantError(
        `unstable.slice[${lo},${hi}) out of bound [${this.offset},${upper}]`,
      );
    }
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}

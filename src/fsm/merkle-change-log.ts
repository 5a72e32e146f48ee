/**
 * The keys changed since the last root, in the order their changes were applied: what a root
 * has to bring into the tree.
 *
 * Why a log and not a map of key to latest state: recording a change is the Merkle state's
 * only cost on the write path, and a Map insertion was the largest part of it. Every write
 * inserted a random key into a map that grew to tens of thousands of entries between two roots,
 * rehashing as it grew; profiled on a follower under pipelined SETs of changing values over
 * 100k keys, that was ~0.45 µs a write per member. Appending to three arrays costs a few
 * nanoseconds. A key changed several times between two roots is then logged several times,
 * and the root job keeps only its last change: it sorts each part's changes by key hash anyway,
 * stably, so a key's changes end up side by side in apply order (merkle-root-job.ts). A change
 * to the key logged just before it replaces that one, so that a key written over and over (a
 * counter, a hot hash) takes one slot, not one per write; the cost of other repeats, a key
 * hash each, is paid by the root, off the write path, and is bounded by the writes between two
 * roots (a snapshot, every `snapshotEntries` entries, takes one).
 */
import type { StoredEntry } from './keyspace.js';
import { canonicalValue } from './merkle-values.js';

/** A key's state at a root's index: its entry, its canonical bytes, or undefined if deleted. */
export type FrozenState = StoredEntry | Uint8Array | undefined;

export class ChangeLog {
  private readonly dbs: number[] = [];
  private readonly keys: string[] = [];
  private readonly states: FrozenState[] = [];
  /** Whether a hash entry was logged: its fields change in place (see `freeze`). */
  private hasHashes = false;

  /** Changes logged: an upper bound on the keys changed (a key may be logged more than once). */
  get length(): number {
    return this.keys.length;
  }

  /** Logs a change of `key` in database `db` to `state`. */
  push(db: number, key: string, state: FrozenState): void {
    if (state !== undefined && !(state instanceof Uint8Array) && state.value.type === 'hash') {
      this.hasHashes = true;
    }
    const last = this.keys.length - 1;
    if (last >= 0 && this.keys[last] === key && this.dbs[last] === db) {
      this.states[last] = state;
      return;
    }
    this.dbs.push(db);
    this.keys.push(key);
    this.states.push(state);
  }

  db(slot: number): number {
    return this.dbs[slot]!;
  }

  key(slot: number): string {
    return this.keys[slot]!;
  }

  state(slot: number): FrozenState {
    return this.states[slot];
  }

  /**
   * Makes the logged states those of the current index for good: a string entry is immutable
   * and stays a reference, but a hash's fields change in place, so a hash is encoded now (once
   * per entry, however many times it was logged). Called as the log is taken for a root, with
   * the key spaces' current entries.
   *
   * A logged hash entry that is no longer its key's entry was superseded by a later change,
   * which is logged too: its fields may have changed since, even to none (an HDEL of the last
   * field deletes the key), so it is not encoded. It becomes a deletion, which the root job
   * drops in favour of the later change.
   */
  freeze(current: (db: number, key: string) => StoredEntry | undefined): this {
    if (!this.hasHashes) return this;
    const encoded = new Map<StoredEntry, Uint8Array>();
    const states = this.states;
    for (let slot = 0; slot < states.length; slot++) {
      const state = states[slot];
      if (state === undefined || state instanceof Uint8Array || state.value.type !== 'hash') {
        continue;
      }
      if (current(this.dbs[slot]!, this.keys[slot]!) !== state) {
        states[slot] = undefined;
        continue;
      }
      let bytes = encoded.get(state);
      if (bytes === undefined) {
        bytes = canonicalValue(state);
        encoded.set(state, bytes);
      }
      states[slot] = bytes;
    }
    this.hasHashes = false;
    return this;
  }
}

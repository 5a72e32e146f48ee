/**
 * The root of the state at one index, computed in small steps while later entries apply.
 *
 * Why: a checkpoint needs the root of the state at its index. Computed inside the apply, it
 * brings every key changed since the previous root into the tree at once, which stalls the
 * member (and, since every member applies the same entry, the whole cluster) for as long as
 * that takes. Bringing keys in early instead, as they change, hashes a key once per write
 * rather than once per root: a key written ten times between two checkpoints costs ten leaf
 * hashes and ten root-to-leaf walks. Measured on a 100k-key state under random SETs, that
 * eager work cost each member about 11 µs of CPU per write — more than half of everything else
 * a follower does for it.
 *
 * So the job freezes the changed keys' values as they are at the index (a string entry is
 * immutable and kept by reference; a hash's fields change in place, so it is encoded now) and
 * leaves the rest for later: hashing each key, then bringing the keys into the tree one 1/256th
 * of the key-hash space at a time, in key-hash order (neighbouring paths share their upper
 * nodes, which stay in cache), hashing that part of the tree before moving on. The live state
 * moves on meanwhile; its changes wait in MerkleState's dirty sets for the next root, where a
 * key written many times is hashed once.
 *
 * Nothing but the job writes to the tree while it runs (MerkleState finishes it before any
 * other use of the tree), so after its last step the tree holds exactly the state at `index`.
 */
import {
  sortByKeyHash,
  type SmtChange,
  type SparseMerkleTree,
} from '../merkle/sparse-merkle-tree.js';
import type { StoredEntry } from './keyspace.js';
import { canonicalValue, treeKeyHash, treeKeyOf } from './merkle-values.js';

/** A key's state at the frozen index: its entry, its canonical bytes, or undefined if deleted. */
export type FrozenState = StoredEntry | Uint8Array | undefined;

/**
 * One changed key, from its hashing until its part of the tree is brought in. It holds only
 * the key hash and what it already had (the key, the frozen state): a root's changed keys wait
 * here across many turns of the event loop, and every object made for them in that time lives
 * through young-generation collections, each of which copies it. The tree key and the
 * canonical value are made just before the part is merged; the tree key only if the merge
 * creates a leaf for it (most changed keys are already in the tree).
 */
class PendingChange implements SmtChange {
  value: Uint8Array | undefined = undefined;
  constructor(
    readonly keyHash: string,
    private readonly db: number,
    private readonly name: string,
    private readonly state: FrozenState,
  ) {}

  get key(): Uint8Array {
    return treeKeyOf(this.db, this.name);
  }

  /**
   * Reads level `level` (0, 1, 2) of what `encode` will read (the entry, its value's Buffer,
   * the bytes); returns a number made of it. See RootJob.absorbPart.
   */
  touch(level: number): number {
    const state = this.state;
    if (state === undefined || state instanceof Uint8Array) return 0;
    if (level === 0) return state.expireAt;
    const value = state.value;
    if (value.type !== 'string') return 0;
    if (level === 1) return value.value.length;
    return value.value.length > 0 ? value.value[0]! : 0;
  }

  /** Encodes the value to set, if any: just before the merge that needs it. */
  encode(): void {
    const state = this.state;
    this.value = state === undefined || state instanceof Uint8Array ? state : canonicalValue(state);
  }
}

export class RootJob {
  /** The database being hashed, and where in its changes. */
  private db = 0;
  private cursor: Iterator<[string, FrozenState]> | undefined;
  /** Hashed changes by the first byte of their key hash: one part of the tree each. */
  private readonly parts: PendingChange[][] = Array.from({ length: 256 }, () => []);
  private part = 0;
  private result: Buffer | undefined;
  /** Where absorbPart leaves what it read ahead, so that the reads are not optimised out. */
  private touched = 0;
  /** Time spent in steps so far, in ms (the recompute metric). */
  workMs = 0;

  constructor(
    /** The Raft index whose state the root will be. */
    readonly index: number,
    private readonly tree: SparseMerkleTree,
    /** Per database, the changed keys and their states at `index`. */
    private readonly frozen: readonly ReadonlyMap<string, FrozenState>[],
    /**
     * Called once with the root, right after the last step: the tree still holds exactly the
     * state at `index` then (e.g. for a version of it).
     */
    readonly done: (root: Buffer) => void = () => undefined,
  ) {}

  /** The root, once the last step has run. */
  get root(): Buffer | undefined {
    return this.result;
  }

  /**
   * Does about `budget` keys' worth of work (at least one part of the tree once the keys are
   * hashed); returns true once the root is known.
   */
  step(budget: number): boolean {
    if (this.result !== undefined) return true;
    const started = performance.now();
    budget = this.hashSome(budget);
    if (this.db === this.frozen.length) {
      while (budget > 0 && this.part < 256) budget -= this.absorbPart() + 1;
      if (this.part === 256) this.result = Buffer.from(this.tree.root());
    }
    this.workMs += performance.now() - started;
    return this.result !== undefined;
  }

  /** Does all that is left now; returns the root. */
  finish(): Buffer {
    this.step(Number.POSITIVE_INFINITY);
    return this.result!;
  }

  /** Hashes up to `budget` changed keys into their parts; returns the budget left. */
  private hashSome(budget: number): number {
    const frozen = this.frozen;
    while (budget > 0 && this.db < frozen.length) {
      this.cursor ??= frozen[this.db]!.entries();
      const next = this.cursor.next();
      if (next.done === true) {
        this.cursor = undefined;
        this.db++;
        continue;
      }
      const [key, state] = next.value;
      const keyHash = treeKeyHash(this.db, key);
      this.parts[keyHash.charCodeAt(0)]!.push(new PendingChange(keyHash, this.db, key, state));
      budget--;
    }
    return budget;
  }

  /** Brings one part's changes into the tree and hashes that part; returns its size. */
  private absorbPart(): number {
    const changes = this.parts[this.part]!;
    this.parts[this.part] = [];
    if (changes.length > 0) {
      // What the encoding and the merge read (the frozen entries, the tree's nodes) was last
      // touched long before and is out of cache: read it first a level at a time across the
      // whole part, so that the waits for memory overlap (see warmPaths).
      let touched = 0;
      for (let level = 0; level < 3; level++) {
        for (const change of changes) touched ^= change.touch(level);
      }
      for (const change of changes) change.encode();
      const sorted = sortByKeyHash(changes, 1);
      touched ^= this.tree.warmPaths(sorted);
      this.touched = touched;
      // One descent for the whole part; a key rewritten with the value it had at the previous
      // root (a SET of the same bytes, an EXPIRE that changed nothing) leaves its leaf and
      // path, cached hashes included, as they are.
      this.tree.applySorted(sorted);
      this.tree.hashPrefix(this.part);
    }
    this.part++;
    return changes.length;
  }
}

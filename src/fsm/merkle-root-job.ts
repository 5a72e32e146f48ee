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
 * leaves the rest for later: hashing each key, then bringing the keys into the tree one part
 * of the key-hash space at a time, in key-hash order (neighbouring paths share their upper
 * nodes, which stay in cache), hashing that part of the tree before moving on. The live state
 * moves on meanwhile; its changes wait in MerkleState's change log for the next root, where a
 * key written many times is brought in once.
 *
 * Nothing but the job writes to the tree while it runs (MerkleState finishes it before any
 * other use of the tree), so after its last step the tree holds exactly the state at `index`.
 *
 * A part is the smallest piece of work a step can stop after, so parts are kept small: their
 * number grows with the changed keys (PART_KEYS each on average, 256 to 65,536 parts). With a
 * fixed 256, a million changed keys made parts of ~4,000 keys, over 10 ms each.
 */
import { NO_HEAD, type SmtChange, type SparseMerkleTree } from '../merkle/sparse-merkle-tree.js';
import { HASH_SIZE } from '../merkle/hash.js';
import type { ChangeLog, FrozenState } from './merkle-change-log.js';
import { canonicalBody, canonicalHead, treeKeyDigest, treeKeyOf } from './merkle-values.js';

export type { FrozenState } from './merkle-change-log.js';

/** Changed keys per part, on average: enough to overlap the memory reads of a part. */
const PART_KEYS = 64;
/** Parts are the subtrees under the first 8 to 16 bits of the key hashes. */
const MIN_PART_BITS = 8;
const MAX_PART_BITS = 16;
/** Parts are sorted by a number carrying a change's place in its part, below this. */
const SORT_INDEX_LIMIT = 2 ** 21;
/** Changed keys hashed between two looks at the clock. */
const HASH_BATCH = 64;

/** How many leading key-hash bits name a part, for `changed` changed keys. */
export function partBitsFor(changed: number): number {
  const wanted = Math.ceil(Math.log2(Math.max(1, changed / PART_KEYS)));
  return Math.min(MAX_PART_BITS, Math.max(MIN_PART_BITS, wanted));
}

/**
 * One changed key of the part being merged: made just before its part is, and garbage right
 * after, apart from what the tree keeps of it.
 */
class PendingChange implements SmtChange {
  /** The value to set, `head || value` (see SmtLeaf), made by `encode`; undefined deletes. */
  value: Uint8Array | undefined = undefined;
  head: Uint8Array = NO_HEAD;
  constructor(
    readonly keyHash: string,
    private readonly db: number,
    private readonly name: string,
    private readonly state: FrozenState,
  ) {}

  /** The tree key: made only if the merge creates a leaf for it (most keys have one). */
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

  /**
   * Settles the value to set, if any, just before the merge that needs it. A string's bytes are
   * its own Buffer behind a header, not a copy (see SmtLeaf).
   */
  encode(): void {
    const state = this.state;
    if (state === undefined || state instanceof Uint8Array) {
      this.value = state;
      return;
    }
    this.head = canonicalHead(state);
    this.value = canonicalBody(state);
  }
}

/**
 * The changed keys from their hashing until their part is merged, one slot each, in flat
 * arrays. A root's changed keys wait here across many turns of the event loop, and an object
 * made for each of them (a PendingChange, a key-hash string) would live through every
 * young-generation collection in that time, each copying it, and then be promoted. The arrays
 * here are made once (large ones outside the young generation) and the key hashes are bytes;
 * the objects are made per part, just before its merge, and die with it. Measured in one
 * process (100,000 keys, 100,000 random SETs, then a checkpoint's root computed between turns
 * that each apply 20 more), together with the timed slices of MerkleState: 56-65 ms of
 * young-generation collection per root before, 41-49 ms after.
 */
class ChangedKeys {
  readonly names: string[];
  readonly states: FrozenState[];
  readonly dbs: Uint8Array;
  /** 32 bytes of SHA-256(tree key) per slot. */
  readonly keyHashes: Buffer;
  /** The part of each slot (its key hash's first `partBits` bits). */
  readonly partOf: Uint16Array;
  filled = 0;
  /** Sort keys of the part being sorted (see latestInKeyHashOrder), reused from part to part. */
  private sortKeys = new Float64Array(256);

  constructor(capacity: number) {
    this.names = new Array<string>(capacity);
    this.states = new Array<FrozenState>(capacity);
    this.dbs = new Uint8Array(capacity);
    this.keyHashes = Buffer.allocUnsafe(capacity * HASH_SIZE);
    this.partOf = new Uint16Array(capacity);
  }

  add(db: number, name: string, state: FrozenState, keyHash: Uint8Array, part: number): void {
    const slot = this.filled++;
    this.names[slot] = name;
    this.states[slot] = state;
    this.dbs[slot] = db;
    this.partOf[slot] = part;
    const hashes = this.keyHashes;
    const at = slot * HASH_SIZE;
    for (let i = 0; i < HASH_SIZE; i++) hashes[at + i] = keyHash[i]!;
  }

  /**
   * The slots by part: slots of part p are order[start[p], start[p + 1]), in slot order (the
   * order the changes were applied in, which `latestInKeyHashOrder` relies on).
   */
  byPart(parts: number): { order: Uint32Array; start: Uint32Array } {
    const start = new Uint32Array(parts + 1);
    const n = this.filled;
    const partOf = this.partOf;
    for (let slot = 0; slot < n; slot++) start[partOf[slot]! + 1]!++;
    for (let p = 0; p < parts; p++) start[p + 1]! += start[p]!;
    const next = start.slice(0, parts);
    const order = new Uint32Array(n);
    for (let slot = 0; slot < n; slot++) order[next[partOf[slot]!]!++] = slot;
    return { order, start };
  }

  /**
   * The changes of slots[lo, hi) (one part's, in slot order) sorted by key hash, keeping only
   * the last change of each key: a key logged more than once (see merkle-change-log.ts) has its
   * slots side by side once sorted, in apply order.
   *
   * Sorted as numbers, not as key-hash strings compared in JavaScript: each slot's sort key is
   * the 32 key-hash bits after the first byte (a part shares at most 16 leading bits, so at
   * least 16 of these differ between two keys), times 2^21, plus the slot's place in the part.
   * A typed array sorts those natively, and a tie of the 32 bits (a key logged twice, or, about
   * once in 2^25 pairs, two keys) comes out in slot order; the full hashes then decide.
   */
  latestInKeyHashOrder(slots: Uint32Array, lo: number, hi: number): PendingChange[] {
    const n = hi - lo;
    if (n >= SORT_INDEX_LIMIT) throw new RangeError(`a part of ${n} changes is too large to sort`);
    if (this.sortKeys.length < n)
      this.sortKeys = new Float64Array(Math.max(n, 2 * this.sortKeys.length));
    const keys = this.sortKeys.subarray(0, n);
    const hashes = this.keyHashes;
    for (let i = 0; i < n; i++) {
      keys[i] = hashes.readUInt32BE(slots[lo + i]! * HASH_SIZE + 1) * SORT_INDEX_LIMIT + i;
    }
    keys.sort();
    const out: PendingChange[] = [];
    for (let i = 0; i < n;) {
      // The run of sort keys whose 32 bits tie, nearly always just this one.
      const bits = Math.floor(keys[i]! / SORT_INDEX_LIMIT);
      let end = i + 1;
      while (end < n && Math.floor(keys[end]! / SORT_INDEX_LIMIT) === bits) end++;
      if (end - i > 1) this.orderTies(keys, i, end, slots, lo);
      for (let j = i; j < end; j++) {
        const slot = slots[lo + (keys[j]! % SORT_INDEX_LIMIT)]!;
        if (j + 1 < end && this.sameKeyHash(slot, slots[lo + (keys[j + 1]! % SORT_INDEX_LIMIT)]!)) {
          continue; // a later change of the same key follows
        }
        out.push(this.change(slot));
      }
      i = end;
    }
    return out;
  }

  /** Orders keys[lo, hi), whose 32 bits tie, by full key hash, then slot (insertion sort). */
  private orderTies(
    keys: Float64Array,
    lo: number,
    hi: number,
    slots: Uint32Array,
    base: number,
  ): void {
    const slotOf = (k: number): number => slots[base + (k % SORT_INDEX_LIMIT)]!;
    for (let i = lo + 1; i < hi; i++) {
      const k = keys[i]!;
      let j = i - 1;
      while (j >= lo && this.compareKeyHashes(slotOf(keys[j]!), slotOf(k)) > 0) {
        keys[j + 1] = keys[j]!;
        j--;
      }
      keys[j + 1] = k;
    }
  }

  /** Byte order of two slots' key hashes; slot order for equal ones. */
  private compareKeyHashes(a: number, b: number): number {
    const hashes = this.keyHashes;
    const c = hashes.compare(
      hashes,
      b * HASH_SIZE,
      (b + 1) * HASH_SIZE,
      a * HASH_SIZE,
      (a + 1) * HASH_SIZE,
    );
    return c !== 0 ? c : a - b;
  }

  private sameKeyHash(a: number, b: number): boolean {
    const hashes = this.keyHashes;
    for (let i = 0; i < HASH_SIZE; i++) {
      if (hashes[a * HASH_SIZE + i] !== hashes[b * HASH_SIZE + i]) return false;
    }
    return true;
  }

  private change(slot: number): PendingChange {
    const at = slot * HASH_SIZE;
    const keyHash = this.keyHashes.toString('latin1', at, at + HASH_SIZE);
    return new PendingChange(keyHash, this.dbs[slot]!, this.names[slot]!, this.states[slot]);
  }
}

export class RootJob {
  /** The next logged change to hash. */
  private slot = 0;
  /** How many leading bits of a key hash name its part. */
  private readonly partBits: number;
  private readonly changed: ChangedKeys;
  /** Once every key is hashed: the slots by part (ChangedKeys.byPart). */
  private parts: { order: Uint32Array; start: Uint32Array } | undefined;
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
    /** The changes since the previous root, their states frozen at `index` (ChangeLog.freeze). */
    private readonly log: ChangeLog,
    /**
     * Called once with the root, right after the last step: the tree still holds exactly the
     * state at `index` then (e.g. for a version of it).
     */
    readonly done: (root: Buffer) => void = () => undefined,
  ) {
    this.partBits = partBitsFor(log.length);
    this.changed = new ChangedKeys(log.length);
  }

  /** The root, once the last step has run. */
  get root(): Buffer | undefined {
    return this.result;
  }

  /**
   * Does about `budget` keys' worth of work, stopping early once `deadline` (performance.now())
   * has passed, but always doing at least one part of the tree once the keys are hashed;
   * returns true once the root is known.
   */
  step(budget: number, deadline = Number.POSITIVE_INFINITY): boolean {
    if (this.result !== undefined) return true;
    const started = performance.now();
    budget = this.hashSome(budget, deadline);
    if (this.slot === this.log.length) {
      const parts = 1 << this.partBits;
      this.parts ??= this.changed.byPart(parts);
      if (this.part < parts) {
        do budget -= this.absorbPart() + 1;
        while (this.part < parts && budget > 0 && performance.now() < deadline);
      }
      if (this.part === parts) {
        this.result = Buffer.from(this.tree.root());
        this.parts = undefined;
      }
    }
    this.workMs += performance.now() - started;
    return this.result !== undefined;
  }

  /** Does all that is left now; returns the root. */
  finish(): Buffer {
    this.step(Number.POSITIVE_INFINITY);
    return this.result!;
  }

  /** Hashes up to `budget` logged changes' keys into their slots; returns the budget left. */
  private hashSome(budget: number, deadline: number): number {
    const log = this.log;
    const shift = 16 - this.partBits;
    let batch = HASH_BATCH;
    while (budget > 0 && this.slot < log.length) {
      if (--batch === 0) {
        if (performance.now() >= deadline) return 0;
        batch = HASH_BATCH;
      }
      const slot = this.slot++;
      const db = log.db(slot);
      const key = log.key(slot);
      const keyHash = treeKeyDigest(db, key);
      const part = ((keyHash[0]! << 8) | keyHash[1]!) >>> shift;
      this.changed.add(db, key, log.state(slot), keyHash, part);
      budget--;
    }
    return budget;
  }

  /** Brings one part's changes into the tree and hashes that part; returns its size. */
  private absorbPart(): number {
    const { order, start } = this.parts!;
    const lo = start[this.part]!;
    const hi = start[this.part + 1]!;
    if (hi > lo) {
      const sorted = this.changed.latestInKeyHashOrder(order, lo, hi);
      // What the encoding and the merge read (the frozen entries, the tree's nodes) was last
      // touched long before and is out of cache: read it first a level at a time across the
      // whole part, so that the waits for memory overlap (see warmPaths).
      let touched = 0;
      for (let level = 0; level < 3; level++) {
        for (const change of sorted) touched ^= change.touch(level);
      }
      for (const change of sorted) change.encode();
      touched ^= this.tree.warmPaths(sorted);
      this.touched = touched;
      // One descent for the whole part; a key rewritten with the value it had at the previous
      // root (a SET of the same bytes, an EXPIRE that changed nothing) leaves its leaf and
      // path, cached hashes included, as they are.
      this.tree.applySorted(sorted);
      this.tree.hashPrefix(this.part, this.partBits);
    }
    this.part++;
    return hi - lo;
  }
}

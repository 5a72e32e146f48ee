/**
 * A compressed binary sparse Merkle tree over SHA-256(key), hashed exactly as ICS-23's SmtSpec
 * (see spec.ts):
 *
 *   leaf  = SHA-256(0x00 || SHA-256(key) || SHA-256(value))
 *   inner = SHA-256(0x01 || left || right)
 *   empty = 32 zero bytes
 *
 * The path of a key is the 256 bits of SHA-256(key), most significant bit of byte 0 first;
 * bit 0 goes left. "Compressed": a subtree holding a single leaf is that leaf, so a leaf sits
 * one level below the deepest point where its path still shares a prefix with another key, and
 * an inner node always has at least two leaves below it (one of its children may be empty).
 * The root of the empty map is the empty hash; the root of a one-key map is that key's leaf.
 * This is the shape celestiaorg/smt produces and cosmos/ics23's SmtSpec describes.
 *
 * Cost model (the state machine calls `set`/`delete` on every applied write):
 * - `set` and `delete` hash the key once (needed to find the path) and walk at most
 *   ~log2(n) + a few nodes, clearing cached hashes on the way: no tree hashing, no allocation
 *   beyond the new leaf (and the inner nodes a split creates) unless a snapshot froze the path.
 * - `applySorted` brings a batch of changes sorted by key hash in with one descent, visiting
 *   each node on the changed paths once (the state machine's roots use it).
 * - `root()` rehashes only nodes whose cached hash was cleared. After w writes into an n-key
 *   tree that is about w * (log2(n) - log2(w) + 1) inner hashes plus 2w leaf hashes.
 *
 * Versions: `snapshot()` returns an immutable `SmtVersion` in O(1). Nodes carry the epoch they
 * were created in; a snapshot ends the epoch, which freezes every existing node. A later write
 * copies a frozen node before changing it (path copying) and mutates nodes of the current epoch
 * in place, so with no snapshot outstanding the write path allocates nothing extra, and right
 * after a snapshot each write copies at most the ~log2(n) + 1 nodes on its path, once per node.
 *
 * Memory (Node 20, measured by test/merkle/smt.bench.ts): ~340 bytes per key for the tree's own
 * structure (leaf object with its key hash as a 32-byte latin1 string, and ~1.4 inner nodes per
 * leaf, each node an object holding its cached hash), on top of the key and value arrays, which
 * are kept by reference, not copied (a value may be two arrays: see SmtLeaf). A retained version
 * costs nothing while the live tree is unchanged; each later write makes it pin what that write
 * replaced: the old leaf (and its value) and the old copies of the inner nodes on the path that no
 * earlier write since the snapshot had copied yet. Measured: 100,000 distinct writes after a
 * snapshot of a 1M-key tree leave the version pinning ~81 MB (~850 bytes per write, 40-byte values
 * included); the bound is the whole tree at the time of the snapshot (~340 bytes per key plus its
 * values). Dropping the SmtVersion releases all of it. A cached hash filled in on a shared node is
 * harmless: it is a pure function of that node's frozen contents, so every version sees the same
 * value.
 */
import { EMPTY_HASH, HASH_SIZE, bitAt, bytesEqual, fromLatin1, sha256Latin1 } from './hash.js';
import { sha256Scratch } from './sha256.js';
import { SMT_INNER_PREFIX, SMT_LEAF_PREFIX } from './spec.js';

/**
 * @internal What every node has: its hash, cached in the node itself as eight 32-bit words
 * (in the platform's byte order, as sha256.ts's `digestWords` reads them), valid while `hashed`. A rehash overwrites the words: a hash kept as its own
 * string was a new object per changed node per root, most of what a write load made the
 * collector copy and promote.
 */
export abstract class SmtHashed {
  hashed = false;
  h0 = 0;
  h1 = 0;
  h2 = 0;
  h3 = 0;
  h4 = 0;
  h5 = 0;
  h6 = 0;
  h7 = 0;
}

/**
 * @internal A key-value leaf. `keyHash` is SHA-256(key) as a latin1 string.
 *
 * The value is kept in two parts, `head || body`, hashed and compared as the joined bytes. Why:
 * the state machine's values are a short header (type, expiry) followed by bytes it already
 * holds, a Redis string's own Buffer. Joined, every changed key cost a new array, a copy, and
 * that array's promotion to the old generation, since the leaf keeps it until the key changes
 * again; measured in one process, about a fifth of the Merkle cost of a write. In two parts,
 * the body is the string's Buffer and the header of a string without expiry is one shared
 * array. A value handed over whole has an empty head.
 */
export class SmtLeaf extends SmtHashed {
  constructor(
    readonly keyHash: string,
    public key: Uint8Array,
    public body: Uint8Array,
    public head: Uint8Array,
    public epoch: number,
  ) {
    super();
  }

  /** The value's bytes: `body` itself when the head is empty, else a new array. */
  get value(): Uint8Array {
    return joinValue(this.head, this.body);
  }
}

/** An empty head: the body is the whole value. */
export const NO_HEAD = new Uint8Array(0);

/**
 * `head || body`, as `body` itself when the head is empty, else as a new Buffer (the state
 * machine's values are Buffers, whole or joined).
 */
export function joinValue(head: Uint8Array, body: Uint8Array): Uint8Array {
  return head.length === 0 ? body : Buffer.concat([head, body]);
}

/**
 * Whether `head1 || body1` and `head2 || body2` are the same bytes. Only values split alike
 * are compared part by part (the state machine always splits a value the same way); values
 * split differently are compared joined.
 */
export function sameValue(
  head1: Uint8Array,
  body1: Uint8Array,
  head2: Uint8Array,
  body2: Uint8Array,
): boolean {
  if (head1.length !== head2.length) {
    return bytesEqual(joinValue(head1, body1), joinValue(head2, body2));
  }
  return (
    (head1 === head2 || bytesEqual(head1, head2)) && (body1 === body2 || bytesEqual(body1, body2))
  );
}

/** @internal An inner node: at least two leaves below it; null is an empty subtree. */
export class SmtInner extends SmtHashed {
  constructor(
    public left: SmtNode | null,
    public right: SmtNode | null,
    public epoch: number,
  ) {
    super();
  }
}

/** @internal */
export type SmtNode = SmtLeaf | SmtInner;

/** Read access shared by the live tree and its immutable versions. */
export interface SmtView {
  /** Number of keys. */
  readonly size: number;
  get(key: Uint8Array): Uint8Array | undefined;
  has(key: Uint8Array): boolean;
  /** The 32-byte root (a fresh copy). Hashes whatever changed since the last call. */
  root(): Uint8Array;
  /** Entries in the tree's order: ascending SHA-256(key). */
  entries(): IterableIterator<[key: Uint8Array, value: Uint8Array]>;
  /** @internal The root node, for the proof builder. */
  readonly rootNode: SmtNode | null;
}

/** First bit index >= `from` at which two distinct hashes differ. */
function firstDifferingBit(a: string, b: string, from: number): number {
  for (let i = from >>> 3; i < 32; i++) {
    const x = a.charCodeAt(i) ^ b.charCodeAt(i);
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  // Two different keys with the same SHA-256: not going to happen; refuse rather than loop.
  throw new Error('SHA-256 collision between two keys');
}

const { preimage, digestWords } = sha256Scratch;
/** Node words go into preimages in the byte order `digestWords` read them in. */
const preimageView = new DataView(preimage.buffer, preimage.byteOffset, preimage.byteLength);
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Where `nodeHash` lays out the words it turns into a string. */
const hashOut = Buffer.alloc(HASH_SIZE);
const hashOutView = new DataView(hashOut.buffer, hashOut.byteOffset, hashOut.byteLength);

/** Writes the hash of `node` (the empty hash for null) to out[at, at + 32). */
function putHash(out: DataView, at: number, node: SmtHashed | null): void {
  if (node === null) {
    for (let i = 0; i < HASH_SIZE; i += 4) out.setInt32(at + i, 0);
    return;
  }
  out.setInt32(at, node.h0, LITTLE_ENDIAN);
  out.setInt32(at + 4, node.h1, LITTLE_ENDIAN);
  out.setInt32(at + 8, node.h2, LITTLE_ENDIAN);
  out.setInt32(at + 12, node.h3, LITTLE_ENDIAN);
  out.setInt32(at + 16, node.h4, LITTLE_ENDIAN);
  out.setInt32(at + 20, node.h5, LITTLE_ENDIAN);
  out.setInt32(at + 24, node.h6, LITTLE_ENDIAN);
  out.setInt32(at + 28, node.h7, LITTLE_ENDIAN);
}

/** SHA-256 of the node's preimage (prefix byte and two hashes), into the node's words. */
function digestInto(node: SmtHashed): void {
  sha256Scratch.digestPreimage(1 + 2 * HASH_SIZE);
  const d = digestWords;
  node.h0 = d[0]!;
  node.h1 = d[1]!;
  node.h2 = d[2]!;
  node.h3 = d[3]!;
  node.h4 = d[4]!;
  node.h5 = d[5]!;
  node.h6 = d[6]!;
  node.h7 = d[7]!;
  node.hashed = true;
}

/** @internal Computes and caches the node's hash, and whatever is missing below it. */
export function ensureHashed(node: SmtNode): void {
  if (node.hashed) return;
  if (node instanceof SmtLeaf) {
    // SHA-256(0x00 || SHA-256(key) || SHA-256(value)), the value's hash made in place.
    const keyHash = node.keyHash;
    preimage[0] = SMT_LEAF_PREFIX;
    for (let i = 0; i < HASH_SIZE; i++) preimage[1 + i] = keyHash.charCodeAt(i);
    if (node.head.length === 0) sha256Scratch.hashIntoPreimage(node.body, 1 + HASH_SIZE);
    else sha256Scratch.hashJoinedIntoPreimage(node.head, node.body, 1 + HASH_SIZE);
  } else {
    // SHA-256(0x01 || left || right); the children first, as they use the preimage too.
    const { left, right } = node;
    if (left !== null) ensureHashed(left);
    if (right !== null) ensureHashed(right);
    preimage[0] = SMT_INNER_PREFIX;
    putHash(preimageView, 1, left);
    putHash(preimageView, 1 + HASH_SIZE, right);
  }
  digestInto(node);
}

/** @internal The node's hash as a latin1 string, computing whatever is missing. */
export function nodeHash(node: SmtNode | null): string {
  if (node === null) return EMPTY_HASH;
  ensureHashed(node);
  putHash(hashOutView, 0, node);
  return hashOut.toString('latin1');
}

/** @internal Whether two nodes hash alike, computing whatever is missing. */
export function sameHash(a: SmtNode, b: SmtNode): boolean {
  ensureHashed(a);
  ensureHashed(b);
  return (
    a.h0 === b.h0 &&
    a.h1 === b.h1 &&
    a.h2 === b.h2 &&
    a.h3 === b.h3 &&
    a.h4 === b.h4 &&
    a.h5 === b.h5 &&
    a.h6 === b.h6 &&
    a.h7 === b.h7
  );
}

/** @internal The leaf for `keyHash`, if present. */
export function findLeaf(root: SmtNode | null, keyHash: string): SmtLeaf | undefined {
  let node = root;
  for (let depth = 0; node !== null; depth++) {
    if (node instanceof SmtLeaf) return node.keyHash === keyHash ? node : undefined;
    node = bitAt(keyHash, depth) === 0 ? node.left : node.right;
  }
  return undefined;
}

function* walk(node: SmtNode | null): Generator<[Uint8Array, Uint8Array]> {
  // Explicit stack: the depth is bounded (256) but generators recursing 256 deep are slow.
  const stack: SmtNode[] = [];
  if (node !== null) stack.push(node);
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n instanceof SmtLeaf) {
      yield [n.key, n.value];
    } else {
      if (n.right !== null) stack.push(n.right);
      if (n.left !== null) stack.push(n.left);
    }
  }
}

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array)) throw new TypeError('key must be a Uint8Array');
}

/** An immutable version of a tree, taken by `SparseMerkleTree.snapshot()`. */
export class SmtVersion implements SmtView {
  /** @internal */
  constructor(
    readonly rootNode: SmtNode | null,
    readonly size: number,
  ) {}

  get(key: Uint8Array): Uint8Array | undefined {
    checkKey(key);
    return findLeaf(this.rootNode, sha256Latin1(key))?.value;
  }

  has(key: Uint8Array): boolean {
    return this.get(key) !== undefined;
  }

  root(): Uint8Array {
    return fromLatin1(nodeHash(this.rootNode));
  }

  entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    return walk(this.rootNode);
  }
}

/**
 * Epochs are unique across every tree in the process, not per tree: a tree started from another
 * tree's version (`fromVersion`) shares that tree's nodes, and must never mistake one of them
 * for its own.
 */
let nextEpoch = 1;

/**
 * The live, mutable tree. Keys and values are kept by reference: the caller must not mutate a
 * Uint8Array after handing it to `set` (the state machine encodes a fresh one per write).
 */
export class SparseMerkleTree implements SmtView {
  private top: SmtNode | null = null;
  private count = 0;
  /** Nodes with this epoch belong to the live tree only and may be changed in place. */
  private epoch = nextEpoch++;

  /**
   * A live tree that starts as `version` and shares its nodes: O(1), and changing it copies
   * only the paths it changes, leaving `version` (and every tree sharing it) untouched.
   */
  static fromVersion(version: SmtVersion): SparseMerkleTree {
    const tree = new SparseMerkleTree();
    tree.top = version.rootNode;
    tree.count = version.size;
    return tree;
  }

  /**
   * Builds a tree from many entries at once: the same tree as `set` on each in turn (a later
   * entry for the same key wins), without walking a path per key. See SmtBuilder.
   */
  static builder(): SmtBuilder {
    const tree = new SparseMerkleTree();
    return new SmtBuilder(tree.epoch, (top, count) => {
      tree.top = top;
      tree.count = count;
      return tree;
    });
  }

  get size(): number {
    return this.count;
  }

  /** @internal */
  get rootNode(): SmtNode | null {
    return this.top;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    checkKey(key);
    return findLeaf(this.top, sha256Latin1(key))?.value;
  }

  has(key: Uint8Array): boolean {
    return this.get(key) !== undefined;
  }

  root(): Uint8Array {
    return fromLatin1(nodeHash(this.top));
  }

  /** Whether `root()` has hashing to do (something changed since it last ran). */
  get stale(): boolean {
    return this.top !== null && !this.top.hashed;
  }

  /** The root as lowercase hex (the form checkpoints and PROVE replies carry). */
  rootHex(): string {
    return Buffer.from(nodeHash(this.top), 'latin1').toString('hex');
  }

  entries(): IterableIterator<[Uint8Array, Uint8Array]> {
    return walk(this.top);
  }

  /**
   * An immutable view of the current state, O(1). Writes to this tree afterwards do not show
   * through it; see the file comment for what keeping it costs.
   */
  snapshot(): SmtVersion {
    this.epoch = nextEpoch++;
    return new SmtVersion(this.top, this.count);
  }

  /** Makes `node` safe to change in place: itself if it is of the current epoch, else a copy. */
  private writable(node: SmtInner): SmtInner {
    if (node.epoch === this.epoch) return node;
    return new SmtInner(node.left, node.right, this.epoch);
  }

  private attach(parent: SmtInner | null, right: number, child: SmtNode | null): void {
    if (parent === null) this.top = child;
    else if (right === 0) parent.left = child;
    else parent.right = child;
  }

  /**
   * Inserts or replaces. Both key and value must be non-empty: an ICS-23 leaf op refuses an
   * empty key or value, so such an entry could never be proven.
   */
  set(key: Uint8Array, value: Uint8Array): void {
    checkKey(key);
    if (!(value instanceof Uint8Array)) throw new TypeError('value must be a Uint8Array');
    if (key.length === 0) throw new RangeError('SMT keys must be non-empty (ICS-23 leaf op)');
    if (value.length === 0) throw new RangeError('SMT values must be non-empty (ICS-23 leaf op)');
    const keyHash = sha256Latin1(key);
    const epoch = this.epoch;

    let parent: SmtInner | null = null;
    let side = 0;
    let node = this.top;
    let depth = 0;
    while (node instanceof SmtInner) {
      let w = node;
      if (w.epoch !== epoch) {
        w = new SmtInner(node.left, node.right, epoch);
        this.attach(parent, side, w);
      }
      w.hashed = false;
      parent = w;
      side = bitAt(keyHash, depth);
      node = side === 0 ? w.left : w.right;
      depth++;
    }

    if (node === null) {
      const fresh = new SmtLeaf(keyHash, key, value, NO_HEAD, epoch);
      this.attach(parent, side, fresh);
      this.count++;
      return;
    }
    if (node.keyHash === keyHash) {
      if (node.epoch === epoch) {
        node.key = key;
        node.body = value;
        node.head = NO_HEAD;
        node.hashed = false;
      } else {
        const fresh = new SmtLeaf(keyHash, key, value, NO_HEAD, epoch);
        this.attach(parent, side, fresh);
      }
      return;
    }
    // Another key's leaf occupies the spot: push both down to where their paths part. The
    // existing leaf moves unchanged (a leaf's hash does not depend on its depth).
    const split = firstDifferingBit(keyHash, node.keyHash, depth);
    const fresh = new SmtLeaf(keyHash, key, value, NO_HEAD, epoch);
    let sub: SmtInner =
      bitAt(keyHash, split) === 0
        ? new SmtInner(fresh, node, epoch)
        : new SmtInner(node, fresh, epoch);
    for (let d = split - 1; d >= depth; d--) {
      sub =
        bitAt(keyHash, d) === 0 ? new SmtInner(sub, null, epoch) : new SmtInner(null, sub, epoch);
    }
    this.attach(parent, side, sub);
    this.count++;
  }

  /**
   * @internal Brings a batch of changes into the tree in one descent: `changes` are sorted by
   * key hash (`keyHashOf`), one per key, a value to set or undefined to delete, each meeting
   * `set`'s contract. The result is the tree that `set` and `delete` on each change would leave,
   * but every node on the changed paths is visited once rather than once per key below it, and
   * a key set to the bytes it already holds leaves its leaf and path (and their cached hashes)
   * as they are.
   */
  applySorted(changes: readonly SmtChange[]): void {
    if (changes.length === 0) return;
    this.top = this.merge(this.top, 0, changes, 0, changes.length);
  }

  /**
   * @internal Reads the nodes on the path of each key hash in `items`, and the leaf each path
   * ends at, one level of all the paths at a time; returns a number made of what it read.
   *
   * Why: `applySorted` walks one path after another, and each node it reads was last touched
   * at the previous root, out of cache by now, so every level of every path waits for memory
   * in turn. Here the reads of one level are independent of each other and the processor
   * keeps many of them in flight together; `applySorted` then finds the nodes in cache.
   */
  warmPaths(items: readonly { readonly keyHash: string }[]): number {
    const n = items.length;
    const cursor = new Array<SmtNode | null>(n).fill(this.top);
    let touched = 0;
    let live = n;
    for (let depth = 0; live > 0; depth++) {
      live = 0;
      for (let i = 0; i < n; i++) {
        const node = cursor[i]!;
        if (!(node instanceof SmtInner)) continue;
        const next = bitAt(items[i]!.keyHash, depth) === 0 ? node.left : node.right;
        cursor[i] = next;
        if (next instanceof SmtInner) live++;
      }
    }
    for (let i = 0; i < n; i++) {
      const leaf = cursor[i];
      if (leaf instanceof SmtLeaf) touched ^= leaf.keyHash.length ^ leaf.body.length;
    }
    for (let i = 0; i < n; i++) {
      const leaf = cursor[i];
      if (leaf instanceof SmtLeaf && leaf.body.length > 0) touched ^= leaf.body[0]!;
    }
    return touched;
  }

  /**
   * @internal Hashes, and caches, whatever changed in the subtree of the keys whose hash
   * starts with the `bits` bits of `prefix` (1 to 16): the part of `root()`'s work that depends
   * only on those keys, so that a caller can spread a root over many small steps.
   */
  hashPrefix(prefix: number, bits: number): void {
    let node = this.top;
    for (let depth = 0; depth < bits && node instanceof SmtInner; depth++) {
      node = ((prefix >>> (bits - 1 - depth)) & 1) === 0 ? node.left : node.right;
    }
    if (node !== null) ensureHashed(node);
  }

  /** The subtree at `depth` that holds `node` with changes[lo, hi) applied. */
  private merge(
    node: SmtNode | null,
    depth: number,
    changes: readonly SmtChange[],
    lo: number,
    hi: number,
  ): SmtNode | null {
    if (lo === hi) return node;
    if (node instanceof SmtInner) {
      const mid = firstWithBitSet(changes, lo, hi, depth);
      const left = this.merge(node.left, depth + 1, changes, lo, mid);
      const right = this.merge(node.right, depth + 1, changes, mid, hi);
      if (left === node.left && right === node.right) {
        // The same children, but one may have been changed in place (a node of this epoch):
        // then its hash is gone, and this node's must go too. (Only nodes of this epoch are
        // changed in place, and their parents are of this epoch as well.)
        if (node.hashed && (unhashed(left) || unhashed(right))) node.hashed = false;
        return node;
      }
      // Compression: a subtree left with a single leaf is that leaf.
      if (left === null && (right === null || right instanceof SmtLeaf)) return right;
      if (right === null && left instanceof SmtLeaf) return left;
      const w = node.epoch === this.epoch ? node : new SmtInner(null, null, this.epoch);
      w.left = left;
      w.right = right;
      w.hashed = false;
      return w;
    }
    if (hi - lo === 1) {
      // The common cases, without building a subtree: one change to this very leaf, or one
      // key set where nothing was.
      const c = changes[lo]!;
      if (node === null) {
        if (c.value === undefined) return null;
        this.count++;
        return new SmtLeaf(c.keyHash, c.key, c.value, c.head, this.epoch);
      }
      if (c.keyHash === node.keyHash) {
        if (c.value === undefined) {
          this.count--;
          return null;
        }
        if (sameValue(c.head, c.value, node.head, node.body)) return node;
        // The same key: the leaf keeps its key and key hash, and the change's copies die young.
        if (node.epoch !== this.epoch) {
          return new SmtLeaf(node.keyHash, node.key, c.value, c.head, this.epoch);
        }
        node.body = c.value;
        node.head = c.head;
        node.hashed = false;
        return node;
      }
    }
    // An empty spot or a single leaf: what ends up here are that leaf (unless a change
    // replaces or deletes it) and the keys set below; build their compressed subtree.
    const leaves: SmtLeaf[] = [];
    let kept = node;
    for (let i = lo; i < hi; i++) {
      const c = changes[i]!;
      if (kept !== null && c.keyHash === kept.keyHash) {
        if (c.value !== undefined && !sameValue(c.head, c.value, kept.head, kept.body)) {
          leaves.push(new SmtLeaf(kept.keyHash, kept.key, c.value, c.head, this.epoch));
        } else if (c.value !== undefined) {
          leaves.push(kept);
        } else {
          this.count--;
        }
        kept = null;
        continue;
      }
      if (kept !== null && kept.keyHash < c.keyHash) {
        leaves.push(kept);
        kept = null;
      }
      if (c.value !== undefined) {
        leaves.push(new SmtLeaf(c.keyHash, c.key, c.value, c.head, this.epoch));
        this.count++;
      }
    }
    if (kept !== null) leaves.push(kept);
    if (leaves.length === 1 && leaves[0] === node) return node;
    return buildSubtree(leaves, 0, leaves.length, depth, this.epoch);
  }

  /** Removes `key`; returns whether it was present. */
  delete(key: Uint8Array): boolean {
    checkKey(key);
    const keyHash = sha256Latin1(key);
    // Look first, so that deleting an absent key copies and dirties nothing.
    if (findLeaf(this.top, keyHash) === undefined) return false;

    const path: SmtInner[] = [];
    const sides: number[] = [];
    let parent: SmtInner | null = null;
    let side = 0;
    let node = this.top;
    for (let depth = 0; node instanceof SmtInner; depth++) {
      const w = this.writable(node);
      w.hashed = false;
      if (w !== node) this.attach(parent, side, w);
      path.push(w);
      parent = w;
      side = bitAt(keyHash, depth);
      sides.push(side);
      node = side === 0 ? w.left : w.right;
    }
    this.attach(parent, side, null);
    this.count--;

    // Restore compression: an inner node left with a single leaf below it becomes that leaf,
    // and so on upwards while the parent is in the same situation.
    for (let i = path.length - 1; i >= 0; i--) {
      const p = path[i]!;
      let only: SmtNode | null;
      if (p.left === null) only = p.right;
      else if (p.right === null) only = p.left;
      else break;
      if (!(only instanceof SmtLeaf)) break;
      this.attach(i === 0 ? null : path[i - 1]!, i === 0 ? 0 : sides[i - 1]!, only);
    }
    return true;
  }
}

/** @internal For the proof builder: SHA-256(key) in the tree's representation. */
export function keyHashOf(key: Uint8Array): string {
  return sha256Latin1(key);
}

/**
 * @internal One key's change for `applySorted`: a value to set, `head || value` (see SmtLeaf),
 * or an undefined value to delete. `key` is read only when the key is new to the tree (a
 * getter may build it then): a key already in the tree keeps the bytes its leaf holds.
 */
export interface SmtChange {
  readonly keyHash: string;
  readonly key: Uint8Array;
  readonly value: Uint8Array | undefined;
  readonly head: Uint8Array;
}

/** Whether a subtree has changed since its hash was last computed (empty ones never do). */
function unhashed(node: SmtNode | null): boolean {
  return node !== null && !node.hashed;
}

/** The first of items[lo, hi), sorted by key hash, whose bit `depth` is 1 (hi if none). */
function firstWithBitSet(
  items: readonly { readonly keyHash: string }[],
  lo: number,
  hi: number,
  depth: number,
): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (bitAt(items[mid]!.keyHash, depth) === 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The compressed subtree at `depth` holding leaves[lo, hi), sorted by key hash and all sharing
 * their first `depth` bits: a single leaf is itself, and every inner node splits its range
 * where the next path bit turns from 0 to 1 (one side may be empty).
 */
function buildSubtree(
  leaves: readonly SmtLeaf[],
  lo: number,
  hi: number,
  depth: number,
  epoch: number,
): SmtNode | null {
  if (lo === hi) return null;
  if (hi - lo === 1) return leaves[lo]!;
  const mid = firstWithBitSet(leaves, lo, hi, depth);
  return new SmtInner(
    buildSubtree(leaves, lo, mid, depth + 1, epoch),
    buildSubtree(leaves, mid, hi, depth + 1, epoch),
    epoch,
  );
}

/** Order of leaves by key hash (latin1 strings compare in byte order). */
function byKeyHash(a: { readonly keyHash: string }, b: { readonly keyHash: string }): number {
  return a.keyHash < b.keyHash ? -1 : a.keyHash > b.keyHash ? 1 : 0;
}

/** Buckets above this size are sorted by comparison rather than by insertion. */
const INSERTION_SORT_MAX = 24;

/**
 * @internal `items` sorted by key hash, stably (equal hashes keep their order), given that
 * every item's hash starts with the same `skip` bytes (the builder sorts all leaves: 0).
 * Key hashes are SHA-256 outputs, spread evenly: a counting sort on the next bits, with about
 * as many buckets as items, leaves a bucket or two per item, each finished by insertion. That
 * is a few string comparisons per item instead of log2(n) of them.
 */
export function sortByKeyHash<T extends { readonly keyHash: string }>(
  items: readonly T[],
  skip: number,
): T[] {
  const n = items.length;
  if (n < 2 * INSERTION_SORT_MAX) return [...items].sort(byKeyHash);
  const bits = Math.min(16, 32 - Math.clz32(n - 1));
  const bucketOf = (x: T): number =>
    ((x.keyHash.charCodeAt(skip) << 8) | x.keyHash.charCodeAt(skip + 1)) >>> (16 - bits);
  const buckets = 1 << bits;
  const counts = new Uint32Array(buckets + 1);
  for (const x of items) counts[bucketOf(x) + 1]!++;
  for (let b = 0; b < buckets; b++) counts[b + 1]! += counts[b]!;
  const out = new Array<T>(n);
  const next = counts.slice(0, buckets);
  for (const x of items) out[next[bucketOf(x)]!++] = x;
  for (let b = 0; b < buckets; b++) {
    const lo = counts[b]!;
    const hi = counts[b + 1]!;
    if (hi - lo > INSERTION_SORT_MAX) {
      const sorted = out.slice(lo, hi).sort(byKeyHash);
      for (let i = lo; i < hi; i++) out[i] = sorted[i - lo]!;
      continue;
    }
    for (let i = lo + 1; i < hi; i++) {
      const x = out[i]!;
      let j = i - 1;
      while (j >= lo && byKeyHash(out[j]!, x) > 0) {
        out[j + 1] = out[j]!;
        j--;
      }
      out[j + 1] = x;
    }
  }
  return out;
}

/**
 * Bulk construction (a full rebuild, e.g. after a snapshot restore): `add` every entry, then
 * `finish`. The leaves are sorted by key hash (sortByKeyHash, a counting sort), then the
 * compressed tree is built over the sorted run, splitting each range where the
 * next path bit turns from 0 to 1. That replaces a root-to-leaf walk per key with about one
 * comparison per key; the nodes are the ones `set` would have made, hashes not yet computed.
 */
export class SmtBuilder {
  private leaves: SmtLeaf[] = [];
  private done = false;

  /** @internal Use SparseMerkleTree.builder(). */
  constructor(
    private readonly epoch: number,
    private readonly complete: (top: SmtNode | null, count: number) => SparseMerkleTree,
  ) {}

  /**
   * Same contract as SparseMerkleTree.set: a non-empty key and value, kept by reference. The
   * value is `head || body` (see SmtLeaf); without a head, `body` is the whole value.
   */
  add(key: Uint8Array, body: Uint8Array, head: Uint8Array = NO_HEAD): void {
    if (this.done) throw new Error('SmtBuilder.add after finish');
    checkKey(key);
    if (!(body instanceof Uint8Array) || !(head instanceof Uint8Array)) {
      throw new TypeError('value must be a Uint8Array');
    }
    if (key.length === 0) throw new RangeError('SMT keys must be non-empty (ICS-23 leaf op)');
    if (head.length + body.length === 0) {
      throw new RangeError('SMT values must be non-empty (ICS-23 leaf op)');
    }
    this.leaves.push(new SmtLeaf(sha256Latin1(key), key, body, head, this.epoch));
  }

  finish(): SparseMerkleTree {
    if (this.done) throw new Error('SmtBuilder.finish called twice');
    this.done = true;
    const sorted = this.sorted();
    this.leaves = [];
    return this.complete(buildSubtree(sorted, 0, sorted.length, 0, this.epoch), sorted.length);
  }

  /** The leaves in key-hash order, one per key (the last added wins). */
  private sorted(): SmtLeaf[] {
    const out = sortByKeyHash(this.leaves, 0);
    // Drop all but the last of equal keys.
    let w = 0;
    for (let i = 0; i < out.length; i++) {
      if (i + 1 < out.length && out[i]!.keyHash === out[i + 1]!.keyHash) continue;
      out[w++] = out[i]!;
    }
    out.length = w;
    return out;
  }
}

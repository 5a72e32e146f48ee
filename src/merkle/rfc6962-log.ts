/**
 * An append-only Merkle log as RFC 6962 §2.1 defines it (the Certificate Transparency tree),
 * holding (index, root) checkpoints that the caller encodes, so that a client holding an older
 * checkpoint can be shown the newer one extends it.
 *
 *   leaf hash  = SHA-256(0x00 || data)
 *   node hash  = SHA-256(0x01 || left || right)
 *   MTH({})    = SHA-256("")
 *   MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two < n
 *
 * The log keeps the hash of every complete, aligned power-of-two subtree (about 2n hashes), which
 * is every left-hand subtree the MTH recursion ever asks for, so roots and proofs for any size
 * cost O(log n) hashes and an append costs O(1) amortized.
 *
 * Verification follows RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency), with the edge
 * cases of transparency-dev/merkle: sizes m == n need an empty proof and equal roots, m == 0 is
 * consistent with anything with an empty proof. Sizes are JavaScript safe integers; the bit
 * arithmetic is done with division, not 32-bit operators, so it is right past 2^31.
 */
import { HASH_SIZE, fromLatin1, hashPair, sha256Latin1, toLatin1 } from './hash.js';
import type { VerifyResult } from './verify-result.js';

export type { VerifyResult } from './verify-result.js';

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/** MTH of the empty log: SHA-256 of the empty string. */
export const RFC6962_EMPTY_ROOT_HEX =
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function leafHashLatin1(data: Uint8Array): string {
  const pre = new Uint8Array(data.length + 1);
  pre[0] = LEAF_PREFIX;
  pre.set(data, 1);
  return sha256Latin1(pre);
}

function nodeHashLatin1(left: string, right: string): string {
  return hashPair(NODE_PREFIX, left, right);
}

/** SHA-256(0x00 || data). */
export function rfc6962LeafHash(data: Uint8Array): Uint8Array {
  return fromLatin1(leafHashLatin1(data));
}

/** SHA-256(0x01 || left || right), for two 32-byte hashes. */
export function rfc6962NodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    throw new RangeError('RFC 6962 node hashes combine two 32-byte hashes');
  }
  return fromLatin1(nodeHashLatin1(toLatin1(left), toLatin1(right)));
}

/** The largest power of two strictly less than n (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** h when n === 2^h, else undefined. */
function log2Exact(n: number): number | undefined {
  let h = 0;
  for (let p = 1; p <= n; p *= 2, h++) if (p === n) return h;
  return undefined;
}

function isSafeCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/**
 * An append-only array of 32-byte hashes packed in one growing buffer: a log that lives as long
 * as the cluster holds about 2n of them, and packed they cost 32 bytes each instead of a string
 * object and an array slot (~110 bytes).
 */
class HashArray {
  private bytes = Buffer.alloc(HASH_SIZE * 16);
  length = 0;

  push(hash: string): void {
    if ((this.length + 1) * HASH_SIZE > this.bytes.length) {
      const grown = Buffer.alloc(this.bytes.length * 2);
      this.bytes.copy(grown);
      this.bytes = grown;
    }
    this.bytes.write(hash, this.length * HASH_SIZE, HASH_SIZE, 'latin1');
    this.length++;
  }

  /** The hash at `i` (a latin1 string), or undefined beyond the end. */
  at(i: number): string | undefined {
    if (i < 0 || i >= this.length) return undefined;
    return this.bytes.toString('latin1', i * HASH_SIZE, (i + 1) * HASH_SIZE);
  }
}

export class MerkleLog {
  /** levels[h][i]: hash of leaves [i * 2^h, (i + 1) * 2^h), for every complete such subtree. */
  private readonly levels: HashArray[] = [new HashArray()];

  /** Rebuilds a log from its leaf hashes (e.g. after a restart), in order. */
  static fromLeafHashes(hashes: Iterable<Uint8Array>): MerkleLog {
    const log = new MerkleLog();
    for (const h of hashes) log.appendLeafHash(h);
    return log;
  }

  get size(): number {
    return this.levels[0]!.length;
  }

  /** Appends a leaf with this data; returns its index. */
  append(data: Uint8Array): number {
    return this.push(leafHashLatin1(data));
  }

  /** Appends a leaf by its RFC 6962 leaf hash; returns its index. */
  appendLeafHash(hash: Uint8Array): number {
    if (hash.length !== HASH_SIZE) throw new RangeError('a leaf hash is 32 bytes');
    return this.push(toLatin1(hash));
  }

  private push(hash: string): number {
    const index = this.size;
    this.levels[0]!.push(hash);
    // Every append completes one subtree per trailing one bit of the new size.
    let level = 0;
    let current = this.levels[0]!;
    while (current.length % 2 === 0) {
      const parent = nodeHashLatin1(
        current.at(current.length - 2)!,
        current.at(current.length - 1)!,
      );
      level++;
      let up = this.levels[level];
      if (up === undefined) {
        up = new HashArray();
        this.levels.push(up);
      }
      up.push(parent);
      current = up;
    }
    return index;
  }

  leafHash(index: number): Uint8Array {
    this.checkIndex(index, this.size);
    return fromLatin1(this.levels[0]!.at(index)!);
  }

  /** MTH of the first n leaves (default: all). */
  root(n: number = this.size): Uint8Array {
    this.checkSize(n);
    return fromLatin1(n === 0 ? fromHex(RFC6962_EMPTY_ROOT_HEX) : this.mth(0, n));
  }

  /** The audit path (RFC 6962 §2.1.1 PATH) for leaf `index` in the tree of the first n leaves. */
  inclusionProof(index: number, n: number = this.size): Uint8Array[] {
    this.checkSize(n);
    this.checkIndex(index, n);
    const out: string[] = [];
    this.path(index, 0, n, out);
    return out.map(fromLatin1);
  }

  /** The consistency proof (RFC 6962 §2.1.2 PROOF) between sizes m <= n. */
  consistencyProof(m: number, n: number = this.size): Uint8Array[] {
    this.checkSize(n);
    if (!isSafeCount(m) || m > n)
      throw new RangeError(`consistency proof needs 0 <= m <= n, got m=${m}, n=${n}`);
    if (m === 0 || m === n) return [];
    const out: string[] = [];
    this.subproof(m, 0, n, true, out);
    return out.map(fromLatin1);
  }

  private checkSize(n: number): void {
    if (!isSafeCount(n) || n > this.size) {
      throw new RangeError(`tree size ${n} is not within 0..${this.size}`);
    }
  }

  private checkIndex(index: number, n: number): void {
    if (!isSafeCount(index) || index >= n)
      throw new RangeError(`leaf index ${index} is not within 0..${n - 1}`);
  }

  /** MTH(D[start : start + n]) for n >= 1. */
  private mth(start: number, n: number): string {
    const level = log2Exact(n);
    if (level !== undefined && start % n === 0) {
      const cached = this.levels[level]?.at(start / n);
      if (cached !== undefined) return cached;
    }
    if (n === 1) return this.levels[0]!.at(start)!;
    const k = splitPoint(n);
    return nodeHashLatin1(this.mth(start, k), this.mth(start + k, n - k));
  }

  /** PATH(m, D[start : start + n]), appended leaf-first to `out`. */
  private path(m: number, start: number, n: number, out: string[]): void {
    if (n === 1) return;
    const k = splitPoint(n);
    if (m < k) {
      this.path(m, start, k, out);
      out.push(this.mth(start + k, n - k));
    } else {
      this.path(m - k, start + k, n - k, out);
      out.push(this.mth(start, k));
    }
  }

  /** SUBPROOF(m, D[start : start + n], b), appended to `out`. */
  private subproof(m: number, start: number, n: number, b: boolean, out: string[]): void {
    if (m === n) {
      if (!b) out.push(this.mth(start, n));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      this.subproof(m, start, k, b, out);
      out.push(this.mth(start + k, n - k));
    } else {
      this.subproof(m - k, start + k, n - k, false, out);
      out.push(this.mth(start, k));
    }
  }
}

function fromHex(hex: string): string {
  return Buffer.from(hex, 'hex').toString('latin1');
}

class Invalid extends Error {}

function guard(run: () => void): VerifyResult {
  try {
    run();
    return { valid: true };
  } catch (e) {
    if (e instanceof Invalid) return { valid: false, reason: e.message };
    return {
      valid: false,
      reason: `verifier error: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
}

function hashArg(name: string, v: unknown): string {
  if (!(v instanceof Uint8Array) || v.length !== HASH_SIZE)
    throw new Invalid(`${name} must be 32 bytes`);
  return toLatin1(v);
}

function proofArg(proof: unknown): string[] {
  if (!Array.isArray(proof)) throw new Invalid('proof must be an array of 32-byte hashes');
  return proof.map((p: unknown, i) => hashArg(`proof[${i}]`, p));
}

function countArg(name: string, v: unknown): number {
  if (!isSafeCount(v)) throw new Invalid(`${name} must be a non-negative safe integer`);
  return v;
}

const odd = (x: number): boolean => x % 2 === 1;
const half = (x: number): number => Math.floor(x / 2);

/**
 * Valid iff `proof` shows the leaf with hash `leafHash` at `index` in the tree of `size` leaves
 * whose root is `root` (RFC 9162 §2.1.3.2).
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): VerifyResult {
  return guard(() => {
    const leaf = hashArg('leaf hash', leafHash);
    const want = hashArg('root', root);
    const i = countArg('index', index);
    const n = countArg('size', size);
    const path = proofArg(proof);
    if (i >= n) throw new Invalid(`index ${i} is not below size ${n}`);
    let fn = i;
    let sn = n - 1;
    let r = leaf;
    for (const p of path) {
      if (sn === 0) throw new Invalid('proof is longer than the tree is deep');
      if (odd(fn) || fn === sn) {
        r = nodeHashLatin1(p, r);
        if (!odd(fn)) {
          while (!odd(fn) && fn !== 0) {
            fn = half(fn);
            sn = half(sn);
          }
        }
      } else {
        r = nodeHashLatin1(r, p);
      }
      fn = half(fn);
      sn = half(sn);
    }
    if (sn !== 0) throw new Invalid('proof is shorter than the tree is deep');
    if (r !== want) throw new Invalid('computed root does not match');
  });
}

/**
 * Valid iff `proof` shows the tree of `size2` leaves with root `root2` extends the tree of
 * `size1` leaves with root `root1` (RFC 9162 §2.1.4.2).
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  root1: Uint8Array,
  root2: Uint8Array,
  proof: readonly Uint8Array[],
): VerifyResult {
  return guard(() => {
    const m = countArg('size1', size1);
    const n = countArg('size2', size2);
    const r1 = hashArg('root1', root1);
    const r2 = hashArg('root2', root2);
    const path = proofArg(proof);
    if (m > n) throw new Invalid(`size1 ${m} is larger than size2 ${n}`);
    if (m === n) {
      if (path.length !== 0) throw new Invalid('equal sizes need an empty proof');
      if (r1 !== r2) throw new Invalid('equal sizes but different roots');
      return;
    }
    if (m === 0) {
      // Every tree extends the empty one.
      if (path.length !== 0) throw new Invalid('size1 0 needs an empty proof');
      return;
    }
    if (path.length === 0) throw new Invalid('empty proof');

    // Step 2: when m is a power of two, its root is a node of the larger tree and starts the path.
    const nodes = log2Exact(m) === undefined ? path : [r1, ...path];
    let fn = m - 1;
    let sn = n - 1;
    while (odd(fn)) {
      fn = half(fn);
      sn = half(sn);
    }
    let fr = nodes[0]!;
    let sr = nodes[0]!;
    for (let i = 1; i < nodes.length; i++) {
      const c = nodes[i]!;
      if (sn === 0) throw new Invalid('proof is longer than needed');
      if (odd(fn) || fn === sn) {
        fr = nodeHashLatin1(c, fr);
        sr = nodeHashLatin1(c, sr);
        if (!odd(fn)) {
          while (!odd(fn) && fn !== 0) {
            fn = half(fn);
            sn = half(sn);
          }
        }
      } else {
        sr = nodeHashLatin1(sr, c);
      }
      fn = half(fn);
      sn = half(sn);
    }
    if (sn !== 0) throw new Invalid('proof is shorter than needed');
    if (fr !== r1) throw new Invalid('proof does not lead to root1');
    if (sr !== r2) throw new Invalid('proof does not lead to root2');
  });
}

/**
 * An independent reference for the SmtSpec tree, written straight from the definitions with
 * createHash and Buffers (none of src/merkle's hashing), so the tests compare two
 * implementations rather than one with itself.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';

export const NUM_RUNS = Number(process.env.REDRAFT_PROPERTY_RUNS ?? 100);

export function sha(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

export const ZERO32 = Buffer.alloc(32);

/** leaf = SHA-256(0x00 || SHA-256(key) || SHA-256(value)) */
export function refLeaf(key: Uint8Array, value: Uint8Array): Buffer {
  return sha(Buffer.of(0), sha(key), sha(value));
}

/** inner = SHA-256(0x01 || left || right) */
export function refInner(left: Uint8Array, right: Uint8Array): Buffer {
  return sha(Buffer.of(1), left, right);
}

function bitOf(hash: Uint8Array, depth: number): number {
  return (hash[depth >> 3]! >> (7 - (depth & 7))) & 1;
}

/** Root of the compressed SMT holding `entries`, by recursion on path prefixes. */
export function refRoot(
  entries: ReadonlyMap<string, Uint8Array> | [Uint8Array, Uint8Array][],
): Buffer {
  const list = (
    Array.isArray(entries)
      ? entries
      : [...entries].map(([k, v]) => [Buffer.from(k, 'hex'), v] as const)
  ).map(([k, v]) => ({ path: sha(k), leaf: refLeaf(k, v) }));
  const go = (items: typeof list, depth: number): Buffer => {
    if (items.length === 0) return ZERO32;
    if (items.length === 1) return items[0]!.leaf;
    const left = items.filter((e) => bitOf(e.path, depth) === 0);
    const right = items.filter((e) => bitOf(e.path, depth) === 1);
    return refInner(go(left, depth + 1), go(right, depth + 1));
  };
  return go(list, 0);
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const unhex = (s: string): Buffer => Buffer.from(s, 'hex');
export const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/** Non-empty byte strings, small enough that many keys collide in their first path bits. */
export const keyArb = fc.uint8Array({ minLength: 1, maxLength: 12 });
export const valueArb = fc.uint8Array({ minLength: 1, maxLength: 24 });

/** A map from hex(key) to value. */
export const mapArb = (maxKeys: number): fc.Arbitrary<Map<string, Uint8Array>> =>
  fc
    .array(fc.tuple(keyArb, valueArb), { maxLength: maxKeys })
    .map((pairs) => new Map(pairs.map(([k, v]) => [hex(k), v])));

/** Finds a key whose SHA-256 starts with the given bits (brute force over a counter). */
export function keyWithPrefix(bits: string, tag = 'k'): Buffer {
  for (let i = 0; ; i++) {
    const k = utf8(`${tag}${i}`);
    const h = sha(k);
    let ok = true;
    for (let d = 0; d < bits.length && ok; d++) ok = bitOf(h, d) === Number(bits[d]);
    if (ok) return k;
  }
}

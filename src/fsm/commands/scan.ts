/**
 * The cursor behind SCAN and HSCAN.
 *
 * Redis walks its hash table's buckets in reverse-binary order, which survives rehashing.
 * We have no bucket structure to walk (a Keyspace is a plain Map), so we order elements by a
 * fixed 53-bit hash of their bytes and let the cursor be a position in that order: a call
 * returns the `count` elements with the smallest hashes at or above the cursor, and the next
 * cursor is the smallest hash above those (0 when nothing is left).
 *
 * Guarantee (Redis's, and the one clients rely on): a full iteration, from cursor 0 until a
 * call returns cursor 0, returns every element that was present for the whole iteration at
 * least once, whatever was inserted or deleted in between, because an element's place in
 * the order depends on its own bytes only. Elements added or removed meanwhile may or may
 * not be returned; an element is never returned twice within one iteration (stricter than
 * Redis). Elements sharing a hash are always returned by the same call, so a collision
 * cannot split across the cursor (a call may then return a few more than `count`). The
 * hash is the same on every node, so an iteration may move between replicas.
 *
 * Cost: see scanPage. Reads only: nothing here is part of the replicated state.
 */
import { SYNTAX_ERROR, NOT_INTEGER, CommandError, type Result } from '../result.js';
import { parseLongLong } from './args.js';
import { upper } from './context.js';
import { matchesAll, stringMatch } from './pattern.js';

export const INVALID_CURSOR = new CommandError('ERR invalid cursor');

const UINT64_MAX = 18446744073709551615n;
/** Cursors at or beyond this select nothing: every hash is below it. */
const HASH_LIMIT = 2 ** 53;

/**
 * Redis's cursor parsing (strtoul, base 10): an optional sign, digits, nothing else; a
 * leading space is rejected; "" is 0; "-n" wraps around to 2^64 - n. Returns the cursor
 * clamped to HASH_LIMIT, or undefined for "ERR invalid cursor".
 */
export function parseCursor(b: Buffer | undefined): number | undefined {
  if (b === undefined) return undefined;
  const s = b.toString('latin1');
  if (s === '') return 0;
  const m = /^([+-]?)(\d+)$/.exec(s);
  if (m === null) return undefined;
  let n = BigInt(m[2]!);
  if (n > UINT64_MAX) return undefined;
  if (m[1] === '-' && n !== 0n) n = UINT64_MAX + 1n - n;
  return n >= BigInt(HASH_LIMIT) ? HASH_LIMIT : Number(n);
}

/**
 * A 53-bit hash of a latin1 string: two independent 32-bit mixes (FNV-1a and a
 * Murmur-style multiply-xorshift), each finished with Murmur3's avalanche, joined as
 * 21 + 32 bits so that the result is a safe integer.
 */
export function scanHash(s: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  return (h1 & 0x1fffff) * 0x100000000 + (h2 >>> 0);
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export interface ScanPage {
  /** The selected elements, in hash order (ties in byte order). */
  readonly items: string[];
  /** The cursor for the next call; 0 when the iteration is complete. */
  readonly next: number;
}

/** A collection's elements sorted by (scanHash, bytes), with their hashes alongside. */
interface ScanSnapshot {
  readonly keys: readonly string[];
  readonly hashes: Float64Array;
}

/** The latest snapshot of each collection (a Keyspace, or a hash's field map). */
const snapshots = new WeakMap<object, ScanSnapshot>();

function buildSnapshot(elements: Iterable<string>): ScanSnapshot {
  const keys = [...elements];
  const n = keys.length;
  // Hashes split in two 32-bit halves for an LSD radix sort: four stable passes of 16 bits,
  // far faster than a comparison sort of a million elements.
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const h = scanHash(keys[i]!);
    hi[i] = Math.floor(h / 0x100000000);
    lo[i] = h >>> 0;
  }
  let order = new Uint32Array(n);
  let spare = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const counts = new Uint32Array(0x10000);
  for (const [half, shift] of [
    [lo, 0],
    [lo, 16],
    [hi, 0],
    [hi, 16],
  ] as const) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(half[i]! >>> shift) & 0xffff]!++;
    let sum = 0;
    for (let d = 0; d < 0x10000; d++) {
      const c = counts[d]!;
      counts[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const j = order[i]!;
      spare[counts[(half[j]! >>> shift) & 0xffff]!++] = j;
    }
    [order, spare] = [spare, order];
  }
  const sortedKeys = new Array<string>(n);
  const hashes = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const j = order[i]!;
    sortedKeys[i] = keys[j]!;
    hashes[i] = hi[j]! * 0x100000000 + lo[j]!;
  }
  // Elements sharing a hash (rare) go in byte order, so that the order is a function of
  // the set of elements alone.
  for (let i = 0; i + 1 < n;) {
    let j = i + 1;
    while (j < n && hashes[j] === hashes[i]) j++;
    if (j - i > 1) {
      const run = sortedKeys.slice(i, j).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      for (let k = i; k < j; k++) sortedKeys[k] = run[k - i]!;
    }
    i = j;
  }
  return { keys: sortedKeys, hashes };
}

/** The first position whose hash is >= `cursor`. */
function lowerBound(hashes: Float64Array, cursor: number): number {
  let lo = 0;
  let hi = hashes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (hashes[mid]! < cursor) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Selects the page of `owner`'s elements that starts at `cursor` (see the module comment).
 *
 * Pages are cut from a sorted snapshot of the elements. A call with cursor 0 (the start of
 * an iteration) always takes a fresh snapshot; later calls reuse the latest snapshot of
 * `owner`, taking one only if there is none (after a restore, or on another node). So the
 * snapshot a call uses was taken at or after the start of its iteration and holds every
 * element present for the whole iteration. Elements deleted since are still in it: the
 * caller must check each selected element and skip those no longer present. The cost is
 * O(n log n) once per iteration and O(log n + count) per call.
 */
export function scanPage(
  owner: object,
  elements: () => Iterable<string>,
  cursor: number,
  count: number,
): ScanPage {
  let snap = snapshots.get(owner);
  if (cursor === 0 || snap === undefined) {
    snap = buildSnapshot(elements());
    snapshots.set(owner, snap);
  }
  const { keys, hashes } = snap;
  const n = keys.length;
  const from = lowerBound(hashes, cursor);
  let end = Math.min(n, from + count);
  // Never split elements sharing a hash across two pages: the cursor could not resume
  // between them.
  while (end > from && end < n && hashes[end] === hashes[end - 1]) end++;
  return { items: keys.slice(from, end), next: end < n ? hashes[end]! : 0 };
}

export interface ScanOptions {
  count: number;
  /** undefined when every element matches (no MATCH, or MATCH *). */
  pattern: string | undefined;
  /** Lower-cased TYPE filter (SCAN only). */
  type: string | undefined;
  /** HSCAN NOVALUES. */
  noValues: boolean;
}

/**
 * Parses SCAN/HSCAN options from `argv[start]` on, as Redis's scanGenericCommand: COUNT
 * must be an integer >= 1, TYPE is SCAN's only, NOVALUES HSCAN's only (Redis 7.4).
 */
export function parseScanOptions(
  argv: readonly Buffer[],
  start: number,
  forHash: boolean,
): ScanOptions | CommandError {
  const opts: ScanOptions = { count: 10, pattern: undefined, type: undefined, noValues: false };
  let i = start;
  while (i < argv.length) {
    const opt = upper(argv[i]);
    const more = argv.length - i;
    if (opt === 'COUNT' && more >= 2) {
      const n = parseLongLong(argv[i + 1]);
      if (n === undefined) return NOT_INTEGER;
      if (n < 1n) return SYNTAX_ERROR;
      opts.count = n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
      i += 2;
    } else if (opt === 'MATCH' && more >= 2) {
      const pat = argv[i + 1]!.toString('latin1');
      opts.pattern = matchesAll(pat) ? undefined : pat;
      i += 2;
    } else if (opt === 'TYPE' && !forHash && more >= 2) {
      opts.type = argv[i + 1]!.toString('latin1').toLowerCase();
      i += 2;
    } else if (opt === 'NOVALUES') {
      if (!forHash) return new CommandError('ERR NOVALUES option can only be used in HSCAN');
      opts.noValues = true;
      i += 1;
    } else {
      return SYNTAX_ERROR;
    }
  }
  return opts;
}

/** True if `s` passes the MATCH filter of `opts`. */
export function patternAllows(opts: ScanOptions, s: string): boolean {
  return opts.pattern === undefined || stringMatch(opts.pattern, s);
}

/** The reply shape of every SCAN-family command: [cursor, elements]. */
export function scanReply(next: number, elements: Result[]): Result {
  return [Buffer.from(String(next), 'latin1'), elements];
}

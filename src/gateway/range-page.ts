import { RedraftError } from '../errors.js';
import type { StoredEntry } from '../fsm/keyspace.js';

/**
 * One page of a prefix listing in ascending byte order. Keys are latin1 strings of their
 * bytes, so JavaScript's string order is byte order. The keyspace is a hash map, not an
 * index: a page scans every key once and keeps the `limit` smallest after the cursor in a
 * bounded heap — O(n log limit) per page, no sort of the whole keyspace and no index to
 * maintain on the write path.
 */
export interface PageSelection {
  readonly keys: readonly string[];
  /** Whether keys after the last one selected exist. */
  readonly more: boolean;
}

export function selectPage(
  entries: ReadonlyMap<string, StoredEntry>,
  prefix: string,
  after: string | undefined,
  limit: number,
  now: number,
): PageSelection {
  const heap = new MaxHeap(limit);
  let candidates = 0;
  for (const [key, entry] of entries) {
    if (!key.startsWith(prefix)) continue;
    if (after !== undefined && key <= after) continue;
    if (entry.expireAt !== 0 && entry.expireAt <= now) continue;
    candidates++;
    heap.offer(key);
  }
  const keys = heap.drainAscending();
  return { keys, more: candidates > keys.length };
}

/** Keeps the `capacity` smallest strings offered. */
class MaxHeap {
  private readonly items: string[] = [];

  constructor(private readonly capacity: number) {}

  offer(s: string): void {
    const items = this.items;
    if (items.length < this.capacity) {
      items.push(s);
      this.siftUp(items.length - 1);
    } else if (this.capacity > 0 && s < items[0]!) {
      items[0] = s;
      this.siftDown(0);
    }
  }

  drainAscending(): string[] {
    return this.items.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  private siftUp(i: number): void {
    const items = this.items;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]! >= items[i]!) return;
      [items[parent], items[i]] = [items[i]!, items[parent]!];
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const items = this.items;
    const n = items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let largest = i;
      if (l < n && items[l]! > items[largest]!) largest = l;
      if (r < n && items[r]! > items[largest]!) largest = r;
      if (largest === i) return;
      [items[largest], items[i]] = [items[i]!, items[largest]!];
      i = largest;
    }
  }
}

/**
 * Page tokens: base64url of `u8 version | u8 db | last key's bytes`. Opaque to clients; bound
 * to the database and checked against the prefix, so a token cannot wander into another
 * listing.
 */
const TOKEN_VERSION = 1;

export function encodePageToken(db: number, lastKey: string): string {
  const key = Buffer.from(lastKey, 'latin1');
  const out = Buffer.allocUnsafe(2 + key.length);
  out[0] = TOKEN_VERSION;
  out[1] = db;
  key.copy(out, 2);
  return out.toString('base64url');
}

/** The last key of the previous page (latin1), or undefined for the first page. */
export function decodePageToken(token: string, db: number, prefix: string): string | undefined {
  if (token === '') return undefined;
  const bad = (why: string): RedraftError =>
    new RedraftError('BAD_REQUEST', `invalid page token: ${why}`);
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw bad('not base64url');
  const raw = Buffer.from(token, 'base64url');
  if (raw.length < 2 || raw[0] !== TOKEN_VERSION) throw bad('not a page token of this server');
  if (raw[1] !== db) throw bad('it belongs to another database');
  const last = raw.subarray(2).toString('latin1');
  if (!last.startsWith(prefix)) throw bad('it belongs to another prefix');
  return last;
}

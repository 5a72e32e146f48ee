/**
 * The Merkle state's write hook, batched: which of the applied writes change what a root
 * covers, decided a few dozen writes at a time rather than one by one.
 *
 * Why: deciding reads the entry the write replaced, its value's Buffer and that Buffer's bytes,
 * which were last touched when the key was last written, typically about as many writes ago as
 * there are keys. They are out of every cache by then, and each read waits for the previous
 * one. Profiled on a follower under redis-benchmark's pipelined SETs over 100k keys (perf
 * annotate of the compiled check), those three waits were each about a third of an 11% share
 * of the member's CPU, with everything else in the check near zero. Decided one write at a
 * time, nothing can overlap them. Queued, the check walks the batch once per level of that
 * chain, so that the reads of different writes are independent and the processor has many of
 * them in flight together; the comparisons then run on data in cache.
 *
 * Queueing changes nothing else: writes are decided in the order they were applied, and
 * anything that reads the marks drains the queue first (MerkleState does).
 */
import type { StoredEntry, StringValue } from './keyspace.js';

/** Writes queued before they are decided: enough to overlap many reads, and a few KB of cache. */
export const QUEUE_CAPACITY = 64;

/** Up to this many bytes, sameString compares in a loop rather than with Buffer#equals. */
const SHORT_VALUE_BYTES = 256;

/**
 * Whether two entries are strings that encode alike: the same bytes and expiry. Hashes are
 * never compared: their field maps change in place, so the replaced entry may share them.
 */
export function sameString(a: StoredEntry, b: StoredEntry): boolean {
  const y = bytesToCompare(a, b);
  if (y === undefined) return false;
  // bytesToCompare returned bytes, so `a` holds a string too.
  const x = (a.value as StringValue).value;
  if (x === y) return true;
  if (x.length !== y.length) return false;
  // Buffer#equals crosses into C++ for every call, which for a typical value (tens of bytes)
  // costs more than the comparison: profiled at about 1 µs a write. A loop is compiled inline.
  if (x.length > SHORT_VALUE_BYTES) return x.equals(y);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * The replaced value's bytes when only they can tell whether `entry` encodes like `previous`:
 * both strings with the same expiry, and fingerprints that do not already tell them apart
 * (which decides nearly every changed value without reading the replaced bytes, cold by then).
 * Undefined when the entries are known to differ.
 */
function bytesToCompare(
  entry: StoredEntry | undefined,
  previous: StoredEntry | undefined,
): Buffer | undefined {
  if (entry === undefined || previous === undefined || entry.expireAt !== previous.expireAt) {
    return undefined;
  }
  const a = entry.value;
  const b = previous.value;
  if (a.type !== 'string' || b.type !== 'string') return undefined;
  if (a.fingerprint !== b.fingerprint && a.fingerprint !== undefined && b.fingerprint !== undefined)
    return undefined;
  return b.value;
}

/** Told of each queued write that changes its key, in apply order. */
export type ChangeSink = (db: number, key: string, entry: StoredEntry | undefined) => void;

export class ChangeQueue {
  private readonly dbs = new Uint8Array(QUEUE_CAPACITY);
  private readonly keys: string[] = new Array<string>(QUEUE_CAPACITY).fill('');
  private readonly entries: (StoredEntry | undefined)[] = new Array<undefined>(QUEUE_CAPACITY);
  private readonly previous: (StoredEntry | undefined)[] = new Array<undefined>(QUEUE_CAPACITY);
  private length = 0;
  /** Where the touching passes leave what they read, so that the reads are not optimised out. */
  private touched = 0;

  /** Called by each drain with the writes that change their keys. */
  constructor(private readonly changed: ChangeSink) {}

  /** Number of writes queued and not decided yet. */
  get size(): number {
    return this.length;
  }

  /** Queues a write: its key's new entry (undefined: deleted) and the entry it replaced. */
  push(
    db: number,
    key: string,
    entry: StoredEntry | undefined,
    previous: StoredEntry | undefined,
  ): void {
    const n = this.length;
    this.dbs[n] = db;
    this.keys[n] = key;
    this.entries[n] = entry;
    this.previous[n] = previous;
    this.length = n + 1;
    if (n + 1 === QUEUE_CAPACITY) this.drain();
  }

  /** Decides every queued write, in order, and tells the sink of those that change a key. */
  drain(): void {
    const n = this.length;
    if (n === 0) return;
    this.length = 0;
    const { entries, previous } = this;
    // Touch each level of what sameString reads across the whole batch first: the replaced
    // entries (their values sit beside them), then, only where the fingerprints leave the
    // question open (a rewrite of the same bytes, nearly always), the Buffers and their bytes.
    let touched = 0;
    for (let i = 0; i < n; i++) {
      const p = previous[i];
      if (p !== undefined) touched ^= p.expireAt;
    }
    for (let i = 0; i < n; i++) {
      const bytes = bytesToCompare(entries[i], previous[i]);
      if (bytes !== undefined) touched ^= bytes.length;
    }
    for (let i = 0; i < n; i++) {
      const bytes = bytesToCompare(entries[i], previous[i]);
      if (bytes !== undefined && bytes.length > 0) touched ^= bytes[0]!;
    }
    this.touched = touched;
    for (let i = 0; i < n; i++) {
      const entry = entries[i];
      const p = previous[i];
      // Let go of the entries as they are decided: the queue must not keep values alive.
      entries[i] = undefined;
      previous[i] = undefined;
      if (entry !== undefined && p !== undefined && sameString(entry, p)) continue;
      this.changed(this.dbs[i]!, this.keys[i]!, entry);
    }
  }
}

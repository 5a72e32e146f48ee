/**
 * The data of one logical database. Keys are binary-safe: a key's bytes map one-to-one onto
 * a JavaScript string's code units (latin1), which makes them cheap Map keys; hash fields
 * likewise.
 */

export interface StringValue {
  readonly type: 'string';
  /** Never mutated in place: a write replaces the Buffer. */
  readonly value: Buffer;
  /**
   * The encoding Redis fixed for this string when it was written, where its content alone
   * would not tell (see StringEncoding). Not part of the value: proofs, replies and
   * comparisons ignore it.
   */
  readonly encoding?: StringEncoding;
  /**
   * `fingerprintOf(value)`, when the value was made by `stringValue`: values with different
   * fingerprints differ, which the Merkle state's write hook learns without reading the bytes
   * of the value a write replaces (cold in memory by then).
   */
  readonly fingerprint?: number;
}

/**
 * A 32-bit summary of a string's bytes: the length and up to 32 bytes from each end, so it costs
 * the same for any size. Equal bytes give equal fingerprints; the converse is only likely.
 */
export function fingerprintOf(bytes: Uint8Array): number {
  const n = bytes.length;
  let h = Math.imul(n ^ 0x811c9dc5, 0x01000193);
  const head = Math.min(n, 32);
  for (let i = 0; i < head; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  for (let i = Math.max(head, n - 32); i < n; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h;
}

/**
 * How Redis stored a string, for OBJECT ENCODING, when not as any SET would (int if the bytes
 * are an integer, else embstr up to 44 bytes, else raw):
 * - 'raw': last written by APPEND or SETRANGE on an existing string (or SETRANGE creating one),
 *   which Redis edits in place and leaves raw whatever the content;
 * - 'string': INCRBYFLOAT's result, which Redis keeps as a string object, never int-encoded,
 *   even when it reads "3" (embstr, as its results never pass 44 bytes).
 */
export type StringEncoding = 'raw' | 'string';

/** A string value, fingerprinted, with the encoding Redis fixed for it, if any. */
export function stringValue(value: Buffer, encoding?: StringEncoding): StringValue {
  const fingerprint = fingerprintOf(value);
  return encoding !== undefined
    ? { type: 'string', value, encoding, fingerprint }
    : { type: 'string', value, fingerprint };
}

export interface HashValue {
  readonly type: 'hash';
  /** Field (latin1 string of its bytes) -> value. Mutated in place by hash writes. */
  readonly fields: Map<string, Buffer>;
  /**
   * A write made Redis convert this hash to a hashtable (more than 512 fields, or a field or
   * value over 64 bytes), which it never converts back: OBJECT ENCODING and HSCAN go by it.
   * Not part of the value: proofs and comparisons ignore it.
   */
  hashtable?: true;
}

/** A hash value; `hashtable` once Redis has converted it (see HashValue.hashtable). */
export function hashValue(fields: Map<string, Buffer>, hashtable = false): HashValue {
  return hashtable ? { type: 'hash', fields, hashtable: true } : { type: 'hash', fields };
}

/** A copy of a hash value that shares nothing mutable with it, encoding included. */
export function copyHash(v: HashValue): HashValue {
  return hashValue(new Map(v.fields), v.hashtable === true);
}

export type Value = StringValue | HashValue;
export type ValueType = Value['type'];

export interface StoredEntry {
  readonly value: Value;
  /** Absolute expiry in ms since the epoch (leader time), or 0 for none. */
  readonly expireAt: number;
  /** The log index that last wrote this key: WATCH compares it. */
  readonly version: number;
}

export function keyOf(b: Buffer): string {
  return b.toString('latin1');
}

export function keyBytes(k: string): Buffer {
  return Buffer.from(k, 'latin1');
}

/** Deletions remembered for WATCH; beyond this many per database the oldest are forgotten. */
export const MAX_TOMBSTONES = 100_000;

/**
 * Told of a key written (its new entry) or deleted (undefined), after the change, with the
 * entry it replaced (undefined when there was none).
 */
export type KeyObserver = (
  key: string,
  entry: StoredEntry | undefined,
  previous: StoredEntry | undefined,
) => void;

function ignoreChange(): void {
  // no observer
}

export class Keyspace {
  readonly entries = new Map<string, StoredEntry>();
  /** Keys that carry an expiry, so that the leader can find expired keys without a full scan. */
  readonly expires = new Set<string>();
  /**
   * Key -> log index of its deletion, so that WATCH notices a key deleted (or created and
   * deleted again) after it was watched. Part of the replicated state (and of snapshots):
   * pruning is oldest-first in deletion order, identical on every replica. A pruned tombstone
   * reads as version 0, which can only make EXEC abort, never run when it should not.
   */
  readonly tombstones = new Map<string, number>();

  /**
   * @param writeClock the index of the entry being applied, shared by all databases of a
   *   state machine and set once per apply.
   */
  /**
   * Told of every key written or deleted, synchronously, after the change. Every mutation
   * goes through `set`, `delete` or `clear`, so this sees them all (the Merkle tree marks
   * paths dirty; the change feed records them).
   */
  private changed: KeyObserver = ignoreChange;

  constructor(private readonly writeClock: { readonly index: number } = { index: 0 }) {}

  /** Installs the change observer (one per keyspace); returns this keyspace. */
  observe(changed: KeyObserver): this {
    this.changed = changed;
    return this;
  }

  /** The live entry for `key` at time `now`, or undefined if absent or expired. */
  get(key: string, now: number): StoredEntry | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.expireAt !== 0 && e.expireAt <= now) return undefined;
    return e;
  }

  set(key: string, entry: StoredEntry): void {
    const previous = this.entries.get(key);
    // The size checks spare most writes two hash lookups: usually nothing was deleted and
    // nothing expires.
    if (this.tombstones.size !== 0) this.tombstones.delete(key);
    this.entries.set(key, entry);
    if (entry.expireAt !== 0) this.expires.add(key);
    else if (this.expires.size !== 0) this.expires.delete(key);
    this.changed(key, entry, previous);
  }

  delete(key: string): boolean {
    this.expires.delete(key);
    const previous = this.entries.get(key);
    if (previous === undefined) return false;
    this.entries.delete(key);
    this.remember(key);
    this.changed(key, undefined, previous);
    return true;
  }

  private remember(key: string): void {
    this.tombstones.delete(key); // re-insert: Map order is deletion order
    this.tombstones.set(key, this.writeClock.index);
    if (this.tombstones.size > MAX_TOMBSTONES) {
      const oldest = this.tombstones.keys().next();
      if (oldest.done !== true) this.tombstones.delete(oldest.value);
    }
  }

  /** The version WATCH records: the last write's index, a deletion's index, or 0. */
  versionOf(key: string, now: number): number {
    const e = this.entries.get(key);
    if (e !== undefined && (e.expireAt === 0 || e.expireAt > now)) return e.version;
    return this.tombstones.get(key) ?? 0;
  }

  /** Number of keys held, including expired ones not yet removed (as Redis's DBSIZE). */
  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    // Observers read the state after the change, so empty the database before telling them.
    const removed = [...this.entries];
    this.entries.clear();
    this.expires.clear();
    for (const [key, previous] of removed) {
      this.remember(key);
      this.changed(key, undefined, previous);
    }
  }

  /** Up to `limit` keys whose expiry is at or before `now`, in a deterministic order. */
  expired(now: number, limit: number): string[] {
    const out: string[] = [];
    for (const key of this.expires) {
      const e = this.entries.get(key);
      if (e !== undefined && e.expireAt !== 0 && e.expireAt <= now) {
        out.push(key);
        if (out.length >= limit) break;
      }
    }
    return out;
  }
}

/**
 * The data of one logical database. Keys are binary-safe: a key's bytes map one-to-one onto
 * a JavaScript string's code units (latin1), which makes them cheap Map keys.
 */

export interface StringValue {
  readonly type: 'string';
  /** Never mutated in place: snapshots share value objects with the live map. */
  readonly value: Buffer;
}

export type Value = StringValue;

/** Immutable: a change replaces the entry, so a frozen snapshot never sees later writes. */
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

export class Keyspace {
  readonly entries = new Map<string, StoredEntry>();

  /** The live entry for `key` at time `now`, or undefined if absent or expired. */
  get(key: string, now: number): StoredEntry | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.expireAt !== 0 && e.expireAt <= now) return undefined;
    return e;
  }

  set(key: string, entry: StoredEntry): void {
    this.entries.set(key, entry);
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }
}

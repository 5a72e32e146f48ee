import type { Entry } from './types.js';

/** The per-entry overhead counted against byte limits, beyond the payload. */
export const ENTRY_OVERHEAD_BYTES = 24;

export function entrySize(e: Entry): number {
  return e.data.length + ENTRY_OVERHEAD_BYTES;
}

export function entriesSize(entries: readonly Entry[]): number {
  let size = 0;
  for (const e of entries) size += e.data.length + ENTRY_OVERHEAD_BYTES;
  return size;
}

/**
 * The longest prefix of `entries` whose size stays within `maxBytes`, but never empty when
 * `entries` is not: a single entry larger than the limit still has to make progress.
 */
export function limitSize(entries: Entry[], maxBytes: number): Entry[] {
  if (entries.length === 0) return entries;
  let size = entrySize(entries[0]!);
  let n = 1;
  for (; n < entries.length; n++) {
    size += entrySize(entries[n]!);
    if (size > maxBytes) break;
  }
  return n === entries.length ? entries : entries.slice(0, n);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A string key for a byte string, for use in a Map. */
export function bytesKey(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

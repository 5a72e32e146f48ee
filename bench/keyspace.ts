/**
 * The benchmark's keys: `key:` and a 12-digit zero-padded index, the names redis-benchmark's
 * `-r` gives (`key:__rand_int__`), so the RESP runs of both tools touch the same keys.
 */
export function keyName(index: number): string {
  return `key:${String(index).padStart(12, '0')}`;
}

/** The names of keys 0 .. size-1, for drivers that map an index to a name on the hot path. */
export function keyNames(size: number): string[] {
  return Array.from({ length: size }, (_, i) => keyName(i));
}

/** A value of `bytes` bytes, the same for every SET. */
export function benchValue(bytes: number): Buffer {
  return Buffer.alloc(bytes, 'v');
}

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

/** How many distinct values the changing-values SETs cycle through (a prime: no key keeps one). */
export const CHANGING_VALUE_COUNT = 251;

/**
 * `count` distinct values of `bytes` bytes (at least 4), for SETs that change their key's
 * value: `benchValue` with its last bytes replaced by a number.
 */
export function changingValues(bytes: number, count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => {
    const v = benchValue(Math.max(bytes, 4));
    const tag = String(i).padStart(4, '0').slice(-4);
    v.write(tag, v.length - tag.length, 'latin1');
    return v;
  });
}

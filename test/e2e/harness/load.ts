import assert from 'node:assert/strict';
import type { Member } from './cluster.js';
import { readKeys } from './verify.js';

/** The value `writeKeys` stores under `${prefix}${i}`. */
export function valueOf(prefix: string, i: number): string {
  return `value-of-${prefix}${i}`;
}

/**
 * SETs `${prefix}0 .. ${prefix}${count - 1}` through `member`, pipelined in windows of `window`
 * requests on `connections` connections, and asserts every one is acknowledged.
 */
export async function writeKeys(
  member: Member,
  prefix: string,
  count: number,
  options: { connections?: number; window?: number } = {},
): Promise<void> {
  const connections = options.connections ?? 4;
  const window = options.window ?? 64;
  let next = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const client = await member.connect();
      try {
        while (next < count) {
          const batch: number[] = [];
          while (batch.length < window && next < count) batch.push(next++);
          const replies = await Promise.all(
            batch.map((i) => client.send(['SET', `${prefix}${i}`, valueOf(prefix, i)], 10_000)),
          );
          replies.forEach((r, k) => {
            assert.deepEqual(
              r,
              { kind: 'simple', value: 'OK' },
              `SET ${prefix}${batch[k]!} through node ${member.id}`,
            );
          });
        }
      } finally {
        client.close();
      }
    }),
  );
}

/** Asserts, through `member`, that every key `writeKeys` wrote has its value. */
export async function assertKeys(member: Member, prefix: string, count: number): Promise<void> {
  const keys = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  const values = await readKeys(member, keys);
  const wrong: string[] = [];
  keys.forEach((k, i) => {
    const got = values.get(k);
    if (got !== valueOf(prefix, i) && wrong.length < 10) wrong.push(`${k}=${JSON.stringify(got)}`);
  });
  assert.deepEqual(wrong, [], `node ${member.id} serves wrong values`);
}

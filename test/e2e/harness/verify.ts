import type { RespEndpoint } from './resp-client.js';
import { waitFor } from './wait.js';

/**
 * Reads `keys` with GET through `member` (pipelined, linearizable by default) and returns each
 * key's value. A read that fails outright (error reply, lost connection) is retried until
 * `timeoutMs`: availability is not what these checks are about, the values are.
 */
export async function readKeys(
  member: RespEndpoint,
  keys: readonly string[],
  timeoutMs = 15_000,
): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  let missing = [...keys];
  await waitFor(
    `node ${member.id} to answer ${keys.length} GETs`,
    async () => {
      const client = await member.connect(1000);
      try {
        const replies = await Promise.allSettled(missing.map((k) => client.send(['GET', k], 5000)));
        const failed: string[] = [];
        let lastError = '';
        replies.forEach((r, i) => {
          const key = missing[i]!;
          if (r.status === 'fulfilled' && r.value.kind === 'bulk') {
            out.set(
              key,
              typeof r.value.value === 'string' ? r.value.value : r.value.value.toString('utf8'),
            );
          } else if (r.status === 'fulfilled' && r.value.kind === 'null') {
            out.set(key, null);
          } else {
            failed.push(key);
            lastError = r.status === 'rejected' ? String(r.reason) : JSON.stringify(r.value);
          }
        });
        missing = failed;
        if (failed.length > 0) throw new Error(`${failed.length} reads failed, e.g. ${lastError}`);
        return true;
      } finally {
        client.close();
      }
    },
    { timeoutMs, intervalMs: 50 },
  );
  return out;
}

/**
 * Checks, through `member`, that every acknowledged write is present with its value and that
 * every write of unknown outcome is either present with its value or absent. Returns the
 * problems found (empty when all is well), at most `limit` of them.
 */
export async function checkWrites(
  member: RespEndpoint,
  acked: ReadonlyMap<string, string>,
  unknown: ReadonlyMap<string, string>,
  limit = 20,
): Promise<string[]> {
  const values = await readKeys(member, [...acked.keys(), ...unknown.keys()]);
  const problems: string[] = [];
  for (const [key, value] of acked) {
    const got = values.get(key);
    if (got !== value)
      problems.push(`node ${member.id}: acknowledged ${key} reads ${JSON.stringify(got)}`);
    if (problems.length >= limit) return problems;
  }
  for (const [key, value] of unknown) {
    const got = values.get(key);
    if (got !== null && got !== value) {
      problems.push(
        `node ${member.id}: unacknowledged ${key} reads ${JSON.stringify(got)}, was ${JSON.stringify(value)}`,
      );
    }
    if (problems.length >= limit) return problems;
  }
  return problems;
}

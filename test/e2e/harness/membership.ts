import type { Reply } from '../../../src/resp/encoder.js';
import type { Member, TestCluster } from './cluster.js';
import { replyText } from './resp-client.js';

/** One row of `RAFT MEMBERS`. */
export interface MemberRow {
  readonly id: number;
  readonly role: string;
  readonly leader: boolean;
  readonly respAddr: string;
  readonly matchIndex: number | null;
}

/** A RESP2 map (a flat array of key, value) as a Map. */
export function replyMap(reply: Reply): Map<string, Reply> {
  if (reply.kind !== 'array' && reply.kind !== 'map') {
    throw new Error(`expected a map, got ${JSON.stringify(reply)}`);
  }
  const out = new Map<string, Reply>();
  for (let i = 0; i + 1 < reply.items.length; i += 2) {
    out.set(replyText(reply.items[i]!) ?? '', reply.items[i + 1]!);
  }
  return out;
}

function integer(r: Reply | undefined): number {
  if (r?.kind !== 'integer') throw new Error(`expected an integer, got ${JSON.stringify(r)}`);
  return Number(r.value);
}

export function memberRow(reply: Reply): MemberRow {
  const m = replyMap(reply);
  const match = m.get('match_index');
  return {
    id: integer(m.get('id')),
    role: replyText(m.get('role')!) ?? '',
    leader: integer(m.get('leader')) === 1,
    respAddr: replyText(m.get('resp_addr')!) ?? '',
    matchIndex: match === undefined || match.kind === 'null' ? null : integer(match),
  };
}

/** `RAFT MEMBERS` through `member`. */
export async function raftMembers(member: Member, timeoutMs = 2000): Promise<MemberRow[]> {
  const reply = await member.command(['RAFT', 'MEMBERS'], timeoutMs);
  if (reply.kind !== 'array') throw new Error(`RAFT MEMBERS: ${JSON.stringify(reply)}`);
  return reply.items.map(memberRow);
}

/**
 * Waits until each of `members` reports exactly these voters and learners (every member has
 * applied the changes).
 */
export function waitForMembership(
  cluster: TestCluster,
  members: readonly Member[],
  voters: readonly number[],
  learners: readonly number[] = [],
  timeoutMs = 30_000,
): Promise<void> {
  const list = (ids: readonly number[]): string => [...ids].sort((a, b) => a - b).join(',');
  const want = `voters ${list(voters)} learners ${list(learners)}`;
  return cluster
    .waitFor(
      `nodes ${members.map((m) => m.id).join(',')} to report ${want}`,
      async () => {
        for (const m of members) {
          const rows = await raftMembers(m, 1000);
          const seen = `voters ${list(rows.filter((r) => r.role === 'voter').map((r) => r.id))} learners ${list(rows.filter((r) => r.role === 'learner').map((r) => r.id))}`;
          if (seen !== want) throw new Error(`node ${m.id}: ${seen}`);
        }
        return true;
      },
      timeoutMs,
      50,
    )
    .then(() => undefined);
}

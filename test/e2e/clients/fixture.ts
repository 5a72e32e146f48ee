/**
 * What the client-library tests share: one 3-node cluster per suite (started before its first
 * test, stopped after its last), and the write loop that runs through a kill -9 of the leader
 * and checks what the client library reported against what the cluster holds.
 */
import { after, afterEach, before } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestCluster, checkWrites, type Member, type RaftInfo } from '../harness/index.js';

export type Routing = 'forward' | 'redirect';

export interface RunningCluster {
  readonly cluster: TestCluster;
  readonly leader: Member;
  readonly followers: readonly Member[];
}

/**
 * Registers hooks in the calling `describe` that start a cluster before its first test and stop
 * it after its last (keeping the member logs when a test failed), and returns a getter for it.
 * A suite shares one cluster because starting three members costs seconds on a small machine;
 * tests that damage the cluster (the leader kill) go last in their suite.
 */
export function sharedCluster(name: string, routing: Routing): () => RunningCluster {
  let running: RunningCluster | undefined;
  let failed = false;
  before(async () => {
    // Short ticks: an election takes 250-500 ms plus a vote round, so a failover fits the
    // time budget of the suite.
    const cluster = await TestCluster.start({
      name,
      tickMs: 25,
      electionTicks: 10,
      extraArgs: ['--routing', routing],
    });
    let leader;
    try {
      leader = await cluster.waitForLeader(15_000);
    } catch (err) {
      // `after` only knows a cluster that started: stop this one here, keeping its logs.
      failed = true;
      await cluster.stop({ keep: true });
      throw err;
    }
    running = { cluster, leader, followers: cluster.members.filter((m) => m !== leader) };
  });
  afterEach((t) => {
    // `passed` exists at run time since Node 20.12; @types/node 20 does not declare it yet.
    if ((t as { passed?: boolean }).passed !== true) failed = true;
  });
  after(async () => {
    await running?.cluster.stop({ keep: failed });
  });
  return () => {
    if (running === undefined) throw new Error(`cluster "${name}" did not start`);
    return running;
  };
}

/** Resolves with `p`, or rejects after `ms` (the request may still complete later). */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what} timed out after ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface FailoverOptions {
  readonly cluster: TestCluster;
  /** Prefix of the keys written (each key is written once). */
  readonly tag: string;
  /** Concurrent write loops. */
  readonly loops: number;
  /** One SET through the client library under test; resolves with its reply. */
  readonly write: (key: string, value: string) => Promise<unknown>;
  /** Runs right after the kill (e.g. a supervisor restarting the member). */
  readonly afterKill?: (killed: Member) => void;
  /** A write not answered by then counts as failed (outcome unknown). */
  readonly writeTimeoutMs?: number;
}

export interface FailoverReport {
  readonly killed: number;
  readonly acked: number;
  readonly failed: number;
  /** Kill to a surviving member reporting a leader in a newer term. */
  readonly electedAfterMs: number;
  /** Kill to the first acknowledgement of a write sent after the kill. */
  readonly resumedAfterMs: number;
  /** Error messages by first word, with one sample each. */
  readonly errors: ReadonlyMap<string, { count: number; sample: string }>;
  /** Acknowledged writes missing or wrong afterwards, unacknowledged writes with a wrong value. */
  readonly problems: readonly string[];
}

/**
 * Runs `loops` write loops through the client library, kills the leader with -9 once writes
 * flow, waits until writes sent after the kill are acknowledged again, then stops the loops and
 * reads every key back through a surviving member with a plain RESP client (not the library
 * under test). A write counts as acknowledged only if the library reported `OK`; anything else
 * (an error, a timeout) leaves its outcome unknown: the key may hold its value or nothing, never
 * anything else, and an acknowledged key must hold its value.
 */
export async function writeThroughLeaderKill(options: FailoverOptions): Promise<FailoverReport> {
  const { cluster, tag } = options;
  const writeTimeoutMs = options.writeTimeoutMs ?? 5000;
  const acked = new Map<string, string>();
  const unknown = new Map<string, string>();
  const errors = new Map<string, { count: number; sample: string }>();
  const ackTimes: { sentAt: number; at: number }[] = [];
  let running = true;

  const loop = async (c: number): Promise<void> => {
    for (let n = 0; running; n++) {
      const key = `${tag}-${c}-${n}`;
      const value = `v-${key}`;
      const sentAt = Date.now();
      try {
        const reply = await withTimeout(options.write(key, value), writeTimeoutMs, `SET ${key}`);
        if (reply === 'OK') {
          acked.set(key, value);
          ackTimes.push({ sentAt, at: Date.now() });
          continue;
        }
        unknown.set(key, value);
        note(errors, `reply ${JSON.stringify(reply)}`);
      } catch (err) {
        unknown.set(key, value);
        note(errors, err instanceof Error ? err.message : String(err));
      }
      // Pace retries while the cluster has no leader; nothing waits on this.
      await sleep(20);
    }
  };
  const loops = Array.from({ length: options.loops }, (_, c) => loop(c));

  try {
    await cluster.waitFor('writes to flow', () => (acked.size >= 30 ? true : undefined), 15_000);
    const leader = await cluster.waitForLeader(10_000);
    const survivors = cluster.members.filter((m) => m !== leader);
    const termBefore = (await leader.raftInfo()).term;

    const killedAt = Date.now();
    await leader.kill();
    options.afterKill?.(leader);

    const elected = await cluster.waitFor(
      'a surviving member to know a leader of a newer term',
      async () => {
        const infos = await Promise.allSettled(survivors.map((m) => m.raftInfo(500)));
        const ok = infos
          .filter((r): r is PromiseFulfilledResult<RaftInfo> => r.status === 'fulfilled')
          .map((r) => r.value);
        return ok.some((i) => i.term > termBefore && i.leader !== 0) ? Date.now() : undefined;
      },
      15_000,
    );
    await cluster.waitFor(
      'writes sent after the kill to be acknowledged',
      () => (ackTimes.filter((a) => a.sentAt > killedAt).length >= 20 ? true : undefined),
      20_000,
    );
    const firstAck = Math.min(...ackTimes.filter((a) => a.sentAt > killedAt).map((a) => a.at));
    running = false;
    await Promise.all(loops);

    const reader = survivors[0]!;
    const problems = await checkWrites(reader, acked, unknown);
    return {
      killed: leader.id,
      acked: acked.size,
      failed: unknown.size,
      electedAfterMs: elected - killedAt,
      resumedAfterMs: firstAck - killedAt,
      errors,
      problems,
    };
  } finally {
    running = false;
    await Promise.all(loops);
  }
}

function note(errors: Map<string, { count: number; sample: string }>, message: string): void {
  const kind = message.split(' ')[0] ?? message;
  const seen = errors.get(kind);
  if (seen === undefined) errors.set(kind, { count: 1, sample: message });
  else seen.count++;
}

/** One line for the test log: what the failover looked like. */
export function describeFailover(client: string, r: FailoverReport): string {
  const errs = [...r.errors].map(([k, v]) => `${k}x${v.count} (${v.sample})`).join('; ');
  return (
    `e2e: ${client}: killed node ${r.killed}; elected after ${r.electedAfterMs} ms; writes resumed ` +
    `after ${r.resumedAfterMs} ms; ${r.acked} acknowledged, ${r.failed} failed` +
    (errs === '' ? '' : `: ${errs}`) +
    '\n'
  );
}

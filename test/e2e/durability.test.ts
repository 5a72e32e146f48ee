import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  TestCluster,
  WriterPool,
  chaosSeed,
  checkWrites,
  seededRandom,
  type Member,
} from './harness/index.js';
import { useClusterCleanup } from './harness/hooks.js';

useClusterCleanup();

/** The member the live members currently name as leader, if any does. */
async function namedLeader(cluster: TestCluster): Promise<Member | undefined> {
  for (const m of cluster.live) {
    try {
      const lead = (await m.raftInfo(500)).leader;
      const leader = cluster.members.find((x) => x.id === lead);
      if (leader?.running === true) return leader;
    } catch {
      // Down or starting: ask the next one.
    }
  }
  return undefined;
}

function waitForAcks(
  cluster: TestCluster,
  pool: WriterPool,
  more: number,
  timeoutMs: number,
): Promise<true> {
  const target = pool.acked.size + more;
  return cluster.waitFor(
    `${more} more acknowledged writes`,
    () => {
      if (pool.acked.size >= target) return true;
      throw new Error(
        `${pool.acked.size}/${target} acknowledged; errors ${JSON.stringify([...pool.errors])}`,
      );
    },
    timeoutMs,
  );
}

async function checkEverywhere(
  cluster: TestCluster,
  pools: readonly WriterPool[],
  seed: number,
): Promise<void> {
  const acked = new Map(pools.flatMap((p) => [...p.acked]));
  const unknown = new Map(pools.flatMap((p) => [...p.unknown]));
  for (const m of cluster.members) {
    const problems = await checkWrites(m, acked, unknown);
    assert.deepEqual(problems, [], `lost or wrong writes (REDRAFT_E2E_SEED=${seed})`);
  }
}

describe('durability of acknowledged writes', () => {
  it(
    'survives kill -9 of leaders and followers at random moments, and of the whole cluster',
    { timeout: 90_000 },
    async () => {
      const seed = chaosSeed();
      const random = seededRandom(seed);
      // Frequent snapshots: crashes also land in the middle of snapshotting and compaction, and
      // restarted members often catch up through InstallSnapshot.
      const cluster = await TestCluster.start({
        name: 'durability',
        tickMs: 25,
        electionTicks: 10,
        snapshotEntries: 150,
      });
      await cluster.waitForLeader();

      // Phase 1: one member at a time is killed mid-traffic and restarted, the leader on every
      // other round; now and then it is stopped gracefully instead, or the leader is frozen
      // (SIGSTOP) long enough to be replaced and then thawed while it still believes it leads.
      // Writers keep going against every member (followers forward).
      const first = new WriterPool(() => cluster.members, 8, 'p1');
      first.start();
      const actions: string[] = [];
      try {
        await waitForAcks(cluster, first, 50, 10_000);
        for (let round = 0; round < 8; round++) {
          // Chaos timing, not synchronization: the fault lands at an arbitrary point of the traffic.
          await sleep(150 + random() * 600);
          const leader = round % 2 === 0 ? await namedLeader(cluster) : undefined;
          const victim = leader ?? cluster.members[Math.floor(random() * cluster.members.length)]!;
          const dice = random();
          if (leader !== undefined && dice < 0.25) {
            actions.push(`pause n${victim.id}`);
            victim.pause();
            await sleep(cluster.electionTimeoutMs * 2 + random() * 500);
            victim.resume();
            continue;
          }
          if (dice > 0.8) {
            // A graceful stop under load: acknowledged writes must survive it as well.
            actions.push(`term n${victim.id}`);
            // Graceful stops are for started servers (before that SIGTERM's default applies).
            await victim.waitForLog(
              'that it started',
              (l) => l.msg === 'redraft server started',
              15_000,
            );
            const exit = await victim.stop('SIGTERM');
            assert.deepEqual(exit, { code: 0, signal: null }, `SIGTERM of node ${victim.id}`);
          } else {
            actions.push(`kill n${victim.id}`);
            await victim.kill();
          }
          await sleep(50 + random() * 500);
          victim.start();
        }
        // Service resumes once the last victim is back.
        await waitForAcks(cluster, first, 50, 20_000);
      } finally {
        await first.stop();
      }
      await cluster.waitForLeader();
      await checkEverywhere(cluster, [first], seed);

      // Phase 2: every member is killed at once while writes are in flight, then all restart.
      const second = new WriterPool(() => cluster.members, 8, 'p2');
      second.start();
      try {
        await waitForAcks(cluster, second, 100, 10_000);
        await Promise.all(cluster.members.map((m) => m.kill()));
        for (const m of cluster.members) m.start();
        await cluster.waitForLeader(15_000);
        await waitForAcks(cluster, second, 50, 20_000);
      } finally {
        await second.stop();
      }
      await checkEverywhere(cluster, [first, second], seed);

      const acked = first.acked.size + second.acked.size;
      const unknown = first.unknown.size + second.unknown.size;
      process.stderr.write(
        `e2e: durability seed ${seed} (${actions.join(', ')}): ${acked} acknowledged and ${unknown} unknown writes checked on every member; ` +
          `errors seen ${JSON.stringify([...first.errors, ...second.errors])}; e.g. ${JSON.stringify([...first.samples, ...second.samples])}\n`,
      );
      assert.ok(acked >= 250, `only ${acked} writes were acknowledged`);
    },
  );
});

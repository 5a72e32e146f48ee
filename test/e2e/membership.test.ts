import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  TestCluster,
  WriterPool,
  assertKeys,
  checkWrites,
  raftMembers,
  runCli,
  waitForMembership,
  writeKeys,
  type Member,
} from './harness/index.js';
import { useClusterCleanup } from './harness/hooks.js';

useClusterCleanup();

/** `redraft admin` through `member`; asserts it succeeded and returns its output. */
async function admin(member: Member, ...args: string[]): Promise<string> {
  const r = await runCli(['admin', '--addr', member.respAddr, ...args], {}, 60_000);
  assert.equal(r.code, 0, `redraft admin ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

describe('membership changes with real processes', () => {
  it(
    'grows from 3 to 5 voters and back to 3 under a write load, moving and removing the leader, losing no acknowledged write',
    { timeout: 180_000 },
    async () => {
      const cluster = await TestCluster.start({ name: 'membership-load' });
      const first = await cluster.waitForLeader();
      // Writers talk to the members in `serving`; a member leaves it before it is removed.
      const serving = new Set([1, 2, 3]);
      const writers = new WriterPool(
        () => cluster.members.filter((m) => serving.has(m.id) && m.live),
        4,
        'load',
      );
      writers.start();
      const remaining: Member[] = [];
      try {
        // Node 4 joins through the leader, node 5 through a follower; the leader promotes
        // each once it has caught up, with no one asking.
        const n4 = await cluster.addMember(first.respAddr);
        await waitForMembership(cluster, [first], [1, 2, 3, 4]);
        serving.add(4);
        const follower = cluster.members.find((m) => m.id <= 3 && m !== first)!;
        const n5 = await cluster.addMember(follower.respAddr);
        const five = [1, 2, 3, 4, 5].map((id) => cluster.member(id));
        await waitForMembership(cluster, five, [1, 2, 3, 4, 5]);
        serving.add(5);

        // Leadership moves to a member that joined, asked through another member.
        assert.match(await admin(follower, 'transfer', '4'), /node 4 is now the leader/);
        // (Normally still node 4; whichever member leads now is the one removed next.)
        const lead = await cluster.waitForLeader(20_000, five);

        // Back to three: the leader removes itself, asked through itself (it hands leadership
        // over first), then a member that joined is removed through another member.
        serving.delete(lead.id);
        assert.match(await admin(lead, 'remove', String(lead.id)), /was removed/);
        const afterFirst = five.filter((m) => m !== lead);
        await waitForMembership(
          cluster,
          afterFirst,
          afterFirst.map((m) => m.id),
        );
        const second = lead.id === 5 ? n4 : n5;
        remaining.push(...afterFirst.filter((m) => m !== second));
        serving.delete(second.id);
        assert.match(
          await admin(remaining[0]!, 'remove', String(second.id)),
          new RegExp(`node ${second.id} was removed`),
        );
        await waitForMembership(
          cluster,
          remaining,
          remaining.map((m) => m.id),
        );
        await lead.stop('SIGTERM');
        await second.stop('SIGTERM');
        await cluster.waitForLeader(20_000, remaining);
        const before = writers.acked.size;
        await cluster.waitFor(
          'writes after the cluster shrank',
          () => writers.acked.size > before + 20 || undefined,
          20_000,
        );
      } finally {
        await writers.stop();
      }
      assert.ok(
        writers.acked.size > 200,
        `only ${writers.acked.size} writes were acknowledged; errors: ${JSON.stringify([...writers.samples])}`,
      );
      assert.equal(remaining.length, 3);
      for (const m of remaining) {
        const problems = await checkWrites(m, writers.acked, writers.unknown);
        assert.deepEqual(problems, [], `node ${m.id}`);
      }
    },
  );

  it(
    'a node joining after the leader compacted its log catches up from a snapshot, and restarts without joining again',
    { timeout: 120_000 },
    async () => {
      const cluster = await TestCluster.start({ name: 'join-snapshot', snapshotEntries: 50 });
      const leader = await cluster.waitForLeader();
      await writeKeys(leader, 'pre-', 600);
      await cluster.waitFor(
        'the leader to compact its log',
        async () => (await leader.raftInfo()).firstIndex > 1 || undefined,
        20_000,
      );

      const n4 = await cluster.addMember(leader.respAddr);
      const restored = await n4.waitForLog(
        'a snapshot from the leader',
        (l) => l.msg === 'restored state from leader snapshot',
        30_000,
      );
      assert.ok(Number(restored.index) > 50, `snapshot at ${String(restored.index)}`);
      const all = cluster.members;
      await waitForMembership(cluster, all, [1, 2, 3, 4]);
      await assertKeys(n4, 'pre-', 600);
      const rows = await raftMembers(n4);
      assert.equal(rows.find((r) => r.id === 4)?.respAddr, n4.respAddr, 'its address replicated');

      // A snapshot on demand, through the CLI.
      const snap = JSON.parse(await admin(n4, 'snapshot', '--json')) as { index: number };
      assert.ok(snap.index >= Number(restored.index));

      // Restarted with its data directory, it ignores --join and keeps its identity.
      await n4.kill();
      n4.start();
      await n4.waitForLog(
        'that --join is ignored',
        (l) => l.msg === 'the data directory holds a log: --join is ignored',
        15_000,
      );
      await cluster.waitForLeader(20_000, all);
      await writeKeys(n4, 'post-', 50);
      await assertKeys(n4, 'pre-', 600);
      await waitForMembership(cluster, all, [1, 2, 3, 4]);
    },
  );

  it(
    'a joining node keeps asking while the member it was pointed at is down',
    { timeout: 120_000 },
    async () => {
      const cluster = await TestCluster.start({ name: 'join-retry' });
      const leader = await cluster.waitForLeader();
      const down = cluster.members.find((m) => m !== leader)!;
      await down.kill();
      const n4 = await cluster.addMember(down.respAddr);
      const retry = await n4.waitForLog(
        'a failed join attempt',
        (l) => l.msg === 'join attempt failed; retrying',
        15_000,
      );
      assert.match(JSON.stringify(retry.err), /ECONNREFUSED/);
      down.start();
      await n4.waitForLog('the join', (l) => l.msg === 'joined the cluster as a learner', 30_000);
      await waitForMembership(cluster, cluster.members, [1, 2, 3, 4]);
    },
  );
});

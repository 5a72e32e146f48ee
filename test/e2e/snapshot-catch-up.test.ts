import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestCluster, assertKeys, writeKeys } from './harness/index.js';
import { useClusterCleanup } from './harness/hooks.js';

useClusterCleanup();

describe('log compaction and InstallSnapshot', () => {
  it(
    'a follower down while the log is compacted past it catches up from a snapshot',
    { timeout: 60_000 },
    async () => {
      const cluster = await TestCluster.start({ name: 'snapshot', snapshotEntries: 200 });
      const leader = await cluster.waitForLeader();
      const follower = cluster.members.find((m) => m !== leader)!;
      await writeKeys(leader, 'early-', 50);
      const seen = await cluster.waitForApplied(follower, (await leader.raftInfo()).commit);
      await follower.kill();

      await writeKeys(leader, 'late-', 3000);
      // The entries right after the follower's log are gone from the leader: only a snapshot
      // can bring it up to date. Compaction runs in the background, after the snapshot's file
      // is synced, so wait for it rather than expect it the moment the writes return.
      const leaderInfo = await cluster.waitFor(
        `the leader to compact its log past ${seen.lastIndex}`,
        async () => {
          const info = await leader.raftInfo();
          return info.firstIndex > seen.lastIndex + 1 ? info : undefined;
        },
        20_000,
      );
      assert.ok(leader.logLines().some((l) => l.msg === 'snapshot taken and log compacted'));

      follower.start();
      const restored = await follower.waitForLog(
        'a snapshot restored from the leader',
        (l) => l.msg === 'restored state from leader snapshot',
        15_000,
      );
      assert.ok(
        Number(restored.index) >= leaderInfo.firstIndex - 1,
        `restored snapshot at ${String(restored.index)}`,
      );
      await cluster.waitForLeader();
      await cluster.waitForApplied(follower, (await leader.raftInfo()).commit);
      const info = await follower.raftInfo();
      assert.ok(
        info.firstIndex > seen.lastIndex + 1,
        `follower's log now starts at ${info.firstIndex}`,
      );
      await assertKeys(follower, 'early-', 50);
      await assertKeys(follower, 'late-', 3000);

      // The snapshot is durable: after kill -9 the follower starts from it, not from scratch.
      await follower.kill();
      follower.start();
      const fromDisk = await follower.waitForLog(
        'a restore from its own snapshot file',
        (l) => l.msg === 'restored state machine from snapshot',
        10_000,
      );
      assert.ok(Number(fromDisk.index) >= Number(restored.index));
      await cluster.waitForLeader();
      await assertKeys(follower, 'late-', 3000);
    },
  );
});

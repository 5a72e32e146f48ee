import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestCluster, replyText } from './harness/index.js';
import { useClusterCleanup } from './harness/hooks.js';

useClusterCleanup();

describe('a 3-node cluster of real processes', () => {
  it('elects a leader and replicates writes to every member', { timeout: 30_000 }, async () => {
    const cluster = await TestCluster.start({ name: 'replication' });
    const leader = await cluster.waitForLeader();
    const followers = cluster.members.filter((m) => m !== leader);

    assert.equal(replyText(await leader.command(['SET', 'greeting', 'hello'])), 'OK');
    // Linearizable reads (the default) on every member see the acknowledged write at once:
    // a follower asks the leader for a read index and waits until it has applied it.
    for (const m of cluster.members) {
      assert.equal(await m.get('greeting'), 'hello', `GET through node ${m.id}`);
    }

    // A write sent to a follower is forwarded to the leader and acknowledged only once applied.
    const follower = followers[0]!;
    assert.equal(replyText(await follower.command(['SET', 'via-follower', 'forwarded'])), 'OK');
    for (const m of cluster.members) {
      assert.equal(await m.get('via-follower'), 'forwarded', `GET through node ${m.id}`);
    }

    // Every member names the same leader and the same log position once it is applied.
    const leaderInfo = await leader.raftInfo();
    for (const m of cluster.members) {
      const info = await cluster.waitForApplied(m, leaderInfo.commit);
      assert.equal(info.leader, leader.id);
      assert.equal(info.term, leaderInfo.term);
    }
  });
});

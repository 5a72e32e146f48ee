/**
 * Reads queued together share one promise (RaftNode's ReadGroup): they must all be served
 * together, and all fail together, whatever ends their batch.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonCodec, startCluster } from '../../src/index.js';
import { Register } from './harness/register.js';

const READS = 200;

async function threeNodes() {
  return startCluster({
    size: 3,
    stateMachine: () => new Register(),
    codec: jsonCodec<number>(),
    // A batch that is never confirmed fails in a second rather than hang the suite.
    requestTimeoutMs: 1000,
  });
}

describe('reads queued together', () => {
  it(
    'are all served, each after the writes before it, on the leader and a follower',
    { timeout: 60_000 },
    async () => {
      const cluster = await threeNodes();
      try {
        const leader = await cluster.waitForLeader();
        const follower = cluster.runningNodes().find((n) => n.id !== leader.id)!;
        for (let round = 1; round <= 5; round++) {
          await leader.propose(round);
          const reads = [leader, follower].flatMap((node) =>
            Array.from({ length: READS }, () => node.read('linearizable', (s) => s.value)),
          );
          const seen = await Promise.all(reads);
          assert.deepEqual(new Set(seen), new Set([round]), `round ${round}`);
        }
      } finally {
        await cluster.stop();
      }
    },
  );

  it(
    'all fail when their batch cannot be confirmed, and later ones are served',
    { timeout: 60_000 },
    async () => {
      const cluster = await threeNodes();
      try {
        const leader = await cluster.waitForLeader();
        await leader.propose(7);
        cluster.isolate(leader.id);
        const outcomes = await Promise.allSettled(
          Array.from({ length: READS }, () => leader.read('linearizable', (s) => s.value)),
        );
        assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 0);
        cluster.heal();
        const next = await cluster.waitForLeader();
        assert.equal(await next.read('linearizable', (s) => s.value), 7);
      } finally {
        await cluster.stop();
      }
    },
  );

  it('all fail when their node stops', { timeout: 60_000 }, async () => {
    const cluster = await threeNodes();
    try {
      const leader = await cluster.waitForLeader();
      const follower = cluster.runningNodes().find((n) => n.id !== leader.id)!;
      // The follower's reads wait for the leader's answer, which cannot come once it stops.
      cluster.isolate(follower.id);
      const pending = Array.from({ length: READS }, () =>
        follower.read('linearizable', (s) => s.value),
      );
      await cluster.stopNode(follower.id);
      const outcomes = await Promise.allSettled(pending);
      assert.equal(outcomes.filter((o) => o.status === 'rejected').length, READS);
    } finally {
      await cluster.stop();
    }
  });
});

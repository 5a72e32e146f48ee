/**
 * Regression: every node numbered its ReadIndex batches 1, 2, 3..., and the leader keeps one
 * pending request per context, ignoring a duplicate. Two followers with a batch of the same
 * number in flight: one was never answered, and its reads failed with "linearizable read
 * timed out" (found by the gateways' compare-and-set test, with reads on every member).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonCodec, startCluster } from '../../src/index.js';
import { Register } from './harness/register.js';

describe('linearizable reads on several followers at once', () => {
  it(
    'are all answered: read contexts are unique across the cluster',
    { timeout: 60_000 },
    async () => {
      const cluster = await startCluster({
        size: 3,
        stateMachine: () => new Register(),
        codec: jsonCodec<number>(),
        // A lost read would fail in a second rather than hang the suite.
        requestTimeoutMs: 1000,
      });
      try {
        const leader = await cluster.waitForLeader();
        const followers = cluster.runningNodes().filter((n) => n.id !== leader.id);
        assert.equal(followers.length, 2);
        for (let round = 1; round <= 20; round++) {
          await leader.propose(round);
          // Both followers' batches carry the same sequence number each round.
          const seen = await Promise.all(
            followers.map((f) => f.read('linearizable', (state) => state.value)),
          );
          assert.deepEqual(seen, [round, round], `round ${round}`);
        }
      } finally {
        await cluster.stop();
      }
    },
  );
});

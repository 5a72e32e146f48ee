/**
 * Network and process faults on clusters whose members each live in their own network
 * namespace: partitions (halves, the leader alone, bridge, majority ring), one-way cuts, a
 * pulled cable, packet loss, plus kill -9 and pauses. Skipped, saying why, where namespaces
 * or nftables are not available (run test/e2e/faults/install.sh as root).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  faultSeconds,
  faultSeed,
  netnsSupport,
  runSchedule,
  scheduleTimeoutMs,
} from './harness/index.js';

const seconds = faultSeconds(20);

describe('fault schedules with network namespaces', () => {
  for (const size of [3, 5]) {
    it(
      `${size} members: partitions, one-way cuts and crashes keep every history linearizable`,
      { timeout: scheduleTimeoutMs(seconds) },
      async (t) => {
        const support = await netnsSupport();
        if (!support.ok) {
          process.stderr.write(`faults: network-namespace schedules skipped: ${support.reason}\n`);
          t.skip(support.reason);
          return;
        }
        const seed = faultSeed();
        const report = await runSchedule({
          name: `netns-${size}`,
          mode: 'netns',
          size,
          seconds,
          seed,
        });
        t.diagnostic(report.summary);
        assert.deepEqual(report.anomalies, [], `seed ${seed}: see ${report.keptIn ?? '?'}`);
      },
    );
  }
});

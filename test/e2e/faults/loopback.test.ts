/**
 * Process faults on a 3-member cluster on loopback: kill -9 (one member, the leader, a
 * majority, everyone) with restarts, and SIGSTOP/SIGCONT of the leader or any member, while
 * clients drive registers, a counter and appends. Short in `npm test`; long with
 * REDRAFT_FAULT_SECONDS (see README.md here).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { faultSeconds, faultSeed, runSchedule, scheduleTimeoutMs } from './harness/index.js';

const seconds = faultSeconds(20);

describe('fault schedule on loopback', () => {
  it(
    '3 members: kill -9, restarts and pauses keep every history linearizable',
    { timeout: scheduleTimeoutMs(seconds) },
    async (t) => {
      const seed = faultSeed();
      const report = await runSchedule({
        name: 'loopback-3',
        mode: 'loopback',
        size: 3,
        seconds,
        seed,
      });
      t.diagnostic(report.summary);
      assert.deepEqual(report.anomalies, [], `seed ${seed}: see ${report.keptIn ?? '?'}`);
    },
  );
});

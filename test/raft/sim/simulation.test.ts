/**
 * Randomized schedules against the Raft core (DESIGN.md section 3). Each schedule is one seed;
 * see simulation.ts for what a schedule does and invariants.ts for what is checked.
 *
 *   REDRAFT_SIM_SCHEDULES=<n>   how many schedules (default 4000; `npm run test:sim` runs 20000)
 *   REDRAFT_SIM_SEED_BASE=<n>   first seed of the run (default 1), to explore other seeds
 *   REDRAFT_SIM_SEED=<n>        run exactly that one schedule
 *   REDRAFT_SIM_TRACE=1         with REDRAFT_SIM_SEED: print every event and message
 *   REDRAFT_SIM_LEASE_READS=0   leave lease reads out (see below)
 *
 * LEASE_READS: where a schedule has check-quorum, half of its reads are lease reads. A lease
 * read trusts that no other leader can exist yet. Measured by check-quorum alone (etcd's
 * way) that is false: the leader checks its quorum once per election timeout, over the whole
 * past timeout, so a follower cut off just after answering it may vote a new leader in up to
 * about one election timeout before the old leader steps down. This simulation found such
 * stale reads (seed 25910 at the time); the lease is now measured from when the heartbeats a
 * quorum acknowledged were SENT (Raft.leaseHolds), and 35,000 schedules with lease reads pass
 * (seeds 1-35000). A regression test pins the scenario down in read-index.test.ts. Not
 * covered by the lease, by design: tick rates that disagree, and a voter that restarts (it
 * forgets whom it heard from) within the lease.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  LIVENESS_BOUND_TICKS,
  SimulationFailure,
  runSchedule,
  type ScheduleStats,
} from './simulation.js';

const DEFAULT_SCHEDULES = 4000;
/** Stop after this many failing seeds: more would only repeat the same bug. */
const MAX_FAILURES = 5;

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer`);
  return n;
}

const single = envInt('REDRAFT_SIM_SEED');
const base = envInt('REDRAFT_SIM_SEED_BASE') ?? 1;
const count = envInt('REDRAFT_SIM_SCHEDULES') ?? DEFAULT_SCHEDULES;
const seeds = single !== undefined ? [single] : Array.from({ length: count }, (_, i) => base + i);
const leaseReads = process.env.REDRAFT_SIM_LEASE_READS !== '0';
const trace =
  single !== undefined && process.env.REDRAFT_SIM_TRACE === '1'
    ? (line: string): void => {
        process.stdout.write(`${line}\n`);
      }
    : undefined;

describe('raft simulation', () => {
  const totals: Partial<Record<keyof ScheduleStats, number>> = {};
  let schedules = 0;

  it(`keeps safety and liveness across ${seeds.length} randomized schedule(s)`, (t) => {
    const failures: SimulationFailure[] = [];
    const liveness: number[] = [];
    const started = performance.now();
    for (const seed of seeds) {
      try {
        const result = runSchedule(seed, { trace, leaseReads });
        schedules++;
        liveness.push(...result.livenessTicks);
        for (const [k, v] of Object.entries(result.stats) as [keyof ScheduleStats, number][]) {
          totals[k] = (totals[k] ?? 0) + v;
        }
      } catch (err) {
        if (!(err instanceof SimulationFailure)) throw err;
        failures.push(err);
        if (failures.length >= MAX_FAILURES) break;
      }
    }
    liveness.sort((a, b) => a - b);
    const pct = (p: number): number => liveness[Math.floor((liveness.length - 1) * p)] ?? 0;
    t.diagnostic(
      `${schedules} schedules in ${Math.round(performance.now() - started)} ms (seeds ${seeds[0]}..${seeds[seeds.length - 1]}); ` +
        `ticks to liveness p50 ${pct(0.5)}, p99 ${pct(0.99)}, max ${pct(1)} (bound ${LIVENESS_BOUND_TICKS})`,
    );
    t.diagnostic(JSON.stringify(totals));
    if (failures.length > 0) {
      assert.fail(
        `${failures.length} failing schedule(s):\n\n${failures.map((f) => f.message).join('\n\n')}`,
      );
    }
  });

  it('exercises every kind of event it claims to', (t) => {
    // Guards the generator itself: a refactoring that quietly stops, say, snapshots from
    // being sent would otherwise leave the suite green and toothless.
    if (schedules < 200) {
      t.skip('needs a run of at least 200 schedules');
      return;
    }
    const required: (keyof ScheduleStats)[] = [
      'leaders',
      'commits',
      'readStates',
      'crashes',
      'crashesBeforeSync',
      'restarts',
      'partitions',
      'transfers',
      'confChangesApplied',
      'jointEntered',
      'snapshotsTaken',
      'snapshotsRestored',
      'dropped',
      'duplicated',
    ];
    for (const k of required) assert.ok((totals[k] ?? 0) > 0, `no schedule had any ${k}`);
  });
});

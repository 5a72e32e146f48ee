/**
 * The simulation is only worth something if it fails when Raft is broken. These tests break
 * the driver on purpose (see DriverBug in sim-node.ts) and require some schedule to notice;
 * they guard against an invariant checker that quietly checks nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DriverBug } from './sim-node.js';
import { SimulationFailure, runSchedule } from './simulation.js';

/** The first seed, up to `limit`, whose schedule fails with `bug`, and why. */
function firstFailure(bug: DriverBug, limit: number): { seed: number; reason: string } | undefined {
  for (let seed = 1; seed <= limit; seed++) {
    try {
      runSchedule(seed, { bug });
    } catch (err) {
      if (err instanceof SimulationFailure) return { seed, reason: err.reason };
      throw err;
    }
  }
  return undefined;
}

// REDRAFT_SIM_SEED reruns one schedule of simulation.test.ts and nothing else.
const skip = process.env.REDRAFT_SIM_SEED !== undefined && process.env.REDRAFT_SIM_SEED !== '';

describe('simulation harness self-check', { skip }, () => {
  it('notices a driver that acknowledges a Ready before it is durable', () => {
    // Entries and votes sent but lost in a crash: found within the first few seeds.
    const found = firstFailure('lose-last-ready-on-crash', 200);
    assert.ok(found !== undefined, 'no schedule noticed writes lost after being acknowledged');
  });

  it('notices a driver that forgets its vote across a restart', () => {
    // A double vote needs two candidates in one term and a crash between their requests:
    // rare, so this scans further (about one schedule in 400 catches it).
    const found = firstFailure('forget-vote-on-restart', 3000);
    assert.ok(found !== undefined, 'no schedule noticed a node voting twice in a term');
    assert.match(found.reason, /election safety/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { caughtUp, learnerLag, learnersToPromote } from '../../src/node/learner-promotion.js';
import { index, type ProgressStatus } from '../../src/raft/index.js';

function progress(match: number, fields: Partial<ProgressStatus> = {}): ProgressStatus {
  return {
    match: index(match),
    next: index(match + 1),
    state: 'replicate',
    isLearner: true,
    recentActive: true,
    paused: false,
    inflight: 0,
    pendingSnapshot: index(0),
    ...fields,
  };
}

describe('learner promotion', () => {
  it('counts a learner caught up within the allowed lag, never one with nothing', () => {
    assert.equal(learnerLag(progress(90), 100), 10);
    assert.equal(learnerLag(progress(120), 100), 0);
    assert.equal(caughtUp(progress(90), 100, 10), true);
    assert.equal(caughtUp(progress(89), 100, 10), false);
    assert.equal(caughtUp(progress(0), 5, 10), false, 'a learner that acknowledged nothing');
  });

  it('promotes by itself only learners that joined, are caught up and replicating', () => {
    const map = new Map<number, ProgressStatus>([
      [1, progress(100, { isLearner: false })],
      [4, progress(99)],
      [5, progress(99)],
      [6, progress(10)],
      [7, progress(100, { state: 'snapshot' })],
      [8, progress(100, { state: 'probe' })],
      [9, progress(100)],
    ]);
    const wanted = new Set([1, 9, 6, 7, 8, 4]);
    // 5 did not join (added explicitly); 1 is a voter; 6 lags; 7 and 8 are not replicating.
    assert.deepEqual(learnersToPromote(map, 100, wanted, 5), [4, 9]);
    assert.deepEqual(learnersToPromote(map, 100, new Set(), 5), []);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Inflights } from '../../../src/raft/inflights.js';
import { Progress } from '../../../src/raft/progress.js';
import { index } from '../../../src/raft/index.js';

function progress(next: number, match: number, maxInflight = 256): Progress {
  return new Progress(index(next), index(match), new Inflights(maxInflight, 0), false);
}

describe('Progress', () => {
  it('maybeUpdate raises match and next, and ignores stale acknowledgements', () => {
    const pr = progress(5, 3);
    assert.equal(pr.maybeUpdate(index(2)), false);
    assert.equal(pr.match, 3);
    assert.equal(pr.next, 5);
    assert.equal(pr.maybeUpdate(index(4)), true);
    assert.equal(pr.match, 4);
    assert.equal(pr.next, 5);
    assert.equal(pr.maybeUpdate(index(7)), true);
    assert.equal(pr.match, 7);
    assert.equal(pr.next, 8);
  });

  it('an acknowledgement unpauses a probe', () => {
    const pr = progress(5, 3);
    pr.sentEntries(1, 10, index(5));
    assert.equal(pr.isPaused(), true);
    pr.maybeUpdate(index(5));
    assert.equal(pr.isPaused(), false);
  });

  describe('maybeDecrTo', () => {
    it('in replicate, falls back to match+1 and ignores rejections at or below match', () => {
      const pr = progress(10, 5);
      pr.becomeReplicate();
      pr.next = index(10);
      assert.equal(pr.maybeDecrTo(index(5), index(5)), false);
      assert.equal(pr.next, 10);
      assert.equal(pr.maybeDecrTo(index(9), index(7)), true);
      assert.equal(pr.next, 6);
    });

    it('in probe, only the rejection of the last probe counts', () => {
      const pr = progress(10, 0);
      assert.equal(pr.maybeDecrTo(index(5), index(3)), false, 'not the outstanding probe');
      assert.equal(pr.next, 10);
      assert.equal(pr.maybeDecrTo(index(9), index(3)), true);
      assert.equal(pr.next, 4, 'jumps right after the hint');
    });

    it('in probe, never goes below match+1 and never above the rejected index', () => {
      const pr = progress(10, 5);
      assert.equal(pr.maybeDecrTo(index(9), index(2)), true);
      assert.equal(pr.next, 6);
      const pr2 = progress(10, 0);
      assert.equal(pr2.maybeDecrTo(index(9), index(20)), true);
      assert.equal(pr2.next, 9);
    });

    it('unpauses the probe', () => {
      const pr = progress(10, 0);
      pr.sentEntries(0, 0, index(9));
      assert.equal(pr.isPaused(), true);
      pr.maybeDecrTo(index(9), index(5));
      assert.equal(pr.isPaused(), false);
    });
  });

  it('in replicate, sending advances next optimistically and pauses when the window is full', () => {
    const pr = progress(1, 0, 2);
    pr.becomeReplicate();
    pr.sentEntries(3, 30, index(3));
    assert.equal(pr.next, 4);
    assert.equal(pr.isPaused(), false);
    pr.sentEntries(0, 0, index(3)); // an empty append takes no slot
    assert.equal(pr.inflights.size(), 1);
    pr.sentEntries(2, 20, index(5));
    assert.equal(pr.next, 6);
    assert.equal(pr.isPaused(), true);
    pr.inflights.freeLE(3);
    assert.equal(pr.isPaused(), false);
  });

  it('snapshot state is always paused; becomeProbe resumes after the snapshot', () => {
    const pr = progress(5, 3);
    pr.becomeSnapshot(index(20));
    assert.equal(pr.isPaused(), true);
    assert.equal(pr.pendingSnapshot, 20);
    pr.becomeProbe();
    assert.equal(pr.state, 'probe');
    assert.equal(pr.next, 21);
    assert.equal(pr.pendingSnapshot, 0);
  });

  it('a failed snapshot (pendingSnapshot cleared) resumes probing after match', () => {
    const pr = progress(5, 3);
    pr.becomeSnapshot(index(20));
    pr.pendingSnapshot = index(0);
    pr.becomeProbe();
    assert.equal(pr.next, 4);
  });

  it('becomeReplicate and becomeProbe restart at match+1 with an empty window', () => {
    const pr = progress(10, 4);
    pr.becomeReplicate();
    pr.sentEntries(1, 1, index(5));
    assert.equal(pr.inflights.size(), 1);
    pr.becomeProbe();
    assert.equal(pr.next, 5);
    assert.equal(pr.inflights.size(), 0);
    pr.becomeReplicate();
    assert.equal(pr.next, 5);
  });
});

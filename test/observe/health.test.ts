import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NodeHealth, type HealthSource } from '../../src/observe/health.js';
import { NONE, index, nodeId } from '../../src/raft/index.js';

/** The node's getters as plain fields (a mapping test; the real node is in cluster tests). */
function source(): { -readonly [K in keyof HealthSource]: HealthSource[K] } {
  return { leader: NONE, applied: index(0), commitIndex: index(0), failure: undefined };
}

describe('NodeHealth', () => {
  it('is ready only with a leader and everything committed applied', () => {
    const s = source();
    const h = new NodeHealth(s);
    assert.deepEqual(h.ready(), { ready: false, reason: 'no leader known' });
    s.leader = nodeId(2);
    s.commitIndex = index(10);
    s.applied = index(7);
    assert.deepEqual(h.ready(), {
      ready: false,
      reason: 'catching up: applied index 7 is behind commit index 10',
    });
    s.applied = index(10);
    assert.deepEqual(h.ready(), { ready: true, reason: 'leader 2; applied up to commit index 10' });
    assert.equal(h.live(), true);
  });

  it('is unready while an alarm is raised, and while stopping', () => {
    const s = source();
    s.leader = nodeId(1);
    const h = new NodeHealth(s);
    h.raiseAlarm('merkle', 'root differs from the leader at index 9');
    assert.deepEqual(h.ready(), {
      ready: false,
      reason: 'alarm merkle: root differs from the leader at index 9',
    });
    assert.deepEqual([...h.activeAlarms().keys()], ['merkle']);
    h.clearAlarm('merkle');
    assert.equal(h.ready().ready, true);
    h.markStopping();
    assert.deepEqual(h.ready(), { ready: false, reason: 'shutting down' });
    assert.equal(h.live(), true);
  });

  it('is neither live nor ready after a fail-stop', () => {
    const s = source();
    s.leader = nodeId(1);
    s.failure = new Error('disk full');
    const h = new NodeHealth(s);
    assert.equal(h.live(), false);
    assert.deepEqual(h.ready(), { ready: false, reason: 'node failed: disk full' });
  });
});

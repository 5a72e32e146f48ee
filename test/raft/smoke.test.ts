import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestCluster, bytes, ids } from './harness/cluster.js';

describe('raft smoke', () => {
  it('elects a leader and replicates a proposal to every node', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    assert.deepEqual(c.leaders(), [1]);
    c.node(1).rawNode.propose(bytes('hello'));
    c.stabilize();
    for (const id of [1, 2, 3]) assert.deepEqual(c.appliedData(id), ['hello']);
  });

  it('elects a leader by ticking alone', () => {
    const c = new TestCluster(ids(1, 2, 3), { preVote: true, checkQuorum: true });
    for (let i = 0; i < 50 && c.leaders().length === 0; i++) {
      c.tickAll();
      c.stabilize();
    }
    assert.equal(c.leaders().length, 1);
  });
});

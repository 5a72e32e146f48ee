import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JointConfig, MajorityConfig } from '../../../src/raft/quorum.js';
import { index, nodeId, type Index, type NodeId } from '../../../src/raft/index.js';

function majority(...n: number[]): MajorityConfig {
  return new MajorityConfig(n.map(nodeId));
}

/** An acked() function from a table id -> match; ids missing from it were not heard from. */
function acks(table: Record<number, number>): (id: NodeId) => Index | undefined {
  return (id) => (table[id] === undefined ? undefined : index(table[id]));
}

function votes(table: Record<number, boolean>): Map<NodeId, boolean> {
  return new Map(Object.entries(table).map(([k, v]) => [nodeId(Number(k)), v]));
}

/** The reference definition: the largest i that at least a majority has acknowledged. */
function referenceCommitted(matches: number[]): number {
  const q = Math.floor(matches.length / 2) + 1;
  let best = 0;
  for (const candidate of matches) {
    if (matches.filter((m) => m >= candidate).length >= q) best = Math.max(best, candidate);
  }
  return best;
}

describe('MajorityConfig', () => {
  it('committedIndex is the highest index a majority has acknowledged', () => {
    assert.equal(majority(1).committedIndex(acks({ 1: 5 })), 5);
    assert.equal(majority(1, 2, 3).committedIndex(acks({ 1: 5, 2: 3, 3: 1 })), 3);
    assert.equal(majority(1, 2, 3).committedIndex(acks({ 1: 5 })), 0, 'unheard voters count as 0');
    assert.equal(majority(1, 2, 3).committedIndex(acks({ 1: 5, 2: 5 })), 5);
    // Four voters need three acknowledgements.
    assert.equal(majority(1, 2, 3, 4).committedIndex(acks({ 1: 9, 2: 8, 3: 2, 4: 1 })), 2);
  });

  it('committedIndex of the empty config places no constraint', () => {
    assert.equal(majority().committedIndex(acks({})), Number.MAX_SAFE_INTEGER);
  });

  it('committedIndex matches the definition for small and large configs', () => {
    // Sizes above 7 take a different code path (sort instead of insertion sort).
    let seed = 1;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let size = 1; size <= 11; size++) {
      for (let trial = 0; trial < 50; trial++) {
        const table: Record<number, number> = {};
        const matches: number[] = [];
        for (let id = 1; id <= size; id++) {
          const m = rand(20);
          table[id] = m;
          matches.push(m);
        }
        const cfg = new MajorityConfig(Array.from({ length: size }, (_, i) => nodeId(i + 1)));
        assert.equal(
          cfg.committedIndex(acks(table)),
          referenceCommitted(matches),
          matches.join(','),
        );
      }
    }
  });

  it('voteResult: won with a majority of yes, lost once a majority is impossible', () => {
    const c = majority(1, 2, 3);
    assert.equal(c.voteResult(votes({})), 'pending');
    assert.equal(c.voteResult(votes({ 1: true })), 'pending');
    assert.equal(c.voteResult(votes({ 1: true, 2: true })), 'won');
    assert.equal(c.voteResult(votes({ 1: true, 2: false })), 'pending');
    assert.equal(c.voteResult(votes({ 1: false, 2: false })), 'lost');
    assert.equal(c.voteResult(votes({ 1: true, 2: false, 3: false })), 'lost');
    // Votes from non-members do not count.
    assert.equal(c.voteResult(votes({ 1: true, 7: true, 8: true })), 'pending');
  });

  it('voteResult: an even config needs more than half', () => {
    const c = majority(1, 2, 3, 4);
    assert.equal(c.voteResult(votes({ 1: true, 2: true })), 'pending');
    assert.equal(c.voteResult(votes({ 1: true, 2: true, 3: false, 4: false })), 'lost');
    assert.equal(c.voteResult(votes({ 1: true, 2: true, 3: true })), 'won');
  });

  it('voteResult of the empty config is won', () => {
    assert.equal(majority().voteResult(votes({})), 'won');
  });
});

describe('JointConfig', () => {
  const joint = new JointConfig(majority(1, 2, 3), majority(3, 4, 5));

  it('committedIndex is the lower of the two majorities', () => {
    // Incoming (1 2 3) has 7 on a majority; outgoing (3 4 5) only 2.
    assert.equal(joint.committedIndex(acks({ 1: 7, 2: 7, 3: 2, 4: 1, 5: 9 })), 2);
    assert.equal(joint.committedIndex(acks({ 1: 7, 2: 7, 3: 7, 4: 7, 5: 0 })), 7);
  });

  it('with an empty outgoing half it behaves like the incoming half', () => {
    const simple = new JointConfig(majority(1, 2, 3), majority());
    assert.equal(simple.isJoint(), false);
    assert.equal(simple.committedIndex(acks({ 1: 4, 2: 4 })), 4);
    assert.equal(simple.voteResult(votes({ 1: true, 2: true })), 'won');
  });

  it('voteResult needs both majorities to win, and either to lose', () => {
    assert.equal(joint.voteResult(votes({ 1: true, 2: true })), 'pending');
    assert.equal(joint.voteResult(votes({ 1: true, 2: true, 4: true, 5: true })), 'won');
    assert.equal(joint.voteResult(votes({ 1: true, 3: true, 4: true })), 'won', '3 counts in both');
    assert.equal(joint.voteResult(votes({ 1: true, 3: true })), 'pending');
    assert.equal(joint.voteResult(votes({ 1: true, 2: true, 4: false, 5: false })), 'lost');
    assert.equal(joint.voteResult(votes({ 1: false, 2: false, 4: true, 5: true })), 'lost');
  });

  it('ids is the union of both halves', () => {
    assert.deepEqual(
      [...joint.ids()].sort((a, b) => a - b),
      [1, 2, 3, 4, 5],
    );
    assert.equal(joint.has(nodeId(5)), true);
    assert.equal(joint.has(nodeId(6)), false);
  });
});

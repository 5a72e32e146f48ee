/**
 * Check-quorum (thesis §6.2 and §4.2.3): a leader that has not heard from a quorum within an
 * election timeout steps down, and followers that have heard from a leader within the minimum
 * election timeout ignore vote requests (which is also what makes lease reads possible).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { index, message, nodeId, term, type Message } from '../../src/raft/index.js';
import { TestCluster, bytes, ids, takeMessages } from './harness/cluster.js';

function disruptiveVote(from: number, to: number, t: number): Message {
  return message({
    type: 'MsgVote',
    from: nodeId(from),
    to: nodeId(to),
    term: term(t),
    index: index(100),
    logTerm: term(100),
  });
}

function ticks(c: TestCluster, n: number): void {
  for (let i = 0; i < n; i++) {
    c.tickAll();
    c.stabilize();
  }
}

describe('check-quorum: the leader', () => {
  it('steps down once it has not heard from a quorum for an election timeout', () => {
    const c = new TestCluster(ids(1, 2, 3), { checkQuorum: true });
    c.elect(1);
    c.isolate(1);
    const r = c.raft(1);
    let steppedDownAt = -1;
    for (let i = 1; i <= 25 && steppedDownAt < 0; i++) {
      r.tick();
      if (r.role !== 'leader') steppedDownAt = i;
    }
    // The check runs every election timeout (10 ticks); the first one still sees the answers
    // from before the partition, the second one finds nobody.
    assert.equal(steppedDownAt, 20);
    assert.equal(r.role, 'follower');
    assert.equal(r.lead, 0);
  });

  it('stays leader as long as a quorum answers, even with a member down', () => {
    const c = new TestCluster(ids(1, 2, 3), { checkQuorum: true });
    c.elect(1);
    const t = c.raft(1).term;
    c.isolate(3);
    ticks(c, 100);
    assert.equal(c.raft(1).role, 'leader');
    assert.equal(c.raft(1).term, t);
  });

  it('counts learners out of the quorum', () => {
    const c = new TestCluster(ids(1, 2, 3), { checkQuorum: true }, ids(4, 5));
    c.elect(1);
    c.isolate(2);
    c.isolate(3);
    // Learners 4 and 5 still answer: three of five members, but one of three voters.
    ticks(c, 25);
    assert.notEqual(c.raft(1).role, 'leader');
  });

  it('ignores a disruptive vote request while its lease holds', () => {
    const c = new TestCluster(ids(1, 2, 3), { checkQuorum: true });
    c.elect(1);
    const r = c.raft(1);
    const t = r.term;
    r.step(disruptiveVote(3, 1, t + 5));
    assert.equal(r.role, 'leader');
    assert.equal(r.term, t);
    assert.deepEqual(takeMessages(r), []);
  });
});

describe('check-quorum: followers', () => {
  it('ignore vote requests while they hear from a leader, and grant them once it is gone', () => {
    // The longest timeout (2*electionTick-1): node 2 does not campaign itself meanwhile.
    const c = new TestCluster(ids(1, 2, 3), { checkQuorum: true, random: (n) => n - 1 });
    c.elect(1);
    const r = c.raft(2);
    const t = r.term;
    r.step(disruptiveVote(3, 2, t + 1));
    assert.equal(r.term, t, 'in lease: the request does not even raise the term');
    assert.deepEqual(takeMessages(r), []);
    // An election timeout without the leader: the lease is over.
    c.isolate(1);
    for (let i = 0; i < 10; i++) r.tick();
    r.step(disruptiveVote(3, 2, t + 1));
    assert.equal(r.term, t + 1);
    assert.equal(r.vote, 3);
  });

  it('answer an append from a stale leader with their term, which deposes it', () => {
    const c = new TestCluster(ids(1, 2, 3), { checkQuorum: true });
    c.elect(1);
    c.isolate(1);
    // Nodes 2 and 3 elect a new leader while node 1, whose clock we hold, still leads.
    for (let i = 0; i < 100 && !c.leaders().some((id) => id !== 1); i++) {
      c.node(2).rawNode.tick();
      c.node(3).rawNode.tick();
      c.stabilize();
    }
    const leader = c.leaders().find((id) => id !== 1);
    assert.ok(leader !== undefined);
    assert.equal(c.raft(1).role, 'leader');
    c.heal();
    c.node(1).rawNode.propose(bytes('stale'));
    c.stabilize();
    assert.equal(c.raft(1).role, 'follower');
    assert.equal(c.raft(1).term, c.raft(leader).term);
    c.node(leader).rawNode.propose(bytes('fresh'));
    c.stabilize();
    // The new leader's probe of node 1 was lost in the partition: a heartbeat resumes it.
    c.tickAll();
    c.stabilize();
    for (const id of [1, 2, 3]) assert.deepEqual(c.appliedData(id), ['fresh']);
  });
});

describe('check-quorum in a cluster', () => {
  it('a candidate stuck in a high term after a partition is freed, and all converge', () => {
    const c = new TestCluster(ids(1, 2, 3), { checkQuorum: true });
    c.elect(1);
    c.isolate(3);
    ticks(c, 60);
    const stuck = c.raft(3).term;
    assert.ok(stuck > c.raft(1).term, 'node 3 campaigned alone');
    assert.equal(c.raft(1).role, 'leader');
    c.heal();
    c.tickUntil(() => {
      const leaders = c.leaders();
      return (
        leaders.length === 1 &&
        [1, 2, 3].every((id) => c.raft(id).term === c.raft(leaders[0]!).term)
      );
    });
    assert.ok(c.raft(c.leaders()[0]!).term >= stuck);
  });

  it('a minority partition cannot elect, and the majority side keeps committing', () => {
    const c = new TestCluster(ids(1, 2, 3, 4, 5), { checkQuorum: true });
    c.elect(1);
    c.isolate(1);
    c.isolate(2);
    c.cut.delete('1-2');
    c.cut.delete('2-1');
    // Node 1 loses its quorum and steps down; 3, 4 and 5 elect one of them.
    c.tickUntil(() => c.leaders().some((id) => id >= 3) && c.raft(1).role !== 'leader');
    const leader = c.leaders().find((id) => id >= 3)!;
    c.node(leader).rawNode.propose(bytes('majority'));
    c.stabilize();
    for (const id of [3, 4, 5]) assert.deepEqual(c.appliedData(id), ['majority']);
    for (const id of [1, 2]) assert.deepEqual(c.appliedData(id), []);
    assert.ok(![1, 2].includes(c.leaders()[0]!));
  });
});

/**
 * Leadership transfer (thesis §3.10): the leader brings the transferee up to date, then sends
 * it TimeoutNow so that it campaigns at once, past other members' leader leases.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CAMPAIGN_TRANSFER,
  NONE,
  ProposalDroppedError,
  message,
  nodeId,
  term,
  type Message,
} from '../../src/raft/index.js';
import { TestCluster, bytes, ids, takeMessages } from './harness/cluster.js';

function ofType(msgs: readonly Message[], type: Message['type']): Message[] {
  return msgs.filter((m) => m.type === type);
}

describe('leadership transfer', () => {
  it('to an up-to-date follower: TimeoutNow at once, and it wins the next term', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    const t = c.raft(1).term;
    c.node(1).rawNode.transferLeader(nodeId(2));
    const msgs = c.drain();
    assert.deepEqual(
      ofType(msgs, 'MsgTimeoutNow').map((m) => m.to),
      [2],
    );
    c.deliverAll(msgs);
    const votes = ofType(c.drain(), 'MsgVote');
    assert.deepEqual(
      votes.map((m) => [m.from, m.term]),
      [
        [2, t + 1],
        [2, t + 1],
      ],
    );
    for (const v of votes) assert.deepEqual(v.context, CAMPAIGN_TRANSFER);
    c.deliverAll(votes);
    c.stabilize();
    assert.deepEqual(c.leaders(), [2]);
    assert.equal(c.raft(2).term, t + 1);
    assert.equal(c.raft(1).lead, 2);
  });

  it('to a lagging follower: it is caught up first, then sent TimeoutNow', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    c.isolate(3);
    for (let i = 0; i < 5; i++) c.node(1).rawNode.propose(bytes(`v${i}`));
    c.stabilize();
    c.heal();
    c.node(1).rawNode.transferLeader(nodeId(3));
    assert.equal(c.raft(1).leadTransferee, 3);
    const first = c.drain();
    assert.deepEqual(ofType(first, 'MsgTimeoutNow'), [], 'not before it has the whole log');
    assert.ok(ofType(first, 'MsgApp').some((m) => m.to === 3));
    const sent: Message[] = [];
    c.deliverAll(first);
    c.stabilizeWith((m) => {
      sent.push(m);
      return true;
    });
    const timeoutNow = sent.findIndex((m) => m.type === 'MsgTimeoutNow');
    assert.ok(timeoutNow >= 0);
    assert.deepEqual(c.leaders(), [3]);
    assert.deepEqual(c.appliedData(3), ['v0', 'v1', 'v2', 'v3', 'v4']);
  });

  it('proposals are dropped while it is under way', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    c.isolate(3);
    c.node(1).rawNode.transferLeader(nodeId(3));
    assert.throws(() => c.node(1).rawNode.propose(bytes('x')), ProposalDroppedError);
  });

  it('is abandoned after an election timeout, and the leader serves again', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    c.isolate(3);
    c.node(1).rawNode.transferLeader(nodeId(3));
    const r = c.raft(1);
    for (let i = 0; i < 9; i++) r.tick();
    assert.equal(r.leadTransferee, 3);
    r.tick();
    assert.equal(r.leadTransferee, NONE);
    assert.equal(r.role, 'leader');
    c.node(1).rawNode.propose(bytes('x'));
    c.stabilize();
    assert.deepEqual(c.appliedData(2), ['x']);
  });

  it('to a learner is ignored', () => {
    const c = new TestCluster(ids(1, 2, 3), {}, ids(4));
    c.elect(1);
    c.node(1).rawNode.transferLeader(nodeId(4));
    assert.equal(c.raft(1).leadTransferee, NONE);
    assert.deepEqual(ofType(c.drain(), 'MsgTimeoutNow'), []);
    c.node(1).rawNode.propose(bytes('still accepted'));
  });

  it('to itself or to a non-member is ignored', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    c.node(1).rawNode.transferLeader(nodeId(1));
    c.node(1).rawNode.transferLeader(nodeId(9));
    assert.equal(c.raft(1).leadTransferee, NONE);
    assert.deepEqual(ofType(c.drain(), 'MsgTimeoutNow'), []);
  });

  it('asked of a follower is forwarded to the leader', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    c.node(3).rawNode.transferLeader(nodeId(3));
    c.stabilize();
    assert.deepEqual(c.leaders(), [3]);
  });

  it('a second request for another member replaces the first', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    c.isolate(3);
    c.node(1).rawNode.transferLeader(nodeId(3));
    c.node(1).rawNode.transferLeader(nodeId(2));
    assert.equal(c.raft(1).leadTransferee, 2);
    c.stabilize();
    assert.deepEqual(c.leaders(), [2]);
  });

  it('with pre-vote, the transferee campaigns directly, without a pre-vote round', () => {
    const c = new TestCluster(ids(1, 2, 3), { preVote: true });
    c.elect(1);
    c.node(1).rawNode.transferLeader(nodeId(2));
    c.deliverAll(c.drain());
    const msgs = c.drain();
    assert.deepEqual(ofType(msgs, 'MsgPreVote'), []);
    assert.equal(ofType(msgs, 'MsgVote').length, 2);
    c.deliverAll(msgs);
    c.stabilize();
    assert.deepEqual(c.leaders(), [2]);
  });
});

describe('leadership transfer and leases', () => {
  it('a vote with the transfer context bypasses a follower lease', () => {
    const c = new TestCluster(ids(1, 2, 3), { checkQuorum: true });
    c.elect(1);
    const r = c.raft(3);
    const t = r.term;
    const vote = (context: Uint8Array): Message =>
      message({
        type: 'MsgVote',
        from: nodeId(2),
        to: nodeId(3),
        term: term(t + 1),
        index: r.raftLog.lastIndex(),
        logTerm: r.raftLog.lastTerm(),
        context,
      });
    r.step(vote(new Uint8Array(0)));
    assert.deepEqual(takeMessages(r), [], 'in lease: ignored');
    assert.equal(r.term, t);
    r.step(vote(CAMPAIGN_TRANSFER));
    const [resp] = takeMessages(r);
    assert.equal(resp!.type, 'MsgVoteResp');
    assert.equal(resp!.reject, false);
    assert.equal(r.term, t + 1);
    assert.equal(r.vote, 2);
  });

  it('a transfer completes in a check-quorum cluster whose followers are all in lease', () => {
    const c = new TestCluster(ids(1, 2, 3), { checkQuorum: true, preVote: true });
    c.elect(1);
    c.node(1).rawNode.transferLeader(nodeId(3));
    c.stabilize();
    assert.deepEqual(c.leaders(), [3]);
    c.node(3).rawNode.propose(bytes('x'));
    c.stabilize();
    for (const id of [1, 2, 3]) assert.deepEqual(c.appliedData(id), ['x']);
  });
});

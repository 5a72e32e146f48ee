/**
 * Pre-vote (thesis §9.6): a node first asks whether it could win, without changing its term,
 * so that a partitioned node rejoining does not disrupt a working cluster.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  index,
  message,
  nodeId,
  term,
  type Message,
  type MessageType,
} from '../../src/raft/index.js';
import {
  TestCluster,
  bytes,
  ids,
  newTestRaft,
  storageWithLog,
  takeMessages,
} from './harness/cluster.js';

function resp(type: MessageType, from: number, t: number, reject = false): Message {
  return message({ type, from: nodeId(from), to: nodeId(1), term: term(t), reject });
}

function preVote(from: number, to: number, t: number, lastIndex = 0, lastTerm = 0): Message {
  return message({
    type: 'MsgPreVote',
    from: nodeId(from),
    to: nodeId(to),
    term: term(t),
    index: index(lastIndex),
    logTerm: term(lastTerm),
  });
}

describe('pre-vote: the pre-candidate', () => {
  it('asks about the next term without changing its own term or vote', () => {
    const r = newTestRaft(1, [1, 2, 3], { preVote: true }, storageWithLog(ids(1, 2, 3), [1, 2]));
    r.step(message({ type: 'MsgHup' }));
    assert.equal(r.role, 'pre-candidate');
    assert.equal(r.term, 2);
    assert.equal(r.vote, 0);
    const msgs = takeMessages(r);
    assert.deepEqual(
      msgs.map((m) => [m.type, m.to, m.term, m.index, m.logTerm]),
      [
        ['MsgPreVote', 2, 3, 2, 2],
        ['MsgPreVote', 3, 3, 2, 2],
      ],
    );
  });

  it('starts a real election in the next term once a majority would vote for it', () => {
    const r = newTestRaft(1, [1, 2, 3], { preVote: true });
    r.step(message({ type: 'MsgHup' }));
    takeMessages(r);
    r.step(resp('MsgPreVoteResp', 2, 1));
    assert.equal(r.role, 'candidate');
    assert.equal(r.term, 1);
    assert.equal(r.vote, 1);
    const votes = takeMessages(r);
    assert.deepEqual(
      votes.map((m) => [m.type, m.term]),
      [
        ['MsgVote', 1],
        ['MsgVote', 1],
      ],
    );
    r.step(resp('MsgVoteResp', 3, 1));
    assert.equal(r.role, 'leader');
  });

  it('returns to follower, term unchanged, when a majority refuses', () => {
    const r = newTestRaft(1, [1, 2, 3], { preVote: true });
    r.step(message({ type: 'MsgHup' }));
    r.step(resp('MsgPreVoteResp', 2, 0, true));
    assert.equal(r.role, 'pre-candidate', 'one refusal of three is not decisive');
    r.step(resp('MsgPreVoteResp', 3, 0, true));
    assert.equal(r.role, 'follower');
    assert.equal(r.term, 0);
  });

  it('a refusal carrying a higher term makes it a follower of that term', () => {
    const r = newTestRaft(1, [1, 2, 3], { preVote: true });
    r.step(message({ type: 'MsgHup' }));
    r.step(resp('MsgPreVoteResp', 2, 7, true));
    assert.equal(r.role, 'follower');
    assert.equal(r.term, 7);
  });

  it('counts only answers to pre-votes', () => {
    const r = newTestRaft(1, [1, 2, 3], { preVote: true });
    r.step(message({ type: 'MsgHup' }));
    // Stale answers to a real election of this term.
    r.step(resp('MsgVoteResp', 2, 0));
    r.step(resp('MsgVoteResp', 3, 0));
    assert.equal(r.role, 'pre-candidate');
  });
});

describe('pre-vote: the voter', () => {
  it('grants a pre-vote without changing its term or vote, and echoes the asked-for term', () => {
    const r = newTestRaft(2, [1, 2, 3], { preVote: true });
    r.becomeFollower(term(3), nodeId(3));
    r.step(preVote(1, 2, 4));
    const [m] = takeMessages(r);
    assert.deepEqual([m!.type, m!.term, m!.reject], ['MsgPreVoteResp', 4, false]);
    assert.equal(r.term, 3);
    assert.equal(r.vote, 0);
    assert.equal(r.lead, 3, 'a pre-vote does not unseat the leader it knows');
  });

  it('grants a pre-vote for a future term even though it voted in its current one', () => {
    const r = newTestRaft(2, [1, 2, 3], { preVote: true });
    r.step(message({ type: 'MsgVote', from: nodeId(3), to: nodeId(2), term: term(2) }));
    takeMessages(r);
    assert.equal(r.vote, 3);
    r.step(preVote(1, 2, 3));
    assert.equal(takeMessages(r)[0]!.reject, false);
    r.step(preVote(1, 2, 2));
    assert.equal(takeMessages(r)[0]!.reject, true, 'but not for the term it voted in');
  });

  it('refuses a pre-candidate whose log is behind (§5.4.1)', () => {
    const r = newTestRaft(2, [1, 2, 3], { preVote: true }, storageWithLog(ids(1, 2, 3), [1, 1, 2]));
    r.step(preVote(1, 2, 5, 3, 1));
    const [m] = takeMessages(r);
    assert.equal(m!.reject, true);
    assert.equal(m!.term, 2, 'with its own term');
    assert.equal(r.term, 2);
  });

  it('refuses a pre-vote of a stale term with its own term', () => {
    const r = newTestRaft(2, [1, 2, 3], { preVote: true });
    r.becomeFollower(term(6), nodeId(3));
    r.step(preVote(1, 2, 4));
    const [m] = takeMessages(r);
    assert.deepEqual([m!.type, m!.term, m!.reject], ['MsgPreVoteResp', 6, true]);
  });
});

describe('pre-vote in a cluster', () => {
  /** Node 3 is cut off for many election timeouts while nodes 1 and 2 carry on. */
  function partitioned(preVote: boolean): { c: TestCluster; term0: number } {
    const c = new TestCluster(ids(1, 2, 3), { preVote });
    c.elect(1);
    const term0 = c.raft(1).term;
    c.isolate(3);
    c.node(1).rawNode.propose(bytes('while 3 was away'));
    for (let i = 0; i < 100; i++) {
      c.tickAll();
      c.stabilize();
    }
    return { c, term0 };
  }

  it('a partitioned node does not raise its term, and its return does not disrupt the leader', () => {
    const { c, term0 } = partitioned(true);
    assert.equal(c.raft(3).term, term0);
    assert.equal(c.raft(3).role, 'pre-candidate');
    c.heal();
    for (let i = 0; i < 20; i++) {
      c.tickAll();
      c.stabilize();
    }
    assert.deepEqual(c.leaders(), [1]);
    for (const id of [1, 2, 3]) assert.equal(c.raft(id).term, term0);
    assert.deepEqual(c.appliedData(3), ['while 3 was away']);
  });

  it('without pre-vote the same partition costs the leader its leadership', () => {
    const { c, term0 } = partitioned(false);
    const term3 = c.raft(3).term;
    assert.ok(term3 > term0 + 3, 'node 3 kept campaigning');
    c.heal();
    c.tickUntil(() => c.leaders().some((id) => c.raft(id).term >= term3));
    // Leader 1 lost its term: whoever leads now was elected again, in node 3's term or later.
    assert.ok(c.raft(1).term >= term3);
    assert.equal(c.leaders().length, 1);
  });

  it('elects a leader from scratch, in one term', () => {
    const c = new TestCluster(ids(1, 2, 3, 4, 5), { preVote: true });
    const leader = c.tickUntilLeader();
    assert.equal(c.raft(leader).term, 1);
  });
});

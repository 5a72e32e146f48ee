/**
 * Restart from persisted state (Raft paper Figure 2, "persistent state on all servers"): a
 * node rebuilt from its storage keeps its term, vote, commit index, log and snapshot, and
 * rejoins the cluster.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RawNode, index, message, nodeId, term } from '../../src/raft/index.js';
import { TestCluster, bytes, ids } from './harness/cluster.js';

describe('restart', () => {
  it('a node rebuilt from its storage keeps term, vote, commit and log, and rejoins', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    for (let i = 0; i < 5; i++) c.node(1).rawNode.propose(bytes(`v${i}`));
    c.stabilize();
    const before = c.raft(2);
    const hs = before.hardState();
    const log = before.raftLog.allEntries();
    const node = c.restart(2);
    const after = node.rawNode.raft;
    assert.deepEqual(after.hardState(), hs);
    assert.equal(hs.vote, 1);
    assert.deepEqual(after.raftLog.allEntries(), log);
    assert.equal(after.role, 'follower');
    assert.equal(after.lead, 0, 'who leads is not persisted');
    // Committed entries are handed out again for the state machine to rebuild itself.
    c.stabilize();
    assert.deepEqual(c.appliedData(2), ['v0', 'v1', 'v2', 'v3', 'v4']);
    c.node(1).rawNode.propose(bytes('after'));
    c.stabilize();
    assert.deepEqual(c.appliedData(2), ['v0', 'v1', 'v2', 'v3', 'v4', 'after']);
  });

  it('the first Ready after a restart carries no hard state that was already persisted', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    const rd = c.restart(2).rawNode.ready();
    assert.equal(rd.hardState, undefined);
    assert.deepEqual(rd.entries, []);
    assert.equal(rd.committedEntries.length, c.raft(2).raftLog.committed);
  });

  it('with `applied` set, only entries after it are handed out again', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    for (let i = 0; i < 5; i++) c.node(1).rawNode.propose(bytes(`v${i}`));
    c.stabilize();
    const old = c.node(2);
    const raw = new RawNode({ ...c.config(old.id, old.storage), applied: index(4) });
    const rd = raw.ready();
    assert.deepEqual(
      rd.committedEntries.map((e) => e.index),
      [5, 6],
    );
  });

  it('a node that voted and restarted does not vote for another candidate in that term', () => {
    const c = new TestCluster(ids(1, 2, 3));
    const vote = (from: number): ReturnType<typeof message> =>
      message({ type: 'MsgVote', from: nodeId(from), to: nodeId(3), term: term(5) });
    c.deliver(vote(1));
    c.handleReady(c.node(3)); // the vote is persisted before the answer leaves
    c.inflight = [];
    c.restart(3);
    c.deliver(vote(2));
    const [resp] = c.drain();
    assert.equal(resp!.type, 'MsgVoteResp');
    assert.equal(resp!.reject, true);
    assert.equal(c.raft(3).vote, 1);
  });

  it('entries not yet persisted at a crash are lost, but no acknowledgement promised them', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    c.node(1).rawNode.propose(bytes('x'));
    c.deliverAll(c.drain());
    // Node 2 takes its Ready (entry + acknowledgement) and crashes before persisting it.
    const lost = c.node(2).rawNode.ready();
    assert.equal(lost.entries.length, 1);
    assert.ok(lost.messages.some((m) => m.type === 'MsgAppResp'));
    c.restart(2);
    assert.equal(c.raft(2).raftLog.lastIndex(), 1, 'the entry is gone');
    c.stabilize();
    // Node 3's acknowledgement was enough; node 2 is repaired afterwards.
    assert.deepEqual(c.appliedData(1), ['x']);
    c.tickAll();
    c.stabilize();
    assert.deepEqual(c.appliedData(2), ['x']);
  });

  it('a node restarted from a snapshot and the log after it resumes where it was', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    for (let i = 0; i < 5; i++) c.node(1).rawNode.propose(bytes(`v${i}`));
    c.stabilize();
    const n2 = c.node(2);
    n2.storage.createSnapshot(index(4), n2.confState, bytes('image@4'));
    n2.storage.compact(index(4));
    const hs = c.raft(2).hardState();
    const node = c.restart(2);
    const r = node.rawNode.raft;
    assert.equal(r.raftLog.firstIndex(), 5);
    assert.equal(r.raftLog.lastIndex(), 6);
    assert.deepEqual(r.hardState(), hs);
    assert.deepEqual(r.status().config.voters, [1, 2, 3]);
    c.stabilize();
    // Only what follows the snapshot is applied again; the snapshot restores the rest.
    assert.deepEqual(c.appliedData(2), ['v3', 'v4']);
    c.node(1).rawNode.propose(bytes('after'));
    c.stabilize();
    assert.deepEqual(c.appliedData(2), ['v3', 'v4', 'after']);
  });

  it('the whole cluster restarted elects a leader and loses no committed entry', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    for (let i = 0; i < 3; i++) c.node(1).rawNode.propose(bytes(`v${i}`));
    c.stabilize();
    const t = c.raft(1).term;
    for (const id of [1, 2, 3]) c.restart(id);
    assert.deepEqual(c.leaders(), []);
    const leader = c.tickUntilLeader();
    assert.ok(c.raft(leader).term > t);
    c.node(leader).rawNode.propose(bytes('after'));
    c.stabilize();
    for (const id of [1, 2, 3]) assert.deepEqual(c.appliedData(id), ['v0', 'v1', 'v2', 'after']);
  });

  it('a restarted leader comes back as a follower of its term', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    const t = c.raft(1).term;
    c.restart(1);
    assert.equal(c.raft(1).role, 'follower');
    assert.equal(c.raft(1).term, t);
    assert.equal(c.raft(1).vote, 1);
    const leader = c.tickUntilLeader();
    c.node(leader).rawNode.propose(bytes('x'));
    c.stabilize();
    assert.deepEqual(c.appliedData(1), ['x']);
  });
});

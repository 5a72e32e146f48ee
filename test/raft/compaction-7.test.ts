/**
 * Log compaction (Raft paper §7): snapshots in MemoryStorage, and InstallSnapshot (MsgSnap)
 * for a follower that fell behind the compacted log.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CompactedError,
  index,
  message,
  nodeId,
  term,
  type Message,
  type Snapshot,
} from '../../src/raft/index.js';
import {
  TestCluster,
  bytes,
  confStateOf,
  ids,
  newTestRaft,
  storageWithLog,
  takeMessages,
} from './harness/cluster.js';

/**
 * Node 3 misses ten entries while cut off; then the leader snapshots its state and compacts
 * its log past them, so that only a snapshot can bring node 3 up to date.
 */
function behindCompaction(): { c: TestCluster; snap: Snapshot } {
  const c = new TestCluster(ids(1, 2, 3));
  c.elect(1);
  c.isolate(3);
  for (let i = 0; i < 10; i++) c.node(1).rawNode.propose(bytes(`v${i}`));
  c.stabilize();
  const leader = c.node(1);
  const applied = c.raft(1).raftLog.applied;
  const snap = leader.storage.createSnapshot(applied, leader.confState, bytes('state@11'));
  leader.storage.compact(applied);
  assert.ok(c.raft(1).raftLog.firstIndex() > c.raft(3).raftLog.lastIndex() + 1);
  c.heal();
  return { c, snap };
}

function snaps(msgs: readonly Message[]): Message[] {
  return msgs.filter((m) => m.type === 'MsgSnap');
}

describe('§7 log compaction', () => {
  it('a leader keeps replicating from a compacted log', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    for (let i = 0; i < 5; i++) c.node(1).rawNode.propose(bytes(`a${i}`));
    c.stabilize();
    for (const id of [1, 2, 3]) {
      const node = c.node(id);
      node.storage.createSnapshot(c.raft(id).raftLog.applied, node.confState);
      node.storage.compact(c.raft(id).raftLog.applied);
    }
    assert.throws(() => c.raft(1).raftLog.slice(index(1), index(2), 100), CompactedError);
    for (let i = 0; i < 5; i++) c.node(1).rawNode.propose(bytes(`b${i}`));
    c.stabilize();
    for (const id of [2, 3]) assert.equal(c.appliedData(id).length, 10);
  });

  it('a follower behind the compacted log is sent the snapshot, restores it and catches up', () => {
    const { c, snap } = behindCompaction();
    const sent: Message[] = [];
    c.tickAll();
    c.stabilizeWith((m) => {
      sent.push(m);
      return true;
    });
    const [msnap, ...more] = snaps(sent);
    assert.ok(msnap !== undefined);
    assert.deepEqual(more, [], 'one snapshot is enough');
    assert.equal(msnap.to, 3);
    assert.deepEqual(msnap.snapshot, snap);
    const restored = c.node(3).storage.snapshot();
    assert.equal(restored.metadata.index, snap.metadata.index);
    assert.equal(restored.metadata.term, snap.metadata.term);
    assert.deepEqual(restored.metadata.confState, confStateOf(ids(1, 2, 3)));
    assert.deepEqual(restored.data, bytes('state@11'));
    assert.equal(c.raft(3).raftLog.committed, c.raft(1).raftLog.committed);
    assert.equal(c.raft(1).status().progress!.get(nodeId(3))!.state, 'replicate');
    c.node(1).rawNode.propose(bytes('after'));
    c.stabilize();
    assert.deepEqual(c.appliedData(3), ['after'], 'entries after the snapshot are applied');
    assert.deepEqual(c.raft(3).raftLog.allEntries(), c.raft(1).raftLog.allEntries());
  });

  it('snapshot metadata carries the index, term and membership it was taken at', () => {
    const { snap, c } = behindCompaction();
    assert.equal(snap.metadata.index, c.raft(1).raftLog.applied);
    assert.equal(snap.metadata.term, c.raft(1).term);
    assert.deepEqual(snap.metadata.confState, confStateOf(ids(1, 2, 3)));
    assert.equal(c.node(1).storage.firstIndex(), snap.metadata.index + 1);
    assert.equal(c.node(1).storage.term(snap.metadata.index), snap.metadata.term);
  });

  it('a failed snapshot (reportSnapshot false) is sent again; until reported it is not', () => {
    const { c } = behindCompaction();
    let sent = 0;
    const dropSnaps = (m: Message): boolean => {
      if (m.type === 'MsgSnap') sent++;
      return m.type !== 'MsgSnap';
    };
    c.tickAll();
    c.stabilizeWith(dropSnaps);
    assert.equal(sent, 1);
    const pr = (): string => c.raft(1).status().progress!.get(nodeId(3))!.state;
    assert.equal(pr(), 'snapshot');
    for (let i = 0; i < 5; i++) {
      c.tickAll();
      c.stabilizeWith(dropSnaps);
    }
    assert.equal(sent, 1, 'heartbeats do not resend a snapshot in flight');
    c.node(1).rawNode.reportSnapshot(nodeId(3), false);
    assert.equal(pr(), 'probe');
    c.tickAll();
    c.stabilizeWith((m) => {
      if (m.type === 'MsgSnap') sent++;
      return true;
    });
    assert.equal(sent, 2);
    assert.equal(c.raft(3).raftLog.committed, c.raft(1).raftLog.committed, 'the retry got through');
    assert.equal(pr(), 'replicate');
  });

  it('a delivered snapshot (reportSnapshot true) resumes probing right after it', () => {
    const { c, snap } = behindCompaction();
    let inTransit: Message | undefined;
    c.tickAll();
    c.stabilizeWith((m) => {
      if (m.type !== 'MsgSnap') return true;
      inTransit = m;
      return false;
    });
    assert.ok(inTransit !== undefined);
    c.node(1).rawNode.reportSnapshot(nodeId(3), true);
    const pr = c.raft(1).status().progress!.get(nodeId(3))!;
    assert.equal(pr.state, 'probe');
    assert.equal(pr.next, snap.metadata.index + 1);
    c.deliver(inTransit);
    c.stabilize();
    assert.equal(c.raft(1).status().progress!.get(nodeId(3))!.state, 'replicate');
    assert.equal(c.raft(3).raftLog.committed, c.raft(1).raftLog.committed);
  });
});

describe('§7 InstallSnapshot on the follower', () => {
  const voters = ids(1, 2, 3);

  function snapshotMsg(i: number, t: number, cs = confStateOf(voters)): Message {
    return message({
      type: 'MsgSnap',
      from: nodeId(1),
      to: nodeId(2),
      term: term(5),
      snapshot: { metadata: { index: index(i), term: term(t), confState: cs }, data: bytes('s') },
    });
  }

  /** Node 2 with ten entries of term 2, seven of them committed. */
  const follower = (): ReturnType<typeof newTestRaft> =>
    newTestRaft(
      2,
      [1, 2, 3],
      {},
      storageWithLog(voters, Array<number>(10).fill(2), { commit: index(7) }),
    );

  it('a snapshot older than the commit index is ignored', () => {
    const r = follower();
    r.step(snapshotMsg(5, 2));
    const [resp] = takeMessages(r);
    assert.equal(resp!.type, 'MsgAppResp');
    assert.equal(resp!.index, 7, 'answers with what it has committed');
    assert.equal(r.raftLog.hasPendingSnapshot(), false);
    assert.equal(r.raftLog.lastIndex(), 10);
  });

  it('a snapshot ending on an entry the follower holds only moves the commit index', () => {
    const r = follower();
    r.step(snapshotMsg(9, 2));
    assert.equal(r.raftLog.hasPendingSnapshot(), false);
    assert.equal(r.raftLog.committed, 9);
    assert.equal(r.raftLog.lastIndex(), 10, 'the log is kept');
  });

  it('a newer snapshot replaces the log, membership included', () => {
    const r = follower();
    r.step(snapshotMsg(20, 4, confStateOf(ids(1, 2, 3, 4))));
    const [resp] = takeMessages(r);
    assert.equal(resp!.index, 20);
    assert.equal(r.raftLog.hasPendingSnapshot(), true);
    assert.equal(r.raftLog.committed, 20);
    assert.equal(r.raftLog.firstIndex(), 21);
    assert.equal(r.raftLog.lastTerm(), 4);
    assert.deepEqual(r.status().config.voters, [1, 2, 3, 4]);
  });

  it('a snapshot whose membership does not include the node is ignored', () => {
    const r = follower();
    r.step(snapshotMsg(20, 4, confStateOf(ids(1, 3, 4))));
    assert.equal(r.raftLog.hasPendingSnapshot(), false);
    assert.equal(r.raftLog.lastIndex(), 10);
  });

  it('a candidate receiving a snapshot from the leader of its term becomes its follower first', () => {
    const r = newTestRaft(2, [1, 2, 3]);
    for (let i = 0; i < 5; i++) r.step(message({ type: 'MsgHup' }));
    assert.equal(r.role, 'candidate');
    assert.equal(r.term, 5);
    r.step(snapshotMsg(3, 1));
    assert.equal(r.role, 'follower');
    assert.equal(r.lead, 1);
    assert.equal(r.raftLog.committed, 3);
  });
});

/**
 * Safety (Raft paper §5.4): the commit rule of §5.4.2 (an entry of an earlier term is never
 * committed by counting replicas; Figure 8), and Leader Completeness.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { index, message, nodeId, term, type Message } from '../../src/raft/index.js';
import {
  TestCluster,
  bytes,
  ids,
  logTerms,
  newTestRaft,
  storageWithLog,
  takeMessages,
} from './harness/cluster.js';

const voters = ids(1, 2, 3, 4, 5);

/**
 * Figure 8 (c): S1 led term 2 and replicated index 2 to S2 only; S5 led term 3 and wrote its
 * own index 2, which no one else got. S1 now wins term 4 with the votes of S2, S3 and S4.
 * Each entry is sent alone (maxSizePerMsg 1) so that the old entry and the new one can be
 * delivered separately.
 */
function figure8(): TestCluster {
  const c = new TestCluster(voters, { maxSizePerMsg: 1 });
  c.addNode(nodeId(1), storageWithLog(voters, [1, 2], { term: term(3) }));
  c.addNode(nodeId(2), storageWithLog(voters, [1, 2], { term: term(3) }));
  c.addNode(nodeId(3), storageWithLog(voters, [1], { term: term(3) }));
  c.addNode(nodeId(4), storageWithLog(voters, [1], { term: term(3) }));
  c.addNode(nodeId(5), storageWithLog(voters, [1, 3], { term: term(3) }));
  c.isolate(5);
  c.node(1).rawNode.campaign();
  // Deliver everything but the appends that would give a follower S1's entry of term 4.
  c.stabilizeWith(
    (m) =>
      !(
        m.type === 'MsgApp' &&
        m.entries.some((e) => e.term === 4) &&
        c.raft(m.to).raftLog.matchTerm(m.index, m.logTerm)
      ),
  );
  assert.deepEqual(c.leaders(), [1]);
  assert.equal(c.raft(1).term, 4);
  return c;
}

/** S1 crashes and S5 comes back: S5 campaigns (twice if its first term is taken). */
function s5Campaigns(c: TestCluster): void {
  c.heal();
  c.isolate(1);
  for (let i = 0; i < 2 && c.raft(5).role !== 'leader'; i++) {
    c.node(5).rawNode.campaign();
    c.stabilize();
  }
}

describe('§5.4.2 committing entries from previous terms (Figure 8)', () => {
  it('an entry of an earlier term stored on a majority is not committed by counting replicas', () => {
    const c = figure8();
    // S1, S2 and S3 hold (2, term 2): a majority of five.
    for (const id of [1, 2, 3]) assert.deepEqual(logTerms(c.raft(id)).slice(0, 2), [1, 2]);
    assert.equal(c.raft(1).status().progress!.get(nodeId(3))!.match, 2);
    assert.ok(c.raft(1).raftLog.committed < 2, 'S1 must not commit index 2');
    for (const id of [1, 2, 3, 4]) {
      assert.ok(!c.node(id).applied.some((e) => e.index === 2), `S${id} applied index 2`);
    }
  });

  it('which is what lets S5 still win and overwrite it (Figure 8 (d)), without harm', () => {
    const c = figure8();
    // S5's last entry (2, term 3) is more up to date than what S2, S3 and S4 hold.
    s5Campaigns(c);
    assert.equal(c.raft(5).role, 'leader');
    for (const id of [2, 3, 4, 5]) assert.deepEqual(logTerms(c.raft(id)).slice(0, 2), [1, 3]);
    // Nothing that was ever applied has changed: the overwritten entry was never committed.
    for (const id of [2, 3, 4, 5]) {
      const at2 = c.node(id).applied.find((e) => e.index === 2);
      assert.equal(at2?.term, 3);
    }
  });

  it('once an entry of the current term commits, the earlier entries commit with it (Figure 8 (e))', () => {
    const c = figure8();
    // Now let S1's entry of term 4 through: a heartbeat round makes S1 send it again.
    c.node(1).rawNode.tick();
    c.stabilize();
    assert.equal(c.raft(1).raftLog.committed, 3);
    for (const id of [1, 2, 3, 4]) {
      assert.deepEqual(
        c.node(id).applied.map((e) => e.term),
        [1, 2, 4],
      );
    }
    // S5 can no longer win: a majority holds a log more up to date than its own.
    s5Campaigns(c);
    assert.notEqual(c.raft(5).role, 'leader');
    for (const id of [2, 3, 4]) assert.deepEqual(logTerms(c.raft(id)), [1, 2, 4]);
  });

  it('a leader counts replicas only for entries of its own term', () => {
    // A bare leader of term 3 whose log ends with entries of term 1 and its own empty entry.
    const r = newTestRaft(
      1,
      [1, 2, 3],
      {},
      storageWithLog(ids(1, 2, 3), [1, 1], { term: term(2) }),
    );
    r.becomeCandidate();
    r.becomeLeader();
    takeMessages(r);
    assert.equal(r.term, 3);
    assert.equal(r.raftLog.lastIndex(), 3);
    // The driver made the leader's log durable: its own copy now counts.
    r.persisted(index(3), term(3));
    const ack = (from: number, i: number): Message =>
      message({
        type: 'MsgAppResp',
        from: nodeId(from),
        to: nodeId(1),
        term: term(3),
        index: index(i),
      });
    r.step(ack(2, 2));
    assert.equal(r.raftLog.committed, 0, 'entry 2 is of term 1');
    r.step(ack(2, 3));
    assert.equal(r.raftLog.committed, 3);
  });
});

describe('§5.4.3 leader completeness', () => {
  it('every committed entry is in the log of every later leader', () => {
    const c = new TestCluster(voters);
    const committed: { index: number; term: number }[] = [];
    let leader = c.tickUntilLeader();
    // Rounds of: propose, commit on a majority while a minority lags, crash the leader.
    for (let round = 0; round < 6; round++) {
      const lagging = voters.filter((id) => id !== leader).slice(0, 2);
      for (const id of lagging) c.isolate(id);
      c.node(leader).rawNode.propose(bytes(`r${round}`));
      c.stabilize();
      const r = c.raft(leader);
      const e = r.raftLog.allEntries().at(-1)!;
      assert.ok(r.raftLog.committed >= e.index, `round ${round}: not committed`);
      committed.push({ index: e.index, term: e.term });
      c.heal();
      c.isolate(leader);
      const old = leader;
      // The laggards cannot win: the new leader is one of the two that hold the entry.
      for (let i = 0; i < 200 && (leader === old || c.raft(leader).role !== 'leader'); i++) {
        c.tickAll();
        c.stabilize();
        const leaders = c.leaders().filter((id) => id !== old);
        if (leaders.length === 1) leader = leaders[0]!;
      }
      assert.notEqual(leader, old);
      const log = c.raft(leader).raftLog;
      for (const ce of committed) {
        assert.equal(
          log.termOrUndefined(index(ce.index)),
          ce.term,
          `leader ${leader} lost ${ce.index}`,
        );
      }
      c.heal();
      // A heartbeat of the new term makes the old leader step down.
      c.tickAll();
      c.stabilize();
    }
    // Every node applied the same sequence.
    const reference = c.appliedData(leader);
    assert.equal(reference.length, 6);
    for (const id of voters) {
      c.tickAll();
      c.stabilize();
      assert.deepEqual(c.appliedData(id), reference);
    }
  });
});

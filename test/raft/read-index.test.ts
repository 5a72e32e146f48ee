/**
 * Linearizable reads without writing to the log (thesis §6.4): ReadIndex confirmed by a
 * heartbeat round, and lease-based reads.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NONE, ProposalDroppedError, nodeId, type Message } from '../../src/raft/index.js';
import { TestCluster, bytes, ids, newTestRaft } from './harness/cluster.js';

const ctx = (s: string): Uint8Array => bytes(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

function heartbeats(msgs: readonly Message[]): Message[] {
  return msgs.filter((m) => m.type === 'MsgHeartbeat');
}

/** The read states node `id` has been given, as [context, index]. */
function reads(c: TestCluster, id: number): [string, number][] {
  return c.node(id).readStates.map((rs) => [text(rs.context), rs.index]);
}

/** Issues read `r` on leader 1, answers its heartbeats from `answering` only, settles. */
function readAnsweredBy(c: TestCluster, r: string, answering: readonly number[]): Message[] {
  c.node(1).rawNode.readIndex(ctx(r));
  const round = heartbeats(c.drain());
  for (const m of round) if (answering.includes(m.to)) c.deliver(m);
  c.deliverAll(c.drain());
  c.drain();
  return round;
}

/** The contexts of the reads leader 1 has been answered, in order. */
const answered = (c: TestCluster): string[] => reads(c, 1).map(([r]) => r);

/**
 * Three voters, leader 1. Read r1 is confirmed by follower 2 alone, so read r2 asks follower
 * 2 alone, and that heartbeat is lost: r2 is pending.
 */
function targetedRoundLost(): TestCluster {
  const c = new TestCluster(ids(1, 2, 3));
  c.elect(1);
  readAnsweredBy(c, 'r1', [2]);
  const second = readAnsweredBy(c, 'r2', []);
  assert.deepEqual(
    second.map((m) => m.to),
    [2],
  );
  return c;
}

describe('ReadIndex (safe)', () => {
  it('is answered once a heartbeat round confirms a quorum still follows the leader', () => {
    const c = new TestCluster(ids(1, 2, 3, 4, 5));
    c.elect(1);
    const commit = c.raft(1).raftLog.committed;
    c.node(1).rawNode.readIndex(ctx('r1'));
    const msgs = c.drain();
    const hbs = heartbeats(msgs);
    assert.deepEqual(
      hbs.map((m) => [m.to, text(m.context)]),
      [
        [2, 'r1'],
        [3, 'r1'],
        [4, 'r1'],
        [5, 'r1'],
      ],
    );
    assert.deepEqual(reads(c, 1), [], 'not before the round');
    // One follower's answer makes two of five: not yet.
    c.deliver(hbs[0]!);
    c.deliverAll(c.drain());
    c.drain();
    assert.deepEqual(reads(c, 1), []);
    // A second one makes three of five.
    c.deliver(hbs[1]!);
    c.deliverAll(c.drain());
    c.drain();
    assert.deepEqual(reads(c, 1), [['r1', commit]]);
  });

  it('several reads issued between two Readies share one heartbeat round', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    for (const r of ['a', 'b', 'c']) c.node(1).rawNode.readIndex(ctx(r));
    const msgs = c.drain();
    const hbs = heartbeats(msgs);
    assert.equal(hbs.length, 2, 'one heartbeat per follower, not per read');
    for (const m of hbs) assert.equal(text(m.context), 'c', 'carrying the newest read');
    c.deliverAll(msgs);
    let roundTrips = 0;
    c.stabilizeWith((m) => {
      if (m.type === 'MsgHeartbeat') roundTrips++;
      return true;
    });
    assert.equal(roundTrips, 0);
    const commit = c.raft(1).raftLog.committed;
    assert.deepEqual(reads(c, 1), [
      ['a', commit],
      ['b', commit],
      ['c', commit],
    ]);
  });

  it('reads the commit index as of the request, not of the answer', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    const commit = c.raft(1).raftLog.committed;
    c.node(1).rawNode.readIndex(ctx('r'));
    c.node(1).rawNode.propose(bytes('later'));
    c.stabilize();
    assert.ok(c.raft(1).raftLog.committed > commit);
    assert.deepEqual(reads(c, 1), [['r', commit]]);
  });

  it('a read on a follower is forwarded to the leader and answered to the follower', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    c.node(1).rawNode.propose(bytes('x'));
    c.stabilize();
    c.node(2).rawNode.readIndex(ctx('f'));
    const fwd = c.drain();
    assert.deepEqual(
      fwd.map((m) => [m.type, m.from, m.to]),
      [['MsgReadIndex', 2, 1]],
    );
    c.deliverAll(fwd);
    c.stabilize();
    assert.deepEqual(reads(c, 2), [['f', c.raft(1).raftLog.committed]]);
    assert.deepEqual(reads(c, 1), []);
  });

  it('a follower that knows no leader refuses the read', () => {
    const c = new TestCluster(ids(1, 2, 3));
    assert.throws(() => c.node(2).rawNode.readIndex(ctx('x')), ProposalDroppedError);
  });

  it('a new leader holds reads until it has committed an entry of its own term', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    c.node(1).rawNode.propose(bytes('x'));
    c.stabilize();
    // Node 2 wins an election: it holds x, but cannot know yet whether it is committed.
    c.node(2).rawNode.campaign();
    c.deliverAll(c.drain());
    c.deliverAll(c.drain());
    const r2 = c.raft(2);
    assert.equal(r2.role, 'leader');
    c.node(2).rawNode.readIndex(ctx('early'));
    const msgs = c.drain();
    assert.deepEqual(heartbeats(msgs), [], 'no read round before its first commit');
    c.deliverAll(msgs);
    c.stabilize();
    const [read] = reads(c, 2);
    assert.ok(read !== undefined);
    assert.equal(read[0], 'early');
    assert.ok(read[1] >= r2.raftLog.allEntries().findIndex((e) => e.term === r2.term) + 1);
    assert.equal(r2.raftLog.termOrUndefined(r2.raftLog.committed), r2.term);
  });

  it('once a round is confirmed, the next asks only the followers whose answers made the quorum', () => {
    const c = new TestCluster(ids(1, 2, 3, 4, 5));
    c.elect(1);
    // Followers 3 and 5 answer first: with the leader, that is three of five.
    const first = readAnsweredBy(c, 'r1', [3, 5]);
    assert.deepEqual(
      first.map((m) => m.to),
      [2, 3, 4, 5],
      'the first round goes to everyone',
    );
    assert.deepEqual(answered(c), ['r1']);
    const second = readAnsweredBy(c, 'r2', [2, 3, 4, 5]);
    assert.deepEqual(
      second.map((m) => [m.to, text(m.context)]),
      [
        [3, 'r2'],
        [5, 'r2'],
      ],
    );
    assert.deepEqual(answered(c), ['r1', 'r2']);
  });

  it('a targeted round left unanswered sends the next round to everyone', () => {
    const c = targetedRoundLost();
    // Follower 3's answer confirms r3, and with it r2, which was queued before it.
    const third = readAnsweredBy(c, 'r3', [3]);
    assert.deepEqual(
      third.map((m) => [m.to, text(m.context)]),
      [
        [2, 'r3'],
        [3, 'r3'],
      ],
    );
    assert.deepEqual(answered(c), ['r1', 'r2', 'r3']);
  });

  it('a tick heartbeat carries a pending targeted round to every follower', () => {
    const c = targetedRoundLost();
    // Follower 2 never answers; the leader's next heartbeat tick asks 3 as well.
    c.isolate(2);
    c.tickUntil(() => reads(c, 1).length === 2, 10);
    assert.deepEqual(answered(c), ['r1', 'r2']);
  });

  it('a single-voter cluster answers at once', () => {
    const c = new TestCluster(ids(1));
    c.elect(1);
    c.node(1).rawNode.readIndex(ctx('solo'));
    assert.deepEqual(heartbeats(c.drain()), []);
    assert.deepEqual(reads(c, 1), [['solo', c.raft(1).raftLog.committed]]);
  });

  it('a partitioned old leader cannot serve safe reads', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    c.isolate(1);
    c.node(1).rawNode.readIndex(ctx('stale'));
    for (let i = 0; i < 30; i++) {
      c.tickAll();
      c.stabilize();
    }
    assert.ok(
      c.leaders().some((id) => id === 1),
      'it still believes it leads',
    );
    assert.ok(
      c.leaders().some((id) => id !== 1),
      'while the others elected a new leader',
    );
    c.heal();
    c.tickUntil(() => c.raft(1).role !== 'leader');
    c.tickAll();
    c.stabilize();
    assert.deepEqual(reads(c, 1), []);
  });
});

describe('lease reads', () => {
  it('are answered from the lease, without a round trip', () => {
    const c = new TestCluster(ids(1, 2, 3), { checkQuorum: true, readOnlyOption: 'lease' });
    c.elect(1);
    c.node(1).rawNode.readIndex(ctx('l'));
    const msgs = c.drain();
    assert.deepEqual(msgs, []);
    assert.deepEqual(reads(c, 1), [['l', c.raft(1).raftLog.committed]]);
  });

  it('can be asked for per request', () => {
    const c = new TestCluster(ids(1, 2, 3), { checkQuorum: true });
    c.elect(1);
    c.node(1).rawNode.readIndex(ctx('l'), 'lease');
    assert.deepEqual(heartbeats(c.drain()), []);
    assert.deepEqual(reads(c, 1), [['l', c.raft(1).raftLog.committed]]);
    c.node(1).rawNode.readIndex(ctx('s'));
    assert.equal(heartbeats(c.drain()).length, 2, 'the default stays safe');
  });

  it('require checkQuorum: refused as a default, and a safe round when asked for without it', () => {
    assert.throws(() => newTestRaft(1, [1, 2, 3], { readOnlyOption: 'lease' }), RangeError);
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    c.node(1).rawNode.readIndex(ctx('l'), 'lease');
    assert.equal(heartbeats(c.drain()).length, 2);
  });

  it('a leader that sent TimeoutNow no longer answers from its lease (no stale read)', () => {
    // The transferee wins with votes that disregard the followers' lease. If the old leader
    // misses that (cut off right after TimeoutNow), abandons the transfer after an election
    // timeout and answers from its lease, it serves a read that misses the new leader's write.
    const c = new TestCluster(ids(1, 2, 3), { checkQuorum: true, readOnlyOption: 'lease' });
    c.elect(1);
    c.node(1).rawNode.transferLeader(nodeId(2));
    c.deliverAll(c.drain());
    c.isolate(1);
    c.stabilize();
    assert.deepEqual(
      c.leaders().filter((id) => id !== 1),
      [2],
    );
    c.node(2).rawNode.propose(bytes('new'));
    c.stabilize();
    const written = c.raft(2).raftLog.committed;
    for (let i = 0; i < 10; i++) c.node(1).rawNode.tick();
    c.stabilize();
    const r1 = c.raft(1);
    assert.equal(r1.role, 'leader', 'it still believes it leads');
    assert.equal(r1.leadTransferee, NONE, 'and has given up the transfer');
    c.node(1).rawNode.readIndex(ctx('r'));
    c.stabilize();
    for (const [, i] of reads(c, 1)) assert.ok(i >= written, `stale read at ${i} < ${written}`);
    assert.deepEqual(reads(c, 1), []);
  });

  it('a partitioned leader stops answering from its lease before anyone else can be elected', () => {
    // Check-quorum alone lets a cut-off leader keep leading until the end of its NEXT
    // check-quorum window (up to two election timeouts), while the others may elect a new
    // leader one election timeout after they last heard from it: a lease measured by
    // check-quorum serves reads that miss the new leader's writes. The lease is measured from
    // when the last heartbeat a quorum acknowledged was sent.
    const c = new TestCluster(ids(1, 2, 3), { checkQuorum: true, readOnlyOption: 'lease' });
    c.elect(1);
    // Heartbeat rounds until the leader's check-quorum window has just restarted, so that
    // its next check still finds both followers recently active.
    do {
      c.tickAll();
      c.stabilize();
    } while (c.raft(1).electionElapsed !== 1);
    c.isolate(1);
    let written = -1;
    for (let tick = 0; tick < 40; tick++) {
      c.tickAll();
      c.stabilize();
      const other = c.leaders().find((id) => id !== 1);
      if (other !== undefined && written < 0) {
        c.node(other).rawNode.propose(bytes('new'));
        c.stabilize();
        written = c.raft(other).raftLog.committed;
      }
      if (written >= 0 && c.raft(1).role === 'leader') {
        c.node(1).rawNode.readIndex(ctx(`r${tick}`));
        c.stabilize();
        for (const [, i] of reads(c, 1)) assert.ok(i >= written, `stale read at ${i} < ${written}`);
      }
    }
    assert.ok(written >= 0, 'the majority side elected a leader and wrote');
  });

  it('a new leader does not answer from its lease before its first commit', () => {
    const c = new TestCluster(ids(1, 2, 3), { checkQuorum: true, readOnlyOption: 'lease' });
    c.node(1).rawNode.campaign();
    c.deliverAll(c.drain());
    c.deliverAll(c.drain());
    assert.equal(c.raft(1).role, 'leader');
    c.node(1).rawNode.readIndex(ctx('early'));
    c.deliverAll(c.drain());
    assert.deepEqual(reads(c, 1), []);
    c.stabilize();
    assert.deepEqual(reads(c, 1), [['early', c.raft(1).raftLog.committed]]);
  });
});

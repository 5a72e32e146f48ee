/**
 * Leader election (Raft paper §5.2), and the election restriction of §5.4.1.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EntryType,
  index,
  message,
  nodeId,
  seededRandom,
  term,
  type Message,
  type MessageType,
  type Raft,
} from '../../src/raft/index.js';
import { TestCluster, ids, newTestRaft, storageWithLog, takeMessages } from './harness/cluster.js';

function vote(from: number, to: number, t: number, lastIndex = 0, lastTerm = 0): Message {
  return message({
    type: 'MsgVote',
    from: nodeId(from),
    to: nodeId(to),
    term: term(t),
    index: index(lastIndex),
    logTerm: term(lastTerm),
  });
}

function ofType(msgs: readonly Message[], type: MessageType): Message[] {
  return msgs.filter((m) => m.type === type);
}

/** Makes `r` a candidate of the next term, discarding its vote requests. */
function campaign(r: Raft): void {
  r.step(message({ type: 'MsgHup' }));
  takeMessages(r);
}

describe('§5.2 leader election', () => {
  it('the randomized election timeout is drawn from [electionTick, 2*electionTick)', () => {
    const seen = new Set<number>();
    for (let seed = 1; seed <= 200; seed++) {
      const r = newTestRaft(1, [1, 2, 3], { random: seededRandom(seed) });
      for (let k = 0; k < 5; k++) {
        r.becomeFollower(term(r.term + 1), nodeId(2));
        assert.ok(r.randomizedElectionTimeout >= 10, `${r.randomizedElectionTimeout}`);
        assert.ok(r.randomizedElectionTimeout < 20, `${r.randomizedElectionTimeout}`);
        seen.add(r.randomizedElectionTimeout);
      }
    }
    // Randomized: over many draws every value of the range turns up.
    assert.equal(seen.size, 10);
  });

  it('a follower campaigns exactly when its randomized timeout elapses, not before', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const r = newTestRaft(1, [1, 2, 3], { random: seededRandom(seed) });
      const timeout = r.randomizedElectionTimeout;
      for (let t = 1; t < timeout; t++) {
        r.tick();
        assert.equal(r.role, 'follower');
      }
      r.tick();
      assert.equal(r.role, 'candidate');
      assert.equal(r.term, 1);
      const votes = ofType(takeMessages(r), 'MsgVote');
      assert.deepEqual(
        votes.map((m) => m.to),
        [2, 3],
      );
    }
  });

  it('hearing from the leader resets the election timer', () => {
    const r = newTestRaft(1, [1, 2, 3]);
    r.becomeFollower(term(1), nodeId(2));
    for (let i = 0; i < 100; i++) {
      r.tick();
      r.step(message({ type: 'MsgHeartbeat', from: nodeId(2), to: nodeId(1), term: term(1) }));
    }
    assert.equal(r.role, 'follower');
    assert.equal(r.term, 1);
  });

  it('a candidate votes for itself and asks every other voter, with its last log position', () => {
    const r = newTestRaft(1, [1, 2, 3], {}, storageWithLog(ids(1, 2, 3), [1, 1, 2]));
    r.step(message({ type: 'MsgHup' }));
    assert.equal(r.role, 'candidate');
    assert.equal(r.term, 3);
    assert.equal(r.vote, 1);
    const votes = ofType(takeMessages(r), 'MsgVote');
    assert.deepEqual(
      votes.map((m) => [m.to, m.term, m.index, m.logTerm]),
      [
        [2, 3, 3, 2],
        [3, 3, 3, 2],
      ],
    );
  });

  it('a candidate with votes from a majority becomes leader and appends an empty entry', () => {
    const c = new TestCluster(ids(1, 2, 3, 4, 5));
    c.isolate(4);
    c.isolate(5);
    c.elect(1);
    assert.deepEqual(c.leaders(), [1]);
    const r = c.raft(1);
    assert.equal(r.term, 1);
    const last = r.raftLog.allEntries().at(-1)!;
    assert.equal(last.term, 1);
    assert.equal(last.type, EntryType.Normal);
    assert.equal(last.data.length, 0);
    for (const id of [2, 3]) assert.equal(c.raft(id).lead, 1);
  });

  it('a candidate without a majority stays candidate and retries in a later term', () => {
    const c = new TestCluster(ids(1, 2, 3, 4, 5));
    for (const id of [3, 4, 5]) c.isolate(id);
    c.elect(1);
    assert.equal(c.raft(1).role, 'candidate');
    assert.equal(c.raft(1).term, 1);
    // Its election timeout elapses without a winner: it tries again in the next term.
    const r = c.raft(1);
    for (let i = 0; i < 20 && r.term === 1; i++) r.tick();
    assert.equal(r.role, 'candidate');
    assert.equal(r.term, 2);
  });

  it('a candidate rejected by a majority returns to follower', () => {
    const c = new TestCluster(ids(1, 2, 3));
    // Nodes 2 and 3 have entries node 1 lacks, so it is not electable (§5.4.1).
    c.addNode(nodeId(2), storageWithLog(ids(1, 2, 3), [1]));
    c.addNode(nodeId(3), storageWithLog(ids(1, 2, 3), [1]));
    c.elect(1);
    const r = c.raft(1);
    assert.equal(r.role, 'follower');
    assert.equal(r.term, 1);
    assert.equal(c.leaders().length, 0);
  });

  it('split votes resolve: after a split, randomized timeouts elect a single leader', () => {
    const c = new TestCluster(ids(1, 2, 3, 4));
    c.raft(1).step(message({ type: 'MsgHup' }));
    c.raft(2).step(message({ type: 'MsgHup' }));
    // Node 3 hears only from 1 and node 4 only from 2: two votes each, a quorum is three.
    c.stabilizeWith(
      (m) =>
        !(m.type === 'MsgVote' && ((m.from === 1 && m.to === 4) || (m.from === 2 && m.to === 3))),
    );
    assert.equal(c.leaders().length, 0);
    assert.equal(c.raft(3).vote, 1);
    assert.equal(c.raft(4).vote, 2);
    const leader = c.tickUntilLeader(100);
    assert.ok(c.raft(leader).term >= 2);
    assert.deepEqual(c.leaders(), [leader]);
    for (const id of [1, 2, 3, 4]) assert.equal(c.raft(id).lead, leader);
  });

  it('elections in clusters of every size from 1 to 7 produce exactly one leader', () => {
    for (let n = 1; n <= 7; n++) {
      const c = new TestCluster(ids(...Array.from({ length: n }, (_, i) => i + 1)));
      const leader = c.tickUntilLeader(100);
      assert.deepEqual(c.leaders(), [leader]);
      const t = c.raft(leader).term;
      for (const node of c.nodes.values()) {
        assert.equal(node.rawNode.raft.term, t);
        assert.equal(node.rawNode.raft.lead, leader);
      }
    }
  });
});

describe('§5.2 one vote per term', () => {
  it('a voter grants one candidate per term and rejects the others', () => {
    const r = newTestRaft(3, [1, 2, 3]);
    r.step(vote(1, 3, 2));
    r.step(vote(2, 3, 2));
    const resps = ofType(takeMessages(r), 'MsgVoteResp');
    assert.deepEqual(
      resps.map((m) => [m.to, m.reject]),
      [
        [1, false],
        [2, true],
      ],
    );
    assert.equal(r.vote, 1);
    assert.deepEqual(r.hardState(), { term: 2, vote: 1, commit: 0 });
  });

  it('a repeated request from the same candidate is granted again (a lost response)', () => {
    const r = newTestRaft(3, [1, 2, 3]);
    r.step(vote(1, 3, 2));
    r.step(vote(1, 3, 2));
    assert.deepEqual(
      ofType(takeMessages(r), 'MsgVoteResp').map((m) => m.reject),
      [false, false],
    );
  });

  it('a new term frees the vote', () => {
    const r = newTestRaft(3, [1, 2, 3]);
    r.step(vote(1, 3, 2));
    r.step(vote(2, 3, 3));
    const resps = ofType(takeMessages(r), 'MsgVoteResp');
    assert.deepEqual(
      resps.map((m) => [m.to, m.term, m.reject]),
      [
        [1, 2, false],
        [2, 3, false],
      ],
    );
    assert.equal(r.vote, 2);
  });

  it('a candidate does not vote for a rival of its own term', () => {
    const r = newTestRaft(1, [1, 2, 3]);
    campaign(r);
    r.step(vote(2, 1, 1));
    const [resp] = ofType(takeMessages(r), 'MsgVoteResp');
    assert.equal(resp!.reject, true);
    assert.equal(r.role, 'candidate');
    assert.equal(r.vote, 1);
  });

  it('a follower that knows a leader of the term grants no vote in it', () => {
    const r = newTestRaft(3, [1, 2, 3]);
    r.step(message({ type: 'MsgHeartbeat', from: nodeId(1), to: nodeId(3), term: term(2) }));
    takeMessages(r);
    r.step(vote(2, 3, 2));
    assert.equal(ofType(takeMessages(r), 'MsgVoteResp')[0]!.reject, true);
  });

  it('a vote request of an older term is refused with the newer term, and changes nothing', () => {
    const r = newTestRaft(3, [1, 2, 3]);
    r.becomeFollower(term(5), nodeId(1));
    r.step(vote(2, 3, 4));
    const resps = ofType(takeMessages(r), 'MsgVoteResp');
    assert.deepEqual(
      resps.map((m) => [m.to, m.term, m.reject]),
      [[2, 5, true]],
    );
    assert.equal(r.term, 5);
    assert.equal(r.vote, 0);
    assert.equal(r.lead, 1);
  });

  it('a candidate refused with a newer term steps down to it', () => {
    const r = newTestRaft(1, [1, 2, 3]);
    campaign(r);
    r.step(
      message({ type: 'MsgVoteResp', from: nodeId(2), to: nodeId(1), term: term(5), reject: true }),
    );
    assert.equal(r.role, 'follower');
    assert.equal(r.term, 5);
  });

  it('a candidate counts each voter once', () => {
    const r = newTestRaft(1, [1, 2, 3, 4, 5]);
    campaign(r);
    const granted = message({ type: 'MsgVoteResp', from: nodeId(2), to: nodeId(1), term: term(1) });
    r.step(granted);
    r.step({ ...granted });
    assert.equal(r.role, 'candidate', 'two votes out of five');
    r.step({ ...granted, from: nodeId(3) });
    assert.equal(r.role, 'leader');
  });

  it('votes from nodes outside the configuration do not count', () => {
    const r = newTestRaft(1, [1, 2, 3]);
    campaign(r);
    r.step(message({ type: 'MsgVoteResp', from: nodeId(9), to: nodeId(1), term: term(1) }));
    assert.equal(r.role, 'candidate');
  });
});

describe('§5.2 candidates step down', () => {
  const leaderMessages: MessageType[] = ['MsgApp', 'MsgHeartbeat'];

  for (const type of leaderMessages) {
    it(`on ${type} from a leader of its own term`, () => {
      const r = newTestRaft(1, [1, 2, 3]);
      campaign(r);
      assert.equal(r.term, 1);
      r.step(message({ type, from: nodeId(2), to: nodeId(1), term: term(1) }));
      assert.equal(r.role, 'follower');
      assert.equal(r.term, 1);
      assert.equal(r.lead, 2);
    });

    it(`but not on ${type} of an older term`, () => {
      const r = newTestRaft(1, [1, 2, 3]);
      campaign(r);
      campaign(r);
      assert.equal(r.term, 2);
      r.step(message({ type, from: nodeId(2), to: nodeId(1), term: term(1) }));
      assert.equal(r.role, 'candidate');
      assert.equal(r.term, 2);
    });
  }

  const anyMessages: MessageType[] = [
    'MsgApp',
    'MsgHeartbeat',
    'MsgVote',
    'MsgVoteResp',
    'MsgAppResp',
  ];
  for (const type of anyMessages) {
    it(`on ${type} carrying a higher term`, () => {
      const r = newTestRaft(1, [1, 2, 3]);
      campaign(r);
      r.step(message({ type, from: nodeId(2), to: nodeId(1), term: term(7), reject: true }));
      assert.equal(r.role, 'follower');
      assert.equal(r.term, 7);
      const fromLeader = type === 'MsgApp' || type === 'MsgHeartbeat';
      assert.equal(r.lead, fromLeader ? 2 : 0);
    });
  }

  it('a leader steps down on any message of a higher term', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    const r = c.raft(1);
    r.step(message({ type: 'MsgAppResp', from: nodeId(2), to: nodeId(1), term: term(5) }));
    assert.equal(r.role, 'follower');
    assert.equal(r.term, 5);
    assert.equal(r.vote, 0);
  });
});

describe('§5.4.1 election restriction: votes go only to candidates with up-to-date logs', () => {
  // The voter's log: terms [1, 1, 2], i.e. last entry (index 3, term 2).
  const cases: { lastIndex: number; lastTerm: number; granted: boolean; why: string }[] = [
    { lastIndex: 3, lastTerm: 2, granted: true, why: 'identical' },
    { lastIndex: 4, lastTerm: 2, granted: true, why: 'same last term, longer' },
    { lastIndex: 2, lastTerm: 2, granted: false, why: 'same last term, shorter' },
    { lastIndex: 1, lastTerm: 3, granted: true, why: 'higher last term, shorter' },
    { lastIndex: 9, lastTerm: 1, granted: false, why: 'lower last term, longer' },
    { lastIndex: 0, lastTerm: 0, granted: false, why: 'empty log' },
  ];
  for (const c of cases) {
    it(`${c.granted ? 'grants' : 'rejects'} a candidate whose log is ${c.why}`, () => {
      const r = newTestRaft(2, [1, 2, 3], {}, storageWithLog(ids(1, 2, 3), [1, 1, 2]));
      r.step(vote(1, 2, 5, c.lastIndex, c.lastTerm));
      const [resp] = ofType(takeMessages(r), 'MsgVoteResp');
      assert.equal(resp!.reject, !c.granted);
      assert.equal(r.term, 5, 'the term is adopted either way');
      assert.equal(r.vote, c.granted ? 1 : 0);
    });
  }

  it('a node missing committed entries cannot become leader', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    c.isolate(3);
    c.node(1).rawNode.propose(new Uint8Array([1]));
    c.stabilize();
    c.heal();
    // Node 3 lacks the committed entry: nodes 1 and 2 refuse it.
    c.elect(3);
    assert.notEqual(c.raft(3).role, 'leader');
    const leader = c.tickUntilLeader();
    assert.notEqual(leader, 3);
  });
});

/**
 * Log replication (Raft paper §5.3): the AppendEntries consistency check, repair of divergent
 * follower logs (Figure 7) with fast backtracking, and the batching and pipelining with flow
 * control that the core adds on top.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ProposalDroppedError,
  entriesSize,
  index,
  message,
  nodeId,
  term,
  type Entry,
  type Message,
} from '../../src/raft/index.js';
import {
  TestCluster,
  bytes,
  ids,
  logTerms,
  newTestRaft,
  storageWithLog,
  takeMessages,
} from './harness/cluster.js';

/** (term, data) of every entry: equal for two logs only if they hold the same entries. */
function logOf(c: TestCluster, id: number): string[] {
  return c
    .raft(id)
    .raftLog.allEntries()
    .map((e) => `${e.term}:${new TextDecoder().decode(e.data)}`);
}

function appsTo(msgs: readonly Message[], to: number): Message[] {
  return msgs.filter((m) => m.type === 'MsgApp' && m.to === to);
}

/** A three-node cluster with node 1 leading and every follower already in replicate state. */
function replicating(overrides: ConstructorParameters<typeof TestCluster>[1] = {}): TestCluster {
  const c = new TestCluster(ids(1, 2, 3), overrides);
  c.elect(1);
  for (const id of [2, 3]) {
    assert.equal(c.raft(1).status().progress!.get(nodeId(id))!.state, 'replicate');
  }
  return c;
}

describe('§5.3 log replication', () => {
  it('followers apply the leader entries in order', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    for (let i = 0; i < 20; i++) c.node(1).rawNode.propose(bytes(`v${i}`));
    c.stabilize();
    const expected = Array.from({ length: 20 }, (_, i) => `v${i}`);
    for (const id of [1, 2, 3]) assert.deepEqual(c.appliedData(id), expected);
    for (const id of [2, 3]) assert.deepEqual(logOf(c, id), logOf(c, 1));
  });

  it('an entry commits once a majority stores it, and not before', () => {
    const c = new TestCluster(ids(1, 2, 3, 4, 5));
    c.elect(1);
    const committed = c.raft(1).raftLog.committed;
    for (const id of [3, 4, 5]) c.isolate(id);
    c.node(1).rawNode.propose(bytes('x'));
    c.stabilize();
    assert.equal(c.raft(1).raftLog.committed, committed, 'two of five is not a majority');
    assert.deepEqual(c.appliedData(1), []);
    c.heal();
    c.cut.add('1-4').add('4-1').add('1-5').add('5-1');
    c.tickAll(); // a heartbeat reveals that node 3 is behind, and it is repaired
    c.stabilize();
    assert.equal(c.raft(1).raftLog.committed, committed + 1, 'three of five is');
    for (const id of [1, 2, 3]) assert.deepEqual(c.appliedData(id), ['x']);
    assert.deepEqual(c.appliedData(4), []);
  });

  it('a follower rejects an append whose previous entry it does not hold (consistency check)', () => {
    const r = newTestRaft(2, [1, 2, 3], {}, storageWithLog(ids(1, 2, 3), [1, 1, 2]));
    const app = (prevIndex: number, prevTerm: number): Message =>
      message({
        type: 'MsgApp',
        from: nodeId(1),
        to: nodeId(2),
        term: term(3),
        index: index(prevIndex),
        logTerm: term(prevTerm),
        entries: [{ term: term(3), index: index(prevIndex + 1), type: 0, data: bytes('e') }],
      });
    r.step(app(3, 1)); // wrong term at 3
    r.step(app(5, 3)); // beyond the log
    r.step(app(2, 1)); // matches: entry 3 is replaced
    const resps = takeMessages(r).filter((m) => m.type === 'MsgAppResp');
    assert.deepEqual(
      resps.map((m) => [m.reject, m.index]),
      [
        [true, 3],
        [true, 5],
        [false, 3],
      ],
    );
    assert.deepEqual(logTerms(r), [1, 1, 3]);
  });

  it('commit reaches followers, but a heartbeat never commits past what a follower holds', () => {
    const c = replicating();
    c.isolate(3);
    c.node(1).rawNode.propose(bytes('a'));
    c.stabilize();
    c.heal();
    // Deliver only heartbeats to node 3: it must not commit an index it does not hold.
    c.tickAll();
    const msgs = c.drain();
    const hb = msgs.find((m) => m.type === 'MsgHeartbeat' && m.to === 3)!;
    assert.equal(hb.commit, c.raft(3).raftLog.lastIndex());
    assert.ok(hb.commit < c.raft(1).raftLog.committed);
    c.deliver(hb);
    assert.ok(c.raft(3).raftLog.committed <= c.raft(3).raftLog.lastIndex());
    c.stabilize();
    c.tickAll();
    c.stabilize();
    assert.equal(c.raft(3).raftLog.committed, c.raft(1).raftLog.committed);
  });
});

describe('proposals', () => {
  it('a proposal on a follower is forwarded to the leader', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    assert.equal(c.node(2).rawNode.propose(bytes('via 2')), undefined, 'no receipt off the leader');
    const fwd = c.drain();
    assert.deepEqual(
      fwd.map((m) => [m.type, m.from, m.to]),
      [['MsgProp', 2, 1]],
    );
    c.deliverAll(fwd);
    c.stabilize();
    for (const id of [1, 2, 3]) assert.deepEqual(c.appliedData(id), ['via 2']);
  });

  it('with forwarding disabled, or no leader known, a follower refuses proposals', () => {
    const c = new TestCluster(ids(1, 2, 3), { disableProposalForwarding: true });
    assert.throws(() => c.node(2).rawNode.propose(bytes('x')), ProposalDroppedError);
    c.elect(1);
    assert.throws(() => c.node(2).rawNode.propose(bytes('x')), ProposalDroppedError);
  });

  it('the leader returns where a proposal landed', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    const receipt = c.node(1).rawNode.propose(bytes('x'));
    assert.deepEqual(receipt, { index: c.raft(1).raftLog.lastIndex(), term: c.raft(1).term });
  });

  it('the leader refuses proposals beyond the uncommitted-size budget until they commit', () => {
    const c = new TestCluster(ids(1, 2, 3), { maxUncommittedEntriesSize: 1000 });
    c.elect(1);
    const r = c.node(1).rawNode;
    c.isolate(2);
    c.isolate(3);
    for (let i = 0; i < 4; i++) r.propose(new Uint8Array(250));
    assert.throws(() => r.propose(new Uint8Array(1)), ProposalDroppedError);
    c.heal();
    c.tickAll();
    c.stabilize();
    assert.equal(c.appliedData(2).length, 4);
    r.propose(new Uint8Array(250));
  });
});

describe('§5.3 Figure 7: a new leader repairs every kind of divergent follower log', () => {
  // The leader's log at the start of term 8, and the follower logs (a)-(f) of Figure 7.
  const leaderLog = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
  const followers: { name: string; log: number[]; rejections: number }[] = [
    { name: '(a) missing one entry', log: [1, 1, 1, 4, 4, 5, 5, 6, 6], rejections: 1 },
    { name: '(b) missing many entries', log: [1, 1, 1, 4], rejections: 1 },
    {
      name: '(c) an extra uncommitted entry',
      log: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
      rejections: 0,
    },
    {
      name: '(d) extra entries of a later term',
      log: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
      rejections: 0,
    },
    { name: '(e) missing entries and extra ones', log: [1, 1, 1, 4, 4, 4, 4], rejections: 1 },
    {
      name: '(f) a long run of other terms',
      log: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
      rejections: 1,
    },
  ];

  for (const f of followers) {
    it(`${f.name}: overwritten with the leader's log, in ${f.rejections + 1} round trip(s)`, () => {
      const voters = ids(1, 2, 3);
      const c = new TestCluster(voters);
      c.addNode(nodeId(1), storageWithLog(voters, leaderLog, { term: term(8), commit: index(10) }));
      c.addNode(nodeId(2), storageWithLog(voters, f.log, { commit: index(3) }));
      // Node 3 holds the leader's log: with the leader it is the majority that committed it,
      // and it votes for the leader even when the follower (d) would not.
      c.addNode(nodeId(3), storageWithLog(voters, leaderLog, { term: term(8), commit: index(10) }));
      let rejections = 0;
      c.node(1).rawNode.campaign();
      c.stabilizeWith((m) => {
        if (m.type === 'MsgAppResp' && m.from === 2 && m.reject) rejections++;
        return true;
      });
      assert.deepEqual(c.leaders(), [1]);
      assert.equal(c.raft(1).term, 9);
      assert.deepEqual(logTerms(c.raft(2)), [...leaderLog, 9]);
      assert.deepEqual(logOf(c, 2), logOf(c, 1));
      assert.equal(rejections, f.rejections);
      c.node(1).rawNode.propose(bytes('after'));
      c.stabilize();
      assert.deepEqual(logOf(c, 2), logOf(c, 1));
      assert.equal(c.raft(2).raftLog.committed, 12);
    });
  }
});

describe('§5.3 fast backtracking with conflict term hints', () => {
  function divergent(leader: number[], follower: number[]): { c: TestCluster; rejections: number } {
    const voters = ids(1, 2, 3);
    const c = new TestCluster(voters);
    c.addNode(nodeId(1), storageWithLog(voters, leader));
    c.addNode(nodeId(2), storageWithLog(voters, follower));
    c.addNode(nodeId(3), storageWithLog(voters, leader));
    let rejections = 0;
    c.node(1).rawNode.campaign();
    c.stabilizeWith((m) => {
      if (m.type === 'MsgAppResp' && m.from === 2 && m.reject) rejections++;
      return true;
    });
    assert.deepEqual(c.leaders(), [1]);
    assert.deepEqual(logOf(c, 2), logOf(c, 1));
    return { c, rejections };
  }

  const repeat = (t: number, n: number): number[] => Array<number>(n).fill(t);

  it('skips a long divergent term in one round trip', () => {
    // The follower led term 2 and appended 100 entries no one else has.
    const { rejections } = divergent([1, ...repeat(3, 50)], [1, ...repeat(2, 100)]);
    assert.ok(rejections <= 2, `${rejections} rejections`);
  });

  it('skips several divergent terms, one per round trip at most', () => {
    const { rejections } = divergent(
      [1, ...repeat(2, 30), ...repeat(5, 30)],
      [1, ...repeat(2, 30), ...repeat(3, 30), ...repeat(4, 30)],
    );
    assert.ok(rejections <= 2, `${rejections} rejections`);
  });

  it('catches up a follower missing a long tail in one round trip', () => {
    const { rejections } = divergent(repeat(1, 200), [1]);
    assert.equal(rejections, 1);
  });
});

describe('batching', () => {
  it('many proposals between two Readies go out as one MsgApp per follower', () => {
    const c = replicating();
    for (let i = 0; i < 100; i++) c.node(1).rawNode.propose(bytes(`p${i}`));
    const msgs = c.drain();
    for (const id of [2, 3]) {
      const apps = appsTo(msgs, id);
      assert.equal(apps.length, 1);
      assert.equal(apps[0]!.entries.length, 100);
    }
    c.deliverAll(msgs);
    c.stabilize();
    for (const id of [1, 2, 3]) assert.equal(c.appliedData(id).length, 100);
  });

  it('a MsgApp never exceeds maxSizePerMsg, except to carry a single oversized entry', () => {
    const maxSizePerMsg = 1000;
    const c = replicating({ maxSizePerMsg });
    const sizes = [...Array<number>(30).fill(100), 5000, ...Array<number>(10).fill(300), 2000, 10];
    for (const [i, n] of sizes.entries()) {
      c.node(1).rawNode.propose(new Uint8Array(n).fill(i));
    }
    const apps: Message[] = [];
    c.stabilizeWith((m) => {
      if (m.type === 'MsgApp' && m.entries.length > 0) apps.push(m);
      return true;
    });
    for (const m of apps) {
      assert.ok(
        entriesSize(m.entries) <= maxSizePerMsg || m.entries.length === 1,
        `MsgApp of ${m.entries.length} entries, ${entriesSize(m.entries)} bytes`,
      );
    }
    assert.ok(
      apps.some((m) => m.entries.length > 1),
      'small entries are batched',
    );
    assert.ok(apps.some((m) => m.entries.length === 1 && entriesSize(m.entries) > maxSizePerMsg));
    // Batches are as full as the limit allows: no two consecutive batches to a follower
    // could have been one.
    for (const id of [2, 3]) {
      const mine = apps.filter((m) => m.to === id);
      for (let i = 1; i < mine.length; i++) {
        const prev = mine[i - 1]!.entries;
        const next: Entry = mine[i]!.entries[0]!;
        assert.ok(entriesSize([...prev, next]) > maxSizePerMsg);
      }
    }
    for (const id of [2, 3]) assert.equal(c.node(id).applied.length, c.node(1).applied.length);
  });
});

describe('pipelining under flow control', () => {
  it('in probe state a follower gets one MsgApp at a time', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.node(1).rawNode.campaign();
    // Votes in, leader elected: its first appends go out, but hold back the answers.
    c.deliverAll(c.drain());
    c.deliverAll(c.drain().filter((m) => m.type === 'MsgVoteResp'));
    assert.equal(c.raft(1).role, 'leader');
    const first = c.drain();
    assert.equal(appsTo(first, 2).length, 1);
    for (let i = 0; i < 5; i++) c.node(1).rawNode.propose(bytes(`p${i}`));
    assert.deepEqual(appsTo(c.drain(), 2), [], 'the probe is outstanding');
    c.deliverAll(first);
    c.stabilize();
    assert.equal(c.appliedData(2).length, 5);
  });

  it('in replicate state at most maxInflightMsgs MsgApps are outstanding', () => {
    const maxInflightMsgs = 3;
    // A one-byte size limit puts each entry in its own message.
    const c = replicating({ maxInflightMsgs, maxSizePerMsg: 1 });
    for (let i = 0; i < 20; i++) c.node(1).rawNode.propose(bytes(`p${i}`));
    let rounds = 0;
    while (c.appliedData(2).length < 20 || c.appliedData(3).length < 20) {
      const msgs = c.drain();
      for (const id of [2, 3]) {
        const full = appsTo(msgs, id).filter((m) => m.entries.length > 0);
        assert.ok(full.length <= maxInflightMsgs, `${full.length} MsgApps to ${id}`);
        const pr = c.raft(1).status().progress!.get(nodeId(id))!;
        assert.ok(pr.inflight <= maxInflightMsgs);
      }
      if (rounds === 0) {
        // The window is full and sending is paused until acknowledgements arrive.
        assert.equal(appsTo(msgs, 2).filter((m) => m.entries.length > 0).length, 3);
        assert.equal(c.raft(1).status().progress!.get(nodeId(2))!.paused, true);
      }
      c.deliverAll(msgs);
      assert.ok(++rounds < 100);
    }
    assert.ok(rounds >= 20 / maxInflightMsgs, 'the window really limited each round');
  });

  it('maxInflightBytes stops sending once the bytes in flight reach it', () => {
    const maxInflightBytes = 1000;
    const c = replicating({ maxInflightMsgs: 100, maxInflightBytes, maxSizePerMsg: 1 });
    for (let i = 0; i < 20; i++) c.node(1).rawNode.propose(new Uint8Array(200));
    const msgs = c.drain();
    for (const id of [2, 3]) {
      const sizes = appsTo(msgs, id)
        .filter((m) => m.entries.length > 0)
        .map((m) => entriesSize(m.entries));
      const total = sizes.reduce((a, b) => a + b, 0);
      // Sending stops at the first message that reaches the budget, not before.
      assert.ok(total >= maxInflightBytes, `${total}`);
      assert.ok(total - sizes.at(-1)! < maxInflightBytes, `${total}`);
      assert.ok(sizes.length < 20);
    }
    c.deliverAll(msgs);
    c.stabilize();
    for (const id of [2, 3]) assert.equal(c.node(id).applied.length, c.node(1).applied.length);
  });

  it('appends lost from a full window are sent again after a heartbeat', () => {
    const c = replicating({ maxInflightMsgs: 2, maxSizePerMsg: 1 });
    for (let i = 0; i < 6; i++) c.node(1).rawNode.propose(bytes(`p${i}`));
    // Every MsgApp to node 3 is lost; its window fills up.
    c.stabilizeWith((m) => !(m.type === 'MsgApp' && m.to === 3));
    assert.equal(c.appliedData(3).length, 0);
    assert.equal(c.raft(1).status().progress!.get(nodeId(3))!.paused, true);
    for (let i = 0; i < 5; i++) {
      c.tickAll();
      c.stabilize();
    }
    assert.equal(c.appliedData(3).length, 6);
  });

  it('a follower reported unreachable is probed again', () => {
    const c = replicating({ maxInflightMsgs: 2, maxSizePerMsg: 1 });
    for (let i = 0; i < 6; i++) c.node(1).rawNode.propose(bytes(`p${i}`));
    c.stabilizeWith((m) => !(m.type === 'MsgApp' && m.to === 3));
    c.node(1).rawNode.reportUnreachable(nodeId(3));
    assert.equal(c.raft(1).status().progress!.get(nodeId(3))!.state, 'probe');
    c.tickAll();
    c.stabilize();
    assert.equal(c.appliedData(3).length, 6);
  });
});

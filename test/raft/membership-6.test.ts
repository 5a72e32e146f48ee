/**
 * Cluster membership changes (Raft paper §6, thesis chapter 4): learners, single-server
 * changes, joint consensus, and the pieces they rest on (the conf change codec, the Changer).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Changer, restoreConfig } from '../../src/raft/confchange.js';
import { ProgressTracker, confStateOf as trackerConfState } from '../../src/raft/tracker.js';
import {
  ConfChangeError,
  ConfChangeType,
  EMPTY_BYTES,
  EntryType,
  MemoryStorage,
  ProposalDroppedError,
  RaftInvariantError,
  decodeConfChange,
  encodeConfChange,
  index,
  message,
  nodeId,
  term,
  type ConfChange,
  type ConfChangeTransition,
  type ConfState,
  type Message,
  type NodeId,
} from '../../src/raft/index.js';
import { TestCluster, bytes, confStateOf, ids, storageWithLog } from './harness/cluster.js';

type Change = ['voter' | 'learner' | 'remove', number];

function cc(transition: ConfChangeTransition, ...changes: Change[]): ConfChange {
  const types = {
    voter: ConfChangeType.AddVoter,
    learner: ConfChangeType.AddLearner,
    remove: ConfChangeType.Remove,
  };
  return {
    transition,
    changes: changes.map(([t, id]) => ({ type: types[t], nodeId: nodeId(id) })),
    context: EMPTY_BYTES,
  };
}

const leaveJoint: ConfChange = cc('auto');

/** A node joining the cluster: it starts from the cluster's initial membership and an empty log. */
function join(c: TestCluster, id: number, initial: readonly number[]): void {
  c.addNode(nodeId(id), MemoryStorage.bootstrap(confStateOf(ids(...initial))));
}

function voters(c: TestCluster, id: number): number[] {
  return [...c.node(id).confState.voters];
}

/** Proposes on the leader and reports whether it committed after stabilizing. */
function commits(c: TestCluster, leader: number, data: string): boolean {
  c.node(leader).rawNode.propose(bytes(data));
  const i = c.raft(leader).raftLog.lastIndex();
  c.stabilize();
  return c.raft(leader).raftLog.committed >= i;
}

describe('§6 learners', () => {
  it('receive and apply the log', () => {
    const c = new TestCluster(ids(1, 2, 3), {}, ids(4));
    c.elect(1);
    c.node(1).rawNode.propose(bytes('a'));
    c.stabilize();
    assert.deepEqual(c.appliedData(4), ['a']);
    assert.equal(c.raft(4).isLearner, true);
    assert.equal(c.raft(1).status().progress!.get(nodeId(4))!.isLearner, true);
  });

  it('do not count toward commit', () => {
    const c = new TestCluster(ids(1, 2, 3), {}, ids(4, 5));
    c.elect(1);
    c.isolate(2);
    c.isolate(3);
    // The leader and two learners hold it: three of five nodes, but one of three voters.
    assert.equal(commits(c, 1, 'a'), false);
    assert.equal(c.raft(1).status().progress!.get(nodeId(4))!.match, c.raft(1).raftLog.lastIndex());
    c.heal();
    c.tickAll();
    c.stabilize();
    assert.deepEqual(c.appliedData(4), ['a']);
  });

  it('are never asked for a vote and never campaign', () => {
    const c = new TestCluster(ids(1, 2, 3), {}, ids(4));
    c.node(1).rawNode.campaign();
    const asked = c
      .drain()
      .filter((m) => m.type === 'MsgVote')
      .map((m) => m.to);
    assert.deepEqual(asked, [2, 3]);
    const learner = c.raft(4);
    assert.equal(learner.promotable(), false);
    for (let i = 0; i < 100; i++) learner.tick();
    assert.equal(learner.role, 'follower');
    assert.equal(learner.term, 0);
    learner.step(message({ type: 'MsgTimeoutNow', from: nodeId(1), to: nodeId(4), term: term(1) }));
    assert.equal(learner.role, 'follower', 'even when asked to take over');
  });

  it('a learner promoted to voter counts from then on', () => {
    const c = new TestCluster(ids(1, 2, 3), {}, ids(4));
    c.elect(1);
    c.node(1).rawNode.proposeConfChange(cc('auto', ['voter', 4]));
    c.stabilize();
    for (const id of [1, 2, 3, 4]) assert.deepEqual(voters(c, id), [1, 2, 3, 4]);
    assert.equal(c.raft(4).isLearner, false);
    c.isolate(2);
    c.isolate(3);
    assert.equal(commits(c, 1, 'x'), false, 'two of four is not a majority');
    c.heal();
    c.isolate(3);
    c.tickAll();
    c.stabilize();
    assert.equal(commits(c, 1, 'y'), true, 'three of four is');
  });
});

describe('§6 single-server changes', () => {
  it('adding a voter: it catches up, and the quorum grows with it', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    c.node(1).rawNode.propose(bytes('before'));
    c.stabilize();
    join(c, 4, [1, 2, 3]);
    c.node(1).rawNode.proposeConfChange(cc('auto', ['voter', 4]));
    c.stabilize();
    for (const id of [1, 2, 3, 4]) assert.deepEqual(voters(c, id), [1, 2, 3, 4]);
    assert.deepEqual(c.appliedData(4), ['before']);
    assert.equal(c.raft(4).promotable(), true);
    c.isolate(3);
    c.isolate(4);
    assert.equal(commits(c, 1, 'x'), false, 'two of four is not a majority');
  });

  it('a change takes effect when applied, not when appended', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    c.node(1).rawNode.proposeConfChange(cc('auto', ['remove', 3]));
    // Appended on the leader, not yet committed: the old configuration still rules.
    assert.deepEqual(c.raft(1).status().config.voters, [1, 2, 3]);
    c.stabilize();
    assert.deepEqual(c.raft(1).status().config.voters, [1, 2]);
  });

  it('removing a follower: the others commit without it and stop sending to it', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    c.node(1).rawNode.proposeConfChange(cc('auto', ['remove', 3]));
    c.stabilize();
    for (const id of [1, 2]) assert.deepEqual(voters(c, id), [1, 2]);
    c.node(1).rawNode.propose(bytes('x'));
    const msgs = c.drain();
    assert.equal(
      msgs.some((m) => m.to === 3),
      false,
    );
    c.deliverAll(msgs);
    c.stabilize();
    assert.deepEqual(c.appliedData(2), ['x']);
    assert.equal(c.raft(1).status().progress!.has(nodeId(3)), false);
  });

  it('removing the leader: it steps down and the others elect a leader among themselves', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    c.node(1).rawNode.proposeConfChange(cc('auto', ['remove', 1]));
    c.stabilize();
    assert.notEqual(c.raft(1).role, 'leader');
    assert.equal(c.raft(1).promotable(), false);
    const leader = c.tickUntilLeader();
    assert.notEqual(leader, 1);
    for (const id of [2, 3]) assert.deepEqual(voters(c, id), [2, 3]);
    assert.equal(commits(c, leader, 'after'), true);
    assert.deepEqual(c.appliedData(leader === 2 ? 3 : 2), ['after']);
    for (let i = 0; i < 50; i++) {
      c.tickAll();
      c.stabilize();
    }
    assert.deepEqual(c.leaders(), [leader], 'the removed node never campaigns');
  });

  for (const how of ['removed', 'demoted'] as const) {
    it(`a leader ${how} while its log holds entries the others lack: they still elect`, () => {
      // Two voters: the survivor needs the old leader's vote until it learns the change is
      // committed, and that vote goes only to a log as up to date as the old leader's.
      const c = new TestCluster(ids(1, 2));
      c.elect(1);
      const change: Change = how === 'removed' ? ['remove', 1] : ['learner', 1];
      c.node(1).rawNode.proposeConfChange(cc('auto', change));
      c.deliverAll(c.drain()); // the change reaches node 2 ...
      c.deliverAll(c.drain()); // ... which acknowledges it: node 1 commits it
      try {
        c.node(1).rawNode.propose(bytes('late'));
      } catch (err) {
        // Refusing proposals while leaving the configuration is one way to stay live.
        assert.ok(err instanceof ProposalDroppedError);
      }
      // Node 1 applies its removal; the messages of that Ready are lost.
      c.drain();
      assert.notEqual(c.raft(2).raftLog.committed, c.raft(1).raftLog.committed);
      const leader = c.tickUntilLeader(300);
      assert.equal(leader, 2);
      assert.deepEqual(voters(c, 2), [2]);
      assert.equal(commits(c, 2, 'after'), true);
    });
  }

  it('only one conf change may be pending: a second one is dropped', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    join(c, 4, [1, 2, 3]);
    join(c, 5, [1, 2, 3]);
    const r = c.node(1).rawNode;
    r.proposeConfChange(cc('auto', ['voter', 4]));
    assert.throws(() => r.proposeConfChange(cc('auto', ['voter', 5])), ProposalDroppedError);
    // Ordinary proposals are not affected.
    r.propose(bytes('x'));
    c.stabilize();
    r.proposeConfChange(cc('auto', ['voter', 5]));
    c.stabilize();
    assert.deepEqual(voters(c, 1), [1, 2, 3, 4, 5]);
  });

  it('a new leader accepts no conf change before it applied everything its log may hold', () => {
    const c = new TestCluster(ids(1, 2, 3));
    // Entries of an earlier term that the new leader has not applied yet (and may hold changes).
    for (const id of [1, 2, 3]) c.addNode(nodeId(id), storageWithLog(ids(1, 2, 3), [1, 1]));
    c.node(1).rawNode.campaign();
    c.deliverAll(c.drain());
    c.deliverAll(c.drain());
    assert.equal(c.raft(1).role, 'leader');
    assert.throws(
      () => c.node(1).rawNode.proposeConfChange(cc('auto', ['remove', 3])),
      ProposalDroppedError,
    );
    c.stabilize();
    c.node(1).rawNode.proposeConfChange(cc('auto', ['remove', 3]));
  });
});

describe('§6 joint consensus', () => {
  /** Voters (1 2 3) moving to (1 4 5), held in the joint configuration. */
  function joint(): TestCluster {
    const c = new TestCluster(ids(1, 2, 3));
    join(c, 4, [1, 2, 3]);
    join(c, 5, [1, 2, 3]);
    c.elect(1);
    c.node(1).rawNode.proposeConfChange(
      cc('explicit', ['voter', 4], ['voter', 5], ['remove', 2], ['remove', 3]),
    );
    c.stabilize();
    return c;
  }

  it('several changes at once enter a joint configuration', () => {
    const c = joint();
    for (const id of [1, 2, 3, 4, 5]) {
      const cs: ConfState = c.node(id).confState;
      assert.deepEqual(cs.voters, [1, 4, 5], `node ${id}`);
      assert.deepEqual(cs.votersOutgoing, [1, 2, 3], `node ${id}`);
      assert.equal(cs.autoLeave, false);
    }
  });

  it('commit needs a majority of the new voters ...', () => {
    const c = joint();
    c.isolate(4);
    c.isolate(5);
    assert.equal(commits(c, 1, 'x'), false, '(1 2 3) agree, (1 4 5) do not');
    c.heal();
    c.tickAll();
    c.stabilize();
    assert.deepEqual(c.appliedData(4), ['x']);
  });

  it('... and of the old voters', () => {
    const c = joint();
    c.isolate(2);
    c.isolate(3);
    assert.equal(commits(c, 1, 'x'), false, '(1 4 5) agree, (1 2 3) do not');
    c.heal();
    c.tickAll();
    c.stabilize();
    assert.deepEqual(c.appliedData(2), ['x']);
  });

  it('an election needs both majorities', () => {
    const c = joint();
    c.isolate(1);
    c.isolate(4);
    // Nodes 2, 3 and 5: a majority of the old voters, one of the new ones.
    for (let i = 0; i < 100; i++) {
      c.tickAll();
      c.stabilize();
    }
    assert.deepEqual(c.leaders(), [1], 'only the cut-off old leader still thinks it leads');
    // With node 4 back, (2 3) and (4 5) make both majorities.
    c.cut.clear();
    c.isolate(1);
    const t0 = c.raft(1).term;
    c.tickUntil(() => c.leaders().some((id) => id !== 1));
    const leaders = c.leaders().filter((id) => id !== 1);
    assert.equal(leaders.length, 1);
    assert.ok(c.raft(leaders[0]!).term > t0);
  });

  it('an empty change leaves the joint configuration (explicit transition)', () => {
    const c = joint();
    for (let i = 0; i < 5; i++) {
      c.tickAll();
      c.stabilize();
    }
    assert.deepEqual(c.node(1).confState.votersOutgoing, [1, 2, 3], 'explicit: stays joint');
    c.node(1).rawNode.proposeConfChange(leaveJoint);
    c.stabilize();
    for (const id of [1, 4, 5]) {
      assert.deepEqual(c.node(id).confState.voters, [1, 4, 5]);
      assert.deepEqual(c.node(id).confState.votersOutgoing, []);
    }
    assert.equal(c.raft(1).status().progress!.has(nodeId(2)), false);
    // Nodes 2 and 3 are gone: (1 4 5) alone commit.
    c.isolate(2);
    c.isolate(3);
    assert.equal(commits(c, 1, 'x'), true);
  });

  it('while joint, only the request to leave is accepted; outside, the empty change is refused', () => {
    const c = joint();
    const r = c.node(1).rawNode;
    assert.throws(() => r.proposeConfChange(cc('auto', ['voter', 2])), ProposalDroppedError);
    r.proposeConfChange(leaveJoint);
    c.stabilize();
    assert.throws(() => r.proposeConfChange(leaveJoint), ProposalDroppedError);
  });

  for (const [name, change] of [
    ['several changes with the auto transition', cc('auto', ['voter', 4], ['voter', 5])],
    ['a single change with the implicit transition', cc('implicit', ['voter', 4])],
  ] as const) {
    it(`${name} enter joint and leave it automatically`, () => {
      const c = new TestCluster(ids(1, 2, 3));
      join(c, 4, [1, 2, 3]);
      join(c, 5, [1, 2, 3]);
      c.elect(1);
      c.node(1).rawNode.proposeConfChange(change);
      c.stabilize();
      const expected = change.changes.length === 2 ? [1, 2, 3, 4, 5] : [1, 2, 3, 4];
      for (const id of expected) {
        assert.deepEqual(c.node(id).confState.voters, expected);
        assert.deepEqual(c.node(id).confState.votersOutgoing, []);
      }
      // Two conf change entries were applied: entering, then the leader's request to leave.
      const applied = c.node(2).applied.filter((e) => e.type === EntryType.ConfChange);
      assert.equal(applied.length, 2);
      const [enter, leave] = applied.map((e) => decodeConfChange(e.data));
      assert.deepEqual(enter, change);
      assert.deepEqual(leave!.changes, []);
    });
  }

  it('a voter demoted through a joint configuration stays a voter of the old half until it is left', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    c.node(1).rawNode.proposeConfChange(cc('explicit', ['learner', 3]));
    c.stabilize();
    let cs = c.node(1).confState;
    assert.deepEqual(cs.voters, [1, 2]);
    assert.deepEqual(cs.votersOutgoing, [1, 2, 3]);
    assert.deepEqual(cs.learnersNext, [3]);
    assert.deepEqual(cs.learners, []);
    c.node(1).rawNode.proposeConfChange(leaveJoint);
    c.stabilize();
    cs = c.node(1).confState;
    assert.deepEqual(cs.voters, [1, 2]);
    assert.deepEqual(cs.learners, [3]);
    assert.deepEqual(cs.learnersNext, []);
    assert.equal(c.raft(3).isLearner, true);
    c.node(1).rawNode.propose(bytes('x'));
    c.stabilize();
    assert.deepEqual(c.appliedData(3), ['x']);
  });

  it('the automatic leave is proposed even when the uncommitted-size budget is used up', () => {
    const c = new TestCluster(ids(1, 2, 3), { maxUncommittedEntriesSize: 100 });
    join(c, 4, [1, 2, 3]);
    c.elect(1);
    c.node(1).rawNode.proposeConfChange(cc('implicit', ['voter', 4]));
    // Everyone applies the joint configuration, but node 1's request to leave it is lost,
    // and then node 1 itself.
    const isLeave = (m: Message): boolean =>
      m.entries.some(
        (e) => e.type === EntryType.ConfChange && decodeConfChange(e.data).changes.length === 0,
      );
    c.stabilizeWith((m) => !(m.from === 1 && isLeave(m)));
    for (const id of [2, 3]) assert.equal(c.node(id).confState.autoLeave, true);
    c.isolate(1);
    // Node 2 takes over; it must leave the joint configuration in its stead.
    c.node(2).rawNode.campaign();
    // Run until node 2 has committed its first entry, but stop before it applies it.
    const r2 = c.raft(2);
    for (let i = 0; i < 20; i++) {
      c.deliverAll(c.drain());
      if (r2.role === 'leader' && r2.raftLog.committed === r2.raftLog.lastIndex()) break;
    }
    assert.equal(r2.role, 'leader');
    assert.ok(r2.raftLog.applied < r2.raftLog.committed);
    // A large proposal (accepted: nothing else is uncommitted) arrives just before node 2
    // applies its first entry, which is when it proposes leaving.
    c.node(2).rawNode.propose(new Uint8Array(200));
    c.stabilize();
    for (const id of [2, 3, 4]) {
      assert.deepEqual(c.node(id).confState.votersOutgoing, [], `node ${id}`);
      assert.deepEqual(c.node(id).confState.voters, [1, 2, 3, 4]);
    }
  });
});

describe('conf change codec', () => {
  const samples: ConfChange[] = [
    cc('auto'),
    cc('auto', ['voter', 4]),
    cc('implicit', ['learner', 7], ['remove', 2]),
    cc('explicit', ['voter', 1], ['voter', 2 ** 53 - 1], ['remove', 3], ['learner', 9]),
    { ...cc('auto', ['voter', 5]), context: bytes('node-5 10.0.0.5:7000') },
  ];

  it('round-trips every transition, change type, node id and context', () => {
    for (const s of samples) assert.deepEqual(decodeConfChange(encodeConfChange(s)), s);
  });

  it('decodes from a view into a larger buffer', () => {
    const encoded = encodeConfChange(samples[3]!);
    const framed = new Uint8Array(encoded.length + 8);
    framed.set(encoded, 5);
    assert.deepEqual(decodeConfChange(framed.subarray(5, 5 + encoded.length)), samples[3]);
  });

  /** Rewrites the encoding of cc('auto', ['voter', 4]) (header 6 bytes, then type, f64 id). */
  function corrupt(edit: (b: Uint8Array, v: DataView) => void): Uint8Array {
    const b = encodeConfChange(cc('auto', ['voter', 4]));
    edit(b, new DataView(b.buffer));
    return b;
  }

  const malformed: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['too short', new Uint8Array(9)],
    ['an unknown version', corrupt((b) => (b[0] = 2))],
    ['an unknown transition', corrupt((b) => (b[1] = 3))],
    ['a count beyond the data', corrupt((_, v) => v.setUint32(2, 1000))],
    ['a huge count', corrupt((_, v) => v.setUint32(2, 0xffffffff))],
    ['an unknown change type', corrupt((b) => (b[6] = 3))],
    ['node id 0', corrupt((_, v) => v.setFloat64(7, 0))],
    ['a negative node id', corrupt((_, v) => v.setFloat64(7, -4))],
    ['a fractional node id', corrupt((_, v) => v.setFloat64(7, 4.5))],
    ['a NaN node id', corrupt((_, v) => v.setFloat64(7, NaN))],
    ['a context length beyond the data', corrupt((_, v) => v.setUint32(15, 1))],
    ['trailing bytes', new Uint8Array([...encodeConfChange(cc('auto', ['voter', 4])), 0])],
    ['truncated', encodeConfChange(cc('auto', ['voter', 4])).subarray(0, 14)],
  ];
  for (const [name, data] of malformed) {
    it(`rejects ${name} with a RaftInvariantError`, () => {
      assert.throws(() => decodeConfChange(data), RaftInvariantError);
    });
  }

  it('a forwarded proposal carrying a malformed conf change is dropped, not fatal', () => {
    const c = new TestCluster(ids(1, 2, 3));
    c.elect(1);
    const lastIndex = c.raft(1).raftLog.lastIndex();
    // Forwarded proposals travel without a term, like local ones.
    const bad = message({
      type: 'MsgProp',
      from: nodeId(2),
      to: nodeId(1),
      entries: [
        { term: term(0), index: index(0), type: EntryType.ConfChange, data: bytes('junk') },
      ],
    });
    c.node(1).rawNode.step(bad);
    assert.equal(c.raft(1).raftLog.lastIndex(), lastIndex);
    assert.equal(c.raft(1).role, 'leader');
  });
});

describe('Changer invariants', () => {
  function tracker(voters: number[], learners: number[] = []): ProgressTracker {
    const t = new ProgressTracker(256, 0);
    [t.config, t.progress] = restoreConfig(
      t,
      index(10),
      confStateOf(ids(...voters), ids(...learners)),
    );
    return t;
  }
  const single = (type: ConfChangeType, id: number): { type: ConfChangeType; nodeId: NodeId } => ({
    type,
    nodeId: nodeId(id),
  });

  it('a simple change may change at most one voter', () => {
    const t = tracker([1, 2, 3]);
    const ch = new Changer(t, index(10));
    assert.throws(
      () => ch.simple([single(ConfChangeType.AddVoter, 4), single(ConfChangeType.AddVoter, 5)]),
      ConfChangeError,
    );
    assert.throws(
      () => ch.simple([single(ConfChangeType.Remove, 1), single(ConfChangeType.Remove, 2)]),
      ConfChangeError,
    );
    // Adding learners alongside one voter is fine: learners do not vote.
    const [cfg] = ch.simple([
      single(ConfChangeType.AddVoter, 4),
      single(ConfChangeType.AddLearner, 5),
      single(ConfChangeType.AddLearner, 6),
    ]);
    assert.deepEqual(trackerConfState(cfg).voters, [1, 2, 3, 4]);
    assert.deepEqual(trackerConfState(cfg).learners, [5, 6]);
  });

  it('computes the new configuration without touching the tracker', () => {
    const t = tracker([1, 2, 3]);
    const before = trackerConfState(t.config);
    new Changer(t, index(10)).enterJoint(false, [single(ConfChangeType.Remove, 3)]);
    new Changer(t, index(10)).simple([single(ConfChangeType.AddLearner, 2)]);
    assert.deepEqual(trackerConfState(t.config), before);
    assert.equal(t.progress.get(nodeId(2))!.isLearner, false);
  });

  it('never removes the last voter', () => {
    const t = tracker([1]);
    assert.throws(
      () => new Changer(t, index(10)).simple([single(ConfChangeType.Remove, 1)]),
      ConfChangeError,
    );
    assert.throws(
      () => new Changer(t, index(10)).enterJoint(true, [single(ConfChangeType.AddLearner, 1)]),
      ConfChangeError,
    );
  });

  it('refuses simple changes and re-entering while joint, and leaving while not', () => {
    const t = tracker([1, 2, 3]);
    assert.throws(() => new Changer(t, index(10)).leaveJoint(), ConfChangeError);
    [t.config, t.progress] = new Changer(t, index(10)).enterJoint(true, [
      single(ConfChangeType.AddVoter, 4),
    ]);
    assert.throws(() => new Changer(t, index(10)).simple([]), ConfChangeError);
    assert.throws(() => new Changer(t, index(10)).enterJoint(false, []), ConfChangeError);
    [t.config, t.progress] = new Changer(t, index(10)).leaveJoint();
    assert.deepEqual(trackerConfState(t.config).voters, [1, 2, 3, 4]);
    assert.equal(t.config.autoLeave, false);
  });

  it('a demoted outgoing voter waits in learnersNext; leaving makes it a learner', () => {
    const t = tracker([1, 2, 3]);
    [t.config, t.progress] = new Changer(t, index(10)).enterJoint(false, [
      single(ConfChangeType.AddLearner, 3),
      single(ConfChangeType.Remove, 2),
    ]);
    let cs = trackerConfState(t.config);
    assert.deepEqual(cs.voters, [1]);
    assert.deepEqual(cs.votersOutgoing, [1, 2, 3]);
    assert.deepEqual(cs.learnersNext, [3]);
    assert.equal(t.progress.get(nodeId(3))!.isLearner, false, 'still votes in the old half');
    assert.ok(t.progress.has(nodeId(2)), 'an outgoing voter keeps its progress');
    [t.config, t.progress] = new Changer(t, index(10)).leaveJoint();
    cs = trackerConfState(t.config);
    assert.deepEqual(cs.voters, [1]);
    assert.deepEqual(cs.learners, [3]);
    assert.deepEqual(cs.learnersNext, []);
    assert.equal(t.progress.get(nodeId(3))!.isLearner, true);
    assert.equal(t.progress.has(nodeId(2)), false, 'a removed voter is dropped on leaving');
  });

  it('promoting a learner takes it out of the learners', () => {
    const t = tracker([1, 2], [3]);
    const [cfg, progress] = new Changer(t, index(10)).simple([single(ConfChangeType.AddVoter, 3)]);
    const cs = trackerConfState(cfg);
    assert.deepEqual(cs.voters, [1, 2, 3]);
    assert.deepEqual(cs.learners, []);
    assert.equal(progress.get(nodeId(3))!.isLearner, false);
  });

  it('new members start probing at the last index and count as recently active', () => {
    const t = tracker([1, 2]);
    const [, progress] = new Changer(t, index(42)).simple([single(ConfChangeType.AddVoter, 3)]);
    const pr = progress.get(nodeId(3))!;
    assert.equal(pr.next, 42);
    assert.equal(pr.match, 0);
    assert.equal(pr.recentActive, true);
  });

  it('restoreConfig rebuilds any ConfState, joint ones included', () => {
    const states: ConfState[] = [
      confStateOf(ids(1)),
      confStateOf(ids(1, 2, 3), ids(4, 5)),
      {
        voters: ids(1, 2, 3),
        learners: ids(5),
        votersOutgoing: ids(1, 2, 4, 6),
        learnersNext: ids(4),
        autoLeave: true,
      },
      {
        voters: ids(7),
        learners: [],
        votersOutgoing: ids(1, 2),
        learnersNext: [],
        autoLeave: false,
      },
    ];
    for (const cs of states) {
      const t = new ProgressTracker(256, 0);
      const [cfg] = restoreConfig(t, index(10), cs);
      assert.deepEqual(trackerConfState(cfg), cs);
    }
  });
});

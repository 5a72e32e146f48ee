import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { RedraftError, type ErrorCode } from '../../src/errors.js';
import { nodeId } from '../../src/raft/index.js';
import { waitFor } from '../e2e/harness/wait.js';
import { InProcessCluster, type InProcessMember } from './harness/in-process-cluster.js';

let cluster: InProcessCluster | undefined;

afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function start(size: number, options = {}): Promise<InProcessCluster> {
  cluster = await InProcessCluster.start(size, options);
  return cluster;
}

function addresses(id: number): {
  peerAddr: string;
  respAddr: string;
  httpAddr: string;
  grpcAddr: string;
} {
  const { id: _id, ...rest } = InProcessCluster.addresses(id);
  return rest;
}

/** Asserts that `p` rejects with a RedraftError of `code` whose message matches `text`. */
async function refused(p: Promise<unknown>, code: ErrorCode, text: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof RedraftError, `expected a RedraftError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, text);
    return true;
  });
}

function follower(c: InProcessCluster, leader: InProcessMember): InProcessMember {
  const f = c
    .running()
    .find((m) => m !== leader && m.node.currentConfState.voters.includes(nodeId(m.id)));
  assert.ok(f !== undefined);
  return f;
}

function voters(m: InProcessMember): number[] {
  return [...m.node.currentConfState.voters].sort((a, b) => a - b);
}

function learners(m: InProcessMember): number[] {
  return [...m.node.currentConfState.learners].sort((a, b) => a - b);
}

/**
 * Waits until every running member of the leader's configuration has applied what the leader
 * has committed. (A removed member may never hear that its removal committed.)
 */
async function settled(c: InProcessCluster): Promise<void> {
  const lead = await c.leader();
  const commit = lead.node.status().commit;
  const cs = lead.node.currentConfState;
  const members = c.running().filter((m) => [...cs.voters, ...cs.learners].includes(nodeId(m.id)));
  await waitFor(
    `members to apply ${commit}`,
    () => members.every((m) => m.node.applied >= commit) || undefined,
    { timeoutMs: 10_000, intervalMs: 5 },
  );
}

describe('RaftClusterAdmin (in-process members)', () => {
  it('reports voters and learners with their addresses, the leader, and match indexes on the leader', async () => {
    const c = await start(3);
    const lead = await c.leader();
    await settled(c);
    const members = lead.admin.members();
    assert.deepEqual(
      members.map((m) => [m.id, m.role, m.isLeader, m.respAddr]),
      [1, 2, 3].map((id) => [id, 'voter', id === lead.id, `10.0.0.${id}:6379`]),
    );
    assert.ok(members.every((m) => typeof m.matchIndex === 'number' && m.matchIndex > 0));
    const f = follower(c, lead);
    assert.ok(
      f.admin.members().every((m) => m.matchIndex === undefined),
      'only the leader knows',
    );
    const status = f.admin.status();
    assert.equal(status.id, f.id);
    assert.equal(status.role, 'follower');
    assert.equal(status.leader, lead.id);
    assert.ok(status.appliedIndex > 0 && status.commitIndex >= status.appliedIndex - 1);
  });

  it('adds a learner through a follower, with the id asked for or the next free one', async () => {
    const c = await start(3);
    const lead = await c.leader();
    const f = follower(c, lead);
    const added = await f.admin.addLearner(7, addresses(7));
    assert.equal(added.id, 7);
    assert.equal(added.role, 'learner');
    assert.equal(added.peerAddr, '10.0.0.7:7000');
    const chosen = await f.admin.addLearner(0, addresses(8));
    assert.equal(chosen.id, 8, 'the smallest id above every member');
    await settled(c);
    for (const m of c.running()) {
      assert.deepEqual(voters(m), [1, 2, 3]);
      assert.deepEqual(learners(m), [7, 8]);
      assert.equal(m.fsm.members.get(8)?.grpcAddr, '10.0.0.8:9090', 'addresses replicated');
    }
    // An explicitly added learner stays one: only members that joined are promoted by the
    // leader (7 and 8 are not running, so they could not catch up anyway).
    assert.equal(lead.fsm.autoPromote.size, 0);
  });

  it('refuses a second change while one is in flight, whichever member is asked', async () => {
    const c = await start(3);
    const lead = await c.leader();
    const first = lead.admin.addLearner(4, addresses(4));
    const second = lead.admin.addLearner(5, addresses(5));
    await refused(second, 'CHANGE_IN_PROGRESS', /another change is in progress \(add learner 4\)/);
    await first;
    // Through a follower, the leader still refuses while its change is pending.
    const f = follower(c, lead);
    const third = lead.admin.remove(4);
    await refused(f.admin.addLearner(6, addresses(6)), 'CHANGE_IN_PROGRESS', /in progress/);
    await third;
    // Once done, the next change goes through.
    assert.equal((await f.admin.addLearner(6, addresses(6))).id, 6);
  });

  it('refuses changes that contradict the membership, with stable codes', async () => {
    const c = await start(3);
    const lead = await c.leader();
    await settled(c);
    const f = follower(c, lead);
    await refused(f.admin.promote(9), 'UNKNOWN_MEMBER', /node 9 is not a member/);
    await refused(f.admin.remove(9), 'UNKNOWN_MEMBER', /node 9 is not a member/);
    await refused(f.admin.promote(2), 'INVALID_CHANGE', /node 2 is already a voter/);
    await refused(
      f.admin.addLearner(2, addresses(9)),
      'MEMBER_EXISTS',
      /node 2 is already a voter/,
    );
    await refused(
      f.admin.addLearner(9, addresses(1)),
      'INVALID_CHANGE',
      /peer address 10\.0\.0\.1:7000 is already used by node 1/,
    );
    await refused(f.admin.transferLeader(9), 'UNKNOWN_MEMBER', /node 9/);
    // A learner that never ran has nothing: promoting it would add a voter the quorum waits on.
    await f.admin.addLearner(4, addresses(4));
    await refused(f.admin.promote(4), 'LEARNER_NOT_READY', /learner 4 has not caught up/);
    await refused(f.admin.transferLeader(4), 'INVALID_CHANGE', /only a voter can lead/);
    // Malformed input is refused before anything is proposed.
    await refused(f.admin.promote(0), 'BAD_REQUEST', /positive integer/);
    await refused(f.admin.remove(-3), 'BAD_REQUEST', /positive integer/);
    await refused(f.admin.addLearner(1.5, addresses(5)), 'BAD_REQUEST', /integer/);
    await refused(
      f.admin.addLearner(5, { ...addresses(5), respAddr: 'nowhere' }),
      'BAD_REQUEST',
      /invalid respAddr "nowhere": expected host:port/,
    );
    await settled(c);
    for (const m of c.running()) {
      assert.deepEqual(voters(m), [1, 2, 3], 'nothing changed');
      assert.deepEqual(learners(m), [4]);
    }
  });

  it('refuses to remove the last voter', async () => {
    const c = await start(1);
    const only = await c.leader();
    await refused(only.admin.remove(1), 'INVALID_CHANGE', /node 1 is the last voter/);
    await refused(only.admin.transferLeader(0), 'INVALID_CHANGE', /no other voter/);
    assert.equal(await only.admin.transferLeader(1), 1, 'already the leader');
  });

  it('removes the leader itself: leadership moves first, and the rest carry on', async () => {
    const c = await start(3);
    const old = await c.leader();
    await old.admin.remove(old.id);
    const lead = await c.leader();
    assert.notEqual(lead.id, old.id);
    await settled(c);
    // The old leader may never hear that its removal committed: ask the others.
    for (const m of c.running().filter((x) => x !== old)) {
      assert.deepEqual(
        voters(m),
        [1, 2, 3].filter((id) => id !== old.id),
      );
    }
    assert.equal(lead.fsm.members.has(old.id), false, 'forgotten by the member table');
    await c.stopMember(old.id);
    await c.write('after-', 10);
    // And a member can be removed through a follower.
    const f = follower(c, lead);
    await f.admin.remove(lead.id);
    await c.leader();
    await settled(c);
    assert.deepEqual(voters(f), [f.id]);
  });

  it('transfers leadership to a chosen voter, or to the most caught-up one', async () => {
    const c = await start(3);
    const lead = await c.leader();
    const target = follower(c, lead);
    const other = c.running().find((m) => m !== lead && m !== target)!;
    assert.equal(await other.admin.transferLeader(target.id), target.id);
    assert.equal((await c.leader()).id, target.id);
    const next = await target.admin.transferLeader(0);
    assert.notEqual(next, target.id);
    assert.equal((await c.leader()).id, next);
  });

  it('a node that starts empty and joins learns the whole membership, catches up and is promoted', async () => {
    const c = await start(3);
    await c.write('before-', 50);
    const lead = await c.leader();
    const joiner = await c.startEmpty(4);
    const members = await follower(c, lead).admin.join(4, addresses(4));
    assert.deepEqual(
      members.map((m) => [m.id, m.role]),
      [
        [1, 'voter'],
        [2, 'voter'],
        [3, 'voter'],
        [4, 'learner'],
      ],
    );
    await waitFor(
      'node 4 promoted everywhere',
      () => c.running().every((m) => voters(m).includes(4)) || undefined,
      { timeoutMs: 10_000, intervalMs: 5 },
    );
    await settled(c);
    // The newcomer replayed the log from entry 1: the initial voters come from the log itself.
    assert.deepEqual(voters(joiner), [1, 2, 3, 4]);
    assert.equal(joiner.fsm.autoPromote.size, 0);
    assert.equal(joiner.fsm.dbs[0]!.get('before-49', 0)?.value.type, 'string');
  });

  it('a node joining after the leader compacted its log catches up from a snapshot that lists it', async () => {
    const c = await start(3, { snapshotEntries: 20 });
    await c.write('a-', 100);
    await c.write('b-', 100);
    const lead = await c.leader();
    await settled(c);
    // Compaction follows the snapshot's fsync in the background.
    await waitFor(
      'the leader to compact its log',
      () => lead.node.status().firstIndex > 1 || undefined,
      {
        timeoutMs: 10_000,
        intervalMs: 5,
      },
    );
    const joiner = await c.startEmpty(4);
    await lead.admin.join(4, addresses(4));
    await waitFor('node 4 promoted', () => voters(joiner).includes(4) || undefined, {
      timeoutMs: 10_000,
      intervalMs: 5,
    });
    assert.ok(joiner.node.status().firstIndex > 1, 'it started from a snapshot, not from entry 1');
    assert.deepEqual(voters(joiner), [1, 2, 3, 4]);
    assert.equal(joiner.fsm.dbs[0]!.get('a-0', 0)?.value.type, 'string');
    assert.equal(joiner.fsm.members.get(1)?.respAddr, '10.0.0.1:6379');
  });

  it('a join asked again before the learner received anything is not an error', async () => {
    const c = await start(3);
    const lead = await c.leader();
    await lead.admin.join(4, addresses(4));
    // Node 4 is not running: the leader has heard nothing from it.
    const again = await lead.admin.join(4, addresses(4));
    assert.deepEqual(
      again.filter((m) => m.id === 4).map((m) => m.role),
      ['learner'],
    );
    await refused(
      lead.admin.join(2, addresses(2)),
      'MEMBER_EXISTS',
      /node 2 is already a voter and has stored entries; if its data directory was lost, remove it first/,
    );
  });

  it('takes a snapshot on demand at the applied index', async () => {
    const c = await start(3);
    await c.write('k', 30);
    const lead = await c.leader();
    const before = lead.node.applied;
    const info = await lead.admin.snapshot();
    assert.ok(info.index >= before, `snapshot at ${info.index}, applied ${before}`);
    assert.ok(info.bytes > 0 && info.term > 0);
    const again = await lead.admin.snapshot();
    assert.ok(again.index >= info.index);
  });
});

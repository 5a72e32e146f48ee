import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  encodeMember,
  encodeMemberContext,
  parseMemberContext,
  type MemberInfo,
} from '../../src/fsm/entry-codec.js';
import { KvStateMachine } from '../../src/fsm/kv-state-machine.js';
import { readSnapshot, writeSnapshot } from '../../src/fsm/snapshot-codec.js';
import {
  ConfChangeType,
  EMPTY_BYTES,
  EMPTY_CONF_STATE,
  index,
  nodeId,
  term,
  type ConfChangeType as ChangeType,
} from '../../src/raft/index.js';

function member(id: number): MemberInfo {
  return {
    id,
    peerAddr: `10.0.0.${id}:7000`,
    respAddr: `10.0.0.${id}:6379`,
    httpAddr: `10.0.0.${id}:8080`,
    grpcAddr: `10.0.0.${id}:9090`,
  };
}

function change(
  fsm: KvStateMachine,
  type: ChangeType,
  id: number,
  context: Uint8Array = EMPTY_BYTES,
): void {
  fsm.applyConfChange(
    { transition: 'auto', changes: [{ type, nodeId: nodeId(id) }], context },
    EMPTY_CONF_STATE,
  );
}

describe('the member table in the state machine', () => {
  it('records an added member and whether it joined, until it is promoted or removed', () => {
    const fsm = new KvStateMachine();
    const joined = encodeMemberContext({ member: member(4), autoPromote: true });
    const added = encodeMemberContext({ member: member(5), autoPromote: false });
    change(fsm, ConfChangeType.AddLearner, 4, joined);
    change(fsm, ConfChangeType.AddLearner, 5, added);
    assert.deepEqual(fsm.members.get(4), member(4));
    assert.deepEqual([...fsm.autoPromote], [4]);

    // The member publishing its own addresses keeps the flag (it is not part of the table).
    fsm.apply({
      index: index(10),
      term: term(2),
      data: encodeMember(member(4)),
    });
    assert.deepEqual([...fsm.autoPromote], [4]);

    change(fsm, ConfChangeType.AddVoter, 4);
    assert.deepEqual([...fsm.autoPromote], [], 'promoted');
    change(
      fsm,
      ConfChangeType.AddLearner,
      6,
      encodeMemberContext({ member: member(6), autoPromote: true }),
    );
    const version = fsm.membersVersion;
    change(fsm, ConfChangeType.Remove, 6);
    assert.equal(fsm.members.has(6), false);
    assert.deepEqual([...fsm.autoPromote], []);
    assert.ok(fsm.membersVersion > version);
  });

  it('keeps members and pending promotions across a snapshot', () => {
    const fsm = new KvStateMachine();
    change(
      fsm,
      ConfChangeType.AddLearner,
      4,
      encodeMemberContext({ member: member(4), autoPromote: true }),
    );
    change(
      fsm,
      ConfChangeType.AddLearner,
      5,
      encodeMemberContext({ member: member(5), autoPromote: false }),
    );
    const copy = new KvStateMachine();
    copy.restore(fsm.snapshot().serialize());
    assert.deepEqual(copy.members, fsm.members);
    assert.deepEqual([...copy.autoPromote], [4]);
  });

  it('reads member tables written before the flag existed, and refuses malformed ones', () => {
    const image = { dbs: [], tombstones: [], members: [member(1)], autoPromote: [], clock: 0 };
    const read = readSnapshot(writeSnapshot(image));
    assert.deepEqual(read.members, [member(1)]);
    assert.deepEqual(read.autoPromote, []);

    const bad = writeSnapshot({
      ...image,
      members: [{ ...member(1), respAddr: 7 } as unknown as MemberInfo],
    });
    assert.throws(
      () => readSnapshot(bad),
      /invalid state machine snapshot: bad member: .*member.respAddr is not a string/,
    );
  });

  it('parses a conf change context, refusing a flag of the wrong type', () => {
    const ctx = encodeMemberContext({ member: member(3), autoPromote: true });
    assert.deepEqual(parseMemberContext(ctx.toString()), { member: member(3), autoPromote: true });
    assert.deepEqual(parseMemberContext(JSON.stringify(member(3))), {
      member: member(3),
      autoPromote: false,
    });
    assert.throws(
      () => parseMemberContext(JSON.stringify({ ...member(3), autoPromote: 'yes' })),
      /autoPromote is not a boolean/,
    );
  });
});

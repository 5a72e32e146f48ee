import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import { bootstrapLog, initialMembershipEntries } from '../../src/node/bootstrap.js';
import {
  ConfChangeType,
  EntryType,
  decodeConfChange,
  index,
  nodeId,
} from '../../src/raft/index.js';
import { LevelLogStorage } from '../../src/storage/index.js';

describe('bootstrapping a new cluster', () => {
  it('puts one committed AddVoter entry per initial voter in the log, identical on every member', () => {
    const a = initialMembershipEntries([3, 1, 2].map(nodeId));
    const b = initialMembershipEntries([1, 2, 3, 2].map(nodeId));
    assert.deepEqual(a, b, 'order and duplicates in --initial-cluster do not matter');
    assert.deepEqual(
      a.map((e) => [e.index, e.term, e.type]),
      [
        [1, 1, EntryType.ConfChange],
        [2, 1, EntryType.ConfChange],
        [3, 1, EntryType.ConfChange],
      ],
    );
    assert.deepEqual(
      a.map((e) => decodeConfChange(e.data).changes),
      [1, 2, 3].map((id) => [{ type: ConfChangeType.AddVoter, nodeId: id }]),
    );
    assert.throws(() => initialMembershipEntries([]), /at least one voter/);
  });

  it('persists them with a hard state that commits them, and a restart finds them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'redraft-bootstrap-'));
    const logger = pino({ level: 'silent' });
    try {
      const log = await LevelLogStorage.open(dir, { logger });
      assert.equal(log.isEmpty(), true);
      await bootstrapLog(log, [1, 2].map(nodeId));
      await assert.rejects(bootstrapLog(log, [1].map(nodeId)), /holds entries/);
      await log.close();

      const reopened = await LevelLogStorage.open(dir, { logger });
      assert.equal(reopened.isEmpty(), false);
      assert.equal(reopened.lastIndex(), 2);
      const { hardState, confState } = reopened.initialState();
      assert.deepEqual(hardState, { term: 1, vote: 0, commit: 2 });
      assert.deepEqual(confState.voters, [], 'the membership is in the entries, not at index 0');
      assert.deepEqual(
        reopened.entries(index(1), index(3), Infinity),
        initialMembershipEntries([1, 2].map(nodeId)),
      );
      await reopened.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

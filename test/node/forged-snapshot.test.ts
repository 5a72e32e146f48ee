/**
 * A snapshot from the leader whose state does not hash to the Merkle root it records (a
 * faulty or tampered leader, or a corrupted transfer the checksums missed) is refused by the
 * member receiving it: the member stops (fail-stop) before the image touches its log or its
 * snapshots, so its own data is as it was and serves again once it is restarted against a
 * sound leader.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SnapshotRootMismatchError } from '../../src/fsm/merkle-state.js';
import { nodeId } from '../../src/raft/index.js';
import { waitFor } from '../e2e/harness/wait.js';
import { InProcessCluster } from './harness/in-process-cluster.js';

describe('a forged snapshot from the leader', () => {
  let cluster: InProcessCluster | undefined;
  after(async () => {
    await cluster?.stop();
  });

  it('is refused before it is written: the member fail-stops with its own log intact', async () => {
    cluster = await InProcessCluster.start(3, { snapshotEntries: 20 });
    const leader = await cluster.leader();
    const lagging = cluster.running().find((m) => m !== leader)!;
    await cluster.write('early-', 10);
    await waitFor(
      'the follower to apply the early writes',
      () => (lagging.node.applied >= leader.node.applied ? true : undefined),
      { timeoutMs: 10_000 },
    );
    const before = {
      firstIndex: lagging.storage.firstIndex(),
      lastIndex: lagging.storage.lastIndex(),
      snapshotIndex: lagging.storage.snapshot().metadata.index,
      applied: lagging.node.applied,
    };

    // The follower misses enough that the leader can only send it a snapshot.
    cluster.network.isolate(nodeId(lagging.id));
    // In rounds: each applies on its own, so snapshots follow one another and the log behind
    // the previous one is compacted.
    for (let round = 0; round < 5; round++) await cluster.write(`late${round}-`, 30);
    await waitFor(
      'the leader to compact its log past the follower',
      () => (leader.node.status().firstIndex > before.lastIndex + 1 ? true : undefined),
      { timeoutMs: 10_000 },
    );

    // Every snapshot on its way to the follower has one key renamed: the image is well formed,
    // its recorded root is the leader's, and its state no longer hashes to that root.
    let forged = 0;
    cluster.network.heal();
    cluster.network.setDropFilter((m) => {
      const data = m.snapshot?.data;
      if (m.type !== 'MsgSnap' || data === undefined || m.to !== nodeId(lagging.id)) return false;
      const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      const at = bytes.indexOf('late0-7');
      if (at >= 0) {
        bytes[at + 6] = 'X'.charCodeAt(0);
        forged++;
      }
      return false; // deliver it, forged
    });

    const failure = await waitFor(
      'the follower to refuse the snapshot',
      () => lagging.node.failure,
      {
        timeoutMs: 10_000,
      },
    );
    assert.ok(forged > 0, 'a snapshot was sent and forged');
    assert.ok(
      failure instanceof SnapshotRootMismatchError,
      `failed with ${failure.name}: ${failure.message}`,
    );
    // Nothing of the image reached its storage or its state.
    assert.equal(lagging.storage.firstIndex(), before.firstIndex);
    assert.equal(lagging.storage.snapshot().metadata.index, before.snapshotIndex);
    assert.ok(lagging.storage.lastIndex() >= before.lastIndex);
    assert.equal(lagging.node.applied, before.applied);
    assert.equal(lagging.fsm.dbs[0]!.entries.has('late0-7'), false);
    assert.equal(lagging.fsm.dbs[0]!.entries.has('early-3'), true);
    // The rest of the cluster carries on.
    await cluster.write('after-', 5);
  });
});

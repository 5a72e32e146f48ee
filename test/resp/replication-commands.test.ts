/**
 * ROLE and INFO replication on a real 3-member cluster: the leader answers as a Redis master
 * with its followers as replicas, a follower as a replica of the leader's RESP address, and
 * both describe the same members and offsets as the Raft state they come from.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { nodeId } from '../../src/raft/index.js';
import type { Reply } from '../../src/resp/encoder.js';
import { parseInfo, respCommand } from '../e2e/harness/resp-client.js';
import { waitFor } from '../e2e/harness/wait.js';
import { InProcessCluster, type InProcessMember } from '../observe/in-process-cluster.js';

/** Bulk and simple replies as strings, integers as numbers, arrays as arrays. */
function toJs(reply: Reply): unknown {
  switch (reply.kind) {
    case 'bulk':
      return typeof reply.value === 'string' ? reply.value : reply.value.toString('latin1');
    case 'simple':
      return reply.value;
    case 'integer':
      return Number(reply.value);
    case 'array':
      return reply.items.map(toJs);
    default:
      throw new Error(`unexpected ${reply.kind} reply: ${JSON.stringify(reply)}`);
  }
}

describe('ROLE and INFO replication', () => {
  let cluster: InProcessCluster;
  let leader: InProcessMember;
  let followers: InProcessMember[];

  before(async () => {
    cluster = await InProcessCluster.start(3);
    leader = await cluster.waitForLeader();
    followers = cluster.members.filter((m) => m !== leader);
    assert.equal((await respCommand(leader.respPort, ['SET', 'k', 'v'])).kind, 'simple');
    // Until every follower has acknowledged an append, the leader may still be probing one.
    await waitFor(
      'every follower replicating',
      () => {
        const progress = leader.node.status().progress;
        return (
          followers.every((f) => progress?.get(nodeId(f.id))?.state === 'replicate') || undefined
        );
      },
      { timeoutMs: 10_000, intervalMs: 10 },
    );
  });
  after(async () => {
    await cluster.stop();
  });

  it('the leader is the master, with each follower as a replica', async () => {
    const role = toJs(await respCommand(leader.respPort, ['ROLE'])) as unknown[];
    assert.equal(role[0], 'master');
    assert.equal(typeof role[1], 'number');
    assert.ok((role[1] as number) >= 1, 'the offset is the commit index');
    const replicas = role[2] as [string, string, string][];
    assert.deepEqual(
      replicas.map(([host, port]) => `${host}:${port}`).sort(),
      followers.map((f) => `127.0.0.1:${f.respPort}`).sort(),
    );
    for (const [, , offset] of replicas) assert.match(offset, /^\d+$/);

    const info = parseInfo(await respCommand(leader.respPort, ['INFO', 'replication']));
    assert.equal(info.get('role'), 'master');
    assert.equal(info.get('connected_slaves'), '2');
    for (const i of [0, 1]) assert.match(info.get(`slave${i}`) ?? '', /state=online/);
  });

  it('a follower is a replica of the leader, connected while it knows the leader', async () => {
    for (const follower of followers) {
      const role = toJs(await respCommand(follower.respPort, ['ROLE'])) as unknown[];
      assert.deepEqual(role.slice(0, 4), ['slave', '127.0.0.1', leader.respPort, 'connected']);
      assert.equal(typeof role[4], 'number');

      const info = parseInfo(await respCommand(follower.respPort, ['INFO', 'replication']));
      assert.equal(info.get('role'), 'slave');
      assert.equal(info.get('master_port'), String(leader.respPort));
      assert.equal(info.get('master_link_status'), 'up');
    }
  });

  it('ROLE takes no arguments, as in Redis', async () => {
    const reply = await respCommand(leader.respPort, ['ROLE', 'extra']);
    assert.deepEqual(reply, {
      kind: 'error',
      message: "ERR wrong number of arguments for 'role' command",
    });
  });

  it('a member without a leader is a replica whose link is down', async () => {
    // With two of three members gone, the last cannot be elected: it stays leaderless.
    await Promise.all([leader.stop(), followers[1]!.stop()]);
    const follower = followers[0]!;
    const role = await waitFor(
      'a follower without a leader',
      async () => {
        const r = toJs(await respCommand(follower.respPort, ['ROLE'])) as unknown[];
        return r[0] === 'slave' && r[3] === 'connect' ? r : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 50 },
    );
    assert.equal(role[1], '');
    assert.equal(role[2], 0);
    const info = parseInfo(await respCommand(follower.respPort, ['INFO', 'replication']));
    assert.equal(info.get('role'), 'slave');
    assert.equal(info.get('master_link_status'), 'down');
  });
});

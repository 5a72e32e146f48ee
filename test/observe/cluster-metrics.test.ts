/**
 * Metrics and health of a real 3-member cluster (in this process, see in-process-cluster.ts):
 * after a workload through ioredis the scraped values move as the work implies, a failover
 * shows up as a leader change, and readiness follows the leader's presence.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { waitFor } from '../e2e/harness/wait.js';
import { InProcessCluster, type InProcessMember } from './in-process-cluster.js';
import { parsePrometheusText, samples, valueOf, type PromFamily } from './prometheus-text.js';

async function scrape(member: InProcessMember): Promise<Map<string, PromFamily>> {
  const { contentType, body } = await member.observed.gateway.metrics();
  assert.match(contentType, /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(body);
}

describe('metrics and health of a running cluster', () => {
  let cluster: InProcessCluster;
  let leader: InProcessMember;

  before(async () => {
    // Snapshots every 100 entries: the workload below takes some.
    cluster = await InProcessCluster.start(3, { snapshotEntries: 100 });
    leader = await cluster.waitForLeader();
  });
  after(async () => {
    await cluster.stop();
  });

  it('counts commands, proposals, applies, fsyncs and snapshots after a workload', async () => {
    const before = await scrape(leader);
    const commitBefore = valueOf(before, 'redraft_raft_commit_index');
    const client = new Redis({ port: leader.respPort, lazyConnect: true, maxRetriesPerRequest: 0 });
    await client.connect();
    try {
      for (let i = 0; i < 150; i++) await client.set(`k${i}`, `v${i}`);
      const pipeline = client.pipeline();
      for (let i = 0; i < 50; i++) pipeline.get(`k${i}`);
      await pipeline.exec();
      await client.incr('counter');
      await assert.rejects(client.call('NOSUCHCOMMAND'), /unknown command/);

      const m = await scrape(leader);
      const count = (command: string): number =>
        valueOf(m, 'redraft_resp_commands_total', { command });
      assert.equal(count('set'), 150);
      assert.equal(count('get'), 50);
      assert.equal(count('incr'), 1);
      assert.equal(count('unknown'), 1);
      assert.equal(
        valueOf(m, 'redraft_resp_command_duration_seconds_count', { command: 'set' }),
        150,
      );
      assert.ok(valueOf(m, 'redraft_resp_command_duration_seconds_sum', { command: 'set' }) > 0);
      assert.equal(valueOf(m, 'redraft_resp_connected_clients'), 1);

      // Each SET and the INCR is one proposal, applied here before its client heard OK.
      const commit = valueOf(m, 'redraft_raft_commit_index');
      assert.ok(commit >= commitBefore + 151, `commit ${commit} after ${commitBefore}`);
      assert.equal(valueOf(m, 'redraft_raft_applied_index'), commit);
      assert.ok(valueOf(m, 'redraft_raft_proposals_total') >= 151);
      assert.ok(valueOf(m, 'redraft_raft_proposal_duration_seconds_count') >= 151);
      assert.equal(valueOf(m, 'redraft_raft_proposals_pending'), 0);
      assert.ok(valueOf(m, 'redraft_raft_apply_duration_seconds_count') >= commit - 10);
      assert.ok(
        valueOf(m, 'redraft_storage_persist_duration_seconds_count', { synced: 'true' }) > 0,
      );
      assert.ok(valueOf(m, 'redraft_storage_persist_entries_sum') >= 151);
      assert.ok(valueOf(m, 'redraft_snapshot_duration_seconds_count') >= 1);
      assert.ok(valueOf(m, 'redraft_snapshot_size_bytes', { source: 'local' }) > 0);
      assert.ok(valueOf(m, 'redraft_storage_snapshot_save_duration_seconds_count') >= 1);
      assert.ok(valueOf(m, 'redraft_peer_messages_sent_total') > 0);

      // The leader's view of its followers.
      assert.equal(valueOf(m, 'redraft_raft_role', { role: 'leader' }), 1);
      assert.equal(valueOf(m, 'redraft_raft_role', { role: 'follower' }), 0);
      assert.equal(valueOf(m, 'redraft_raft_leader_id'), leader.id);
      assert.equal(valueOf(m, 'redraft_raft_voters'), 3);
      const lag = samples(m, 'redraft_raft_replication_lag_entries');
      assert.deepEqual(
        lag.map((s) => Number(s.labels.follower)).sort(),
        cluster.members.filter((x) => x !== leader).map((x) => x.id),
      );
      for (const s of lag) assert.ok(s.value >= 0, `lag ${s.value}`);
      assert.equal(valueOf(m, 'redraft_ready'), 1);
    } finally {
      client.disconnect();
    }
    await waitFor(
      'the leader to count the disconnect',
      async () =>
        valueOf(await scrape(leader), 'redraft_resp_connected_clients') === 0 || undefined,
      { timeoutMs: 5000, intervalMs: 10 },
    );

    // A follower catches up to the same commit index; it has no lag series of its own.
    const follower = cluster.members.find((x) => x !== leader)!;
    const leaderCommit = leader.node.commitIndex;
    const fm = await waitFor(
      `follower ${follower.id} to apply index ${leaderCommit}`,
      async () => {
        const m = await scrape(follower);
        return valueOf(m, 'redraft_raft_applied_index') >= leaderCommit ? m : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 20 },
    );
    assert.equal(valueOf(fm, 'redraft_raft_role', { role: 'follower' }), 1);
    assert.deepEqual(samples(fm, 'redraft_raft_replication_lag_entries'), []);
    assert.equal(valueOf(fm, 'redraft_resp_connected_clients'), 0);
    assert.ok(valueOf(fm, 'redraft_peer_messages_received_total') > 0);
    assert.deepEqual(follower.observed.gateway.health.ready(), {
      ready: true,
      reason: `leader ${leader.id}; applied up to commit index ${follower.node.commitIndex}`,
    });
  });

  it('counts a leader change after a failover, and is unready without a quorum', async () => {
    const survivors = cluster.members.filter((m) => m !== leader);
    const changesBefore = await Promise.all(
      survivors.map(async (m) => valueOf(await scrape(m), 'redraft_raft_leader_changes_total')),
    );
    const termBefore = valueOf(await scrape(survivors[0]!), 'redraft_raft_term');
    await leader.stop();
    const newLeader = await cluster.waitForLeader();
    assert.notEqual(newLeader.id, leader.id);
    for (const [k, m] of survivors.entries()) {
      const scraped = await scrape(m);
      assert.ok(
        valueOf(scraped, 'redraft_raft_leader_changes_total') > changesBefore[k]!,
        `node ${m.id} counted no leader change`,
      );
      assert.ok(valueOf(scraped, 'redraft_raft_term') > termBefore);
      assert.equal(valueOf(scraped, 'redraft_raft_leader_id'), newLeader.id);
    }
    assert.equal(newLeader.observed.gateway.health.ready().ready, true);

    // Down to one member of three: no quorum, so the last one loses its leader and says so.
    const last = survivors.find((m) => m !== newLeader)!;
    await newLeader.stop();
    const unready = await waitFor(
      `node ${last.id} to become unready`,
      () => {
        const r = last.observed.gateway.health.ready();
        return r.ready ? undefined : r;
      },
      { timeoutMs: 10_000, intervalMs: 10 },
    );
    assert.deepEqual(unready, { ready: false, reason: 'no leader known' });
    assert.equal(last.observed.gateway.health.live(), true);
    assert.equal(valueOf(await scrape(last), 'redraft_ready'), 0);
    await last.stop();
    assert.deepEqual(last.observed.gateway.health.ready(), {
      ready: false,
      reason: 'shutting down',
    });
  });
});

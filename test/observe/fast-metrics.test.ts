import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import {
  CollectedMetric,
  FastCounter,
  FastHistogram,
  LATENCY_BUCKETS_SECONDS,
} from '../../src/observe/fast-metrics.js';
import { NodeMetrics } from '../../src/observe/metrics.js';
import { parsePrometheusText, samples, valueOf } from './prometheus-text.js';

async function scrape(registry: Registry) {
  return parsePrometheusText(await registry.metrics());
}

describe('fast metrics in a prom-client registry', () => {
  it('prints a histogram observed in milliseconds as cumulative buckets in seconds', async () => {
    const registry = new Registry();
    const h = new FastHistogram({
      name: 't_duration_seconds',
      help: 'test',
      buckets: [0.001, 0.01, 0.1],
      scale: 0.001,
    }).registerIn(registry);
    const cell = h.cell();
    for (const ms of [0.5, 1, 2, 50, 500]) cell.observe(ms);
    const m = await scrape(registry);
    assert.equal(m.get('t_duration_seconds')?.type, 'histogram');
    const bucket = (le: string) => valueOf(m, 't_duration_seconds_bucket', { le });
    // A value equal to a bound falls in that bound's bucket, as Prometheus defines `le`.
    assert.equal(bucket('0.001'), 2);
    assert.equal(bucket('0.01'), 3);
    assert.equal(bucket('0.1'), 4);
    assert.equal(bucket('+Inf'), 5);
    assert.equal(valueOf(m, 't_duration_seconds_count'), 5);
    assert.ok(Math.abs(valueOf(m, 't_duration_seconds_sum') - 0.5535) < 1e-9);
  });

  it('prints a labelled cell only once it was used, unless it is listed up front', async () => {
    const registry = new Registry();
    const h = new FastHistogram({
      name: 't_cmd_seconds',
      help: 'test',
      buckets: LATENCY_BUCKETS_SECONDS,
      scale: 0.001,
      labelName: 'command',
      initialLabels: ['ping'],
    }).registerIn(registry);
    h.cell('get'); // looked up, never observed
    h.cell('set').observe(2);
    const m = await scrape(registry);
    assert.equal(valueOf(m, 't_cmd_seconds_count', { command: 'set' }), 1);
    assert.equal(valueOf(m, 't_cmd_seconds_count', { command: 'ping' }), 0);
    assert.deepEqual(samples(m, 't_cmd_seconds_count', { command: 'get' }), []);
    assert.equal(
      samples(m, 't_cmd_seconds_bucket', { command: 'set' }).length,
      LATENCY_BUCKETS_SECONDS.length + 1,
    );
  });

  it('counts and collects at scrape time', async () => {
    const registry = new Registry();
    const c = new FastCounter('t_events_total', 'test').registerIn(registry);
    let level = 3;
    new CollectedMetric('t_level', 'test', 'gauge', () => [
      { value: level, labels: { kind: 'a' } },
    ]).registerIn(registry);
    c.cell.inc();
    c.cell.inc(4);
    level = 7;
    const m = await scrape(registry);
    assert.equal(m.get('t_events_total')?.type, 'counter');
    assert.equal(valueOf(m, 't_events_total'), 5);
    assert.equal(valueOf(m, 't_level', { kind: 'a' }), 7);
  });

  it('refuses buckets that are not ascending', () => {
    assert.throws(() => new FastHistogram({ name: 'x', help: 'x', buckets: [1, 1] }), /ascending/);
    assert.throws(() => new FastHistogram({ name: 'x', help: 'x', buckets: [] }), /ascending/);
  });

  it('keeps several members apart, each in its own registry, with process metrics', async () => {
    const a = new NodeMetrics({ commandNames: ['get', 'set'] });
    const b = new NodeMetrics({ commandNames: ['get', 'set'] });
    a.resp.command('get').record(1);
    a.resp.command('get').record(1);
    b.resp.command('set').record(1);
    a.resp.command('no-such-command').record(1);
    const ma = parsePrometheusText((await a.scrape()).body);
    const mb = parsePrometheusText((await b.scrape()).body);
    assert.equal(valueOf(ma, 'redraft_resp_commands_total', { command: 'get' }), 2);
    assert.equal(valueOf(ma, 'redraft_resp_commands_total', { command: 'unknown' }), 1);
    assert.deepEqual(samples(ma, 'redraft_resp_commands_total', { command: 'set' }), []);
    assert.equal(valueOf(mb, 'redraft_resp_commands_total', { command: 'set' }), 1);
    // prom-client's process metrics are there, and no sources yet means no Raft gauges.
    assert.ok(ma.has('process_cpu_user_seconds_total'));
    assert.ok(ma.has('nodejs_eventloop_lag_seconds'));
    assert.deepEqual(samples(ma, 'redraft_raft_term'), []);
    assert.equal((await a.scrape()).contentType, Registry.PROMETHEUS_CONTENT_TYPE);
  });

  it('derives pending proposals and records storage and Merkle timings', async () => {
    const m = new NodeMetrics({ commandNames: [], processMetrics: false });
    m.raft.proposed();
    m.raft.proposed();
    m.raft.proposed();
    m.raft.proposalApplied(3);
    m.raft.proposalFailed(1);
    m.log.persisted(2, 16, 4096, true);
    m.log.persisted(0.1, 0, 0, false);
    m.recordMerkleRecompute(4);
    const p = parsePrometheusText((await m.scrape()).body);
    assert.equal(valueOf(p, 'redraft_raft_proposals_total'), 3);
    assert.equal(valueOf(p, 'redraft_raft_proposals_failed_total'), 1);
    assert.equal(valueOf(p, 'redraft_raft_proposals_pending'), 1);
    assert.equal(
      valueOf(p, 'redraft_storage_persist_duration_seconds_count', { synced: 'true' }),
      1,
    );
    assert.equal(
      valueOf(p, 'redraft_storage_persist_duration_seconds_count', { synced: 'false' }),
      1,
    );
    // A write without entries (hard state only) is no batch.
    assert.equal(valueOf(p, 'redraft_storage_persist_entries_count'), 1);
    assert.equal(valueOf(p, 'redraft_storage_persist_entries_bucket', { le: '16' }), 1);
    assert.equal(valueOf(p, 'redraft_storage_persist_entries_bucket', { le: '4' }), 0);
    assert.equal(valueOf(p, 'redraft_merkle_recompute_duration_seconds_sum'), 0.004);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { barChartSvg, compactNumber, escapeXml, logDomain } from '../../bench/chart.js';
import { chartPanels, reportMarkdown, type ReportContext } from '../../bench/document.js';
import type { LoadResult, Workload } from '../../bench/load.js';
import {
  consistencyTable,
  meanMerkleChange,
  merkleCostTable,
  merkleThroughputChange,
  ratio,
  signedPercent,
  summaryTable,
  workloadLabel,
  workloadTable,
  type LoadMeasurement,
  type MerkleCostMeasurement,
} from '../../bench/report.js';
import type { SizedResult } from '../../bench/redis-benchmark.js';
import { Results, selection, type BenchSettings } from '../../bench/suite.js';

const SET50: Workload = { op: 'set', clients: 50, depth: 1 };
const GET1x16: Workload = { op: 'get', clients: 1, depth: 16 };

function result(
  workload: Workload,
  opsPerSecond: number,
  extra: Partial<LoadResult> = {},
): LoadResult {
  return {
    target: 'x',
    workload,
    ops: opsPerSecond * 5,
    errors: 0,
    misses: 0,
    seconds: 5,
    opsPerSecond,
    latency: {
      count: opsPerSecond * 5,
      meanMs: 1,
      p50Ms: 0.5,
      p99Ms: 2.25,
      p999Ms: 7.5,
      maxMs: 12,
    },
    serverCpuUsPerOp: 80.04,
    clientCpuUsPerOp: 20,
    ...extra,
  };
}

/** Cells of a Markdown table row, trimmed (an escaped pipe stays inside its cell). */
const cells = (row: string): string[] =>
  row
    .split(/(?<!\\)\|/)
    .slice(1, -1)
    .map((c) => c.trim());

describe('report tables', () => {
  const measurements: LoadMeasurement[] = [
    { system: 'Redraft', workload: SET50, result: result(SET50, 5000) },
    { system: 'redis-server', workload: SET50, result: result(SET50, 20000) },
    { system: 'etcd gRPC', workload: SET50, result: result(SET50, 4000) },
    { system: 'Redraft', workload: GET1x16, result: new Error('connection | refused') },
    { system: 'redis-server', workload: GET1x16, result: result(GET1x16, 100_000) },
  ];
  const systems = ['Redraft', 'redis-server', 'etcd gRPC'];

  it('labels workloads by operation, clients and depth', () => {
    assert.equal(workloadLabel(SET50), 'SET 50c');
    assert.equal(workloadLabel(GET1x16), 'GET 1c ×16');
  });

  it('formats ratios, and a dash when either side is missing', () => {
    assert.equal(ratio(5000, 20000), '0.25×');
    assert.equal(ratio(250, 10), '25.0×');
    assert.equal(ratio(undefined, 10), '—');
    assert.equal(ratio(10, 0), '—');
  });

  it("summarizes throughput with Redraft's ratio to each baseline", () => {
    const lines = summaryTable([SET50, GET1x16], systems, measurements, 'Redraft', [
      'redis-server',
      'etcd gRPC',
    ]);
    assert.equal(lines.length, 4);
    assert.deepEqual(cells(lines[0]!), [
      'workload',
      'Redraft ops/s',
      'redis-server ops/s',
      'etcd gRPC ops/s',
      'Redraft / redis-server',
      'Redraft / etcd gRPC',
    ]);
    assert.deepEqual(cells(lines[2]!), ['SET 50c', '5,000', '20,000', '4,000', '0.25×', '1.25×']);
    assert.deepEqual(cells(lines[3]!), ['GET 1c ×16', 'failed', '100,000', '—', '—', '—']);
  });

  it('gives each workload a row per measured system, with latency, CPU and ratios', () => {
    const lines = workloadTable(SET50, systems, measurements, ['redis-server', 'etcd gRPC']);
    assert.equal(lines.length, 5);
    assert.deepEqual(cells(lines[2]!), [
      'Redraft',
      '5,000',
      '0.50',
      '2.25',
      '7.50',
      '12.00',
      '0',
      '80.0',
      '20.0',
      '0.25×',
      '1.25×',
    ]);
    // A system is not compared with itself.
    assert.equal(cells(lines[3]!)[9], '—');
  });

  it('shows a failed run as failed, with its message kept inside its cell', () => {
    const lines = workloadTable(GET1x16, systems, measurements, ['redis-server']);
    const failed = lines.find((l) => l.startsWith('| Redraft'))!;
    assert.match(failed, /failed: connection \\\| refused/);
    assert.equal(cells(failed).length, cells(lines[0]!).length);
    // etcd gRPC was not measured under this workload: no row at all.
    assert.ok(!lines.some((l) => l.startsWith('| etcd')));
  });

  it('counts errors and misses separately', () => {
    const w = SET50;
    const lines = workloadTable(
      w,
      ['Redraft'],
      [{ system: 'Redraft', workload: w, result: result(w, 10, { errors: 3, misses: 2 }) }],
      [],
    );
    assert.equal(cells(lines[2]!)[6], '3 (+2 misses)');
  });

  it('compares each read consistency with the linearizable read of the same node and clients', () => {
    const get = (clients: number): Workload => ({ op: 'get', clients, depth: 1 });
    const lines = consistencyTable([
      { system: 'Redraft', mode: 'linearizable', node: 'leader', result: result(get(50), 10_000) },
      { system: 'Redraft', mode: 'linearizable', node: 'leader', result: result(get(1), 1_000) },
      { system: 'Redraft', mode: 'stale', node: 'leader', result: result(get(50), 30_000) },
      { system: 'Redraft', mode: 'stale', node: 'leader', result: result(get(1), 4_000) },
      { system: 'Redraft', mode: 'stale', node: 'follower', result: result(get(1), 5_000) },
    ]);
    assert.deepEqual(
      lines.slice(2).map((l) => cells(l).at(-1)),
      ['1.00×', '1.00×', '3.00×', '4.00×', '—'],
    );
  });
});

describe('chart', () => {
  it('escapes text for XML', () => {
    assert.equal(escapeXml(`a<b & "c" 'd'>`), 'a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;');
  });

  it('abbreviates numbers', () => {
    assert.equal(compactNumber(950), '950');
    assert.equal(compactNumber(0.25), '0.25');
    assert.equal(compactNumber(12_345), '12.3k');
    assert.equal(compactNumber(1_300_000), '1.3M');
    assert.equal(compactNumber(100_000), '100k');
  });

  it('spans whole decades on its log axis', () => {
    assert.deepEqual(logDomain([350, 12_000, 0, -1]), { lo: 2, hi: 5 });
    assert.deepEqual(logDomain([1000]), { lo: 3, hi: 4 });
  });

  it('draws one bar per measured value and marks the rest n/a', () => {
    const svg = barChartSvg('T & t', 'sub', [
      {
        title: 'Throughput',
        unit: 'ops/s',
        groups: ['SET 1c', 'GET 1c'],
        series: [
          { name: 'Redraft', values: [1000, undefined] },
          { name: 'redis-server', values: [20_000, 90_000] },
        ],
      },
    ]);
    assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
    assert.ok(svg.trimEnd().endsWith('</svg>'));
    assert.equal((svg.match(/<rect [^>]*><title>/g) ?? []).length, 3);
    assert.equal((svg.match(/>n\/a</g) ?? []).length, 1);
    assert.ok(svg.includes('T &amp; t'));
    assert.ok(svg.includes('<title>redis-server, GET 1c: 90k ops/s</title>'));
    // Taller bar for the larger value: its top is higher up (smaller y).
    const top = (label: string): number =>
      Number(new RegExp(`y="([\\d.]+)"[^>]*><title>${label}`).exec(svg)?.[1]);
    assert.ok(top('redis-server, GET 1c') < top('redis-server, SET 1c'));
    assert.ok(top('redis-server, SET 1c') < top('Redraft, SET 1c'));
  });

  it('charts throughput and p99 of every measured system from the results', () => {
    const results = new Results();
    results.load.push(
      { system: 'etcd gRPC', workload: SET50, result: result(SET50, 4000) },
      { system: 'Redraft', workload: SET50, result: result(SET50, 5000) },
      { system: 'Redraft', workload: GET1x16, result: new Error('x') },
    );
    const [ops, p99] = chartPanels(results, [SET50, GET1x16]);
    // Systems in the report's column order, not the order they ran in.
    assert.deepEqual(
      ops?.series.map((s) => s.name),
      ['Redraft', 'etcd gRPC'],
    );
    assert.deepEqual(ops.series[0]?.values, [5000, undefined]);
    assert.deepEqual(p99?.series[1]?.values, [2.25, undefined]);
    assert.deepEqual(ops.groups, ['SET 50c', 'GET 1c ×16']);
  });
});

describe('--only', () => {
  it('selects parts and systems independently; a kind not named runs in full', () => {
    const all = selection('');
    assert.deepEqual([...all.parts], ['redis-benchmark', 'load', 'consistency', 'merkle-cost']);
    assert.deepEqual([...all.systems], ['redraft', 'redis', 'etcd']);
    const etcd = selection('etcd');
    assert.deepEqual([...etcd.parts], ['redis-benchmark', 'load', 'consistency', 'merkle-cost']);
    assert.deepEqual([...etcd.systems], ['etcd']);
    const mixed = selection('load, redraft,consistency');
    assert.deepEqual([...mixed.parts], ['load', 'consistency']);
    assert.deepEqual([...mixed.systems], ['redraft']);
  });

  it('selects the Merkle-cost part alone', () => {
    const merkle = selection('merkle-cost');
    assert.deepEqual([...merkle.parts], ['merkle-cost']);
    assert.deepEqual([...merkle.systems], ['redraft', 'redis', 'etcd']);
  });

  it('rejects a name it does not know', () => {
    assert.throws(() => selection('ioredis'), /--only takes .*not ioredis/);
  });
});

const settings: BenchSettings = {
  seconds: 4,
  warmupSeconds: 1,
  rbSeconds: 4,
  valueBytes: 64,
  rbValueBytes: 3,
  keyspace: 100_000,
  clientCounts: [1, 50],
  depth: 16,
  parts: new Set(['merkle-cost']),
  systems: new Set(['redraft']),
  profile: false,
  nodeFlags: [],
  serverFlags: [],
  merkleRounds: 2,
};
const context = (results: Results): ReportContext => ({
  results,
  settings,
  facts: {
    cores: 2,
    model: 'test CPU',
    kernel: '6.0',
    node: 'v20.0.0',
    redisServer: 'redis-server 7',
    redisBenchmark: 'redis-benchmark 7',
    etcd: 'etcd 3.5',
    memory: '4 GB',
    tmpDir: '/tmp',
    tmpFileSystem: 'ext4',
    fsync: '1 ms',
  },
  startedAt: '2025-01-01T00:00:00.000Z',
  elapsedSeconds: 60,
  revision: 'abc1234',
  command: 'npm run bench -- --only merkle-cost',
  environment: '',
  chartFile: undefined,
  pngFile: undefined,
});
describe('the cost of Merkle maintenance', () => {
  const run = (opsPerSecond: number, serverCpuUsPerOp: number) => ({
    opsPerSecond,
    serverCpuUsPerOp,
  });
  // 4,500 against 5,000: −10%; 900 against 800: +12.5%.
  const rows: MerkleCostMeasurement[] = [
    {
      tool: 'load generator',
      label: 'SET 50c',
      withMerkle: [run(4400, 110), run(4600, 130)],
      withoutMerkle: [run(5100, 90), run(4900, 100)],
    },
    {
      tool: 'redis-benchmark',
      label: 'SET 1c',
      withMerkle: [run(900, 300)],
      withoutMerkle: [run(800, 280)],
    },
    {
      tool: 'redis-benchmark',
      label: 'SET 50c ×16',
      withMerkle: [run(20_000, 40), new Error('exit 1')],
      withoutMerkle: [run(30_000, 30), run(31_000, 31)],
    },
  ];

  it('signs percentages with a true minus sign, and a plus for a gain', () => {
    assert.equal(signedPercent(-12.34), '−12.3%');
    assert.equal(signedPercent(4), '+4.0%');
    assert.equal(signedPercent(-0.04), '0.0%');
  });

  it('shows mean and each run, the change of the means, and the CPU means', () => {
    const lines = merkleCostTable(rows);
    assert.equal(lines.length, 5);
    assert.deepEqual(cells(lines[0]!), [
      'tool',
      'workload',
      'with Merkle ops/s',
      'without Merkle ops/s',
      'throughput change',
      'server CPU µs/op with / without',
    ]);
    assert.deepEqual(cells(lines[2]!), [
      'load generator',
      'SET 50c',
      '4,500 (4,400, 4,600)',
      '5,000 (5,100, 4,900)',
      '−10.0%',
      '120.0 / 95.0',
    ]);
    assert.deepEqual(cells(lines[3]!), [
      'redis-benchmark',
      'SET 1c',
      '900 (900)',
      '800 (800)',
      '+12.5%',
      '300.0 / 280.0',
    ]);
  });

  it('shows a row with a failed run as failed, with no change', () => {
    const line = merkleCostTable(rows)[4]!;
    assert.deepEqual(cells(line), [
      'redis-benchmark',
      'SET 50c ×16',
      'failed (20,000, failed)',
      '30,500 (30,000, 31,000)',
      '—',
      'failed / 30.5',
    ]);
    assert.equal(merkleThroughputChange(rows[2]!), undefined);
  });

  it('averages the changes of the rows without a failed run', () => {
    assert.ok(Math.abs(merkleThroughputChange(rows[0]!)! - -10) < 1e-9);
    assert.ok(Math.abs(meanMerkleChange(rows)! - 1.25) < 1e-9);
    assert.ok(Math.abs(meanMerkleChange(rows.slice(0, 1))! - -10) < 1e-9);
    assert.equal(meanMerkleChange(rows.slice(2)), undefined);
    assert.equal(meanMerkleChange([]), undefined);
  });

  const TITLE = '## The cost of Merkle maintenance';

  it('reports the section, its table and the verdict only when there are rows', () => {
    const empty = reportMarkdown(context(new Results()));
    assert.ok(!empty.includes(TITLE));
    assert.ok(empty.includes('## Settings'));

    const results = new Results();
    results.merkleCost.push(rows[0]!);
    const text = reportMarkdown(context(results));
    const at = text.indexOf(TITLE);
    assert.ok(at > 0);
    assert.ok(at < text.indexOf('## Settings'));
    assert.ok(text.includes('| load generator | SET 50c | 4,500 (4,400, 4,600) |'));
    assert.ok(text.includes('2 rounds per workload against each cluster'));
    assert.ok(
      text.includes(
        'Mean change over the SET rows: −10.0%; the largest drop: −10.0% (load generator, ' +
          'SET 50c); the target (issue 5) is a drop of less than 15% in every row: met.',
      ),
    );
  });

  it('says the target is not met beyond a 15% drop, and not judged when every row failed', () => {
    const slow = new Results();
    slow.merkleCost.push({ ...rows[0]!, withMerkle: [run(4000, 1)] });
    assert.ok(reportMarkdown(context(slow)).includes(': −20.0%; the largest drop: −20.0%'));
    assert.ok(reportMarkdown(context(slow)).includes('less than 15% in every row: not met.'));
    // The mean may pass while one row does not: the verdict follows the worst row.
    const mixed = new Results();
    mixed.merkleCost.push(rows[0]!, { ...rows[0]!, label: 'SET 1c', withMerkle: [run(4000, 1)] });
    const mixedText = reportMarkdown(context(mixed));
    assert.ok(mixedText.includes('Mean change over the SET rows: −15.0%'));
    assert.ok(mixedText.includes('the largest drop: −20.0% (load generator, SET 1c)'));
    assert.ok(mixedText.includes('in every row: not met.'));
    const failed = new Results();
    failed.merkleCost.push(rows[2]!);
    assert.ok(reportMarkdown(context(failed)).includes('every row has a failed run'));
    assert.ok(reportMarkdown(context(failed)).includes('not judged.'));
  });
});

describe('the redis-benchmark section', () => {
  const run = (rps: number): SizedResult => ({
    requests: rps * 4,
    wallSeconds: 4,
    serverCpuUs: 50,
    row: { test: 'SET', rps, avgMs: 1, p50Ms: 1, p99Ms: 2, p999Ms: 3, maxMs: 4 },
    command: 'redis-benchmark -t set',
  });
  const results = new Results();
  results.benchmark.push(
    { system: 'Redraft', label: 'SET 50c', result: run(20_000) },
    { system: 'redis-server', label: 'SET 50c', result: run(60_000) },
  );

  it("shows redis-benchmark's -d, and whether the RedisRaft figures came from the same command", () => {
    const text = reportMarkdown(context(results));
    assert.ok(text.includes('`redis-benchmark -t set|get -c N -r 100000 -d 3 [-P 16]`'));
    assert.ok(text.includes('measured on another machine with the same command as here;'));
    const larger = reportMarkdown({
      ...context(results),
      settings: { ...settings, rbValueBytes: 64 },
    });
    assert.ok(larger.includes('-r 100000 -d 64 [-P 16]'));
    assert.ok(larger.includes("with redis-benchmark's default 3-byte values, not this run's 64;"));
  });
});

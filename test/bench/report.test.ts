import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { barChartSvg, compactNumber, escapeXml, logDomain } from '../../bench/chart.js';
import { chartPanels } from '../../bench/document.js';
import type { LoadResult, Workload } from '../../bench/load.js';
import {
  consistencyTable,
  ratio,
  summaryTable,
  workloadLabel,
  workloadTable,
  type LoadMeasurement,
} from '../../bench/report.js';
import { Results, selection } from '../../bench/suite.js';

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
    assert.deepEqual([...all.parts], ['redis-benchmark', 'load', 'consistency']);
    assert.deepEqual([...all.systems], ['redraft', 'redis', 'etcd']);
    const etcd = selection('etcd');
    assert.deepEqual([...etcd.parts], ['redis-benchmark', 'load', 'consistency']);
    assert.deepEqual([...etcd.systems], ['etcd']);
    const mixed = selection('load, redraft,consistency');
    assert.deepEqual([...mixed.parts], ['load', 'consistency']);
    assert.deepEqual([...mixed.systems], ['redraft']);
  });

  it('rejects a name it does not know', () => {
    assert.throws(() => selection('ioredis'), /--only takes .*not ioredis/);
  });
});

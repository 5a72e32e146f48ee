/**
 * The report's Markdown tables, from measured results: the load generator's runs (one table per
 * workload, and a summary with ratios), the read-consistency runs, and the redis-benchmark
 * comparison next to the RedisRaft figures and targets an earlier issue gives, and what Merkle
 * maintenance costs in write throughput. A failed run is kept as an Error and shows as
 * "failed", so one bad run never hides the others.
 */
import type { LoadResult, Workload } from './load.js';
import type { SizedResult } from './redis-benchmark.js';

/** "SET 50c ×16": operation, clients, and requests in flight per client when more than one. */
export function workloadLabel(w: Workload): string {
  return `${w.op.toUpperCase()} ${w.clients}c${w.depth > 1 ? ` ×${w.depth}` : ''}`;
}

export interface LoadMeasurement {
  readonly system: string;
  readonly workload: Workload;
  readonly result: LoadResult | Error;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '—');
const us = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '—');
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** a / b as "0.25×", or "—" when either is missing. */
export function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !(b > 0) || !Number.isFinite(a)) return '—';
  return `${(a / b).toFixed(a / b >= 10 ? 1 : 2)}×`;
}

export function sameWorkload(a: Workload, b: Workload): boolean {
  return a.op === b.op && a.clients === b.clients && a.depth === b.depth;
}

/** ops/s of `system` under `workload`, when it was measured and did not fail. */
export function throughputOf(
  measurements: readonly LoadMeasurement[],
  system: string,
  workload: Workload,
): number | undefined {
  const m = measurements.find((x) => x.system === system && sameWorkload(x.workload, workload));
  return m === undefined || m.result instanceof Error ? undefined : m.result.opsPerSecond;
}

function opsCell(measurements: readonly LoadMeasurement[], system: string, w: Workload): string {
  const m = measurements.find((x) => x.system === system && sameWorkload(x.workload, w));
  if (m === undefined) return '—';
  return m.result instanceof Error ? 'failed' : fmt(m.result.opsPerSecond);
}

/**
 * Throughput of every system under every workload, then Redraft's ratio to each baseline
 * (above 1: Redraft is faster).
 */
export function summaryTable(
  workloads: readonly Workload[],
  systems: readonly string[],
  measurements: readonly LoadMeasurement[],
  subject: string,
  baselines: readonly string[],
): string[] {
  const head = [
    'workload',
    ...systems.map((s) => `${s} ops/s`),
    ...baselines.map((b) => `${subject} / ${b}`),
  ];
  const lines = [
    `| ${head.join(' | ')} |`,
    `|${head.map((_, k) => (k === 0 ? '---' : '---:')).join('|')}|`,
  ];
  for (const w of workloads) {
    const own = throughputOf(measurements, subject, w);
    lines.push(
      `| ${workloadLabel(w)} | ${systems.map((s) => opsCell(measurements, s, w)).join(' | ')} | ${baselines
        .map((b) => ratio(own, throughputOf(measurements, b, w)))
        .join(' | ')} |`,
    );
  }
  return lines;
}

/** One workload: every system's throughput, latency, CPU, and ratios to the baselines. */
export function workloadTable(
  workload: Workload,
  systems: readonly string[],
  measurements: readonly LoadMeasurement[],
  baselines: readonly string[],
): string[] {
  const head = [
    'system',
    'ops/s',
    'p50 ms',
    'p99 ms',
    'p99.9 ms',
    'max ms',
    'errors',
    'server CPU µs/op',
    'client CPU µs/op',
    ...baselines.map((b) => `vs ${b}`),
  ];
  const lines = [
    `| ${head.join(' | ')} |`,
    `|${head.map((_, k) => (k === 0 ? '---' : '---:')).join('|')}|`,
  ];
  for (const system of systems) {
    const m = measurements.find((x) => x.system === system && sameWorkload(x.workload, workload));
    if (m === undefined) continue;
    const r = m.result;
    if (r instanceof Error) {
      lines.push(`| ${system} | failed: ${cell(r.message)} |${' |'.repeat(head.length - 2)}`);
      continue;
    }
    const l = r.latency;
    lines.push(
      `| ${system} | ${fmt(r.opsPerSecond)} | ${ms(l.p50Ms)} | ${ms(l.p99Ms)} | ${ms(l.p999Ms)} | ${ms(l.maxMs)} | ` +
        `${r.errors + r.misses === 0 ? '0' : `${fmt(r.errors)}${r.misses > 0 ? ` (+${fmt(r.misses)} misses)` : ''}`} | ` +
        `${us(r.serverCpuUsPerOp)} | ${us(r.clientCpuUsPerOp)} | ` +
        `${baselines.map((b) => (b === system ? '—' : ratio(r.opsPerSecond, throughputOf(measurements, b, workload)))).join(' | ')} |`,
    );
  }
  return lines;
}

export interface ConsistencyMeasurement {
  readonly system: string;
  /** linearizable, lease, stale (Redraft); linearizable, serializable (etcd). */
  readonly mode: string;
  readonly node: 'leader' | 'follower';
  readonly result: LoadResult | Error;
}

/** Reads by consistency level: each row against the same system's linearizable read. */
export function consistencyTable(rows: readonly ConsistencyMeasurement[]): string[] {
  const lines = [
    '| system | read | node | clients | ops/s | p50 ms | p99 ms | p99.9 ms | server CPU µs/op | vs linearizable |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const r = row.result;
    if (r instanceof Error) {
      lines.push(
        `| ${row.system} | ${row.mode} | ${row.node} | | failed: ${cell(r.message)} | | | | | |`,
      );
      continue;
    }
    const base = rows.find(
      (x) =>
        x.system === row.system &&
        x.mode === 'linearizable' &&
        x.node === row.node &&
        !(x.result instanceof Error) &&
        x.result.workload.clients === r.workload.clients,
    )?.result as LoadResult | undefined;
    lines.push(
      `| ${row.system} | ${row.mode} | ${row.node} | ${r.workload.clients} | ${fmt(r.opsPerSecond)} | ` +
        `${ms(r.latency.p50Ms)} | ${ms(r.latency.p99Ms)} | ${ms(r.latency.p999Ms)} | ${us(r.serverCpuUsPerOp)} | ` +
        `${row.mode === 'linearizable' ? '1.00×' : ratio(r.opsPerSecond, base?.opsPerSecond)} |`,
    );
  }
  return lines;
}

/** From an earlier issue: RedisRaft with 3 nodes, `redis-benchmark -c 50 -r 100000`. */
export const REFERENCE: Readonly<Record<string, readonly [number, number]>> = {
  'SET 50c': [21_000, 25_000],
  'SET 50c ×16': [29_000, 32_000],
  'GET 50c': [54_000, 65_000],
  'GET 50c ×16': [95_000, 97_000],
};

/** That issue's targets for Redraft, ops/s. */
export const TARGET: Readonly<Record<string, number>> = {
  'SET 50c': 25_000,
  'SET 50c ×16': 50_000,
  'GET 50c': 65_000,
  'GET 50c ×16': 150_000,
};

export interface BenchmarkMeasurement {
  readonly system: string;
  /** workloadLabel(), plus " (follower)" for Redraft runs against a follower. */
  readonly label: string;
  readonly result: SizedResult | Error;
}

export interface ComparisonRow {
  readonly label: string;
  readonly redraft: SizedResult | Error | undefined;
  /** redis-server's figure for the same test, clients and pipelining. */
  readonly redis: SizedResult | Error | undefined;
  readonly reference: readonly [number, number] | undefined;
  readonly target: number | undefined;
}

function rbOps(r: SizedResult | Error | undefined): string {
  if (r === undefined) return '—';
  if (r instanceof Error) return 'failed';
  return fmt(r.row.rps);
}

export function comparisonTable(rows: readonly ComparisonRow[]): string[] {
  const lines = [
    '| test | Redraft ops/s | redis-server ops/s | Redraft / redis | RedisRaft (earlier issue) | target | target met |',
    '|------|--------------:|-------------------:|----------------:|------------------:|-------:|:----------:|',
  ];
  for (const r of rows) {
    const a = r.redraft;
    const b = r.redis;
    const ok = (x: SizedResult | Error | undefined): x is SizedResult =>
      x !== undefined && !(x instanceof Error);
    const ref = r.reference === undefined ? '—' : `${fmt(r.reference[0])}–${fmt(r.reference[1])}`;
    const target = r.target === undefined ? '—' : `≥ ${fmt(r.target)}`;
    const met =
      r.target === undefined || !ok(a)
        ? '—'
        : a.row.rps >= r.target
          ? 'yes'
          : `no (${Math.round((100 * a.row.rps) / r.target)}%)`;
    lines.push(
      `| ${r.label} | ${rbOps(a)} | ${rbOps(b)} | ${ratio(ok(a) ? a.row.rps : undefined, ok(b) ? b.row.rps : undefined)} | ${ref} | ${target} | ${met} |`,
    );
  }
  return lines;
}

/** Every redis-benchmark run: how long, how many requests, latency, and server CPU. */
export function detailTable(runs: readonly BenchmarkMeasurement[]): string[] {
  const lines = [
    '| system | test | -n | seconds | ops/s | avg ms | p50 ms | p99 ms | p99.9 ms | max ms | server CPU µs/op |',
    '|--------|------|---:|--------:|------:|-------:|-------:|-------:|---------:|-------:|-----------------:|',
  ];
  for (const { system, label, result: r } of runs) {
    if (r instanceof Error) {
      lines.push(`| ${system} | ${label} | | | failed: ${cell(r.message)} | | | | | | |`);
      continue;
    }
    lines.push(
      `| ${system} | ${label} | ${fmt(r.requests)} | ${r.wallSeconds.toFixed(1)} | ${fmt(r.row.rps)} | ` +
        `${ms(r.row.avgMs)} | ${ms(r.row.p50Ms)} | ${ms(r.row.p99Ms)} | ${ms(r.row.p999Ms)} | ${ms(r.row.maxMs)} | ` +
        `${us(r.serverCpuUs)} |`,
    );
  }
  return lines;
}

/** One run's figures in the Merkle-cost part. */
export interface RunFigures {
  readonly opsPerSecond: number;
  /** Server CPU (the cluster's three members together) per request, microseconds. */
  readonly serverCpuUsPerOp: number;
}

/** What drove the writes of a Merkle-cost row (bench/systems/merkle-cost.ts). */
export type MerkleCostTool =
  'load generator' | 'redis-benchmark' | 'load generator, changing values';

/** One tool and SET workload against the clusters with and without Merkle state, per round. */
export interface MerkleCostMeasurement {
  readonly tool: MerkleCostTool;
  /** workloadLabel(). */
  readonly label: string;
  readonly withMerkle: readonly (RunFigures | Error)[];
  readonly withoutMerkle: readonly (RunFigures | Error)[];
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((s, v) => s + v, 0) / values.length;
}

/** The runs' figures, or undefined when any run failed (or there were none). */
function succeeded(runs: readonly (RunFigures | Error)[]): RunFigures[] | undefined {
  if (runs.length === 0 || runs.some((r) => r instanceof Error)) return undefined;
  return runs as RunFigures[];
}

/** "−12.3%", "+4.0%", "0.0%": a true minus sign, and a plus for a gain. */
export function signedPercent(percent: number): string {
  const text = Math.abs(percent).toFixed(1);
  if (text === '0.0') return '0.0%';
  return `${percent < 0 ? '−' : '+'}${text}%`;
}

/**
 * The mean throughput with Merkle state against the mean without, in percent (negative: Merkle
 * maintenance slows writes down); undefined when any run of the row failed.
 */
export function merkleThroughputChange(row: MerkleCostMeasurement): number | undefined {
  const a = succeeded(row.withMerkle);
  const b = succeeded(row.withoutMerkle);
  if (a === undefined || b === undefined) return undefined;
  const without = mean(b.map((r) => r.opsPerSecond));
  if (!(without > 0)) return undefined;
  return (mean(a.map((r) => r.opsPerSecond)) / without - 1) * 100;
}

/** The mean of the rows' throughput changes, over the rows without a failed run. */
export function meanMerkleChange(rows: readonly MerkleCostMeasurement[]): number | undefined {
  const changes = rows.flatMap((r) => {
    const c = merkleThroughputChange(r);
    return c === undefined ? [] : [c];
  });
  return changes.length === 0 ? undefined : mean(changes);
}

/** The row whose throughput fell the most with Merkle state, and by how much (%). */
export function worstMerkleChange(
  rows: readonly MerkleCostMeasurement[],
): { row: MerkleCostMeasurement; change: number } | undefined {
  let worst: { row: MerkleCostMeasurement; change: number } | undefined;
  for (const row of rows) {
    const change = merkleThroughputChange(row);
    if (change !== undefined && (worst === undefined || change < worst.change))
      worst = { row, change };
  }
  return worst;
}

/** "5,100 (5,000, 5,200)": the mean, then each run; "failed (5,000, failed)" if any failed. */
function runsCell(runs: readonly (RunFigures | Error)[]): string {
  const each = runs.map((r) => (r instanceof Error ? 'failed' : fmt(r.opsPerSecond))).join(', ');
  const ok = succeeded(runs);
  const head = ok === undefined ? 'failed' : fmt(mean(ok.map((r) => r.opsPerSecond)));
  return runs.length === 0 ? '—' : `${head} (${each})`;
}

function cpuMean(runs: readonly (RunFigures | Error)[]): string {
  const ok = succeeded(runs);
  return ok === undefined ? 'failed' : us(mean(ok.map((r) => r.serverCpuUsPerOp)));
}

/** Throughput and server CPU with and without Merkle state, per tool and SET workload. */
export function merkleCostTable(rows: readonly MerkleCostMeasurement[]): string[] {
  const lines = [
    '| tool | workload | with Merkle ops/s | without Merkle ops/s | throughput change | server CPU µs/op with / without |',
    '|---|---|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const change = merkleThroughputChange(row);
    lines.push(
      `| ${row.tool} | ${row.label} | ${runsCell(row.withMerkle)} | ${runsCell(row.withoutMerkle)} | ` +
        `${change === undefined ? '—' : signedPercent(change)} | ` +
        `${cpuMean(row.withMerkle)} / ${cpuMean(row.withoutMerkle)} |`,
    );
  }
  return lines;
}

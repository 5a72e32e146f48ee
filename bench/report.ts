/**
 * The Markdown comparison of Redraft with `redis-server --appendfsync always` under
 * redis-benchmark, next to the RedisRaft figures and the targets the issue gives.
 */
import type { SizedResult } from './redis-benchmark.js';

/** The rows of the comparison; the follower rows have no RedisRaft figure or target. */
export interface ComparisonRow {
  readonly label: string;
  readonly redraft: SizedResult | Error | undefined;
  /** redis-server's figure for the same test and pipelining. */
  readonly redis: SizedResult | Error | undefined;
  /** RedisRaft's published range, ops/s, from the issue. */
  readonly reference: readonly [number, number] | undefined;
  /** The target for Redraft, ops/s. */
  readonly target: number | undefined;
}

/** From the issue: RedisRaft with 3 nodes, redis-benchmark -c 50 -r 100000. */
export const REFERENCE: Readonly<Record<string, readonly [number, number]>> = {
  SET: [21_000, 25_000],
  'SET -P16': [29_000, 32_000],
  GET: [54_000, 65_000],
  'GET -P16': [95_000, 97_000],
};

export const TARGET: Readonly<Record<string, number>> = {
  SET: 25_000,
  'SET -P16': 50_000,
  GET: 65_000,
  'GET -P16': 150_000,
};

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

function ops(r: SizedResult | Error | undefined): string {
  if (r === undefined) return '—';
  if (r instanceof Error) return 'failed';
  return fmt(r.row.rps);
}

export function comparisonTable(rows: readonly ComparisonRow[]): string[] {
  const lines = [
    '| test | Redraft ops/s | redis-server ops/s | Redraft / redis | RedisRaft (issue) | target | target met |',
    '|------|--------------:|-------------------:|----------------:|------------------:|-------:|:----------:|',
  ];
  for (const r of rows) {
    const a = r.redraft;
    const b = r.redis;
    const ratio =
      a !== undefined && !(a instanceof Error) && b !== undefined && !(b instanceof Error)
        ? `${(a.row.rps / b.row.rps).toFixed(2)}×`
        : '—';
    const ref = r.reference === undefined ? '—' : `${fmt(r.reference[0])}–${fmt(r.reference[1])}`;
    const target = r.target === undefined ? '—' : `≥ ${fmt(r.target)}`;
    const met =
      r.target === undefined || a === undefined || a instanceof Error
        ? '—'
        : a.row.rps >= r.target
          ? 'yes'
          : `no (${Math.round((100 * a.row.rps) / r.target)}%)`;
    lines.push(`| ${r.label} | ${ops(a)} | ${ops(b)} | ${ratio} | ${ref} | ${target} | ${met} |`);
  }
  return lines;
}

/** Every measured run: how long, how many requests, latency, and server CPU per request. */
export function detailTable(
  runs: readonly {
    readonly system: string;
    readonly label: string;
    readonly result: SizedResult | Error;
  }[],
): string[] {
  const lines = [
    '| system | test | -n | seconds | ops/s | avg ms | p50 ms | p99 ms | max ms | server CPU µs/op |',
    '|--------|------|---:|--------:|------:|-------:|-------:|-------:|-------:|-----------------:|',
  ];
  const ms = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '—');
  for (const { system, label, result: r } of runs) {
    if (r instanceof Error) {
      lines.push(
        `| ${system} | ${label} | | | failed: ${r.message.replace(/\|/g, '\\|')} | | | | | |`,
      );
      continue;
    }
    lines.push(
      `| ${system} | ${label} | ${fmt(r.requests)} | ${r.wallSeconds.toFixed(1)} | ${fmt(r.row.rps)} | ` +
        `${ms(r.row.avgMs)} | ${ms(r.row.p50Ms)} | ${ms(r.row.p99Ms)} | ${ms(r.row.maxMs)} | ` +
        `${Number.isFinite(r.serverCpuUs) ? r.serverCpuUs.toFixed(1) : '—'} |`,
    );
  }
  return lines;
}

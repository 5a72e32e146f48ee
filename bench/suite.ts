/**
 * What one `npm run bench` measures and where the figures go: the settings, the workloads,
 * and the runners that measure one row each and keep its failure as a result, so that a
 * failed row is reported and the others still run.
 */
import { fillKeyspace, runLoad, type KvTarget, type Workload } from './load.js';
import { loadAverage } from './machine.js';
import { measureSized, type RunSpec } from './redis-benchmark.js';
import {
  workloadLabel,
  type BenchmarkMeasurement,
  type ConsistencyMeasurement,
  type LoadMeasurement,
  type MerkleCostMeasurement,
} from './report.js';

export const PARTS = ['redis-benchmark', 'load', 'consistency', 'merkle-cost'] as const;
export type Part = (typeof PARTS)[number];
export const SYSTEMS = ['redraft', 'redis', 'etcd'] as const;
export type SystemKey = (typeof SYSTEMS)[number];

/** `--only` split into the parts and the systems it names; a kind not named means all. */
export function selection(only: string): { parts: Set<Part>; systems: Set<SystemKey> } {
  const words = only
    .split(',')
    .map((w) => w.trim())
    .filter((w) => w !== '');
  const unknown = words.filter(
    (w) => !(PARTS as readonly string[]).includes(w) && !(SYSTEMS as readonly string[]).includes(w),
  );
  if (unknown.length > 0)
    throw new Error(`--only takes ${[...PARTS, ...SYSTEMS].join(', ')}; not ${unknown.join(', ')}`);
  const parts = PARTS.filter((p) => words.includes(p));
  const systems = SYSTEMS.filter((s) => words.includes(s));
  return {
    parts: new Set(parts.length === 0 ? PARTS : parts),
    systems: new Set(systems.length === 0 ? SYSTEMS : systems),
  };
}

export interface BenchSettings {
  /** Length of each load-generator measurement, after the warm-up. */
  readonly seconds: number;
  readonly warmupSeconds: number;
  /** Aimed length of each redis-benchmark run (its -n is sized for it). */
  readonly rbSeconds: number;
  /** Value size of the load generator's writes (and of the Merkle-cost part's). */
  readonly valueBytes: number;
  /**
   * redis-benchmark's -d in the redis-benchmark part: by default its own default (3), the
   * command the RESP issue's targets and RedisRaft's figures are given for.
   */
  readonly rbValueBytes: number;
  readonly keyspace: number;
  readonly clientCounts: readonly number[];
  /** Requests in flight per client in the pipelined workloads. */
  readonly depth: number;
  readonly parts: ReadonlySet<Part>;
  readonly systems: ReadonlySet<SystemKey>;
  /** Redraft: run the members under `node --cpu-prof` and print the leader's top frames. */
  readonly profile: boolean;
  /** More flags for the Redraft members' `node`. */
  readonly nodeFlags: readonly string[];
  /** Extra `redraft server` flags for every Redraft member (e.g. `--no-merkle`). */
  readonly serverFlags: readonly string[];
  /** Merkle cost: rounds per tool and SET workload against each of its two clusters. */
  readonly merkleRounds: number;
}

/** Every combination of operation, client count and depth; SETs first. */
export function workloadsOf(settings: BenchSettings): Workload[] {
  return (['set', 'get'] as const).flatMap((op) =>
    settings.clientCounts.flatMap((clients) =>
      [1, settings.depth].map((depth) => ({ op, clients, depth })),
    ),
  );
}

/** Everything measured and noticed in one run, in the order it happened. */
export class Results {
  readonly load: LoadMeasurement[] = [];
  readonly consistency: ConsistencyMeasurement[] = [];
  readonly benchmark: BenchmarkMeasurement[] = [];
  readonly merkleCost: MerkleCostMeasurement[] = [];
  /** [when, "1-min, 5-min, 15-min"]. */
  readonly loadAverages: [string, string][] = [['before the run', loadAverage()]];
  /** How each system was set up, for the report's settings section. */
  readonly setups: string[] = [];
  /** Things a reader must know (leadership moved, a process died, a system failed). */
  readonly notes: string[] = [];
  /** Runs and systems that failed: any makes the bench exit non-zero. */
  failures = 0;

  noteLoad(when: string): void {
    this.loadAverages.push([when, loadAverage()]);
  }

  fail(what: string, err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    process.stderr.write(`bench: ${what} failed: ${e.stack ?? e.message}\n`);
    this.notes.push(`${what} failed: ${e.message}`);
    this.failures++;
  }
}

export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** A line of the run's progress, on stderr (stdout carries the report). */
export function progress(text: string): void {
  process.stderr.write(text);
}

/** Measures one workload; a failure is recorded, not thrown. */
export async function measureLoad(
  results: Results,
  settings: BenchSettings,
  system: string,
  target: KvTarget,
  workload: Workload,
): Promise<void> {
  progress(`bench: ${system} ${workloadLabel(workload)}... `);
  try {
    const result = await runLoad(target, workload, {
      keyspace: settings.keyspace,
      warmupMs: settings.warmupSeconds * 1000,
      durationMs: settings.seconds * 1000,
    });
    progress(
      `${Math.round(result.opsPerSecond).toLocaleString('en-US')} ops/s, p50 ${result.latency.p50Ms.toFixed(2)} ms, ` +
        `p99 ${result.latency.p99Ms.toFixed(2)} ms${result.errors > 0 ? `, ${result.errors} errors (${result.firstError ?? '?'})` : ''}\n`,
    );
    results.load.push({ system, workload, result });
  } catch (err) {
    progress(`failed: ${asError(err).message}\n`);
    results.load.push({ system, workload, result: asError(err) });
    results.failures++;
  }
}

/** Measures GETs at one read consistency; a failure is recorded, not thrown. */
export async function measureConsistency(
  results: Results,
  settings: BenchSettings,
  row: { system: string; mode: string; node: 'leader' | 'follower'; clients: number },
  target: KvTarget,
): Promise<void> {
  const workload: Workload = { op: 'get', clients: row.clients, depth: 1 };
  progress(`bench: ${row.system} ${row.mode} GET ${row.clients}c on the ${row.node}... `);
  try {
    const result = await runLoad(target, workload, {
      keyspace: settings.keyspace,
      warmupMs: settings.warmupSeconds * 1000,
      durationMs: settings.seconds * 1000,
    });
    progress(
      `${Math.round(result.opsPerSecond).toLocaleString('en-US')} ops/s, p50 ${result.latency.p50Ms.toFixed(2)} ms\n`,
    );
    results.consistency.push({ ...row, result });
  } catch (err) {
    progress(`failed: ${asError(err).message}\n`);
    results.consistency.push({ ...row, result: asError(err) });
    results.failures++;
  }
}

/** One redis-benchmark run; a failure is recorded, not thrown. */
export async function measureBenchmark(
  results: Results,
  settings: BenchSettings,
  row: { system: string; label: string; where: string },
  spec: RunSpec,
  serverPids: readonly (number | undefined)[],
): Promise<void> {
  progress(`bench: redis-benchmark ${row.system} ${row.label} against ${row.where}... `);
  try {
    const result = await measureSized(spec, settings.rbSeconds, serverPids);
    progress(
      `${Math.round(result.row.rps).toLocaleString('en-US')} ops/s (-n ${result.requests}, ${result.wallSeconds.toFixed(1)} s)\n`,
    );
    results.benchmark.push({ system: row.system, label: row.label, result });
  } catch (err) {
    progress(`failed: ${asError(err).message}\n`);
    results.benchmark.push({ system: row.system, label: row.label, result: asError(err) });
    results.failures++;
  }
}

/** Writes the whole key space once through `target`, so that every GET finds a value. */
export async function fill(
  settings: BenchSettings,
  system: string,
  target: KvTarget,
): Promise<void> {
  const t0 = performance.now();
  progress(`bench: ${system}: writing ${settings.keyspace.toLocaleString('en-US')} keys... `);
  await fillKeyspace(target, settings.keyspace);
  progress(`${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

/** redis-benchmark's invocation for `workload` against `port`, writing `valueBytes` values. */
export function benchmarkSpec(
  settings: BenchSettings,
  port: number,
  workload: Workload,
  valueBytes: number,
): RunSpec {
  return {
    port,
    test: workload.op,
    clients: workload.clients,
    keyspace: settings.keyspace,
    pipeline: workload.depth,
    valueBytes,
  };
}

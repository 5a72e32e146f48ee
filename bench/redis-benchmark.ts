/**
 * Drives `redis-benchmark` (the Redis 7 binary) against any RESP endpoint, sizing `-n` so each
 * measured run lasts a chosen number of seconds, and runs a throwaway `redis-server` with
 * `appendfsync always` to compare with. Every child started here is killed when this process
 * exits, however it exits (processes.ts).
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  freePorts,
  parseInfo,
  replyText,
  respCommand,
  waitFor,
} from '../test/e2e/harness/index.js';
import type { Operation } from './load.js';
import { totalCpuMs } from './machine.js';
import { makeTempDir, removeTempDir, spawnTracked, stopTracked } from './processes.js';

/** What redis-benchmark says about one test. Latencies in ms; NaN when it did not say. */
export interface BenchmarkSummary {
  readonly test: string;
  readonly rps: number;
  readonly avgMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /**
   * The latency at the first step of its percentile distribution at or above 99.9% (99.902%
   * with Redis 7's HDR histogram): an upper bound on the 99.9th percentile, close to it.
   */
  readonly p999Ms: number;
  readonly maxMs: number;
}

const PERCENTILE_LINE = /^\s*([\d.]+)% <= ([\d.]+) milliseconds/;

/**
 * The summary of one test in redis-benchmark's default (not `--csv`, not `-q`) output, as
 * Redis 7 prints it: the `====== SET ======` block with its "Latency by percentile
 * distribution", the "throughput summary" line and the "latency summary" table. Progress lines
 * (separated by carriage returns) and other tests' blocks are skipped. Undefined when the
 * block or its throughput is missing.
 */
export function parseBenchmarkOutput(output: string, test: string): BenchmarkSummary | undefined {
  const lines = output.split(/[\r\n]+/);
  const title = `====== ${test.toUpperCase()} ======`;
  const first = lines.findIndex((l) => l.trim() === title);
  if (first < 0) return undefined;
  let end = lines.findIndex((l, k) => k > first && /^====== .* ======$/.test(l.trim()));
  if (end < 0) end = lines.length;
  const block = lines.slice(first + 1, end);
  let rps = NaN;
  let p999Ms = NaN;
  let inPercentiles = false;
  const summary = new Map<string, number>();
  for (const [k, line] of block.entries()) {
    if (line.startsWith('Latency by percentile distribution')) inPercentiles = true;
    else if (line.startsWith('Cumulative distribution')) inPercentiles = false;
    const step = inPercentiles ? PERCENTILE_LINE.exec(line) : null;
    if (step !== null && Number.isNaN(p999Ms) && Number(step[1]) >= 99.9) p999Ms = Number(step[2]);
    const throughput = /throughput summary: ([\d.]+) requests per second/.exec(line);
    if (throughput !== null) rps = Number(throughput[1]);
    if (/^\s*avg\s+min\s+p50/.test(line)) {
      const names = line.trim().split(/\s+/);
      const values = (block[k + 1] ?? '').trim().split(/\s+/).map(Number);
      names.forEach((name, i) => summary.set(name, values[i] ?? NaN));
    }
  }
  if (Number.isNaN(rps)) return undefined;
  const col = (name: string): number => summary.get(name) ?? NaN;
  return {
    test: test.toUpperCase(),
    rps,
    avgMs: col('avg'),
    p50Ms: col('p50'),
    p99Ms: col('p99'),
    p999Ms,
    maxMs: col('max'),
  };
}

/** redis-benchmark's -d when none is given: the payload of the RESP issue's command. */
export const REDIS_BENCHMARK_DEFAULT_VALUE_BYTES = 3;

export interface RunSpec {
  readonly port: number;
  readonly test: Operation;
  readonly valueBytes: number;
  readonly clients: number;
  readonly keyspace: number;
  readonly pipeline: number;
}

export function benchmarkArgs(spec: RunSpec, requests: number): string[] {
  return [
    '-h',
    '127.0.0.1',
    '-p',
    String(spec.port),
    '-t',
    spec.test,
    '-c',
    String(spec.clients),
    '-r',
    String(spec.keyspace),
    '-d',
    String(spec.valueBytes),
    '-n',
    String(requests),
    ...(spec.pipeline > 1 ? ['-P', String(spec.pipeline)] : []),
  ];
}

interface RunOutcome {
  readonly row: BenchmarkSummary;
  readonly wallSeconds: number;
  /** CPU the server processes used during the run, in ms (NaN when /proc is unavailable). */
  readonly serverCpuMs: number;
}

/** Runs redis-benchmark once; throws with its output when it fails, errs or times out. */
async function runOnce(
  spec: RunSpec,
  requests: number,
  timeoutMs: number,
  serverPids: readonly (number | undefined)[],
): Promise<RunOutcome> {
  const args = benchmarkArgs(spec, requests);
  const cpuBefore = totalCpuMs(serverPids);
  const start = performance.now();
  const { child, exited } = spawnTracked('redis-benchmark', args, ['ignore', 'pipe', 'pipe']);
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (out += s));
  // An object, not a `let`: the flow analysis cannot see the timer callback assign it.
  const timeout = { fired: false };
  // A stalled cluster would otherwise leave redis-benchmark waiting for replies forever.
  const timer = setTimeout(() => {
    timeout.fired = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const status = await exited;
  clearTimeout(timer);
  const wallSeconds = (performance.now() - start) / 1000;
  const serverCpuMs = totalCpuMs(serverPids) - cpuBefore;
  const tail = out.trim().split('\n').slice(-5).join(' | ');
  const cmd = `redis-benchmark ${args.join(' ')}`;
  if (timeout.fired) throw new Error(`${cmd}: no result within ${timeoutMs / 1000} s (${tail})`);
  // Redis 7's redis-benchmark exits 1 on the first error reply (e.g. CLUSTERDOWN), so a
  // figure is never inflated by fast errors.
  if (status.code !== 0)
    throw new Error(`${cmd}: exit ${status.code ?? status.signal ?? '?'} (${tail})`);
  const row = parseBenchmarkOutput(out, spec.test);
  if (row === undefined || !Number.isFinite(row.rps) || row.rps <= 0)
    throw new Error(`${cmd}: no ${spec.test.toUpperCase()} result in its output (${tail})`);
  return { row, wallSeconds, serverCpuMs };
}

export interface SizedResult {
  readonly requests: number;
  readonly wallSeconds: number;
  readonly row: BenchmarkSummary;
  /** Server CPU per request (all of the target's processes together), microseconds. */
  readonly serverCpuUs: number;
  readonly command: string;
}

const MAX_REQUESTS = 50_000_000;

/**
 * Measures `spec` with `-n` chosen so the run lasts about `targetSeconds`: short probe runs
 * (which double as warm-up: connections, JIT, page cache) estimate the rate, then the measured
 * run uses rate x target. A measured run far shorter than aimed at (the probe caught a slow
 * moment) is repeated once with the better estimate it gives. `beforeRun`, if given, runs
 * before each measured run, after everything sent before it has been answered.
 */
export async function measureSized(
  spec: RunSpec,
  targetSeconds: number,
  serverPids: readonly (number | undefined)[],
  beforeRun: () => Promise<void> = () => Promise.resolve(),
): Promise<SizedResult> {
  const probeTimeoutMs = 60_000;
  // A whole number of pipelines: redis-benchmark issues whole ones, so it answers more than -n
  // requests when -n is not a multiple of -P, and its throughput timer, finding every client
  // gone with the count not equal to -n, may exit 1 with "All clients disconnected...
  // aborting." (seen in a report run: -n 34954 -P 16).
  const whole = (n: number): number => Math.ceil(n / spec.pipeline) * spec.pipeline;
  let probe = await runOnce(spec, 2000 * spec.pipeline, probeTimeoutMs, serverPids);
  if (probe.wallSeconds < 0.5)
    probe = await runOnce(spec, whole(Math.ceil(probe.row.rps)), probeTimeoutMs, serverPids);
  const sizeFor = (rps: number): number =>
    whole(Math.min(MAX_REQUESTS, Math.max(1000, Math.round(rps * targetSeconds))));
  const runTimeoutMs = Math.max(60_000, targetSeconds * 5000);
  let requests = sizeFor(probe.row.rps);
  await beforeRun();
  let run = await runOnce(spec, requests, runTimeoutMs, serverPids);
  if (run.wallSeconds < targetSeconds / 2) {
    requests = sizeFor(run.row.rps);
    await beforeRun();
    run = await runOnce(spec, requests, runTimeoutMs, serverPids);
  }
  return {
    requests,
    wallSeconds: run.wallSeconds,
    row: run.row,
    serverCpuUs: (run.serverCpuMs * 1000) / requests,
    command: `redis-benchmark ${benchmarkArgs(spec, requests).join(' ')}`,
  };
}

/** A `redis-server` of our own, with its data in a temporary directory. */
export interface RedisServer {
  readonly port: number;
  readonly pid: number | undefined;
  readonly args: readonly string[];
  /** INFO server's redis_version. */
  readonly version: string;
  /** What CONFIG GET says for the settings that matter here, to show they took effect. */
  readonly config: ReadonlyMap<string, string>;
  stop(): Promise<void>;
}

/** CONFIG GET's flat name/value array as a map. */
function configMap(reply: Awaited<ReturnType<typeof respCommand>>): Map<string, string> {
  const out = new Map<string, string>();
  const items = reply.kind === 'array' ? reply.items : [];
  for (let k = 0; k + 1 < items.length; k += 2)
    out.set(replyText(items[k]!) ?? '', replyText(items[k + 1]!) ?? '');
  return out;
}

/**
 * Starts `redis-server` with an append-only file fsynced on every write (the durability Raft
 * with fsync gives: a reply means the write is on disk) and no RDB snapshots, on a free port,
 * and waits until it answers PING.
 */
export async function startRedisServer(): Promise<RedisServer> {
  const [port] = await freePorts(1);
  const dir = makeTempDir('redraft-bench-redis-');
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
    '--save',
    '',
    '--logfile',
    join(dir, 'redis.log'),
  ];
  const server = spawnTracked('redis-server', args, 'ignore');
  const { child, exited } = server;
  let gone = false;
  void exited.then(() => (gone = true));
  const stop = async (): Promise<void> => {
    // SIGTERM: redis flushes and closes the AOF; SIGKILL if that takes too long.
    await stopTracked(server, 10_000);
    removeTempDir(dir);
  };
  try {
    await waitFor(
      `redis-server on port ${port}`,
      async () => {
        if (gone) throw new Error(`redis-server exited; see ${join(dir, 'redis.log')}`);
        const reply = await respCommand(port!, ['PING'], 1000);
        return replyText(reply) === 'PONG' ? true : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    const info = parseInfo(await respCommand(port!, ['INFO', 'server']));
    const config = configMap(
      await respCommand(port!, ['CONFIG', 'GET', 'appendonly', 'appendfsync', 'save']),
    );
    return {
      port: port!,
      pid: child.pid,
      args: ['redis-server', ...args],
      version: info.get('redis_version') ?? 'unknown',
      config,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Drives `redis-benchmark` (the Redis 7 binary) against any RESP endpoint, sizing `-n` so each
 * measured run lasts a chosen number of seconds, and runs a throwaway `redis-server` with
 * `appendfsync always` to compare with. Every child started here is killed when this process
 * exits, however it exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  freePorts,
  parseInfo,
  replyText,
  respCommand,
  waitFor,
} from '../test/e2e/harness/index.js';
import { cpuMs } from './machine.js';

/** Children of this module still running: killed on exit, so none outlives the bench. */
const children = new Set<ChildProcess>();
/** Temporary directories not yet removed: an interrupted run should not leave them behind. */
const dirs = new Set<string>();
let hooked = false;

function killChildren(): void {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
  children.clear();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

function installExitHooks(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killChildren);
  // Without a handler these signals end Node without an 'exit' event; keep their meaning.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killChildren();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}

interface Exited {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

function spawnTracked(
  cmd: string,
  args: readonly string[],
  stdio: 'pipe' | 'ignore',
): { child: ChildProcess; exited: Promise<Exited> } {
  installExitHooks();
  const child = spawn(cmd, args, { stdio: ['ignore', stdio, stdio] });
  children.add(child);
  const exited = new Promise<Exited>((resolve) => {
    // 'close' (not 'exit') so that piped output is complete when this resolves.
    child.once('close', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
    child.once('error', (err) => {
      children.delete(child);
      process.stderr.write(`bench: could not run ${cmd}: ${err.message}\n`);
      resolve({ code: null, signal: null });
    });
  });
  return { child, exited };
}

/** One result line of `redis-benchmark --csv`. Latencies in ms; NaN when a column is absent. */
export interface CsvRow {
  readonly test: string;
  readonly rps: number;
  readonly avgMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** Splits one CSV line of double-quoted fields (redis-benchmark quotes every field). */
function csvFields(line: string): string[] | undefined {
  if (!/^"[^"]*"(,"[^"]*")*$/.test(line)) return undefined;
  return line.slice(1, -1).split('","');
}

/**
 * The result lines of `redis-benchmark --csv` output. Redis 6.2+ prints a header line
 * (`"test","rps","avg_latency_ms",...`); older versions print only `"SET","8798.94"`, so
 * without a header the first two columns are taken to be the test and rps. Anything that is
 * not a quoted CSV line (progress text, warnings) is ignored.
 */
export function parseBenchmarkCsv(output: string): CsvRow[] {
  let header = ['test', 'rps'];
  const rows: CsvRow[] = [];
  for (const raw of output.split(/[\r\n]+/)) {
    const fields = csvFields(raw.trim());
    if (fields === undefined) continue;
    if (fields[0] === 'test') {
      header = fields;
      continue;
    }
    const col = (name: string): number => {
      const k = header.indexOf(name);
      return k < 0 || fields[k] === undefined ? NaN : Number(fields[k]);
    };
    rows.push({
      test: fields[0] ?? '',
      rps: col('rps'),
      avgMs: col('avg_latency_ms'),
      p50Ms: col('p50_latency_ms'),
      p99Ms: col('p99_latency_ms'),
      maxMs: col('max_latency_ms'),
    });
  }
  return rows;
}

export type BenchTest = 'set' | 'get';

export interface RunSpec {
  readonly port: number;
  readonly test: BenchTest;
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
    '-n',
    String(requests),
    ...(spec.pipeline > 1 ? ['-P', String(spec.pipeline)] : []),
    '--csv',
  ];
}

interface RunOutcome {
  readonly row: CsvRow;
  readonly wallSeconds: number;
  /** CPU the server processes used during the run, in ms (NaN when /proc is unavailable). */
  readonly serverCpuMs: number;
}

function sumCpu(pids: readonly (number | undefined)[]): number {
  return pids.reduce<number>((sum, pid) => sum + (cpuMs(pid) ?? NaN), 0);
}

/** Runs redis-benchmark once; throws with its output when it fails, errs or times out. */
async function runOnce(
  spec: RunSpec,
  requests: number,
  timeoutMs: number,
  serverPids: readonly (number | undefined)[],
): Promise<RunOutcome> {
  const args = benchmarkArgs(spec, requests);
  const cpuBefore = sumCpu(serverPids);
  const start = performance.now();
  const { child, exited } = spawnTracked('redis-benchmark', args, 'pipe');
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
  const serverCpuMs = sumCpu(serverPids) - cpuBefore;
  const tail = out.trim().split('\n').slice(-5).join(' | ');
  const cmd = `redis-benchmark ${args.join(' ')}`;
  if (timeout.fired) throw new Error(`${cmd}: no result within ${timeoutMs / 1000} s (${tail})`);
  // Redis 7's redis-benchmark exits 1 on the first error reply (e.g. CLUSTERDOWN), so a
  // figure is never inflated by fast errors.
  if (status.code !== 0)
    throw new Error(`${cmd}: exit ${status.code ?? status.signal ?? '?'} (${tail})`);
  const row = parseBenchmarkCsv(out).find((r) => r.test.toLowerCase() === spec.test);
  if (row === undefined || !Number.isFinite(row.rps) || row.rps <= 0)
    throw new Error(`${cmd}: no ${spec.test.toUpperCase()} result in its output (${tail})`);
  return { row, wallSeconds, serverCpuMs };
}

export interface SizedResult {
  readonly requests: number;
  readonly wallSeconds: number;
  readonly row: CsvRow;
  /** Server CPU per request (all of the target's processes together), microseconds. */
  readonly serverCpuUs: number;
  readonly command: string;
}

const MAX_REQUESTS = 50_000_000;

/**
 * Measures `spec` with `-n` chosen so the run lasts about `targetSeconds`: short probe runs
 * (which double as warm-up: connections, JIT, page cache) estimate the rate, then the measured
 * run uses rate x target. A measured run far shorter than aimed at (the probe caught a slow
 * moment) is repeated once with the better estimate it gives.
 */
export async function measureSized(
  spec: RunSpec,
  targetSeconds: number,
  serverPids: readonly (number | undefined)[],
): Promise<SizedResult> {
  const probeTimeoutMs = 60_000;
  let probe = await runOnce(spec, 2000 * spec.pipeline, probeTimeoutMs, serverPids);
  if (probe.wallSeconds < 0.5)
    probe = await runOnce(spec, Math.ceil(probe.row.rps), probeTimeoutMs, serverPids);
  const sizeFor = (rps: number): number =>
    Math.min(MAX_REQUESTS, Math.max(1000, Math.round(rps * targetSeconds)));
  const runTimeoutMs = Math.max(60_000, targetSeconds * 5000);
  let requests = sizeFor(probe.row.rps);
  let run = await runOnce(spec, requests, runTimeoutMs, serverPids);
  if (run.wallSeconds < targetSeconds / 2) {
    requests = sizeFor(run.row.rps);
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
  const dir = mkdtempSync(join(tmpdir(), 'redraft-bench-redis-'));
  dirs.add(dir);
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
  const { child, exited } = spawnTracked('redis-server', args, 'ignore');
  let gone = false;
  void exited.then(() => (gone = true));
  const stop = async (): Promise<void> => {
    if (!gone) {
      // SIGTERM: redis flushes and closes the AOF; SIGKILL if that takes too long.
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
    dirs.delete(dir);
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

/**
 * End-to-end throughput of a real 3-node cluster on loopback, in two parts. Not a test:
 * `npm run bench`.
 *
 * ioredis: three `redraft server` processes (fsync on, default ticks) with temporary data
 * directories on free ports, driven by ioredis clients against the leader. Each client sends its
 * next SET when the previous one is answered (no pipelining), so concurrency is the number of
 * clients. Reports SET/s, p50/p99 latency and CPU per SET.
 *
 * redis-benchmark: the issue's comparison. A fresh cluster of the same kind, then a
 * `redis-server --appendonly yes --appendfsync always`, each measured with
 * `redis-benchmark -t set|get -c 50 -r 100000 [-P 16]` (GET also against a follower, which
 * serves linearizable reads after a ReadIndex round), `-n` sized so each run lasts about
 * REDRAFT_BENCH_RB_SECONDS. Prints Redraft/redis ratios next to RedisRaft's figures and the
 * targets from the issue.
 *
 * Everything goes to stdout as Markdown, with the machine facts and every setting; with
 * `--write-report` also to docs/benchmarks.md (so plain runs leave the tree clean).
 *
 *   --only ioredis|redis-benchmark  run one part (or REDRAFT_BENCH_ONLY)
 *   --write-report                  also write docs/benchmarks.md
 *   REDRAFT_BENCH_SECONDS        ioredis: length of each measurement (default 10), after 1 s of warm-up
 *   REDRAFT_BENCH_CLIENTS        ioredis: comma-separated client counts (default 1,64)
 *   REDRAFT_BENCH_VALUE_BYTES    ioredis: value size (default 64)
 *   REDRAFT_BENCH_RB_SECONDS     redis-benchmark: aimed length of each measured run (default 7)
 *   REDRAFT_BENCH_PROFILE=1      ioredis: run the members under `node --cpu-prof` and print the
 *                                leader's top frames by self time (profiles are kept, paths printed)
 *   REDRAFT_BENCH_NODE_FLAGS     any other flags for the members' `node`
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { format, resolveConfig } from 'prettier';
import { TestCluster, respCommand, type Member } from '../test/e2e/harness/index.js';
import { cpuMs, loadAverage, machineFacts } from './machine.js';
import {
  measureSized,
  startRedisServer,
  type BenchTest,
  type RunSpec,
  type SizedResult,
} from './redis-benchmark.js';
import { REFERENCE, TARGET, comparisonTable, detailTable, type ComparisonRow } from './report.js';

const seconds = Number(process.env.REDRAFT_BENCH_SECONDS ?? 10);
const clientCounts = (process.env.REDRAFT_BENCH_CLIENTS ?? '1,64').split(',').map(Number);
const valueBytes = Number(process.env.REDRAFT_BENCH_VALUE_BYTES ?? 64);
const profile = process.env.REDRAFT_BENCH_PROFILE === '1';
const KEYS_PER_CLIENT = 10_000;

interface Result {
  readonly clients: number;
  /** CPU microseconds per SET: the leader, the two followers together, the bench client. */
  readonly cpuLeaderUs: number;
  readonly cpuFollowersUs: number;
  readonly cpuClientUs: number;
  readonly ops: number;
  readonly errors: number;
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** Latencies in milliseconds, in a growable typed array (millions of samples, no GC churn). */
class Samples {
  private data = new Float64Array(1 << 16);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }

  sorted(): Float64Array {
    return this.data.slice(0, this.length).sort();
  }
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function connectClients(leader: Member, n: number): Promise<Redis[]> {
  const clients = Array.from(
    { length: n },
    () =>
      new Redis({
        host: '127.0.0.1',
        port: leader.ports.resp,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        enableOfflineQueue: false,
        retryStrategy: () => null,
      }),
  );
  await Promise.all(clients.map((c) => c.connect()));
  return clients;
}

/** Runs `clients` closed-loop SET clients for `warmupMs` (discarded) then `durationMs`. */
async function measure(
  leader: Member,
  followers: readonly Member[],
  clients: number,
  warmupMs: number,
  durationMs: number,
): Promise<Result> {
  const conns = await connectClients(leader, clients);
  const value = 'v'.repeat(valueBytes);
  const samples = new Samples();
  let ops = 0;
  let errors = 0;
  let recording = false;
  let running = true;
  const loops = conns.map(async (conn, c) => {
    let i = 0;
    while (running) {
      const key = `bench:${c}:${i++ % KEYS_PER_CLIENT}`;
      const t0 = performance.now();
      try {
        await conn.set(key, value);
        if (recording) {
          samples.push(performance.now() - t0);
          ops++;
        }
      } catch {
        if (recording) errors++;
      }
    }
  });
  await new Promise((r) => setTimeout(r, warmupMs));
  const cpu = (): number[] => [
    cpuMs(leader.pid) ?? NaN,
    followers.reduce((sum, f) => sum + (cpuMs(f.pid) ?? NaN), 0),
    (process.cpuUsage().user + process.cpuUsage().system) / 1000,
  ];
  recording = true;
  const start = performance.now();
  const cpuBefore = cpu();
  await new Promise((r) => setTimeout(r, durationMs));
  recording = false;
  const cpuAfter = cpu();
  const elapsed = (performance.now() - start) / 1000;
  running = false;
  await Promise.all(loops);
  for (const c of conns) c.disconnect();
  const sorted = samples.sorted();
  const perOpUs = (k: number): number => ((cpuAfter[k]! - cpuBefore[k]!) * 1000) / Math.max(1, ops);
  return {
    clients,
    cpuLeaderUs: perOpUs(0),
    cpuFollowersUs: perOpUs(1),
    cpuClientUs: perOpUs(2),
    ops,
    errors,
    seconds: elapsed,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted.length === 0 ? NaN : sorted[sorted.length - 1]!,
  };
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** The top frames of a .cpuprofile by self time (share of busy time: idle excluded). */
function topFrames(file: string, count: number): string[] {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byNode = new Map<number, ProfileNode>(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  prof.samples.forEach((id, k) => {
    const dt = prof.timeDeltas[k] ?? 0;
    const f = byNode.get(id)?.callFrame;
    if (f?.functionName === '(idle)') return;
    const name =
      f === undefined
        ? '?'
        : `${f.functionName || '(anonymous)'}  ${f.url.replace(/^.*\/(dist|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + dt);
    total += dt;
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, t]) => `${((100 * t) / total).toFixed(1).padStart(5)}%  ${name}`);
}

/** Both parts use the server's default ticks, so the figures are those of an untuned cluster. */
const TICK_MS = 100;
const ELECTION_TICKS = 10;

function memberNodeFlags(): string[] {
  return (process.env.REDRAFT_BENCH_NODE_FLAGS ?? '').split(/\s+/).filter((s) => s !== '');
}

/** The ioredis part: its Markdown lines. */
async function ioredisPart(): Promise<string[]> {
  const nodeFlags = memberNodeFlags();
  // Every member gets the same flags; their profiles are told apart by pid.
  const profileDir = profile ? mkdtempSync(join(tmpdir(), 'redraft-bench-profiles-')) : '';
  if (profile) nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
  const cluster = await TestCluster.start({
    name: 'bench',
    tickMs: TICK_MS,
    electionTicks: ELECTION_TICKS,
    nodeFlags,
  });
  let keep = false;
  try {
    const leader = await cluster.waitForLeader(20_000);
    const results: Result[] = [];
    for (const n of clientCounts) {
      process.stderr.write(`bench: ${n} client(s) for ${seconds} s against node ${leader.id}...\n`);
      const followers = cluster.members.filter((m) => m !== leader);
      results.push(await measure(leader, followers, n, 1000, seconds * 1000));
    }
    const still = await cluster.waitForLeader(5000);
    const lines = [
      '## ioredis clients, SET',
      '',
      `${cluster.members.length}-node cluster on loopback, fsync on, tick ${cluster.tickMs} ms, ` +
        `election ${cluster.electionTicks} ticks, SET of ${valueBytes}-byte values to the leader, ` +
        `one request in flight per client, ${seconds} s per row after 1 s of warm-up.`,
      '',
      '| clients | SET/s | p50 ms | p99 ms | max ms | ops | errors | CPU µs/SET leader | followers | client |',
      '|--------:|------:|-------:|-------:|-------:|----:|-------:|------------------:|----------:|-------:|',
    ];
    for (const r of results) {
      lines.push(
        `| ${r.clients} | ${Math.round(r.ops / r.seconds).toLocaleString('en-US')} | ${r.p50.toFixed(2)} | ` +
          `${r.p99.toFixed(2)} | ${r.max.toFixed(1)} | ${r.ops} | ${r.errors} | ` +
          `${r.cpuLeaderUs.toFixed(0)} | ${r.cpuFollowersUs.toFixed(0)} | ${r.cpuClientUs.toFixed(0)} |`,
      );
    }
    if (still.id !== leader.id)
      lines.push('', `Leadership moved from node ${leader.id} to node ${still.id} during the run.`);

    if (profile) {
      const leaderPid = leader.pid;
      // A clean stop (SIGTERM, exit 0) is what makes node write the profiles.
      for (const m of cluster.members) if (m.running) await m.stop('SIGTERM');
      const file = readdirSync(profileDir).find((f) => f.includes(`.${leaderPid}.`));
      if (file === undefined) {
        process.stderr.write(
          `bench: no profile for the leader (pid ${leaderPid}) in ${profileDir}\n`,
        );
      } else {
        // Printed, not reported: a profile is for whoever is looking at this run.
        console.log(
          `\nleader (node ${leader.id}) CPU profile, top frames by self time (% of busy time): ${join(profileDir, file)}\n`,
        );
        for (const line of topFrames(join(profileDir, file), 25)) console.log(`    ${line}`);
      }
    }
    return lines;
  } catch (err) {
    keep = true;
    throw err;
  } finally {
    await cluster.stop({ keep });
  }
}

/** The issue's invocation: 50 clients over 100,000 random keys (values: the default 3 bytes). */
const RB_CLIENTS = 50;
const RB_KEYSPACE = 100_000;
const RB_PIPELINE = 16;
const rbSeconds = Number(process.env.REDRAFT_BENCH_RB_SECONDS ?? 7);

interface PlannedRun {
  readonly label: string;
  readonly test: BenchTest;
  readonly pipeline: number;
  /** Redraft only: run against a follower instead of the leader. */
  readonly follower: boolean;
}

/** SETs first, so that the GETs find the keys the SETs wrote (the same -r key space). */
const PLAN: readonly PlannedRun[] = [
  { label: 'SET', test: 'set', pipeline: 1, follower: false },
  { label: 'SET -P16', test: 'set', pipeline: RB_PIPELINE, follower: false },
  { label: 'GET', test: 'get', pipeline: 1, follower: false },
  { label: 'GET -P16', test: 'get', pipeline: RB_PIPELINE, follower: false },
  { label: 'GET (follower)', test: 'get', pipeline: 1, follower: true },
  { label: 'GET -P16 (follower)', test: 'get', pipeline: RB_PIPELINE, follower: true },
];

interface Measured {
  readonly system: string;
  readonly label: string;
  readonly result: SizedResult | Error;
}

/** One run, with its failure kept as a result so the other rows still get measured. */
async function measureRow(
  system: string,
  label: string,
  where: string,
  spec: RunSpec,
  pids: readonly (number | undefined)[],
): Promise<Measured> {
  process.stderr.write(`bench: ${system} ${label} against ${where}... `);
  try {
    const result = await measureSized(spec, rbSeconds, pids);
    process.stderr.write(
      `${Math.round(result.row.rps).toLocaleString('en-US')} ops/s (-n ${result.requests}, ${result.wallSeconds.toFixed(1)} s)\n`,
    );
    return { system, label, result };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    process.stderr.write(`failed: ${e.message}\n`);
    // The other rows still run, but the bench as a whole has failed.
    process.exitCode = 1;
    return { system, label, result: e };
  }
}

/** DBSIZE, to show how many of the key space's keys the GETs could find. */
async function dbsize(port: number): Promise<string> {
  try {
    const reply = await respCommand(port, ['DBSIZE'], 10_000);
    return reply.kind === 'integer' ? reply.value.toLocaleString('en-US') : JSON.stringify(reply);
  } catch (err) {
    return `unknown (${err instanceof Error ? err.message : String(err)})`;
  }
}

function specFor(port: number, run: PlannedRun): RunSpec {
  return {
    port,
    test: run.test,
    clients: RB_CLIENTS,
    keyspace: RB_KEYSPACE,
    pipeline: run.pipeline,
  };
}

/** The redis-benchmark part: its Markdown lines. Records load averages in `loads` as it goes. */
async function redisBenchmarkPart(loads: [string, string][]): Promise<string[]> {
  const measured: Measured[] = [];
  const notes: string[] = [];
  let redraftKeys: string | undefined;
  let redisKeys: string | undefined;
  let roles = '';

  const cluster = await TestCluster.start({
    name: 'bench-redis-benchmark',
    tickMs: TICK_MS,
    electionTicks: ELECTION_TICKS,
    nodeFlags: memberNodeFlags(),
  });
  let keep = false;
  try {
    const leader = await cluster.waitForLeader(20_000);
    const follower = cluster.members.find((m) => m !== leader)!;
    roles = `leader node ${leader.id}, follower rows against node ${follower.id}`;
    // All three members: a follower's share of the work (appending, fsync, applying) is part of
    // what a write costs.
    const pids = cluster.members.map((m) => m.pid);
    for (const run of PLAN) {
      const member = run.follower ? follower : leader;
      if (run.test === 'get' && redraftKeys === undefined)
        redraftKeys = await dbsize(leader.ports.resp);
      const where = `node ${member.id} (${run.follower ? 'follower' : 'leader'})`;
      measured.push(
        await measureRow('Redraft', run.label, where, specFor(member.ports.resp, run), pids),
      );
    }
    const still = await cluster.waitForLeader(10_000).catch(() => undefined);
    if (still?.id !== leader.id)
      notes.push(
        `Leadership moved from node ${leader.id} to ${still === undefined ? 'nobody' : `node ${still.id}`} during the Redraft runs.`,
      );
    for (const m of cluster.members)
      if (m.unexpectedExits.length > 0)
        notes.push(`Node ${m.id} exited on its own: ${JSON.stringify(m.unexpectedExits)}.`);
    // A failed run's member logs are the first thing anyone will want to read.
    keep = notes.length > 0 || measured.some((m) => m.result instanceof Error);
  } catch (err) {
    keep = true;
    throw err;
  } finally {
    await cluster.stop({ keep });
  }
  loads.push(['after the Redraft redis-benchmark runs', loadAverage()]);

  const redis = await startRedisServer();
  const redisArgs = redis.args.map((a) => (a === '' ? "''" : a)).join(' ');
  const redisConfig = [...redis.config].map(([k, v]) => `${k}=${v === '' ? "''" : v}`).join(', ');
  try {
    for (const run of PLAN) {
      if (run.follower) continue;
      if (run.test === 'get' && redisKeys === undefined) redisKeys = await dbsize(redis.port);
      measured.push(
        await measureRow(
          'redis-server',
          run.label,
          `port ${redis.port}`,
          specFor(redis.port, run),
          [redis.pid],
        ),
      );
    }
  } finally {
    await redis.stop();
  }
  loads.push(['after the redis-server runs', loadAverage()]);

  const find = (system: string, label: string): SizedResult | Error | undefined =>
    measured.find((m) => m.system === system && m.label === label)?.result;
  const rows: ComparisonRow[] = PLAN.map((run) => {
    const base = run.label.replace(' (follower)', '');
    return {
      label: run.label,
      redraft: find('Redraft', run.label),
      redis: find('redis-server', base),
      reference: run.follower ? undefined : REFERENCE[base],
      target: run.follower ? undefined : TARGET[base],
    };
  });
  const pipelined = `-P ${RB_PIPELINE}`;
  return [
    '## redis-benchmark: Redraft against redis-server with appendfsync always',
    '',
    `\`redis-benchmark -t set|get -c ${RB_CLIENTS} -r ${RB_KEYSPACE} [${pipelined}]\` against a ` +
      `3-node Redraft cluster (fsync on) and against one \`redis-server\` that fsyncs its ` +
      `append-only file before every reply: both acknowledge a write only once it is on disk.`,
    '',
    ...comparisonTable(rows),
    '',
    '- Redraft / redis above 1 means Redraft is faster.',
    '- Follower rows: GET sent to a follower, which serves a linearizable read after a ' +
      'ReadIndex round with the leader; they are compared with redis-server GET at the same ' +
      'pipelining. The issue gives no RedisRaft figure or target for them.',
    '- The RedisRaft figures and the targets come from the issue and were measured on another ' +
      'machine; the redis-server column, measured in the same run as Redraft, is the ' +
      'like-for-like yardstick.',
    '',
    '### Every measured run',
    '',
    ...detailTable(measured),
    '',
    'Server CPU µs/op: CPU time of all three Redraft members together (or of redis-server) ' +
      'during the run, divided by its requests; it depends far less on the neighbours than ops/s.',
    '',
    '### Settings',
    '',
    `- Redraft: a fresh cluster of 3 \`redraft server\` processes on 127.0.0.1 (not the ` +
      `ioredis part's), fsync on, tick ${TICK_MS} ms, election ${ELECTION_TICKS} ticks, and ` +
      `the defaults for the rest: heartbeat every tick, a snapshot every 10,000 entries, ` +
      `linearizable reads (ReadIndex), followers forward writes, log level info; ${roles}.`,
    `- redis-server ${redis.version}: \`${redisArgs}\`; CONFIG GET says ${redisConfig}.`,
    `- redis-benchmark: ${RB_CLIENTS} connections, random keys \`key:__rand_int__\` over ` +
      `${RB_KEYSPACE.toLocaleString('en-US')}, 3-byte values (the default -d), one client ` +
      `thread, \`--csv\`; without pipelining and with ${pipelined}. \`-n\` is chosen per run ` +
      `so that it lasts about ${rbSeconds} s (REDRAFT_BENCH_RB_SECONDS), from one or two ` +
      `short probe runs just before it that also serve as warm-up; a run that comes out ` +
      `shorter than half that is repeated once.`,
    `- Order: ${PLAN.map((r) => r.label).join(', ')} on Redraft, then the same without the ` +
      `follower rows on redis-server; the SETs come first so the GETs find keys. Keys when the ` +
      `GETs started: Redraft ${redraftKeys ?? 'not measured'}, redis-server ${redisKeys ?? 'not measured'}.`,
    '- redis-benchmark runs on the same machine and competes for the same cores: with three ' +
      'Redraft members that is four busy processes, against two for redis-server.',
    ...(notes.length === 0 ? [] : ['', ...notes.map((n) => `**${n}**`)]),
  ];
}

/** `git describe` of the tree measured, so a report can be matched to the code. */
function revision(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], {
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      timeout: 5000,
    }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      'write-report': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const only = values.only ?? process.env.REDRAFT_BENCH_ONLY ?? '';
  if (only !== '' && only !== 'ioredis' && only !== 'redis-benchmark')
    throw new Error(`--only takes ioredis or redis-benchmark, not ${JSON.stringify(only)}`);

  const facts = machineFacts();
  const startedAt = new Date();
  const loads: [string, string][] = [['before the run', loadAverage()]];
  const sections: string[][] = [];
  // A part that fails is reported as such and the other still runs: its figures stay useful.
  const part = async (name: string, run: () => Promise<string[]>): Promise<boolean> => {
    try {
      sections.push(await run());
      return true;
    } catch (err) {
      const msg = err instanceof Error ? (err.stack ?? err.message) : String(err);
      process.stderr.write(`bench: the ${name} part failed: ${msg}\n`);
      sections.push([`## ${name}`, '', `Failed: ${msg.split('\n')[0]!}`]);
      return false;
    }
  };
  let ok = true;
  if (only !== 'ioredis')
    ok = (await part('redis-benchmark', () => redisBenchmarkPart(loads))) && ok;
  if (only !== 'redis-benchmark') {
    ok = (await part('ioredis', ioredisPart)) && ok;
    loads.push(['after the ioredis runs', loadAverage()]);
  }

  const args = process.argv.slice(2).join(' ');
  const benchEnv = Object.entries(process.env)
    .filter(([k]) => k.startsWith('REDRAFT_BENCH_'))
    .map(([k, v]) => `${k}=${v ?? ''}`)
    .join(' ');
  const report = [
    '# Redraft benchmarks',
    '',
    `Measured ${startedAt.toISOString()} at ${revision()} with \`npm run bench${args === '' ? '' : ` -- ${args}`}\` ` +
      '(bench/cluster.ts). Every figure depends on the machine and on what else runs on it: ' +
      'compare figures from one run, not across runs.',
    '',
    `- Machine: ${facts.cores} cores, ${facts.model}, Linux ${facts.kernel}`,
    `- Load average (1, 5, 15 min): ${loads.map(([when, l]) => `${when} ${l}`).join('; ')}`,
    `- Node ${facts.node}; ${facts.redisServer}; ${facts.redisBenchmark}`,
    `- Data directories under ${facts.tmpDir}, on ${facts.tmpFileSystem}; fsync there: ${facts.fsync}`,
    `- Benchmark environment: ${benchEnv === '' ? 'no `REDRAFT_BENCH_*` variables set (defaults)' : benchEnv}`,
    '',
    ...sections.flatMap((s) => [...s, '']),
  ];
  const file = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));
  // Formatted as `npm run lint` wants the file, so a written report passes `prettier --check`.
  const text = await format(report.join('\n'), {
    ...(await resolveConfig(file)),
    filepath: file,
  });
  console.log(`\n${text}`);
  if (values['write-report']) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    process.stderr.write(`bench: report written to ${file}\n`);
  }
  if (!ok) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});

/**
 * End-to-end write throughput of a real 3-node cluster on loopback: three `redraft server`
 * processes (fsync on, default ticks) with temporary data directories on free ports, driven by
 * ioredis clients against the leader. Each client sends its next SET when the previous one is
 * answered (no pipelining), so concurrency is the number of clients. Reports SET/s and p50/p99
 * latency as a Markdown table, then stops the cluster. Not a test: `npm run bench`.
 *
 *   REDRAFT_BENCH_SECONDS        length of each measurement (default 10), after 1 s of warm-up
 *   REDRAFT_BENCH_CLIENTS        comma-separated client counts (default 1,64)
 *   REDRAFT_BENCH_VALUE_BYTES    value size (default 64)
 *   REDRAFT_BENCH_PROFILE=1      run the members under `node --cpu-prof` and print the leader's
 *                                top frames by self time (profiles are kept, paths printed)
 *   REDRAFT_BENCH_NODE_FLAGS     any other flags for the members' `node`
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { TestCluster, type Member } from '../test/e2e/harness/index.js';

const seconds = Number(process.env.REDRAFT_BENCH_SECONDS ?? 10);
const clientCounts = (process.env.REDRAFT_BENCH_CLIENTS ?? '1,64').split(',').map(Number);
const valueBytes = Number(process.env.REDRAFT_BENCH_VALUE_BYTES ?? 64);
const profile = process.env.REDRAFT_BENCH_PROFILE === '1';
const KEYS_PER_CLIENT = 10_000;

/**
 * CPU time (user + system) a process has used, in ms, from /proc (Linux; undefined elsewhere).
 * On a shared or small machine throughput says as much about the neighbours as about us; CPU
 * per operation does not.
 */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux configuration Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

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

async function main(): Promise<void> {
  const nodeFlags = (process.env.REDRAFT_BENCH_NODE_FLAGS ?? '')
    .split(/\s+/)
    .filter((s) => s !== '');
  // Every member gets the same flags; their profiles are told apart by pid.
  const profileDir = profile ? mkdtempSync(join(tmpdir(), 'redraft-bench-profiles-')) : '';
  if (profile) nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
  const cluster = await TestCluster.start({
    name: 'bench',
    tickMs: 100,
    electionTicks: 10,
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
    if (still.id !== leader.id)
      process.stderr.write(`bench: leadership moved to node ${still.id} during the run\n`);

    console.log(
      `\nredraft ${cluster.members.length}-node cluster on loopback, fsync on, tick ${cluster.tickMs} ms, ` +
        `SET of ${valueBytes}-byte values, one request in flight per client\n`,
    );
    console.log(
      '| clients | SET/s | p50 ms | p99 ms | max ms | ops | errors | CPU µs/SET leader | followers | client |',
    );
    console.log(
      '|--------:|------:|-------:|-------:|-------:|----:|-------:|------------------:|----------:|-------:|',
    );
    for (const r of results) {
      console.log(
        `| ${r.clients} | ${Math.round(r.ops / r.seconds).toLocaleString('en-US')} | ${r.p50.toFixed(2)} | ` +
          `${r.p99.toFixed(2)} | ${r.max.toFixed(1)} | ${r.ops} | ${r.errors} | ` +
          `${r.cpuLeaderUs.toFixed(0)} | ${r.cpuFollowersUs.toFixed(0)} | ${r.cpuClientUs.toFixed(0)} |`,
      );
    }
    const load = loadavg()[0] ?? 0;
    console.log(`\n${cpus().length} CPUs, load average ${load.toFixed(1)} at the end of the run`);

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
        console.log(
          `\nleader (node ${leader.id}) CPU profile, top frames by self time (% of busy time): ${join(profileDir, file)}\n`,
        );
        for (const line of topFrames(join(profileDir, file), 25)) console.log(`    ${line}`);
      }
    }
  } catch (err) {
    keep = true;
    throw err;
  } finally {
    await cluster.stop({ keep });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});

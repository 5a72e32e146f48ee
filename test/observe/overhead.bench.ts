/**
 * What metrics cost: a 3-member in-process cluster with and without the observers, driven by
 * redis-benchmark (a separate process, so this process's CPU time is the members' alone).
 * Rounds alternate between the two so that a shared, noisy machine affects both alike.
 * Reports requests per second and this process's CPU microseconds per request.
 *
 *   npx tsc -p . && node dist/test/observe/overhead.bench.js [rounds] [requests]
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { InProcessCluster } from './in-process-cluster.js';

const rounds = Number(process.argv[2] ?? 3);
const requests = Number(process.argv[3] ?? 100_000);

interface Run {
  readonly observed: boolean;
  readonly test: string;
  readonly rps: number;
  readonly cpuMicrosPerRequest: number;
}

async function bench(observed: boolean): Promise<Run[]> {
  const cluster = await InProcessCluster.start(3, { observe: observed });
  try {
    const leader = await cluster.waitForLeader();
    const runs: Run[] = [];
    for (const test of ['set', 'get']) {
      const cpu = process.cpuUsage();
      const { stdout } = await promisify(execFile)('redis-benchmark', [
        '-p',
        String(leader.respPort),
        '-t',
        test,
        '-n',
        String(requests),
        '-c',
        '50',
        '-P',
        '16',
        '-r',
        '10000',
        '--csv',
      ]);
      const used = process.cpuUsage(cpu);
      const row = stdout.trim().split('\n').at(-1)!.split(',');
      runs.push({
        observed,
        test,
        rps: Number(JSON.parse(row[1]!)),
        cpuMicrosPerRequest: (used.user + used.system) / requests,
      });
    }
    return runs;
  } finally {
    await cluster.stop();
  }
}

const all: Run[] = [];
for (let r = 0; r < rounds; r++) {
  for (const observed of r % 2 === 0 ? [false, true] : [true, false]) {
    const runs = await bench(observed);
    for (const run of runs) {
      process.stdout.write(
        `round ${r + 1} ${observed ? 'metrics on ' : 'metrics off'} ${run.test.toUpperCase()}: ${Math.round(run.rps)} req/s, ${run.cpuMicrosPerRequest.toFixed(2)} µs CPU/req\n`,
      );
    }
    all.push(...runs);
  }
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
for (const test of ['set', 'get']) {
  const pick = (observed: boolean, f: (r: Run) => number) =>
    median(all.filter((r) => r.test === test && r.observed === observed).map(f));
  const [offRps, onRps] = [pick(false, (r) => r.rps), pick(true, (r) => r.rps)];
  const [offCpu, onCpu] = [
    pick(false, (r) => r.cpuMicrosPerRequest),
    pick(true, (r) => r.cpuMicrosPerRequest),
  ];
  process.stdout.write(
    `${test.toUpperCase()} median: off ${Math.round(offRps)} req/s ${offCpu.toFixed(2)} µs CPU/req; on ${Math.round(onRps)} req/s ${onCpu.toFixed(2)} µs CPU/req; CPU ${(((onCpu - offCpu) / offCpu) * 100).toFixed(1)}%, throughput ${(((onRps - offRps) / offRps) * 100).toFixed(1)}%\n`,
  );
}

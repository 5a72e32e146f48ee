/**
 * Facts about the machine and its processes that a benchmark figure is meaningless without:
 * cores, CPU model, memory, load, versions, the file system the data directories sit on (fsync on tmpfs costs
 * nothing), and CPU time per process from /proc (Linux; undefined elsewhere).
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  fdatasyncSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** USER_HZ: 100 on every Linux configuration Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system) a process has used, in ms. On a shared or small machine throughput
 * says as much about the neighbours as about us; CPU per operation does not.
 */
export function cpuMs(pid: number | undefined): number | undefined {
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

/** CPU time of all of `pids` together, in ms (NaN if any cannot be read). */
export function totalCpuMs(pids: readonly (number | undefined)[]): number {
  return pids.reduce<number>((sum, pid) => sum + (cpuMs(pid) ?? NaN), 0);
}

/** The 1, 5 and 15 minute load averages, as `uptime` prints them. */
export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
}

/** The first `model name` of /proc/cpuinfo, else what Node reports. */
function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line !== undefined) return line.slice(line.indexOf(':') + 1).trim();
  } catch {
    // Not Linux.
  }
  return cpus()[0]?.model ?? 'unknown';
}

/** The type of the file system holding `path` (the longest mount point that is its prefix). */
function fileSystemOf(path: string): string {
  try {
    let best = { mount: '', type: 'unknown' };
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [, mount, type] = line.split(' ');
      if (mount === undefined || type === undefined) continue;
      const covers = path === mount || path.startsWith(mount.endsWith('/') ? mount : `${mount}/`);
      if (covers && mount.length > best.mount.length) best = { mount, type };
    }
    return `${best.type} (mounted on ${best.mount})`;
  } catch {
    return 'unknown';
  }
}

/** First line of `<cmd> --version`, or why there is none. */
export function versionOf(cmd: string): string {
  try {
    return execFileSync(cmd, ['--version'], { encoding: 'utf8', timeout: 5000 })
      .split('\n')[0]!
      .trim();
  } catch (err) {
    return `unavailable (${err instanceof Error ? err.message.split('\n')[0]! : String(err)})`;
  }
}

/**
 * Median and 99th percentile of 4 KiB append + fdatasync in `dir`, in ms: what every
 * acknowledged write of both systems waits for at least once (Redis and LevelDB both use
 * fdatasync on Linux), so the first thing to know when comparing SET figures across machines.
 */
export function fsyncLatency(dir: string, rounds = 200): string {
  const probeDir = mkdtempSync(join(dir, 'redraft-bench-fsync-'));
  try {
    const fd = openSync(join(probeDir, 'probe'), 'w');
    const block = Buffer.alloc(4096, 1);
    const times: number[] = [];
    try {
      for (let i = 0; i < rounds; i++) {
        const t0 = performance.now();
        writeSync(fd, block);
        fdatasyncSync(fd);
        times.push(performance.now() - t0);
      }
    } finally {
      closeSync(fd);
    }
    times.sort((a, b) => a - b);
    const q = (f: number): string =>
      times[Math.min(times.length - 1, Math.floor(f * times.length))]!.toFixed(3);
    return `p50 ${q(0.5)} ms, p99 ${q(0.99)} ms (${rounds} x 4 KiB write + fdatasync)`;
  } catch (err) {
    return `unknown (${err instanceof Error ? err.message : String(err)})`;
  } finally {
    rmSync(probeDir, { recursive: true, force: true });
  }
}

export interface MachineFacts {
  readonly cores: number;
  readonly model: string;
  readonly kernel: string;
  readonly node: string;
  readonly redisServer: string;
  readonly redisBenchmark: string;
  readonly etcd: string;
  readonly memory: string;
  readonly tmpDir: string;
  readonly tmpFileSystem: string;
  readonly fsync: string;
}

export function machineFacts(): MachineFacts {
  const tmp = tmpdir();
  return {
    cores: cpus().length,
    model: cpuModel(),
    kernel: release(),
    node: process.version,
    redisServer: versionOf('redis-server'),
    redisBenchmark: versionOf('redis-benchmark'),
    etcd: versionOf('etcd'),
    memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GiB of memory`,
    tmpDir: tmp,
    tmpFileSystem: fileSystemOf(tmp),
    fsync: fsyncLatency(tmp),
  };
}

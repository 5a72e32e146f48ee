/**
 * The servers a benchmark starts (redis-server, etcd members) and their temporary directories.
 * Every child started here is killed, and every directory removed, when this process exits,
 * however it exits: a benchmark that fails or is interrupted leaves nothing running.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
let hooked = false;

function cleanUp(): void {
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
  process.on('exit', cleanUp);
  // Without a handler these signals end Node without an 'exit' event; keep their meaning.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanUp();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}

export interface Exited {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface TrackedChild {
  readonly child: ChildProcess;
  /** Resolves once the process has exited and its piped output, if any, is complete. */
  readonly exited: Promise<Exited>;
}

/** Spawns `cmd`, killed at exit if still running. A failure to spawn resolves `exited`. */
export function spawnTracked(
  cmd: string,
  args: readonly string[],
  stdio: StdioOptions,
): TrackedChild {
  installExitHooks();
  const child = spawn(cmd, args, { stdio });
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

/**
 * Stops a tracked child: SIGTERM, then SIGKILL if it has not exited after `graceMs`. Resolves
 * once it has exited.
 */
export async function stopTracked({ child, exited }: TrackedChild, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    await exited;
    return;
  }
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** A temporary directory removed at exit unless {@link removeTempDir} removed it before. */
export function makeTempDir(prefix: string): string {
  installExitHooks();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/** Leaves `dir` in place at exit (a failed run's logs), and says where it is. */
export function keepTempDir(dir: string, what: string): void {
  dirs.delete(dir);
  process.stderr.write(`bench: ${what} kept in ${dir}\n`);
}

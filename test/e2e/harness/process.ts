import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The compiled CLI, found relative to this compiled file (dist/test/e2e/harness -> dist/cmd). */
export const REDRAFT_SCRIPT = fileURLToPath(new URL('../../../cmd/redraft.js', import.meta.url));

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * Every child process the harness started and that has not exited yet. The 'exit' hook below
 * kills them, so no member outlives the test process even when a test is aborted midway (the
 * per-test hooks normally stop them earlier, and keep the logs).
 */
const children = new Set<ChildProcess>();
let hooked = false;

function killAllChildren(): void {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
  children.clear();
}

function installExitHooks(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllChildren);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllChildren();
      // Installing a handler suppressed the default action; keep its meaning.
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}

/**
 * The environment for a child: the parent's, minus anything that would change how the child
 * behaves behind the test's back (REDRAFT_* settings, the test runner's own variables), plus
 * `extra`.
 */
export function childEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('REDRAFT_') || k.startsWith('NODE_TEST') || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/** Extra flags for `node` itself, e.g. REDRAFT_E2E_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/p". */
export function nodeFlagsFromEnv(): string[] {
  const raw = process.env.REDRAFT_E2E_NODE_FLAGS ?? '';
  return raw.split(/\s+/).filter((s) => s !== '');
}

/** Spawns `node [nodeFlags] redraft.js args`, tracked for the exit hook. */
export function spawnTracked(
  args: readonly string[],
  options: {
    readonly env: NodeJS.ProcessEnv;
    readonly stdio: ['ignore', number | 'pipe', number | 'pipe'];
    readonly nodeFlags?: readonly string[];
  },
): { child: ChildProcess; exited: Promise<ExitStatus> } {
  installExitHooks();
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), REDRAFT_SCRIPT, ...args], {
    env: options.env,
    stdio: options.stdio,
  });
  children.add(child);
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
    child.once('error', () => {
      children.delete(child);
      resolve({ code: null, signal: null });
    });
  });
  return { child, exited };
}

export interface CliResult extends ExitStatus {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI to completion (killed after `timeoutMs`) and captures its output. */
export async function runCli(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
  timeoutMs = 10_000,
): Promise<CliResult> {
  const { child, exited } = spawnTracked(args, {
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // 'close' comes after 'exit' once the pipes are drained: only then is the output complete.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const status = await exited;
  await closed;
  clearTimeout(timer);
  return { ...status, stdout, stderr };
}

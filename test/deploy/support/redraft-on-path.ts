/**
 * The image puts `redraft` on the PATH (Dockerfile: /app/bin/redraft). Tests that run the
 * chart's container commands put one of these directories first on the PATH instead: either
 * this checkout's build, or a stand-in that records how it was called.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REDRAFT_SCRIPT } from '../../e2e/harness/index.js';

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function writeExecutable(path: string, text: string): void {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
}

/** Writes `<dir>/redraft`, which runs this checkout's compiled CLI with this Node. */
export function installRedraftShim(dir: string): void {
  writeExecutable(
    join(dir, 'redraft'),
    `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(REDRAFT_SCRIPT)} "$@"\n`,
  );
}

/** The PATH a container command runs with: `binDir` first, then the system's. */
export function containerPath(binDir: string): string {
  return `${binDir}:/usr/local/bin:/usr/bin:/bin`;
}

export interface Invocation {
  readonly args: readonly string[];
  readonly env: ReadonlyMap<string, string>;
}

/**
 * Runs `argv` (a container's command line) with exactly `env` (plus PATH), where `redraft`
 * only records how `redraft server` was called; returns that. `redraft admin` prints
 * `adminOutput` (a cluster answering), or fails when it is undefined (no cluster answers).
 * Throws if the command fails or never starts the server.
 */
export function captureRedraftInvocation(
  argv: readonly string[],
  env: ReadonlyMap<string, string>,
  adminOutput?: string,
): Invocation {
  const dir = mkdtempSync(join(tmpdir(), 'redraft-capture-'));
  try {
    const admin =
      adminOutput === undefined ? 'exit 1' : `cat ${shellQuote(join(dir, 'admin-output'))}; exit 0`;
    if (adminOutput !== undefined) writeFileSync(join(dir, 'admin-output'), adminOutput);
    writeExecutable(
      join(dir, 'redraft'),
      `#!/bin/sh\nif [ "$1" = admin ]; then ${admin}; fi\nprintf '%s\\0' "$@" > ${shellQuote(join(dir, 'args'))}\nenv -0 > ${shellQuote(join(dir, 'env'))}\n`,
    );
    const r = spawnSync(argv[0]!, argv.slice(1), {
      env: { ...Object.fromEntries(env), PATH: containerPath(dir) },
      encoding: 'utf8',
    });
    if (r.status !== 0)
      throw new Error(`${argv.join(' ')} failed (${String(r.status)}): ${r.stderr}`);
    const split = (file: string): string[] => {
      const text = readFileSync(join(dir, file), 'utf8');
      return text === '' ? [] : text.slice(0, -1).split('\0');
    };
    const captured = new Map<string, string>();
    for (const entry of split('env')) {
      const eq = entry.indexOf('=');
      captured.set(entry.slice(0, eq), entry.slice(eq + 1));
    }
    return { args: split('args'), env: captured };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

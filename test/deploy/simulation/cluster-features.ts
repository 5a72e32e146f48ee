/**
 * Whether this build has what the chart relies on beyond a static cluster: `redraft admin`
 * (the scale-down hook) and `redraft server --join` (pods above the founders). Until both are
 * in, the StatefulSet simulation is skipped with the reason.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts, respCommand, runCli, waitFor } from '../../e2e/harness/index.js';
import { childEnv, spawnTracked } from '../../e2e/harness/process.js';

export async function missingClusterFeatures(): Promise<string | undefined> {
  const admin = await runCli(['admin', '--addr', '127.0.0.1:1', 'members'], {}, 30_000);
  if (/unknown command "admin"/.test(admin.stderr)) return '`redraft admin` is not in this build';

  // A joining node serves RESP while it asks to join; a build without --join refuses to start.
  const [peer, resp, http, grpc, nobody] = await freePorts(5);
  const dir = mkdtempSync(join(tmpdir(), 'redraft-join-probe-'));
  let stderr = '';
  const { child, exited } = spawnTracked(
    [
      'server',
      '--id=2',
      `--join=127.0.0.1:${nobody}`,
      `--data-dir=${dir}`,
      `--peer-addr=127.0.0.1:${peer}`,
      `--resp-addr=127.0.0.1:${resp}`,
      `--http-addr=127.0.0.1:${http}`,
      `--grpc-addr=127.0.0.1:${grpc}`,
    ],
    { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdout?.resume();
  let done = false;
  void exited.then(() => (done = true));
  try {
    const outcome = await waitFor(
      'redraft server --join to start or refuse',
      async () => {
        if (done) return 'exited';
        await respCommand(resp!, ['PING'], 500);
        return 'serving';
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    if (outcome === 'exited' && /--join\)? is not available/.test(stderr)) {
      return '`redraft server --join` is not in this build';
    }
    return undefined;
  } finally {
    child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

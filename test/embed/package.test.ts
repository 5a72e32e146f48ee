/**
 * Redraft works as an installed package: `npm pack` the repository, install the tarball into
 * an empty project, and use the public API from there — from a plain ESM script (a cluster
 * over gRPC with data directories, so the native LevelDB binding and the shipped .proto files
 * are exercised) and from TypeScript (the shipped declarations resolve through the `exports`
 * map and carry the generic command and result types).
 *
 * The install is offline-first (`--prefer-offline`: every dependency is in the local npm
 * cache here). Where npm cannot install at all, the tarball is unpacked into node_modules and
 * the dependencies are linked from this repository's node_modules instead; the package's
 * files and `exports` map are then still what is tested.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { childEnv } from '../e2e/harness/index.js';
import { tempDir } from '../storage/helpers.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(
  command: string,
  args: readonly string[],
  cwd: string,
  timeout = 180_000,
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd, env: childEnv(), timeout, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function ok(result: Run, what: string): string {
  assert.equal(
    result.code,
    0,
    `${what} failed (${String(result.code)}):\n${result.stdout}\n${result.stderr}`,
  );
  return result.stdout;
}

const APP = `
import { startCluster, jsonCodec, NotLeaderError, RedraftError, verifyMembership } from 'redraft';
import { RawNode } from 'redraft/raft';

class Sum {
  total = 0;
  apply(command) { this.total += command.add; return this.total; }
  snapshot() { const total = this.total; return { serialize: () => new TextEncoder().encode(String(total)) }; }
  restore(data) { this.total = Number(new TextDecoder().decode(data)); }
}

const cluster = await startCluster({
  size: 3, stateMachine: () => new Sum(), codec: jsonCodec(), transport: 'grpc', storage: 'disk',
});
const results = [];
try {
  for (const add of [1, 2, 3]) results.push(await cluster.propose({ add }));
  const leader = await cluster.waitForLeader();
  results.push(await leader.read('linearizable', (sum) => sum.total));
} finally {
  await cluster.stop();
}
let deepImport = 'allowed';
try { await import('redraft/dist/src/errors.js'); } catch (err) { deepImport = err.code; }
console.log(JSON.stringify({
  results,
  exported: [typeof RawNode, typeof verifyMembership, NotLeaderError.prototype instanceof RedraftError],
  deepImport,
}));
`;

const TYPED = `
import { startCluster, jsonCodec, type ReplicatedStateMachine, type StateSnapshot } from 'redraft';

type Command = { readonly add: number };

class Sum implements ReplicatedStateMachine<Command, number> {
  total = 0;
  readonly label = 'sum';
  apply(command: Command): number {
    this.total += command.add;
    return this.total;
  }
  snapshot(): StateSnapshot {
    const total = this.total;
    return { serialize: () => new TextEncoder().encode(String(total)) };
  }
  restore(data: Uint8Array): void {
    this.total = Number(new TextDecoder().decode(data));
  }
}

export async function main(): Promise<void> {
  const cluster = await startCluster({ size: 1, stateMachine: () => new Sum(), codec: jsonCodec<Command>() });
  const total: number = await cluster.propose({ add: 1 });
  // @ts-expect-error a command of another shape
  await cluster.propose({ subtract: 1 });
  // @ts-expect-error the result is a number
  const wrong: string = await cluster.propose({ add: 1 });
  const label: string = await cluster.node(1).read('stale', (state) => state.label);
  // @ts-expect-error a codec for other commands than Sum's
  await startCluster({ size: 1, stateMachine: () => new Sum(), codec: jsonCodec<string>() });
  // @ts-expect-error not a consistency level
  await cluster.node(1).read('eventual', (state) => state.total);
  console.log(total, wrong, label);
  await cluster.stop();
}
`;

describe('the packed package', () => {
  let dir = '';
  let cleanup: () => Promise<void> = () => Promise.resolve();
  let app = '';

  before(async () => {
    ({ dir, cleanup } = await tempDir('package'));
    app = join(dir, 'app');
    await mkdir(app);
    await writeFile(
      join(app, 'package.json'),
      JSON.stringify({ name: 'redraft-consumer', version: '1.0.0', private: true, type: 'module' }),
    );
  });

  after(async () => {
    await cleanup();
  });

  it('packs only what users need', async () => {
    // --ignore-scripts: `prepare` would rebuild dist/ under the other tests' feet; the test
    // run built it already.
    const out = ok(
      await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], REPO),
      'npm pack',
    );
    const [info] = JSON.parse(out.slice(out.indexOf('['))) as [
      { filename: string; files: { path: string }[] },
    ];
    const files = info.files.map((f) => f.path);
    for (const needed of [
      'package.json',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/raft/index.js',
      'dist/cmd/redraft.js',
      'proto/raft.proto',
    ]) {
      assert.ok(files.includes(needed), `${needed} is in the package`);
    }
    assert.ok(!files.some((f) => f.startsWith('dist/test/')), 'tests are not shipped');
    await installTarball(join(dir, info.filename), app);
  });

  it('runs a cluster from a plain ESM script and exports only the public entry points', async () => {
    await writeFile(join(app, 'app.mjs'), APP);
    const out = ok(await run(process.execPath, ['app.mjs'], app, 60_000), 'the ESM script');
    assert.deepEqual(JSON.parse(out), {
      results: [1, 3, 6, 6],
      exported: ['function', 'function', true],
      deepImport: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
    });
  });

  it('type-checks TypeScript against the shipped declarations', async () => {
    await writeFile(join(app, 'typed.ts'), TYPED);
    const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
    ok(
      await run(
        process.execPath,
        [
          tsc,
          '--noEmit',
          '--strict',
          '--target',
          'es2022',
          '--module',
          'nodenext',
          '--moduleResolution',
          'nodenext',
          '--skipLibCheck',
          '--typeRoots',
          join(REPO, 'node_modules', '@types'),
          '--types',
          'node',
          'typed.ts',
        ],
        app,
      ),
      'tsc',
    );
  });
});

/** Installs the tarball into `app`: with npm from its cache, or unpacked and linked. */
async function installTarball(tarball: string, app: string): Promise<void> {
  const install = await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball],
    app,
  );
  if (install.code === 0) return;
  process.stderr.write(
    `package test: npm install failed, linking dependencies instead:\n${install.stderr}\n`,
  );
  const target = join(app, 'node_modules', 'redraft');
  await mkdir(target, { recursive: true });
  ok(await run('tar', ['-xzf', tarball, '-C', target, '--strip-components=1'], app), 'tar');
  const manifest = JSON.parse(await readFile(join(target, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  for (const dep of Object.keys(manifest.dependencies)) {
    const link = join(app, 'node_modules', dep);
    await mkdir(join(link, '..'), { recursive: true });
    await symlink(join(REPO, 'node_modules', dep), link, 'dir');
  }
}

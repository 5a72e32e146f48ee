/**
 * The container image (Dockerfile, .dockerignore). No Docker engine runs here, so the build is
 * checked without one: every COPY source exists and reaches the builder, the runtime stage runs
 * as the unprivileged user the chart expects, and a replay of the build's steps on this machine
 * (npm ci, the TypeScript build, pruning to production dependencies) yields an /app whose
 * `redraft` on the PATH starts a member that answers PING, with no development dependency in it.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { freePorts, respCommand, waitFor } from '../e2e/harness/index.js';
import {
  copySourceFiles,
  DockerIgnore,
  parseCopy,
  parseDockerfile,
  replayBuild,
  type ReplayedStage,
} from './support/dockerfile.js';
import { containerPath } from './support/redraft-on-path.js';
import { CHART_DIR, REPO_ROOT } from './support/tools.js';

const stages = parseDockerfile(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
const ignore = new DockerIgnore(readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8'));
const runtime = stages[stages.length - 1]!;
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};

/**
 * The replay installs and compiles everything (a minute or two): it runs under CI, and
 * elsewhere when REDRAFT_TEST_IMAGE_BUILD=1. It chowns as the image build does, so it needs root.
 */
function replaySkipReason(): string | undefined {
  if (process.env.CI !== 'true' && process.env.REDRAFT_TEST_IMAGE_BUILD !== '1') {
    return 'the image build replay runs under CI or with REDRAFT_TEST_IMAGE_BUILD=1';
  }
  if (process.getuid?.() !== 0)
    return 'the image build replay chowns as the image build does: it needs root';
  return undefined;
}

function instructions(keyword: string): string[] {
  return runtime.instructions.filter((i) => i.keyword === keyword).map((i) => i.text);
}

describe('container image', () => {
  it('builds in two stages on a slim Node 20 base, the runtime stage from the build stage only', () => {
    assert.equal(stages.length, 2);
    for (const s of stages) assert.match(s.from, /^node:20-[a-z]+-slim$/);
    const build = stages[0]!;
    assert.ok(build.name !== undefined);
    const fromContext = runtime.instructions
      .filter((i) => i.keyword === 'COPY')
      .map((i) => parseCopy(i.text))
      .filter((c) => c.from === undefined)
      .flatMap((c) => c.sources);
    assert.deepEqual(fromContext.sort(), ['package.json', 'proto']);
  });

  it('every COPY source exists and is sent to the builder; what must stay out does', () => {
    for (const stage of stages) {
      for (const ins of stage.instructions.filter((i) => i.keyword === 'COPY')) {
        const copy = parseCopy(ins.text);
        if (copy.from !== undefined) continue;
        for (const source of copy.sources) {
          assert.ok(
            copySourceFiles(REPO_ROOT, source, ignore).length > 0,
            `line ${ins.line}: ${source}`,
          );
        }
      }
    }
    for (const path of [
      'node_modules/fastify/package.json',
      'dist/cmd/redraft.js',
      'test/deploy/chart.test.ts',
      'data/raft',
      '.git/HEAD',
      'deploy/helm/redraft/values.yaml',
    ]) {
      assert.equal(ignore.includes(path), false, `${path} stays out of the build context`);
    }
    for (const path of [
      'cmd/server.ts',
      'src/raft/index.ts',
      'native/sha256.c',
      'scripts/build-native.mjs',
      'proto/raft.proto',
      'package-lock.json',
    ]) {
      assert.equal(ignore.includes(path), true, `${path} is in the build context`);
    }
  });

  it('runs as the numeric non-root user the chart runs it as, with redraft on the PATH', () => {
    const values = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as {
      podSecurityContext: { runAsUser: number; runAsGroup: number };
    };
    const { runAsUser, runAsGroup } = values.podSecurityContext;
    assert.deepEqual(instructions('USER'), [`${runAsUser}:${runAsGroup}`]);
    assert.ok(instructions('ENV').some((e) => /(^|\s)PATH=\/app\/bin:\$PATH(\s|$)/.test(e)));
    assert.ok(
      instructions('RUN').some((r) => r.includes('ln -s ../dist/cmd/redraft.js bin/redraft')),
    );
  });

  describe('replayed build', { skip: replaySkipReason() }, () => {
    let dir = '';
    let image: ReplayedStage;

    before(
      () => {
        dir = mkdtempSync(join(tmpdir(), 'redraft-image-'));
        image = replayBuild({
          context: REPO_ROOT,
          stages,
          ignore,
          into: dir,
          // From npm's cache when it has the packages (CI ran npm ci just before).
          runEnv: { npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' },
        });
      },
      { timeout: 600_000 },
    );
    after(() => {
      if (dir !== '') rmSync(dir, { recursive: true, force: true });
    });

    it('holds the compiled server, the .proto files and production dependencies only', () => {
      const app = join(image.root, 'app');
      assert.deepEqual(readdirSync(app).sort(), [
        'bin',
        'dist',
        'node_modules',
        'package.json',
        'proto',
      ]);
      assert.deepEqual(readdirSync(join(app, 'dist')).sort(), ['cmd', 'native', 'src']);
      assert.ok(
        existsSync(join(app, 'dist', 'native', 'sha256.node')),
        "the Merkle tree's SHA-256",
      );
      for (const dep of Object.keys(pkg.dependencies)) {
        assert.ok(
          existsSync(join(app, 'node_modules', dep, 'package.json')),
          `${dep} is installed`,
        );
      }
      // What package-lock.json marks dev-only (a development dependency that a production
      // package also needs, like yaml through @fastify/swagger, is not).
      const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { dev?: boolean }>;
      };
      const devOnly = Object.entries(lock.packages)
        .filter(([path, p]) => p.dev === true && /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path))
        .map(([path]) => path);
      assert.ok(devOnly.includes('node_modules/typescript'));
      for (const path of devOnly) {
        assert.equal(existsSync(join(app, path)), false, `${path} is left out`);
      }
      const data = statSync(join(image.root, 'var', 'lib', 'redraft'));
      assert.equal(data.uid, 10001, 'the data directory belongs to the server user');
    });

    it("the image's redraft starts a member that answers PING and stops on SIGTERM", async () => {
      const [peer, resp, http, grpc] = await freePorts(4);
      const bin = join(image.root, 'app', 'bin');
      const help = spawnSync('redraft', ['server', '--help'], {
        env: { ...Object.fromEntries(image.env), PATH: containerPath(bin) },
        encoding: 'utf8',
      });
      assert.equal(help.status, 0, help.stderr);
      assert.match(help.stdout, /usage: redraft server/);
      const child = spawn(
        'redraft',
        [
          'server',
          '--id=1',
          `--initial-cluster=1=127.0.0.1:${peer}`,
          `--peer-addr=127.0.0.1:${peer}`,
          `--resp-addr=127.0.0.1:${resp}`,
          `--http-addr=127.0.0.1:${http}`,
          `--grpc-addr=127.0.0.1:${grpc}`,
        ],
        {
          // The image's environment, with its data directory inside the replayed root.
          env: {
            ...Object.fromEntries(image.env),
            REDRAFT_DATA_DIR: join(image.root, 'var', 'lib', 'redraft'),
            PATH: containerPath(bin),
          },
          stdio: 'ignore',
        },
      );
      const exited = new Promise<number | null>((resolve) =>
        child.once('exit', (code) => resolve(code)),
      );
      try {
        const reply = await waitFor(
          'the member to answer PING',
          () => respCommand(resp!, ['PING'], 1000),
          {
            timeoutMs: 30_000,
            intervalMs: 100,
          },
        );
        assert.deepEqual(reply, { kind: 'simple', value: 'PONG' });
        child.kill('SIGTERM');
        assert.equal(await exited, 0);
      } finally {
        child.kill('SIGKILL');
      }
    });
  });
});

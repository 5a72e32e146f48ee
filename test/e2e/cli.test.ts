import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TestCluster, replyText, runCli } from './harness/index.js';
import { useClusterCleanup } from './harness/hooks.js';

useClusterCleanup();

const PEERS = '1=127.0.0.1:1,2=127.0.0.1:2,3=127.0.0.1:3';

describe('redraft server command line', () => {
  const refused: [string, string[], Record<string, string>, RegExp][] = [
    ['a missing --id', ['server', '--initial-cluster', PEERS], {}, /--id is required/],
    [
      'an --initial-cluster entry without a port',
      ['server', '--id', '1', '--initial-cluster', '1=localhost'],
      {},
      /--initial-cluster.*host:port/,
    ],
    [
      'an --initial-cluster entry that is not id=host:port',
      ['server', '--id', '1', '--initial-cluster', 'one=127.0.0.1:1'],
      {},
      /--initial-cluster entry "one=127.0.0.1:1" is not id=host:port/,
    ],
    [
      'an --initial-cluster without this node',
      ['server', '--id', '4', '--initial-cluster', PEERS],
      {},
      /does not include this node's id 4/,
    ],
    [
      'an unknown flag',
      ['server', '--id', '1', '--initial-cluster', PEERS, '--bogus-flag', 'x'],
      {},
      /bogus-flag/,
    ],
    [
      'a non-numeric --tick-ms',
      ['server', '--id', '1', '--initial-cluster', PEERS, '--tick-ms', 'fast'],
      {},
      /--tick-ms must be a whole number/,
    ],
    [
      'a bad REDRAFT_ELECTION_TICKS',
      ['server', '--id', '1', '--initial-cluster', PEERS],
      { REDRAFT_ELECTION_TICKS: 'ten' },
      /--election-ticks must be a whole number, got "ten"/,
    ],
    // The flag wins over the environment: REDRAFT_ID is valid, --id is not.
    [
      'a bad --id even with a valid REDRAFT_ID',
      ['server', '--id', '0', '--initial-cluster', PEERS],
      { REDRAFT_ID: '1' },
      /--id must be at least 1/,
    ],
    // Settings combine: the id from the environment, the (bad) cluster from a flag.
    [
      'REDRAFT_ID with a bad --initial-cluster',
      ['server', '--initial-cluster', '1=127.0.0.1:99999'],
      { REDRAFT_ID: '1' },
      /must be host:port, got "127.0.0.1:99999"/,
    ],
    ['an unknown command', ['serve'], {}, /unknown command "serve"/],
  ];
  for (const [what, args, env, message] of refused) {
    it(`exits 2 with a clear message on ${what}`, { timeout: 15_000 }, async () => {
      const r = await runCli(args, env);
      assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
      assert.match(r.stderr, /^redraft: /);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '', 'nothing on stdout: no server was started');
    });
  }

  it(
    'exits 1 with a clear message when --data-dir is not a directory',
    { timeout: 15_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'redraft-cli-'));
      try {
        const file = join(dir, 'a-file');
        await writeFile(file, 'not a directory');
        const base = ['server', '--id', '1', '--initial-cluster', '1=127.0.0.1:1'];
        let r = await runCli([...base, '--data-dir', file]);
        assert.equal(r.code, 1, `exit code; stderr: ${r.stderr}`);
        assert.match(
          r.stderr,
          /^redraft: cannot start: --data-dir .*a-file: exists and is not a directory$/m,
        );
        r = await runCli([...base, '--data-dir', join(file, 'below')]);
        assert.equal(r.code, 1, `exit code; stderr: ${r.stderr}`);
        assert.match(
          r.stderr,
          /--data-dir .*below: part of that path is a file, not a directory$/m,
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  it(
    'prints its flags, with their environment variables, for --help',
    { timeout: 15_000 },
    async () => {
      const r = await runCli(['server', '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /--initial-cluster/);
      assert.match(r.stdout, /env REDRAFT_INITIAL_CLUSTER/);
    },
  );

  it(
    "exits 1 when started under another member's id with its data directory",
    { timeout: 30_000 },
    async () => {
      const cluster = await TestCluster.start({ name: 'wrong-id', size: 1 });
      const node = cluster.member(1);
      await cluster.waitForLeader();
      await node.stop('SIGTERM');
      const r = await runCli([
        'server',
        '--id',
        '2',
        '--initial-cluster',
        '2=127.0.0.1:1',
        '--data-dir',
        node.dataDir,
      ]);
      assert.equal(r.code, 1, `exit code; stderr: ${r.stderr}`);
      assert.match(
        r.stderr,
        /^redraft: cannot start: .* holds the log of member 1, not of member 2: check --id and --data-dir/m,
      );
      // Its own member still starts with it.
      node.start();
      await cluster.waitForLeader();
    },
  );

  it(
    'exits 1 when its client port is taken, instead of lingering as a voter',
    { timeout: 30_000 },
    async () => {
      const cluster = await TestCluster.create({ name: 'port-taken', size: 1 });
      const node = cluster.member(1);
      const blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(node.ports.resp, '127.0.0.1', resolve));
      try {
        node.start();
        const exit = await node.waitForExit(15_000);
        assert.deepEqual(exit, { code: 1, signal: null });
        assert.match(node.logText(), /^redraft: cannot start: listen EADDRINUSE.*$/m);
      } finally {
        await new Promise((resolve) => blocker.close(resolve));
      }
      // Once the port is free the same data directory starts normally.
      node.start();
      await cluster.waitForLeader();
      assert.equal(replyText(await node.command(['SET', 'k', 'v'])), 'OK');
    },
  );

  it('takes every setting from REDRAFT_* environment variables', { timeout: 30_000 }, async () => {
    // The member is started with no flag but `server`: id, addresses, cluster, ticks and data
    // directory all come from the environment.
    const cluster = await TestCluster.start({ name: 'env', size: 1, configVia: 'env', tickMs: 20 });
    const node = await cluster.waitForLeader();
    assert.equal(replyText(await node.command(['SET', 'from', 'env'])), 'OK');
    assert.equal(await node.get('from'), 'env');
    const info = await node.info();
    assert.equal(info.get('raft_node_id'), '1');
    assert.equal(info.get('tcp_port'), String(node.ports.resp));
    const opened = node.logLines().find((l) => l.msg === 'log storage opened');
    assert.equal(opened?.dir, `${node.dataDir}/raft`);

    assert.deepEqual(await node.stop('SIGTERM'), { code: 0, signal: null });
    // Restarted from the same environment and directory, the data is still there.
    node.start();
    await cluster.waitForLeader();
    assert.equal(await node.get('from'), 'env');
  });

  it(
    'CONFIG GET reports the --proto-max-bulk-len the member enforces',
    { timeout: 30_000 },
    async () => {
      const cluster = await TestCluster.start({
        name: 'bulk-limit',
        size: 1,
        extraArgs: ['--proto-max-bulk-len', '1024'],
      });
      const node = await cluster.waitForLeader();
      const reply = await node.command(['CONFIG', 'GET', 'proto-max-bulk-len']);
      assert.deepEqual(reply.kind === 'array' ? reply.items.map(replyText) : reply, [
        'proto-max-bulk-len',
        '1024',
      ]);
      assert.equal(replyText(await node.command(['SET', 'k', 'x'.repeat(1024)])), 'OK');
      assert.deepEqual(await node.command(['SET', 'k', 'x'.repeat(1025)]), {
        kind: 'error',
        message: 'ERR Protocol error: invalid bulk length',
      });
    },
  );
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  TestCluster,
  freePorts,
  memberRow,
  replyMap,
  replyText,
  runCli,
  waitForMembership,
} from './harness/index.js';
import { useClusterCleanup } from './harness/hooks.js';

useClusterCleanup();

/** An error reply's text, or a failure naming what came instead. */
function errorText(reply: { kind: string; message?: string }): string {
  assert.equal(reply.kind, 'error', `expected an error reply, got ${JSON.stringify(reply)}`);
  return reply.message ?? '';
}

describe('cluster administration refuses bad requests', () => {
  it(
    'answers malformed and impossible RAFT commands with Redis-style errors, and stays whole',
    { timeout: 120_000 },
    async () => {
      const cluster = await TestCluster.start({ name: 'raft-errors' });
      const leader = await cluster.waitForLeader();
      const follower = cluster.members.find((m) => m !== leader)!;
      const client = await follower.connect();
      try {
        await client.send(['SET', 'precious', 'yes']);
        const peer = '127.0.0.1:1';
        const cases: [string[], RegExp][] = [
          [['RAFT'], /^ERR wrong number of arguments for 'raft' command$/],
          [['RAFT', 'GROW'], /^ERR unknown subcommand 'GROW'\. Try RAFT HELP\.$/],
          [['RAFT', 'PROMOTE'], /^ERR wrong number of arguments for 'raft\|promote' command$/],
          [['RAFT', 'TRANSFER', '1', '2'], /wrong number of arguments for 'raft\|transfer'/],
          [['RAFT', 'STATUS', 'now'], /wrong number of arguments for 'raft\|status'/],
          [['RAFT', 'PROMOTE', 'four'], /^ERR value is not an integer or out of range$/],
          [['RAFT', 'REMOVE', '99999999999999999999'], /not an integer or out of range/],
          [['RAFT', 'PROMOTE', '9'], /^ERR node 9 is not a member of the cluster$/],
          [['RAFT', 'REMOVE', '9'], /^ERR node 9 is not a member of the cluster$/],
          [['RAFT', 'PROMOTE', String(leader.id)], /^ERR node \d is already a voter$/],
          [['RAFT', 'REMOVE', '0'], /^ERR member id must be a positive integer, got 0$/],
          [['RAFT', 'TRANSFER', '-1'], /^ERR transferee id must be a non-negative integer/],
          [
            ['RAFT', 'ADDLEARNER', '4', 'nowhere', peer, peer, peer],
            /^ERR invalid peerAddr "nowhere": expected host:port$/,
          ],
          [
            ['RAFT', 'ADDLEARNER', String(follower.id), '127.0.0.1:2', peer, peer, peer],
            /^ERR node \d is already a voter$/,
          ],
          [['RAFT', 'TRANSFER', '9'], /^ERR node 9 is not a member of the cluster$/],
        ];
        for (const [argv, expected] of cases) {
          assert.match(errorText(await client.send(argv)), expected, argv.join(' '));
        }

        // One change at a time: the second of two pipelined changes is refused, not queued.
        const [a, b] = await Promise.all([
          client.send(['RAFT', 'ADDLEARNER', '4', '127.0.0.1:4', peer, peer, peer]),
          client.send(['RAFT', 'ADDLEARNER', '5', '127.0.0.1:5', peer, peer, peer]),
        ]);
        assert.equal(memberRow(a).id, 4);
        assert.match(errorText(b), /^TRYAGAIN another change is in progress \(add learner 4\)/);
        // Node 4 is not running: promoting it would add a voter the quorum must wait for.
        assert.match(
          errorText(await client.send(['RAFT', 'PROMOTE', '4'])),
          /^TRYAGAIN learner 4 has not caught up with the leader yet/,
        );
        assert.match(
          errorText(await client.send(['RAFT', 'TRANSFER', '4'])),
          /^ERR node 4 is a learner; only a voter can lead$/,
        );
        assert.deepEqual(await client.send(['RAFT', 'REMOVE', '4']), {
          kind: 'simple',
          value: 'OK',
        });

        // Nothing else changed, and the node and its data are fine.
        await waitForMembership(cluster, cluster.members, [1, 2, 3]);
        assert.deepEqual(await client.send(['PING']), { kind: 'simple', value: 'PONG' });
        assert.equal(replyText(await client.send(['GET', 'precious'])), 'yes');
        const status = replyMap(await client.send(['RAFT', 'STATUS']));
        assert.equal(replyText(status.get('role')!), 'follower');
      } finally {
        client.close();
      }

      // The CLI: usage errors exit 2, refusals and unreachable members exit 1, with the reason.
      const usage = await runCli(['admin', 'promote']);
      assert.equal(usage.code, 2);
      assert.match(usage.stderr, /wrong number of arguments for "promote"/);
      assert.match(usage.stderr, /usage: redraft admin/);
      const refused = await runCli(['admin', '--addr', follower.respAddr, 'remove', '9']);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /redraft admin: ERR node 9 is not a member of the cluster/);
      const [closed] = await freePorts(1);
      const unreachable = await runCli(['admin', '--addr', `127.0.0.1:${closed}`, 'status']);
      assert.equal(unreachable.code, 1);
      assert.match(unreachable.stderr, /ECONNREFUSED/);
      const status = await runCli(['admin', '--addr', follower.respAddr, '--json', 'status']);
      assert.equal(status.code, 0, status.stderr);
      const parsed = JSON.parse(status.stdout) as { id: number; leader: number };
      assert.equal(parsed.id, follower.id);
      assert.equal(parsed.leader, leader.id);
    },
  );

  it('refuses to remove the last voter', { timeout: 60_000 }, async () => {
    const cluster = await TestCluster.start({ name: 'last-voter', size: 1 });
    const only = await cluster.waitForLeader();
    const r = await runCli(['admin', '--addr', only.respAddr, 'remove', '1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ERR node 1 is the last voter and cannot be removed/);
    await waitForMembership(cluster, [only], [1]);
  });

  it(
    'a node with an empty data directory cannot join under the id of a voter',
    { timeout: 60_000 },
    async () => {
      const cluster = await TestCluster.start({ name: 'join-taken-id' });
      const leader = await cluster.waitForLeader();
      const dir = mkdtempSync(join(tmpdir(), 'redraft-e2e-join-taken-'));
      try {
        const [peer, resp, http, grpc] = await freePorts(4);
        const r = await runCli(
          [
            'server',
            '--id',
            '2',
            '--data-dir',
            dir,
            '--peer-addr',
            `127.0.0.1:${peer}`,
            '--resp-addr',
            `127.0.0.1:${resp}`,
            '--http-addr',
            `127.0.0.1:${http}`,
            '--grpc-addr',
            `127.0.0.1:${grpc}`,
            '--join',
            leader.respAddr,
          ],
          {},
          30_000,
        );
        assert.equal(r.code, 1, r.stderr);
        assert.match(
          r.stderr,
          /cannot join the cluster through .*: node 2 is already a voter and has stored entries; if its data directory was lost, remove it first/,
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      await waitForMembership(cluster, cluster.members, [1, 2, 3]);
    },
  );
});

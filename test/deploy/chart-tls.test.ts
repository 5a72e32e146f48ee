/**
 * The TLS material the chart generates (tls.enabled without an existing Secret), used by real
 * members exactly as the chart configures them: the REDRAFT_*TLS* settings of the rendered
 * container, pointing at the Secret's files. Members reach each other over mutual TLS, serve
 * clients over TLS only, and a follower forwards a write to the leader over TLS, trusting the
 * CA that tls.crt carries after the member certificate; the scale-down hook's `redraft admin`
 * reaches them with the Job's TLS settings. (The certificate names 127.0.0.1 too, which lets
 * members on loopback check each other.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { runCli, TestCluster, waitFor, type Member } from '../e2e/harness/index.js';
import { useClusterCleanup } from '../e2e/harness/hooks.js';
import { renderChart } from './support/helm.js';
import {
  container,
  findOne,
  type Job,
  type Secret,
  type StatefulSet,
} from './support/manifests.js';
import { findHelm, missingToolsOutcome, readToolVersions } from './support/tools.js';

useClusterCleanup();

const helm = findHelm();
const skip = missingToolsOutcome(helm);
const kubeVersion = (readToolVersions().get('KUBERNETES_VERSIONS') ?? 'v1.36.3')
  .split(/\s+/)
  .pop()!
  .replace(/^v/, '');
const PASSWORD = 'chart password';

function client(member: Member, ca: string): Redis {
  const c = new Redis({
    host: '127.0.0.1',
    port: member.ports.resp,
    tls: { ca },
    password: PASSWORD,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // Refused connections while the members start are expected; connect() rejects for them.
  c.on('error', () => undefined);
  return c;
}

describe('TLS material the chart generates', { skip }, () => {
  it(
    'serves members and clients: mutual TLS between members, TLS clients, forwarding over TLS',
    { timeout: 120_000 },
    async () => {
      const objects = await renderChart(helm.ok ? helm.value : '', {
        values: { tls: { enabled: true }, auth: { enabled: true, password: PASSWORD } },
        kubeVersion,
        release: 'db',
        namespace: 'prod',
      });
      const secret = findOne(objects, 'Secret', 'db-redraft-tls') as Secret;
      const sts = findOne(objects, 'StatefulSet', 'db-redraft') as StatefulSet;
      const server = container(sts.spec.template.spec, 'redraft');
      const mount = server.volumeMounts?.find((m) => m.name === 'tls')?.mountPath;
      assert.ok(mount !== undefined);
      const dir = mkdtempSync(join(tmpdir(), 'redraft-chart-tls-'));
      try {
        for (const [key, data] of Object.entries(secret.data ?? {})) {
          writeFileSync(join(dir, key), Buffer.from(data, 'base64'));
        }
        // The chart's TLS settings, as flags, with the Secret's mount path mapped to `dir`.
        const tlsFlags = (server.env ?? [])
          .filter((e) => /^REDRAFT_(PEER_)?TLS_/.test(e.name))
          .flatMap((e) => [
            `--${e.name.slice('REDRAFT_'.length).toLowerCase().replace(/_/g, '-')}`,
            (e.value ?? '').replace(mount, dir),
          ]);
        assert.deepEqual(
          tlsFlags.filter((f) => f.startsWith('--')),
          ['--tls-cert', '--tls-key', '--peer-tls-cert', '--peer-tls-key', '--peer-tls-ca'],
        );
        const cluster = await TestCluster.start({
          name: 'chart-tls',
          extraArgs: [...tlsFlags, '--requirepass', PASSWORD],
        });
        const ca = Buffer.from(secret.data!['ca.crt']!, 'base64').toString('utf8');
        // Every member names the same leader: Raft traffic flows over mutual TLS.
        const leader = await waitFor(
          'one leader named by every member, over TLS',
          async () => {
            const ids = await Promise.all(
              cluster.members.map(async (m) => {
                const c = client(m, ca);
                try {
                  await c.connect();
                  const info = await c.info('raft');
                  return Number(/^raft_leader_id:(\d+)/m.exec(info)?.[1] ?? 0);
                } finally {
                  c.disconnect();
                }
              }),
            );
            if (ids[0] === 0 || ids.some((id) => id !== ids[0])) throw new Error(ids.join(','));
            return cluster.member(ids[0]!);
          },
          { timeoutMs: 30_000, intervalMs: 100 },
        );
        const follower = cluster.members.find((m) => m !== leader)!;
        const viaFollower = client(follower, ca);
        try {
          await viaFollower.connect();
          // The follower forwards the write to the leader over TLS.
          await waitFor(
            'a write through a follower',
            async () => {
              assert.equal(await viaFollower.set('chart-tls', 'forwarded'), 'OK');
              return true;
            },
            { timeoutMs: 30_000, intervalMs: 100 },
          );
        } finally {
          viaFollower.disconnect();
        }
        for (const m of cluster.members) {
          const c = client(m, ca);
          try {
            await c.connect();
            assert.equal(await c.get('chart-tls'), 'forwarded');
          } finally {
            c.disconnect();
          }
        }
        // The scale-down hook's `redraft admin`, with the Job's TLS settings, reaches them.
        const job = findOne(objects, 'Job', 'db-redraft-scale-down') as Job;
        const hook = container(job.spec.template.spec, 'remove-members');
        const hookTls = (hook.env ?? [])
          .filter((e) => e.name.startsWith('REDRAFT_TLS_') && e.value !== undefined)
          .map((e): [string, string] => [e.name, (e.value ?? '').replace(mount, dir)]);
        assert.deepEqual(
          hookTls.map(([name]) => name),
          ['REDRAFT_TLS_CA'],
        );
        const members = await runCli(
          ['admin', `--addr=127.0.0.1:${leader.ports.resp}`, 'members'],
          { ...Object.fromEntries(hookTls), REDRAFT_REQUIREPASS: PASSWORD },
        );
        assert.equal(members.code, 0, members.stderr);
        for (const id of [1, 2, 3])
          assert.match(members.stdout, new RegExp(`^${id}\\s+voter`, 'm'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

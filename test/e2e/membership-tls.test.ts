/**
 * Cluster administration when the RESP ports speak TLS, require client certificates and a
 * password: a node joins (its join request, and the follower's hand-over to the leader, go
 * over TLS with the password), and `redraft admin` works with TLS flags or with the same
 * environment variables as the server, and is refused without them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AdminClient, replyValue } from '../../src/resp/admin-client.js';
import { CertDirectory, opensslAvailable, type IssuedCert } from '../security/certs.js';
import { TestCluster, runCli, type Member } from './harness/index.js';
import { useClusterCleanup } from './harness/hooks.js';

useClusterCleanup();

const skip = opensslAvailable() ? false : 'the openssl command is not installed';
const PASSWORD = 'the members share this';

describe('membership changes over TLS with a password', { skip }, () => {
  let certs: CertDirectory;
  let ca: IssuedCert;
  let member: IssuedCert;
  before(() => {
    certs = new CertDirectory();
    const authority = certs.authority('cluster-ca');
    ca = authority;
    member = authority.issue('member');
  });
  after(() => {
    certs.remove();
  });

  /** `RAFT <sub>` through `m` over TLS, as plain data. */
  async function raft(m: Member, sub: string): Promise<unknown> {
    const client = await AdminClient.connect(m.respAddr, {
      password: PASSWORD,
      timeoutMs: 2000,
      tls: { ca: ca.cert, cert: member.cert, key: member.key },
    });
    try {
      return replyValue(await client.command(['RAFT', sub]));
    } finally {
      client.close();
    }
  }

  async function voters(m: Member): Promise<number[]> {
    const rows = (await raft(m, 'MEMBERS')) as { id: number; role: string }[];
    return rows.filter((r) => r.role === 'voter').map((r) => r.id);
  }

  it('joins a node and changes the membership over TLS', { timeout: 120_000 }, async () => {
    const cluster = await TestCluster.start({
      name: 'membership-tls',
      extraArgs: [
        '--tls-cert',
        member.certFile,
        '--tls-key',
        member.keyFile,
        '--tls-ca',
        ca.certFile,
        '--requirepass',
        PASSWORD,
      ],
    });
    const leader = await cluster.waitFor(
      'a leader (over TLS)',
      async () => {
        const status = (await raft(cluster.member(1), 'STATUS')) as { leader: number };
        if (status.leader === 0) throw new Error('no leader yet');
        return cluster.member(status.leader);
      },
      20_000,
      50,
    );
    const follower = cluster.members.find((m) => m !== leader)!;

    // The joining node asks a follower, which hands the request to the leader.
    await cluster.addMember(follower.respAddr);
    await cluster.waitFor(
      'node 4 to be promoted',
      async () => ((await voters(leader)).includes(4) ? true : undefined),
      30_000,
      100,
    );

    const flags = [
      '--password',
      PASSWORD,
      '--tls-ca',
      ca.certFile,
      '--tls-cert',
      member.certFile,
      '--tls-key',
      member.keyFile,
    ];
    const removed = await runCli(['admin', '--addr', follower.respAddr, ...flags, 'remove', '4']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /node 4 was removed/);

    // The same settings from the environment a member runs with (e.g. a pod's preStop hook).
    const env = {
      REDRAFT_REQUIREPASS: PASSWORD,
      REDRAFT_TLS_CA: ca.certFile,
      REDRAFT_TLS_CERT: member.certFile,
      REDRAFT_TLS_KEY: member.keyFile,
    };
    const listed = await runCli(['admin', '--addr', follower.respAddr, '--json', 'members'], env);
    assert.equal(listed.code, 0, listed.stderr);
    const rows = JSON.parse(listed.stdout) as { id: number; role: string }[];
    assert.deepEqual(
      rows.map((r) => [r.id, r.role]),
      [
        [1, 'voter'],
        [2, 'voter'],
        [3, 'voter'],
      ],
    );

    // Without TLS, or without the password, the member refuses.
    const plain = await runCli(['admin', '--addr', follower.respAddr, 'status']);
    assert.equal(plain.code, 1);
    const noPassword = await runCli(['admin', '--addr', follower.respAddr, 'status'], {
      ...env,
      REDRAFT_REQUIREPASS: 'wrong',
    });
    assert.equal(noPassword.code, 1);
    assert.match(noPassword.stderr, /WRONGPASS/);
  });
});

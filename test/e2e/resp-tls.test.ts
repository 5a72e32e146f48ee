/**
 * TLS and AUTH on the RESP port of real members: a plain-text client is refused, clients with
 * the right CA (ioredis, redis-cli) work, a follower forwards writes to the leader over TLS,
 * client certificates are required once a client CA is set, and a password is required and
 * checked (AUTH and HELLO AUTH) when one is configured.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Redis, type RedisOptions } from 'ioredis';
import { CertDirectory, opensslAvailable, type CertAuthority } from '../security/certs.js';
import { TestCluster, freePorts, runCli, type Member } from './harness/index.js';
import { useClusterCleanup } from './harness/hooks.js';

useClusterCleanup();

const skip = opensslAvailable() ? false : 'the openssl command is not installed';
const PASSWORD = 'correct horse battery staple';

/** A client that reports a failed connection instead of retrying it. */
async function tlsClient(member: Member, options: RedisOptions): Promise<Redis> {
  const client = new Redis({
    host: '127.0.0.1',
    port: member.ports.resp,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    ...options,
  });
  // ioredis reports why a connection failed only as an event; connect() just says "closed".
  let cause: Error | undefined;
  client.on('error', (err: Error) => {
    cause ??= err;
  });
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    throw new Error(`cannot connect: ${(cause ?? (err as Error)).message}`);
  }
  return client;
}

function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)\\r?$`, 'm').exec(info)?.[1]?.trim();
}

/**
 * Waits, over TLS, until every member names the same leader and knows its address; returns
 * the leader. (The harness's own wait speaks plain RESP.)
 */
async function waitForTlsLeader(cluster: TestCluster, options: RedisOptions): Promise<Member> {
  return cluster.waitFor(
    'a leader known by every member (over TLS)',
    async () => {
      const leaders = await Promise.all(
        cluster.members.map(async (m) => {
          const client = await tlsClient(m, options);
          try {
            const info = await client.info('raft');
            const leader = Number(infoField(info, 'raft_leader_id'));
            const members = infoField(info, 'raft_members') ?? '';
            if (leader === 0 || !members.includes(`${leader}@`)) throw new Error('no leader yet');
            return leader;
          } finally {
            client.disconnect();
          }
        }),
      );
      if (leaders.some((l) => l !== leaders[0])) throw new Error(`leaders ${leaders.join(',')}`);
      return cluster.member(leaders[0]!);
    },
    20_000,
    50,
  );
}

/** What a plain TCP client gets from a TLS port when it speaks RESP: no RESP reply, a close. */
function plainTextAttempt(port: number): Promise<{ received: Buffer; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the TLS port neither answered nor closed a plain-text client'));
    }, 15_000);
    socket.on('connect', () => {
      socket.write('*1\r\n$4\r\nPING\r\n');
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ received: Buffer.concat(chunks), closed: true });
    });
  });
}

describe('RESP over TLS', { skip }, () => {
  let certs: CertDirectory;
  let clusterCa: CertAuthority;
  before(() => {
    certs = new CertDirectory();
    clusterCa = certs.authority('cluster-ca');
  });
  after(() => {
    certs.remove();
  });

  it(
    'serves TLS only, forwards over TLS, and requires the password (self-signed certificate)',
    { timeout: 60_000 },
    async () => {
      // One self-signed certificate shared by every member, no client CA: followers trust it
      // as their own to reach the leader.
      const shared = certs.selfSigned('members');
      const cluster = await TestCluster.start({
        name: 'resp-tls',
        extraArgs: [
          '--tls-cert',
          shared.certFile,
          '--tls-key',
          shared.keyFile,
          '--requirepass',
          PASSWORD,
        ],
      });
      const tls = { ca: shared.cert };
      const leader = await waitForTlsLeader(cluster, { tls, password: PASSWORD });
      const followers = cluster.members.filter((m) => m !== leader);

      const plain = await plainTextAttempt(leader.ports.resp);
      assert.equal(plain.closed, true);
      assert.ok(
        !/^[+\-:$*]/.test(plain.received.toString('latin1')),
        `a RESP reply over plain text: ${JSON.stringify(plain.received.toString('latin1'))}`,
      );

      // A write through a follower reaches the leader over the follower's TLS connection.
      const viaFollower = await tlsClient(followers[0]!, { tls, password: PASSWORD });
      try {
        assert.equal(await viaFollower.set('tls:key', 'through a follower'), 'OK');
      } finally {
        viaFollower.disconnect();
      }
      const reader = await tlsClient(followers[1]!, { tls, password: PASSWORD });
      try {
        assert.equal(await reader.get('tls:key'), 'through a follower');
      } finally {
        reader.disconnect();
      }

      // Without the password: NOAUTH; a wrong one: WRONGPASS; HELLO AUTH logs in.
      // (ioredis's ready check would run INFO before any AUTH and give up on NOAUTH.)
      const anonymous = await tlsClient(leader, { tls, enableReadyCheck: false });
      try {
        await assert.rejects(
          anonymous.get('tls:key'),
          /^ReplyError: NOAUTH Authentication required/,
        );
        await assert.rejects(anonymous.set('tls:key', 'no'), /NOAUTH/);
        await assert.rejects(anonymous.call('AUTH', 'guess'), /^ReplyError: WRONGPASS/);
        await assert.rejects(anonymous.call('HELLO', '3', 'AUTH', 'default', 'guess'), /WRONGPASS/);
        await assert.rejects(anonymous.get('tls:key'), /NOAUTH/);
        const hello = (await anonymous.call(
          'HELLO',
          '2',
          'AUTH',
          'default',
          PASSWORD,
        )) as unknown[];
        assert.ok(hello.includes('proto'));
        assert.equal(await anonymous.get('tls:key'), 'through a follower');
      } finally {
        anonymous.disconnect();
      }

      // A client that trusts another CA does not accept the members' certificate.
      await assert.rejects(
        tlsClient(leader, { tls: { ca: clusterCa.cert }, password: PASSWORD }),
        /self[- ]signed|unable to verify|certificate/i,
      );

      // redis-cli, a client no one here wrote, with the CA file.
      const cli = await promisify(execFile)('redis-cli', [
        '--tls',
        '--cacert',
        shared.certFile,
        '-h',
        '127.0.0.1',
        '-p',
        String(followers[0]!.ports.resp),
        '--user',
        'default',
        '--pass',
        PASSWORD,
        '--no-auth-warning',
        'GET',
        'tls:key',
      ]).catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      });
      if (cli !== undefined) assert.equal(cli.stdout.trim(), 'through a follower');
      await cluster.stop();
    },
  );

  it('will not start with a TLS file it cannot use, and says which', async () => {
    const [peer, resp] = await freePorts(2);
    const dataDir = certs.file('unused', '');
    const leaf = clusterCa.issue('start-check');
    const start = (tlsArgs: string[]) =>
      runCli([
        'server',
        '--id',
        '1',
        '--initial-cluster',
        `1=127.0.0.1:${peer!}`,
        '--peer-addr',
        `127.0.0.1:${peer!}`,
        '--resp-addr',
        `127.0.0.1:${resp!}`,
        '--data-dir',
        `${dataDir}.d`,
        ...tlsArgs,
      ]);
    const missing = await start(['--tls-cert', '/no/such.pem', '--tls-key', leaf.keyFile]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot start: cannot read --tls-cert file \/no\/such\.pem/);
    const mismatched = await start([
      '--peer-tls-cert',
      leaf.certFile,
      '--peer-tls-key',
      clusterCa.keyFile,
      '--peer-tls-ca',
      clusterCa.certFile,
    ]);
    assert.equal(mismatched.code, 1);
    assert.match(mismatched.stderr, /--peer-tls-cert .* --peer-tls-key .* not a usable/);
    const halfPeer = await start(['--peer-tls-cert', leaf.certFile]);
    assert.equal(halfPeer.code, 2);
    assert.match(halfPeer.stderr, /must be given together/);
  });

  it(
    'requires a client certificate signed by --tls-ca, and followers present theirs to the leader',
    { timeout: 60_000 },
    async () => {
      const member = clusterCa.issue('member');
      const client = clusterCa.issue('client');
      const rogue = certs.authority('rogue-ca').issue('rogue-client');
      const cluster = await TestCluster.start({
        name: 'resp-mtls',
        extraArgs: [
          '--tls-cert',
          member.certFile,
          '--tls-key',
          member.keyFile,
          '--tls-ca',
          clusterCa.certFile,
        ],
      });
      const tls = { ca: clusterCa.cert, cert: client.cert, key: client.key };
      const leader = await waitForTlsLeader(cluster, { tls });
      const follower = cluster.members.find((m) => m !== leader)!;

      // Writes through a follower: its forwarder must present its member certificate.
      const good = await tlsClient(follower, { tls });
      try {
        for (let i = 0; i < 20; i++) assert.equal(await good.set(`m:${i}`, String(i)), 'OK');
        assert.equal(await good.get('m:19'), '19');
      } finally {
        good.disconnect();
      }

      // Without a client certificate, or with one from another CA, the handshake fails (TLS
      // 1.3 reports it on the first read, so a command is sent to see it).
      for (const [why, options] of [
        ['no client certificate', { ca: clusterCa.cert }],
        ['a certificate from another CA', { ca: clusterCa.cert, cert: rogue.cert, key: rogue.key }],
      ] as const) {
        await assert.rejects(
          (async () => {
            const c = await tlsClient(leader, { tls: options });
            try {
              await c.ping();
            } finally {
              c.disconnect();
            }
          })(),
          Error,
          why,
        );
      }
      await cluster.stop();
    },
  );
});

/**
 * Mutual TLS between real members (--peer-tls-*): the cluster works, and an outsider cannot
 * deliver a Raft message — without TLS, with a certificate from another CA, or with no
 * certificate at all — while the members keep serving. The control: the same message sent
 * with a certificate the cluster CA signed does get through (the member adopts its term).
 */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { message, nodeId, term, type NodeId } from '../../src/raft/index.js';
import { mutualTlsCredentials } from '../../src/transport/peer-credentials.js';
import { GrpcTransport } from '../../src/transport/grpc-transport.js';
import { CertDirectory, opensslAvailable, type CertAuthority } from '../security/certs.js';
import {
  TestCluster,
  assertKeys,
  freePorts,
  writeKeys,
  waitFor,
  type Member,
} from './harness/index.js';
import { useClusterCleanup } from './harness/hooks.js';

useClusterCleanup();

const skip = opensslAvailable() ? false : 'the openssl command is not installed';
const INTRUDER = nodeId(99);
const HIGH_TERM = 1_000_000;

type Credentials = { server: grpc.ServerCredentials; client: grpc.ChannelCredentials };

/**
 * Sends one heartbeat of a very high term from a transport of its own to `target`, and waits
 * until the transport has either written it or reported the peer unreachable (the stream was
 * refused). Returns which.
 */
async function intrude(
  credentials: Credentials | undefined,
  target: Member,
): Promise<'written' | 'unreachable'> {
  const [port] = await freePorts(1);
  const transport = new GrpcTransport({
    id: INTRUDER,
    listenAddress: `127.0.0.1:${port!}`,
    logger: pino({ level: 'silent' }),
    credentials,
    connectTimeoutMs: 3000,
  });
  let unreachable = false;
  await transport.start(() => undefined, {
    unreachable: (to: NodeId) => {
      if (to === target.id) unreachable = true;
    },
    snapshotStatus: () => undefined,
  });
  try {
    transport.addPeer(nodeId(target.id), `127.0.0.1:${target.ports.peer}`);
    transport.send([
      message({
        type: 'MsgHeartbeat',
        from: INTRUDER,
        to: nodeId(target.id),
        term: term(HIGH_TERM),
      }),
    ]);
    return await waitFor(
      `the intruder's stream to node ${target.id} to be accepted or refused`,
      () => {
        if (unreachable) return 'unreachable';
        return transport.stats().messagesSent > 0 ? 'written' : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 10 },
    );
  } finally {
    await transport.close();
  }
}

describe('mutual TLS between members', { skip }, () => {
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
    'keeps out peers without a certificate from the cluster CA; members keep working',
    { timeout: 90_000 },
    async () => {
      const cluster = await TestCluster.create({ name: 'peer-mtls' });
      for (const m of cluster.members) {
        const own = clusterCa.issue(`member-${m.id}`);
        m.start({
          REDRAFT_PEER_TLS_CERT: own.certFile,
          REDRAFT_PEER_TLS_KEY: own.keyFile,
          REDRAFT_PEER_TLS_CA: clusterCa.certFile,
        });
      }
      const leader = await cluster.waitForLeader(20_000);
      await writeKeys(leader, 'before', 50);
      const target = cluster.members.find((m) => m !== leader)!;
      const termBefore = (await target.raftInfo()).term;

      const rogue = certs.authority('rogue-ca');
      const rogueCert = rogue.issue('rogue-member');
      const attempts: [string, Credentials | undefined][] = [
        ['plain text (no TLS)', undefined],
        [
          'a certificate from another CA',
          mutualTlsCredentials({ cert: rogueCert.cert, key: rogueCert.key, ca: clusterCa.cert }),
        ],
        [
          'no client certificate',
          {
            server: grpc.ServerCredentials.createInsecure(),
            client: grpc.credentials.createSsl(clusterCa.cert),
          },
        ],
      ];
      for (const [why, credentials] of attempts) {
        assert.equal(await intrude(credentials, target), 'unreachable', why);
      }
      // Nothing reached the core: the target is in its old term and the cluster serves.
      const after = await target.raftInfo();
      assert.ok(after.term < HIGH_TERM, `node ${target.id} adopted term ${after.term}`);
      assert.equal(after.term, termBefore);
      const stillLeader = await cluster.waitForLeader(10_000);
      await writeKeys(stillLeader, 'after', 50);
      await assertKeys(target, 'before', 50);

      // The control: a certificate the cluster CA signed gets the same message delivered.
      const insider = clusterCa.issue('insider');
      assert.equal(
        await intrude(
          mutualTlsCredentials({ cert: insider.cert, key: insider.key, ca: clusterCa.cert }),
          target,
        ),
        'written',
      );
      await cluster.waitFor(
        `node ${target.id} to adopt the intruder's term`,
        async () => ((await target.raftInfo()).term >= HIGH_TERM ? true : undefined),
        10_000,
      );
      // And the cluster recovers from it, in a new term above the intruder's.
      const recovered = await cluster.waitForLeader(20_000);
      await writeKeys(recovered, 'recovered', 20);
      await assertKeys(target, 'recovered', 20);
    },
  );
});

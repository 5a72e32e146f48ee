/**
 * The gRPC gateway in-process over one real member, through generated client stubs: status
 * codes and trailers for bad input, the node surviving undecodable messages, proofs through
 * the prover callback, health, and the Cluster service's mapping onto a ClusterAdmin test
 * double. Replication and forwarding: cluster-grpc.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { RedraftError } from '../../src/errors.js';
import { GrpcGateway } from '../../src/gateway/grpc/grpc-gateway.js';
import { raftHealth } from '../../src/gateway/health.js';
import { KvOperations } from '../../src/gateway/kv-operations.js';
import type { ProveFunction } from '../../src/gateway/model.js';
import { ChangeFeed } from '../../src/node/change-feed.js';
import type { ClusterAdmin, MemberStatus } from '../../src/node/cluster-admin.js';
import { bytes, connect, failure, type Clients } from './fixtures/grpc-client.js';
import { startSingleNode, type SingleNode } from './fixtures/single-node.js';

const MAX_ENTRY = 64 * 1024;

async function serve(
  node: SingleNode,
  extra: { admin?: ClusterAdmin; prove?: ProveFunction } = {},
): Promise<{ gateway: GrpcGateway; clients: Clients; address: string }> {
  const feed = new ChangeFeed(node.fsm, () => node.kv.node.applied);
  const ops = new KvOperations({
    kv: node.kv,
    feed,
    defaultConsistency: 'linearizable',
    prove: extra.prove,
  });
  const gateway = new GrpcGateway({
    ops,
    kv: node.kv,
    admin: extra.admin,
    health: raftHealth(node.kv),
    logger: pino({ level: 'silent' }),
  });
  const port = await gateway.listen('127.0.0.1', 0);
  const address = `127.0.0.1:${port}`;
  return { gateway, clients: connect(address), address };
}

describe('gRPC gateway (one member, in-process)', () => {
  let node: SingleNode;
  let server: Awaited<ReturnType<typeof serve>>;
  const proofs: string[] = [];
  before(async () => {
    node = await startSingleNode({ maxEntryBytes: MAX_ENTRY });
    server = await serve(node, {
      prove: (db, key, tag) => {
        proofs.push(`${db} ${key.toString()} ${tag ?? '-'}`);
        return Promise.resolve({
          value: key.toString() === 'absent' ? null : Buffer.from('v'),
          root: Buffer.alloc(32, 7),
          index: 9,
          proof: new Uint8Array([10, 2, 1, 2]),
        });
      },
    });
  });
  after(async () => {
    server.clients.close();
    await server.gateway.close();
    await node.stop();
  });

  it('refuses bad input with INVALID_ARGUMENT and the BAD_REQUEST code', async () => {
    const kv = server.clients.kv;
    const refusals: [string, () => Promise<unknown>, number, string][] = [
      [
        'db out of range',
        () => kv.get({ db: 16, key: bytes('k') }),
        grpc.status.INVALID_ARGUMENT,
        'BAD_REQUEST',
      ],
      [
        'ttl too long',
        () => kv.put({ key: bytes('k'), value: bytes('v'), ttlMs: 1e15 }),
        grpc.status.INVALID_ARGUMENT,
        'BAD_REQUEST',
      ],
      [
        'limit too large',
        () => kv.range({ limit: 100_000 }),
        grpc.status.INVALID_ARGUMENT,
        'BAD_REQUEST',
      ],
      [
        'page token',
        () => kv.range({ pageToken: 'xyz' }),
        grpc.status.INVALID_ARGUMENT,
        'BAD_REQUEST',
      ],
      [
        'compare without operand',
        () => kv.txn({ compare: [{ key: bytes('k') }] }),
        grpc.status.INVALID_ARGUMENT,
        'BAD_REQUEST',
      ],
      [
        'ordering on existence',
        () => kv.txn({ compare: [{ key: bytes('k'), op: 'COMPARE_OP_LESS', exists: true }] }),
        grpc.status.INVALID_ARGUMENT,
        'BAD_REQUEST',
      ],
      [
        'empty operation',
        () => kv.txn({ success: [{}] }),
        grpc.status.INVALID_ARGUMENT,
        'BAD_REQUEST',
      ],
      [
        'oversized transaction',
        () =>
          kv.txn({
            success: [
              { put: { key: bytes('t1'), value: Buffer.alloc(MAX_ENTRY / 2) } },
              { put: { key: bytes('t2'), value: Buffer.alloc(MAX_ENTRY / 2) } },
            ],
          }),
        grpc.status.RESOURCE_EXHAUSTED,
        'TOO_LARGE',
      ],
      [
        'oversized value',
        () => kv.put({ key: bytes('big'), value: Buffer.alloc(MAX_ENTRY) }),
        grpc.status.RESOURCE_EXHAUSTED,
        'TOO_LARGE',
      ],
    ];
    for (const [what, attempt, code, redraft] of refusals) {
      await assert.rejects(attempt(), (err: unknown) => {
        const f = failure(err);
        assert.equal(f.code, code, `${what}: ${f.details}`);
        assert.equal(f.redraft, redraft, what);
        return true;
      });
    }
    const got = await kv.get({ key: bytes('big') });
    assert.equal(got.found, false, 'nothing was written');
  });

  it('survives a message that does not decode, and serves on', async () => {
    const raw = new grpc.Client(server.address, grpc.credentials.createInsecure());
    try {
      await assert.rejects(
        new Promise((resolve, reject) => {
          raw.makeUnaryRequest(
            '/redraft.v1.KV/Put',
            (b: Buffer) => b,
            (b: Buffer) => b,
            Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
            (err, res) => {
              if (err !== null) reject(err);
              else resolve(res);
            },
          );
        }),
        (err: unknown) => failure(err).code === grpc.status.INTERNAL,
      );
    } finally {
      raw.close();
    }
    const put = await server.clients.kv.put({ key: bytes('after'), value: bytes('ok') });
    assert.ok(put.version > 0);
  });

  it('conditions fail with FAILED_PRECONDITION and CONDITION_FAILED', async () => {
    const kv = server.clients.kv;
    const { version } = await kv.put({ key: bytes('c'), value: bytes('1'), ifAbsent: true });
    for (const pending of [
      kv.put({ key: bytes('c'), value: bytes('2'), ifAbsent: true }),
      kv.put({ key: bytes('c'), value: bytes('2'), ifVersion: version + 1 }),
      kv.delete({ key: bytes('c'), ifVersion: version - 1 }),
    ]) {
      await assert.rejects(pending, (err: unknown) => {
        const f = failure(err);
        return f.code === grpc.status.FAILED_PRECONDITION && f.redraft === 'CONDITION_FAILED';
      });
    }
    const next = await kv.put({ key: bytes('c'), value: bytes('2'), ifVersion: version });
    assert.ok(next.version > version);
    const del = await kv.delete({ key: bytes('c'), ifVersion: next.version });
    assert.deepEqual(del, { deleted: true, index: del.index });
  });

  it('a value comparison on a hash is WRONG_TYPE', async () => {
    await node.kv.write(
      0,
      ['HSET', 'hash', 'f', 'v'].map((s) => Buffer.from(s)),
    );
    await assert.rejects(
      server.clients.kv.txn({ compare: [{ key: bytes('hash'), value: bytes('v') }] }),
      (err: unknown) => failure(err).redraft === 'WRONG_TYPE',
    );
    const got = await server.clients.kv.get({ key: bytes('hash') });
    assert.equal(got.kv?.type, 'VALUE_TYPE_HASH');
  });

  it('proves through the prover callback', async () => {
    const p = await server.clients.kv.prove({ db: 3, key: bytes('k'), tag: 'cp1' });
    assert.equal(p.found, true);
    assert.deepEqual(p.value, Buffer.from('v'));
    assert.deepEqual(p.root, Buffer.alloc(32, 7));
    assert.equal(p.index, 9);
    assert.deepEqual(p.proof, Buffer.from([10, 2, 1, 2]));
    const absent = await server.clients.kv.prove({ key: bytes('absent') });
    assert.equal(absent.found, false);
    assert.deepEqual(proofs, ['3 k cp1', '0 absent -']);
  });

  it('reports SERVING on the standard health service', async () => {
    const health = new grpc.Client(server.address, grpc.credentials.createInsecure());
    try {
      // grpc.health.v1.HealthCheckResponse{status: SERVING} is the two bytes 08 01.
      const res = await new Promise<Buffer>((resolve, reject) => {
        health.makeUnaryRequest(
          '/grpc.health.v1.Health/Check',
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.alloc(0),
          (err, r) => {
            if (err !== null || r === undefined) reject(err ?? new Error('no response'));
            else resolve(r);
          },
        );
      });
      assert.deepEqual(res, Buffer.from([0x08, 0x01]));
    } finally {
      health.close();
    }
  });
});

class AdminDouble implements ClusterAdmin {
  readonly calls: string[] = [];
  failWith: RedraftError | undefined;
  private readonly member: MemberStatus = {
    id: 2,
    role: 'learner',
    isLeader: false,
    peerAddr: 'p:1',
    respAddr: 'r:1',
    httpAddr: 'h:1',
    grpcAddr: 'g:1',
  };
  private record(what: string): void {
    this.calls.push(what);
    if (this.failWith !== undefined) throw this.failWith;
  }
  status() {
    this.record('status');
    return {
      id: 1,
      role: 'pre-candidate' as const,
      term: 7,
      leader: 0,
      commitIndex: 10,
      appliedIndex: 9,
      members: [this.member],
    };
  }
  members() {
    this.record('members');
    return [this.member];
  }
  addLearner(id: number) {
    this.record(`add ${id}`);
    return Promise.resolve({ ...this.member, id: 5 });
  }
  promote(id: number) {
    this.record(`promote ${id}`);
    return Promise.resolve();
  }
  remove(id: number) {
    this.record(`remove ${id}`);
    return Promise.resolve();
  }
  transferLeader(to: number) {
    this.record(`transfer ${to}`);
    return Promise.resolve(3);
  }
  snapshot() {
    this.record('snapshot');
    return Promise.resolve({ index: 9, term: 7, bytes: 100 });
  }
}

describe('gRPC Cluster service over a ClusterAdmin', () => {
  let node: SingleNode;
  let withAdmin: Awaited<ReturnType<typeof serve>>;
  let without: Awaited<ReturnType<typeof serve>>;
  const admin = new AdminDouble();
  before(async () => {
    node = await startSingleNode();
    withAdmin = await serve(node, { admin });
    without = await serve(node);
  });
  after(async () => {
    for (const s of [withAdmin, without]) {
      s.clients.close();
      await s.gateway.close();
    }
    await node.stop();
  });

  it('maps every call onto the admin interface', async () => {
    const c = withAdmin.clients.cluster;
    const status = await c.status();
    assert.equal(status.role, 'NODE_ROLE_PRE_CANDIDATE');
    assert.equal(status.term, 7);
    assert.equal(status.members[0]?.role, 'MEMBER_ROLE_LEARNER');
    assert.equal(status.members[0].matchIndex, 0);
    assert.equal((await c.members()).members.length, 1);
    const added = await c.addMember({
      peerAddr: 'p:2',
      respAddr: 'r:2',
      httpAddr: 'h:2',
      grpcAddr: 'g:2',
    });
    assert.equal(added.member?.id, 5);
    await c.promoteMember(5);
    await c.removeMember(5);
    assert.equal((await c.transferLeader(0)).leader, 3);
    assert.deepEqual(await c.snapshot(), { index: 9, term: 7, bytes: 100 });
    assert.deepEqual(admin.calls, [
      'status',
      'members',
      'add 0',
      'promote 5',
      'remove 5',
      'transfer 0',
      'snapshot',
    ]);
  });

  it("maps the admin's errors through the registry; no admin: UNIMPLEMENTED", async () => {
    admin.failWith = new RedraftError('NO_LEADER', 'no leader is known');
    await assert.rejects(withAdmin.clients.cluster.promoteMember(2), (err: unknown) => {
      const f = failure(err);
      return f.code === grpc.status.UNAVAILABLE && f.redraft === 'NO_LEADER';
    });
    admin.failWith = undefined;
    await assert.rejects(withAdmin.clients.cluster.removeMember(0), (err: unknown) => {
      return failure(err).code === grpc.status.INVALID_ARGUMENT;
    });
    await assert.rejects(without.clients.cluster.status(), (err: unknown) => {
      const f = failure(err);
      return f.code === grpc.status.UNIMPLEMENTED && f.redraft === 'NOT_IMPLEMENTED';
    });
  });
});

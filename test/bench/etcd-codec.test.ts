import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { EtcdCluster } from '../../bench/etcd/cluster.js';
import { etcdGatewayTarget } from '../../bench/etcd/gateway-target.js';
import { EtcdKvClient, etcdGrpcTarget } from '../../bench/etcd/grpc-target.js';
import {
  decodePutResponse,
  decodeRangeResponse,
  encodePutRequest,
  encodeRangeRequest,
} from '../../bench/etcd/kv-codec.js';
import { keyNames } from '../../bench/keyspace.js';
import type { KvTarget } from '../../bench/load.js';
import { ETCD_REQUESTS, ETCD_RESPONSES } from './etcd-fixtures.js';

const hex = (h: string): Buffer => Buffer.from(h, 'hex');
const KEY = Buffer.from('key:000000000042');

describe('etcd KV codec: requests', () => {
  // Written from the protobuf wire format, not from protobufjs: tag = field << 3 | wire type.
  it('encodes Put as key (field 1) and value (field 2), prev_kv (field 4) only when asked', () => {
    assert.deepEqual(
      encodePutRequest({ key: Buffer.from('foo'), value: Buffer.from('bar') }),
      Buffer.from([0x0a, 3, 0x66, 0x6f, 0x6f, 0x12, 3, 0x62, 0x61, 0x72]),
    );
    assert.deepEqual(
      encodePutRequest({ key: Buffer.from('k'), value: Buffer.from('v'), prevKv: true }),
      Buffer.from([0x0a, 1, 0x6b, 0x12, 1, 0x76, 0x20, 1]),
    );
  });

  it('encodes Range with serializable as field 7, omitted when false', () => {
    assert.deepEqual(
      encodeRangeRequest({ key: Buffer.from('k'), serializable: true }),
      Buffer.from([0x0a, 1, 0x6b, 0x38, 1]),
    );
    assert.deepEqual(
      encodeRangeRequest({ key: Buffer.from('k'), serializable: false }),
      Buffer.from([0x0a, 1, 0x6b]),
    );
  });

  it('encodes the requests a real etcd was sent when the fixtures were recorded', () => {
    assert.deepEqual(
      encodePutRequest({ key: KEY, value: Buffer.from('first value') }),
      hex(ETCD_REQUESTS.firstPut),
    );
    assert.deepEqual(
      encodePutRequest({ key: KEY, value: Buffer.from('second value'), prevKv: true }),
      hex(ETCD_REQUESTS.secondPut),
    );
    assert.deepEqual(encodeRangeRequest({ key: KEY }), hex(ETCD_REQUESTS.range));
    assert.deepEqual(
      encodeRangeRequest({ key: KEY, serializable: true }),
      hex(ETCD_REQUESTS.serializableRange),
    );
  });
});

describe('etcd KV codec: responses recorded from etcd 3.4', () => {
  it('decodes a Put response header, with 64-bit ids intact', () => {
    const put = decodePutResponse(hex(ETCD_RESPONSES.firstPut));
    assert.ok(put.header !== undefined);
    // Above 2^53: a number would have lost the low bits.
    assert.ok(put.header.clusterId > 2n ** 53n, String(put.header.clusterId));
    assert.ok(put.header.memberId > 0n);
    assert.equal(put.header.revision, 2n);
    assert.equal(put.header.raftTerm, 2n);
    assert.equal(put.prevKv, undefined);
  });

  it('decodes the previous key-value pair a Put returns with prev_kv', () => {
    const put = decodePutResponse(hex(ETCD_RESPONSES.secondPut));
    assert.equal(put.header?.revision, 3n);
    const prev = put.prevKv;
    assert.ok(prev !== undefined);
    assert.deepEqual(prev.key, KEY);
    assert.equal(prev.value.toString(), 'first value');
    assert.equal(prev.createRevision, 2n);
    assert.equal(prev.modRevision, 2n);
    assert.equal(prev.version, 1n);
  });

  it('decodes a Range response with its key-value pair and count', () => {
    for (const recorded of [ETCD_RESPONSES.range, ETCD_RESPONSES.serializableRange]) {
      const range = decodeRangeResponse(hex(recorded));
      assert.equal(range.count, 1n);
      assert.equal(range.more, false);
      assert.equal(range.kvs.length, 1);
      const kv = range.kvs[0];
      assert.ok(kv !== undefined);
      assert.deepEqual(kv.key, KEY);
      assert.equal(kv.value.toString(), 'second value');
      assert.equal(kv.createRevision, 2n);
      assert.equal(kv.modRevision, 3n);
      assert.equal(kv.version, 2n);
      assert.equal(kv.lease, 0n);
    }
  });

  it('decodes a Range of an absent key as no pairs and count 0', () => {
    const range = decodeRangeResponse(hex(ETCD_RESPONSES.missingRange));
    assert.deepEqual(range.kvs, []);
    assert.equal(range.count, 0n);
    assert.equal(range.header?.revision, 3n);
  });
});

const etcdInstalled = spawnSync('etcd', ['--version']).status === 0;

describe(
  'etcd drivers against a real etcd',
  { skip: etcdInstalled ? false : 'etcd is not installed (bash bench/install.sh)' },
  () => {
    let cluster: EtcdCluster;
    before(async () => {
      cluster = await EtcdCluster.start({ name: 'test', size: 1 });
    });
    after(async () => {
      await cluster.stop();
    });

    it('puts and ranges through gRPC, linearizable and serializable', async () => {
      const client = new EtcdKvClient(cluster.members[0]!.address);
      try {
        await client.ready(10_000);
        const key = Buffer.from('codec-test');
        const first = await client.put({ key, value: Buffer.from('one') });
        const second = await client.put({ key, value: Buffer.from('two'), prevKv: true });
        assert.equal(second.header!.revision, first.header!.revision + 1n);
        assert.equal(second.prevKv?.value.toString(), 'one');
        for (const serializable of [false, true]) {
          const range = await client.range({ key, serializable });
          const kv = range.kvs[0];
          assert.ok(kv !== undefined);
          assert.equal(kv.value.toString(), 'two');
          assert.equal(kv.version, 2n);
        }
        const absent = await client.range({ key: Buffer.from('codec-test-absent') });
        assert.equal(absent.kvs.length, 0);
      } finally {
        client.close();
      }
    });

    it('counts hits and misses the same through gRPC and the JSON gateway', async () => {
      const member = cluster.members[0]!;
      const keys = keyNames(4);
      const value = Buffer.from('gateway value');
      const common = { keys, value, serverPids: [member.pid] };
      const targets: KvTarget[] = [
        etcdGrpcTarget({ name: 'grpc', address: member.address, ...common }),
        etcdGatewayTarget({ name: 'json', port: member.clientPort, ...common, serializable: true }),
      ];
      for (const target of targets) {
        const conn = await target.connect(2);
        try {
          // Keys 0 and 1 are written by the first target; 2 and 3 never are.
          if (target === targets[0])
            assert.deepEqual(await conn.run('set', [0, 1]), { failed: 0, misses: 0 });
          assert.deepEqual(await conn.run('get', [0, 1]), { failed: 0, misses: 0 }, target.name);
          assert.deepEqual(await conn.run('get', [1, 2, 3]), { failed: 0, misses: 2 }, target.name);
        } finally {
          await conn.close();
        }
      }
      // What the gRPC target wrote reads back through the gateway byte for byte.
      const range = (await fetch(`http://127.0.0.1:${member.clientPort}/v3/kv/range`, {
        method: 'POST',
        body: JSON.stringify({ key: Buffer.from(keys[1]!).toString('base64') }),
      }).then((r) => r.json())) as { kvs?: { value: string }[] };
      assert.equal(Buffer.from(range.kvs?.[0]?.value ?? '', 'base64').toString(), 'gateway value');
    });

    it('reports a failed request as failed, with its error', async () => {
      const target = etcdGatewayTarget({
        name: 'json',
        port: cluster.members[0]!.clientPort,
        // An empty key is invalid in etcd: the gateway answers with an error status.
        keys: [''],
        value: Buffer.from('x'),
        serverPids: [],
      });
      const conn = await target.connect(1);
      try {
        const outcome = await conn.run('set', [0]);
        assert.equal(outcome.failed, 1);
        assert.match(outcome.error?.message ?? '', /HTTP \d+.*key is not provided/);
      } finally {
        await conn.close();
      }
    });
  },
);

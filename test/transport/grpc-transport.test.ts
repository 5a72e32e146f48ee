import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { freePorts } from '../e2e/harness/ports.js';
import * as grpc from '@grpc/grpc-js';
import {
  EMPTY_BYTES,
  index,
  message,
  nodeId,
  term,
  type Message,
  type NodeId,
  type Snapshot,
} from '../../src/raft/index.js';
import {
  SEND_SNAPSHOT_METHOD_PATH,
  STREAM_METHOD_PATH,
  encodeBatch,
  encodeSnapshotChunk,
} from '../../src/transport/codec.js';
import {
  FROM_METADATA_KEY,
  GrpcTransport,
  TO_METADATA_KEY,
  type GrpcTransportOptions,
} from '../../src/transport/grpc-transport.js';
import { EventLog, Inbox, app, LogCapture, entries, heartbeat, withTimeout } from './helpers.js';

const MiB = 1024 * 1024;

interface TestNode {
  readonly id: NodeId;
  readonly transport: GrpcTransport;
  readonly inbox: Inbox;
  readonly events: EventLog;
  readonly log: LogCapture;
  readonly logs: () => Record<string, unknown>[];
}

/** Everything a test starts, closed after it whatever happens. */
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startNode(
  id: number,
  options: Partial<GrpcTransportOptions> = {},
  listenAddress = '127.0.0.1:0',
): Promise<TestNode> {
  const log = new LogCapture();
  const transport = new GrpcTransport({
    id: nodeId(id),
    listenAddress,
    logger: log.logger,
    backoff: { initialMs: 10, maxMs: 100 },
    ...options,
  });
  cleanups.push(() => transport.close());
  const node = {
    id: nodeId(id),
    transport,
    inbox: new Inbox(),
    events: new EventLog(),
    log,
    logs: () => log.lines(),
  };
  await transport.start(node.inbox.handler, node.events);
  return node;
}

function connect(nodes: readonly TestNode[]): void {
  for (const a of nodes) {
    for (const b of nodes) if (a !== b) a.transport.addPeer(b.id, b.transport.address);
  }
}

function snapshotMessage(from: number, to: number, data: Uint8Array, idx = 1000): Message {
  const snapshot: Snapshot = {
    metadata: {
      index: index(idx),
      term: term(4),
      confState: {
        voters: [nodeId(1), nodeId(2), nodeId(3)],
        learners: [],
        votersOutgoing: [],
        learnersNext: [],
        autoLeave: false,
      },
    },
    data,
  };
  return message({ type: 'MsgSnap', from: nodeId(from), to: nodeId(to), term: term(4), snapshot });
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('GrpcTransport', () => {
  it('exchanges batches between two transports', async () => {
    const [a, b] = [await startNode(1), await startNode(2)];
    connect([a, b]);
    const toB = Array.from({ length: 500 }, (_, i) => app(1, 2, i, entries(i + 1, 2, 10)));
    const toA = [
      heartbeat(2, 1, 7),
      message({
        type: 'MsgAppResp',
        from: nodeId(2),
        to: nodeId(1),
        index: index(9),
        reject: true,
        rejectHint: index(3),
      }),
    ];
    a.transport.send(toB);
    b.transport.send(toA);
    await b.inbox.count(500);
    await a.inbox.count(2);
    assert.deepEqual(b.inbox.messages, toB);
    assert.deepEqual(a.inbox.messages, toA);
    // 500 messages sent in one turn travel as one batch (they fit in maxBatchBytes).
    assert.equal(a.transport.stats().batchesSent, 1);
    assert.equal(a.transport.stats().messagesSent, 500);
    assert.equal(b.transport.stats().messagesReceived, 500);
  });

  it('cuts batches at maxBatchBytes', async () => {
    const [a, b] = [await startNode(1, { maxBatchBytes: 16 * 1024 }), await startNode(2)];
    connect([a, b]);
    const msgs = Array.from({ length: 100 }, (_, i) => app(1, 2, i, entries(i + 1, 4, 1024)));
    a.transport.send(msgs);
    await b.inbox.count(100);
    assert.deepEqual(b.inbox.messages, msgs);
    const { batchesSent, bytesSent } = a.transport.stats();
    assert.ok(batchesSent >= 25 && batchesSent <= 40, `${batchesSent} batches`);
    assert.ok(bytesSent / batchesSent <= 16 * 1024, `${bytesSent / batchesSent} bytes/batch`);
  });

  it('connects three transports to each other', async () => {
    const nodes = [await startNode(1), await startNode(2), await startNode(3)];
    connect(nodes);
    for (const from of nodes) {
      const out: Message[] = [];
      for (const to of nodes) {
        if (to !== from) for (let i = 0; i < 50; i++) out.push(app(from.id, to.id, i));
      }
      from.transport.send(out);
    }
    for (const n of nodes) {
      await n.inbox.count(100);
      for (const other of nodes) {
        if (other === n) continue;
        assert.deepEqual(
          n.inbox.from(other.id).map((m) => m.index),
          Array.from({ length: 50 }, (_, i) => i),
        );
      }
    }
  });

  it('preserves send order across 10k messages', async () => {
    const [a, b] = [await startNode(1, { maxBatchBytes: 64 * 1024 }), await startNode(2)];
    connect([a, b]);
    const total = 10_000;
    let next = 1;
    const take = (n: number): Message[] =>
      Array.from({ length: n }, () => {
        const i = next++;
        return app(1, 2, i, entries(i, 1, 16));
      });
    a.transport.send(take(4000)); // one turn, many batches, backpressure
    for (let turn = 0; turn < 60; turn++) {
      a.transport.send(take(50));
      a.transport.send(take(50));
      await nextTurn();
    }
    a.transport.send(take(total - next + 1));
    await b.inbox.count(total, 20_000);
    const indexes = b.inbox.messages.map((m) => m.index);
    assert.equal(indexes.length, total);
    for (let i = 0; i < total; i++) assert.equal(indexes[i], i + 1);
    assert.equal(a.events.unreachableReports.length, 0);
  });

  it('reconnects after the receiver restarts on the same port', async () => {
    const a = await startNode(1);
    // A port below the ephemeral range: during the outage an outgoing connection could
    // otherwise be handed the released port, and the restart would fail to bind it.
    const [port] = await freePorts(1);
    const b = await startNode(2, {}, `127.0.0.1:${String(port)}`);
    connect([a, b]);
    a.transport.send([heartbeat(1, 2, 1)]);
    await b.inbox.count(1);

    const streamFailed = a.events.nextUnreachable(b.id);
    await b.transport.close();
    await streamFailed;

    // During the outage: dropped and reported, never delivered later.
    const OUTAGE = 666;
    for (let i = 0; i < 3; i++) {
      const reported = a.events.nextUnreachable(b.id);
      a.transport.send([heartbeat(1, 2, OUTAGE)]);
      await reported;
    }

    const b2 = await startNode(2, {}, `127.0.0.1:${String(port)}`);
    // Raft keeps sending (heartbeats); do the same until one gets through.
    const ticker = setInterval(() => {
      a.transport.send([heartbeat(1, 2, 777)]);
    }, 20);
    try {
      await b2.inbox.first((m) => m.commit === 777, 'a heartbeat after the restart');
    } finally {
      clearInterval(ticker);
    }
    const later = Array.from({ length: 1000 }, (_, i) => app(1, 2, i + 1));
    a.transport.send(later);
    await b2.inbox.first((m) => m.type === 'MsgApp' && m.index === 1000, 'the last MsgApp');
    const apps = b2.inbox.messages.filter((m) => m.type === 'MsgApp').map((m) => m.index);
    assert.deepEqual(
      apps,
      later.map((m) => m.index),
    );
    assert.ok(!b2.inbox.messages.some((m) => m.type === 'MsgHeartbeat' && m.commit === OUTAGE));
    const warnings = a
      .logs()
      .filter((l) => l.msg === 'peer stream failed; dropping messages until it is back');
    assert.equal(warnings.length, 1, 'the outage is logged once, not per attempt');
    assert.ok(a.logs().some((l) => l.msg === 'peer reachable again'));
  });

  it('reports messages to unknown and removed peers as unreachable', async () => {
    const [a, b] = [await startNode(1), await startNode(2)];
    const unknown = a.events.nextUnreachable(b.id);
    a.transport.send([heartbeat(1, 2)]);
    await unknown;
    assert.equal(a.transport.stats().messagesDropped, 1);

    connect([a, b]);
    a.transport.send([heartbeat(1, 2, 1)]);
    await b.inbox.count(1);
    a.transport.removePeer(b.id);
    const removed = a.events.nextUnreachable(b.id);
    a.transport.send([heartbeat(1, 2, 2)]);
    await removed;
    assert.equal(b.inbox.messages.length, 1);
  });

  it('reconnects when a peer address changes', async () => {
    const a = await startNode(1);
    const b = await startNode(2);
    // An address nobody listens on: take a free port and release it.
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const deadPort = (dead.address() as { port: number }).port;
    await new Promise<void>((resolve) => {
      dead.close(() => {
        resolve();
      });
    });

    a.transport.addPeer(b.id, `127.0.0.1:${deadPort}`);
    const failed = a.events.nextUnreachable(b.id);
    a.transport.send([heartbeat(1, 2, 1)]);
    await failed;

    a.transport.addPeer(b.id, b.transport.address);
    a.transport.send([heartbeat(1, 2, 2)]);
    const got = await b.inbox.first(() => true, 'a message at the new address');
    assert.equal(got.commit, 2);
  });

  it('bounds the queue while the peer does not answer, and gives up on the handshake', async () => {
    // A TCP server that accepts and then says nothing: the HTTP/2 handshake never completes.
    const sockets = new Set<Socket>();
    const silent = createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
    });
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          silent.close(() => {
            resolve();
          });
        }),
    );
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;

    const a = await startNode(1, { maxPendingBytes: 64 * 1024, connectTimeoutMs: 300 });
    a.transport.addPeer(nodeId(2), `127.0.0.1:${port}`);
    const overflow = a.events.nextUnreachable(nodeId(2));
    // ~128 KiB of messages against a 64 KiB bound.
    a.transport.send(Array.from({ length: 100 }, (_, i) => app(1, 2, i, entries(i, 1, 1200))));
    await overflow;
    const dropped = a.transport.stats().messagesDropped;
    assert.ok(dropped > 0 && dropped < 100, `${dropped} dropped at once`);
    // Then the handshake times out and the rest is dropped too.
    await a.events.until(
      () => a.transport.stats().messagesDropped === 100,
      'the handshake timeout',
      5_000,
    );
    assert.equal(a.transport.stats().messagesSent, 0);
  });

  it('drops a message larger than maxMessageBytes without breaking the stream', async () => {
    const opts = { maxMessageBytes: 64 * 1024, snapshotChunkBytes: 16 * 1024 };
    const [a, b] = [await startNode(1, opts), await startNode(2, opts)];
    connect([a, b]);
    const reported = a.events.nextUnreachable(b.id);
    a.transport.send([app(1, 2, 1), app(1, 2, 2, entries(1, 1, 100 * 1024)), app(1, 2, 3)]);
    await reported;
    await b.inbox.count(2);
    assert.deepEqual(
      b.inbox.messages.map((m) => m.index),
      [1, 3],
    );
    assert.ok(a.logs().some((l) => l.msg === 'dropping message larger than maxMessageBytes'));
  });

  it('drops a message the codec refuses, alone and without crashing', async () => {
    const [a, b] = [await startNode(1), await startNode(2)];
    connect([a, b]);
    const bad = { ...heartbeat(1, 2), term: term(-1) };
    const snapStatus = a.events.nextSnapshotStatus(b.id);
    const badSnap = snapshotMessage(1, 2, new Uint8Array(10), 1.5);
    a.transport.send([heartbeat(1, 2, 1), bad, badSnap, heartbeat(1, 2, 2)]);
    await b.inbox.count(2);
    assert.deepEqual(
      b.inbox.messages.map((m) => m.commit),
      [1, 2],
    );
    assert.equal(await snapStatus, false);
    assert.ok(a.logs().some((l) => l.msg === 'cannot encode message; dropped'));
    assert.ok(a.logs().some((l) => l.msg === 'cannot encode snapshot chunk; transfer failed'));
  });

  describe('snapshots', () => {
    it('sends a snapshot of several MB in verified chunks', async () => {
      const [a, b] = [await startNode(1), await startNode(2)];
      connect([a, b]);
      const data = randomBytes(5 * MiB + 12_345);
      const m = snapshotMessage(1, 2, new Uint8Array(data));
      const status = a.events.nextSnapshotStatus(b.id);
      a.transport.send([m, heartbeat(1, 2, 5)]);
      assert.equal(await status, true);
      const got = await b.inbox.first((x) => x.type === 'MsgSnap', 'the MsgSnap');
      assert.ok(got.snapshot !== undefined);
      assert.deepEqual(got.snapshot.metadata, m.snapshot!.metadata);
      assert.ok(Buffer.from(got.snapshot.data).equals(data), 'snapshot data intact');
      assert.deepEqual({ ...got, snapshot: undefined }, { ...m, snapshot: undefined });
      await b.inbox.first((x) => x.type === 'MsgHeartbeat', 'the heartbeat');
      assert.equal(b.transport.stats().snapshotsReceived, 1);
      assert.equal(a.transport.stats().snapshotsSent, 1);
    });

    it('sends an empty snapshot', async () => {
      const [a, b] = [await startNode(1), await startNode(2)];
      connect([a, b]);
      const status = a.events.nextSnapshotStatus(b.id);
      a.transport.send([snapshotMessage(1, 2, EMPTY_BYTES)]);
      assert.equal(await status, true);
      const got = await b.inbox.first((x) => x.type === 'MsgSnap', 'the MsgSnap');
      assert.equal(got.snapshot?.data.length, 0);
    });

    it('rejects a corrupted chunk, reports failure, and succeeds on the resend', async () => {
      let corrupt = true;
      const a = await startNode(1, {
        testHooks: {
          corruptSnapshotChunk: (_to, offset, data) => {
            if (!corrupt || offset !== MiB) return data;
            const bad = Uint8Array.from(data);
            bad[100] = bad[100]! ^ 0xff;
            return bad;
          },
        },
      });
      const b = await startNode(2);
      connect([a, b]);
      const data = new Uint8Array(randomBytes(3 * MiB));
      const failed = a.events.nextSnapshotStatus(b.id);
      a.transport.send([snapshotMessage(1, 2, data)]);
      assert.equal(await failed, false);
      assert.equal(b.inbox.messages.length, 0, 'nothing delivered from a corrupted transfer');
      const rejection = b.logs().find((l) => l.msg === 'snapshot transfer rejected');
      assert.match(String(rejection?.reason), /chunk checksum mismatch at offset 1048576/);

      corrupt = false;
      const ok = a.events.nextSnapshotStatus(b.id);
      a.transport.send([snapshotMessage(1, 2, data)]);
      assert.equal(await ok, true);
      const got = await b.inbox.first((x) => x.type === 'MsgSnap', 'the MsgSnap');
      assert.deepEqual(got.snapshot?.data, data);
    });

    it('discards an interrupted transfer; the next one starts from scratch', async () => {
      let interrupt = true;
      const SIZE = 8 * MiB;
      let a: TestNode | undefined = undefined;
      a = await startNode(1, {
        snapshotChunkBytes: 64 * 1024,
        testHooks: {
          corruptSnapshotChunk: (to, offset, data) => {
            // Removing the peer cancels the call, as a crash of the sender would. By the last
            // chunk, HTTP/2 flow control guarantees the receiver has taken most of the data.
            if (interrupt && offset === SIZE - 64 * 1024) a?.transport.removePeer(to);
            return data;
          },
        },
      });
      const b = await startNode(2);
      connect([a, b]);
      const data = new Uint8Array(randomBytes(SIZE));
      const discarded = b.log.logged('snapshot transfer interrupted');
      a.transport.send([snapshotMessage(1, 2, data)]);
      await discarded;
      interrupt = false;
      a.transport.addPeer(b.id, b.transport.address);
      const ok = a.events.nextSnapshotStatus(b.id);
      a.transport.send([snapshotMessage(1, 2, data, 2000)]);
      assert.equal(await ok, true);
      const got = await b.inbox.first((x) => x.type === 'MsgSnap', 'the MsgSnap');
      assert.equal(got.snapshot?.metadata.index, 2000);
      assert.deepEqual(got.snapshot.data, data);
      assert.equal(b.inbox.messages.filter((x) => x.type === 'MsgSnap').length, 1);
      // The removed peer's transfer was abandoned: no status for it.
      assert.deepEqual(a.events.snapshotReports, [{ to: b.id, ok: true }]);
    });
  });

  describe('bad input', () => {
    async function rawCall(
      port: number,
      path: string,
      md: Record<string, string>,
      frames: Buffer[],
    ): Promise<grpc.ServiceError | null> {
      const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      try {
        const metadata = new grpc.Metadata();
        for (const [k, v] of Object.entries(md)) metadata.set(k, v);
        return await withTimeout(
          new Promise<grpc.ServiceError | null>((resolve) => {
            const call = client.makeClientStreamRequest<Buffer, Buffer>(
              path,
              (x) => x,
              (x) => x,
              metadata,
              {},
              (err) => {
                resolve(err);
              },
            );
            call.on('error', () => undefined);
            for (const f of frames) call.write(f);
            call.end();
          }),
          5_000,
          `the answer to ${path}`,
        );
      } finally {
        client.close();
      }
    }

    const peerMd = { [FROM_METADATA_KEY]: '1', [TO_METADATA_KEY]: '2' };

    it('closes streams carrying bad input and keeps serving', async () => {
      const b = await startNode(2);
      const port = b.transport.port;
      const garbage = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x07, 0x01]);
      const cases: [string, string, Record<string, string>, Buffer[], grpc.status][] = [
        ['garbage', STREAM_METHOD_PATH, peerMd, [garbage], grpc.status.INVALID_ARGUMENT],
        [
          'random bytes',
          STREAM_METHOD_PATH,
          peerMd,
          [randomBytes(4096)],
          grpc.status.INVALID_ARGUMENT,
        ],
        [
          'a message claiming another sender',
          STREAM_METHOD_PATH,
          peerMd,
          [encodeBatch([heartbeat(3, 2)])],
          grpc.status.INVALID_ARGUMENT,
        ],
        [
          'a local message type',
          STREAM_METHOD_PATH,
          peerMd,
          [encodeBatch([message({ type: 'MsgHup', from: nodeId(1), to: nodeId(2) })])],
          grpc.status.INVALID_ARGUMENT,
        ],
        [
          'a valid batch after a bad one',
          STREAM_METHOD_PATH,
          peerMd,
          [garbage, encodeBatch([heartbeat(1, 2)])],
          grpc.status.INVALID_ARGUMENT,
        ],
        ['no node ids', STREAM_METHOD_PATH, {}, [], grpc.status.INVALID_ARGUMENT],
        [
          'a non-numeric node id',
          STREAM_METHOD_PATH,
          { [FROM_METADATA_KEY]: 'x1', [TO_METADATA_KEY]: '2' },
          [],
          grpc.status.INVALID_ARGUMENT,
        ],
        [
          'a stream for another node',
          STREAM_METHOD_PATH,
          { [FROM_METADATA_KEY]: '1', [TO_METADATA_KEY]: '5' },
          [],
          grpc.status.FAILED_PRECONDITION,
        ],
        [
          'a garbage chunk',
          SEND_SNAPSHOT_METHOD_PATH,
          peerMd,
          [garbage],
          grpc.status.INVALID_ARGUMENT,
        ],
        [
          'a snapshot that ends early',
          SEND_SNAPSHOT_METHOD_PATH,
          peerMd,
          [
            encodeSnapshotChunk({
              from: nodeId(1),
              to: nodeId(2),
              message: snapshotMessage(1, 2, EMPTY_BYTES),
              offset: 0,
              totalSize: 10,
              data: EMPTY_BYTES,
              chunkSha256: createHash('sha256').digest(),
              last: false,
              snapshotSha256: EMPTY_BYTES,
            }),
          ],
          grpc.status.INVALID_ARGUMENT,
        ],
        [
          'a chunk whose checksum does not match',
          SEND_SNAPSHOT_METHOD_PATH,
          peerMd,
          [
            encodeSnapshotChunk({
              from: nodeId(1),
              to: nodeId(2),
              message: snapshotMessage(1, 2, EMPTY_BYTES),
              offset: 0,
              totalSize: 3,
              data: new Uint8Array(3),
              chunkSha256: new Uint8Array(32),
              last: true,
              snapshotSha256: new Uint8Array(32),
            }),
          ],
          grpc.status.DATA_LOSS,
        ],
        [
          'a snapshot larger than it says',
          SEND_SNAPSHOT_METHOD_PATH,
          peerMd,
          [
            encodeSnapshotChunk({
              from: nodeId(1),
              to: nodeId(2),
              message: snapshotMessage(1, 2, EMPTY_BYTES),
              offset: 0,
              totalSize: 1,
              data: new Uint8Array(2),
              chunkSha256: new Uint8Array(32),
              last: true,
              snapshotSha256: new Uint8Array(32),
            }),
          ],
          grpc.status.INVALID_ARGUMENT,
        ],
      ];
      for (const [name, path, md, frames, code] of cases) {
        const err = await rawCall(port, path, md, frames);
        assert.equal(err?.code, code, `${name}: ${err?.details ?? 'no error'}`);
      }
      assert.equal(b.inbox.messages.length, 0, 'nothing from a bad stream was delivered');
      // The early end is an interruption, not bad input.
      assert.equal(b.transport.stats().inboundRejected, cases.length - 1);
      assert.ok(b.logs().some((l) => l.msg === 'malformed message batch; closing the stream'));

      // Still serving real peers.
      const a = await startNode(1);
      connect([a, b]);
      a.transport.send([heartbeat(1, 2, 42)]);
      const got = await b.inbox.first(() => true, 'a good message');
      assert.equal(got.commit, 42);
    });
  });

  it('rejects start() on a taken port and still closes cleanly', async () => {
    const a = await startNode(1);
    const log = new LogCapture();
    const b = new GrpcTransport({
      id: nodeId(2),
      listenAddress: a.transport.address,
      logger: log.logger,
    });
    await assert.rejects(
      b.start(() => undefined, new EventLog()),
      /EADDRINUSE/,
    );
    b.addPeer(a.id, a.transport.address);
    await b.close();
  });

  it('shares its server with other services', async () => {
    const { logger } = new LogCapture();
    const transport = new GrpcTransport({ id: nodeId(1), listenAddress: '127.0.0.1:0', logger });
    cleanups.push(() => transport.close());
    const echo: grpc.ServiceDefinition = {
      Echo: {
        path: '/test.Echo/Echo',
        requestStream: false,
        responseStream: false,
        requestSerialize: (b: Buffer) => b,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (b: Buffer) => b,
        responseDeserialize: (b: Buffer) => b,
      },
    };
    transport.getServer().addService(echo, {
      Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
        cb(null, call.request);
      },
    });
    await transport.start(() => undefined, new EventLog());
    const client = new grpc.Client(transport.address, grpc.credentials.createInsecure());
    try {
      const reply = await withTimeout(
        new Promise<Buffer>((resolve, reject) => {
          client.makeUnaryRequest<Buffer, Buffer>(
            '/test.Echo/Echo',
            (b) => b,
            (b) => b,
            Buffer.from('ping'),
            (err, value) => {
              if (err !== null || value === undefined) reject(err ?? new Error('no value'));
              else resolve(value);
            },
          );
        }),
        5_000,
        'the echo',
      );
      assert.equal(reply.toString(), 'ping');
    } finally {
      client.close();
    }
  });

  it('closes promptly with peers connected and streams open', async () => {
    const nodes = [await startNode(1), await startNode(2), await startNode(3)];
    connect(nodes);
    for (const n of nodes) {
      n.transport.send(nodes.filter((o) => o !== n).map((o) => heartbeat(n.id, o.id)));
    }
    for (const n of nodes) await n.inbox.count(2);
    const started = performance.now();
    await Promise.all(nodes.map((n) => n.transport.close()));
    assert.ok(performance.now() - started < 1_500, 'graceful shutdown, not the forced fallback');
    for (const n of nodes) {
      assert.ok(
        !n.logs().some((l) => l.msg === 'peer transport did not shut down in time; forcing it'),
      );
    }
    // Closing twice is fine, and nothing is sent or reported after close.
    await nodes[0]!.transport.close();
    nodes[0]!.transport.send([heartbeat(1, 2)]);
  });
});

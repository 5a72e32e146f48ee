import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { index, message, nodeId, term, EMPTY_SNAPSHOT, type NodeId } from '../../src/raft/index.js';
import { MemoryNetwork, type MemoryTransport } from '../../src/transport/memory-transport.js';
import { EventLog, Inbox, app, heartbeat } from './helpers.js';

interface Node {
  readonly id: NodeId;
  readonly transport: MemoryTransport;
  readonly inbox: Inbox;
  readonly events: EventLog;
}

describe('MemoryTransport', () => {
  let net: MemoryNetwork;
  let nodes: Node[];

  beforeEach(async () => {
    net = new MemoryNetwork();
    nodes = [];
    for (const n of [1, 2, 3]) {
      const id = nodeId(n);
      const node = { id, transport: net.transport(id), inbox: new Inbox(), events: new EventLog() };
      await node.transport.start(node.inbox.handler, node.events);
      nodes.push(node);
    }
    for (const a of nodes) for (const b of nodes) a.transport.addPeer(b.id, `mem:${b.id}`);
  });

  afterEach(async () => {
    for (const n of nodes) await n.transport.close();
    await net.idle();
  });

  const node = (n: number): Node => nodes[n - 1]!;

  it('delivers asynchronously and in send order', async () => {
    const msgs = Array.from({ length: 100 }, (_, i) => app(1, 2, i + 1));
    node(1).transport.send(msgs);
    assert.equal(node(2).inbox.messages.length, 0, 'nothing is delivered inside send()');
    await node(2).inbox.count(100);
    assert.deepEqual(
      node(2).inbox.messages.map((m) => m.index),
      msgs.map((m) => m.index),
    );
    assert.equal(net.delivered, 100);
  });

  it('delivers copies, not the sender objects', async () => {
    const m = app(1, 2, 5);
    node(1).transport.send([m]);
    const got = await node(2).inbox.first(() => true, 'the message');
    assert.notEqual(got, m);
    assert.notEqual(got.entries, m.entries);
    assert.deepEqual(got, m);
  });

  it('drops across a partition, reports unreachable, and heals', async () => {
    net.partition([node(1).id], [node(2).id, node(3).id]);
    const reported = node(1).events.nextUnreachable(node(2).id);
    node(1).transport.send([heartbeat(1, 2), heartbeat(1, 3)]);
    node(2).transport.send([heartbeat(2, 3)]);
    await reported;
    await node(3).inbox.count(1);
    assert.deepEqual(
      node(3).inbox.messages.map((m) => m.from),
      [2],
    );
    assert.equal(node(2).inbox.messages.length, 0);
    assert.ok(node(1).events.unreachableReports.includes(node(3).id));

    net.heal();
    node(1).transport.send([heartbeat(1, 2, 9)]);
    const got = await node(2).inbox.first((m) => m.commit === 9, 'heartbeat after heal');
    assert.equal(got.from, 1);
  });

  it('cuts single directions', async () => {
    net.cut(node(1).id, node(2).id);
    node(1).transport.send([heartbeat(1, 2)]);
    node(2).transport.send([heartbeat(2, 1)]);
    await node(1).inbox.count(1);
    await net.idle();
    assert.equal(node(2).inbox.messages.length, 0);
    assert.ok(net.isCut(node(1).id, node(2).id));
    assert.ok(!net.isCut(node(2).id, node(1).id));
  });

  it('isolates a node', async () => {
    net.isolate(node(3).id);
    node(1).transport.send([heartbeat(1, 2), heartbeat(1, 3)]);
    node(3).transport.send([heartbeat(3, 1)]);
    await node(2).inbox.count(1);
    await net.idle();
    assert.equal(node(3).inbox.messages.length, 0);
    assert.equal(node(1).inbox.messages.length, 0);
  });

  it('drops silently through a filter', async () => {
    net.setDropFilter((m) => m.type === 'MsgApp');
    node(1).transport.send([app(1, 2, 1), heartbeat(1, 2)]);
    await node(2).inbox.count(1);
    await net.idle();
    assert.equal(node(2).inbox.messages[0]!.type, 'MsgHeartbeat');
    assert.equal(node(1).events.unreachableReports.length, 0);
    assert.equal(net.dropped, 1);
  });

  it('reports unknown peers, removed peers and closed receivers as unreachable', async () => {
    node(1).transport.removePeer(node(2).id);
    node(1).transport.send([heartbeat(1, 2), heartbeat(1, 9)]);
    await net.idle();
    assert.deepEqual(node(1).events.unreachableReports, [2, 9]);
    assert.equal(node(2).inbox.messages.length, 0);

    await node(3).transport.close();
    node(1).transport.send([heartbeat(1, 3)]);
    await node(1).events.nextUnreachable(node(3).id);
  });

  it('reports snapshot status', async () => {
    const snap = message({
      type: 'MsgSnap',
      from: nodeId(1),
      to: nodeId(2),
      term: term(2),
      snapshot: { ...EMPTY_SNAPSHOT, metadata: { ...EMPTY_SNAPSHOT.metadata, index: index(5) } },
    });
    const ok = node(1).events.nextSnapshotStatus(node(2).id);
    node(1).transport.send([snap]);
    assert.equal(await ok, true);
    assert.equal(node(2).inbox.messages[0]!.snapshot?.metadata.index, 5);

    net.cutBoth(node(1).id, node(2).id);
    const failed = node(1).events.nextSnapshotStatus(node(2).id);
    node(1).transport.send([snap]);
    assert.equal(await failed, false);
  });

  it('refuses a second transport with the same id', async () => {
    const dup = net.transport(node(1).id);
    await assert.rejects(dup.start(() => undefined, new EventLog()));
  });
});

/**
 * `startNode`: durable members with real gRPC between them. State survives a restart from the
 * data directory; snapshots go through the application's state machine (taken, restored at
 * start, and sent to a member that fell behind the compacted log).
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import {
  NotLeaderError,
  StorageError,
  jsonCodec,
  startNode,
  type NodeOptions,
  type RedraftNode,
} from '../../src/index.js';
import { freePorts } from '../e2e/harness/index.js';
import { tempDir } from '../storage/helpers.js';
import { OrderedLog, appends, names, type LogCommand } from './helpers.js';

const started: RedraftNode<OrderedLog>[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((n) => n.stop({ transferLeadership: false })));
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

interface Layout {
  readonly peers: Record<number, string>;
  readonly dataDir: (id: number) => string;
}

async function layout(size: number): Promise<Layout> {
  const ports = await freePorts(size);
  const { dir, cleanup } = await tempDir('embed');
  cleanups.push(cleanup);
  const peers: Record<number, string> = {};
  ports.forEach((port, k) => (peers[k + 1] = `127.0.0.1:${port}`));
  return { peers, dataDir: (id) => join(dir, `node-${id}`) };
}

async function start(
  l: Layout,
  id: number,
  extra: Partial<NodeOptions<OrderedLog>> = {},
): Promise<RedraftNode<OrderedLog>> {
  const node = await startNode({
    id,
    peers: l.peers,
    dataDir: l.dataDir(id),
    stateMachine: new OrderedLog(),
    codec: jsonCodec<LogCommand>(),
    tickMs: 50,
    snapshotEntries: 5,
    ...extra,
  });
  started.push(node);
  return node;
}

async function stop(node: RedraftNode<OrderedLog>): Promise<void> {
  await node.stop();
  started.splice(started.indexOf(node), 1);
}

/** The node all running `nodes` agree leads, once they do. */
async function agreedLeader(
  nodes: readonly RedraftNode<OrderedLog>[],
): Promise<RedraftNode<OrderedLog>> {
  for (;;) {
    const ids = await Promise.all(nodes.map((n) => n.waitForLeader()));
    const leader = nodes.find((n) => n.id === ids[0]);
    if (leader?.isLeader === true && ids.every((id) => id === ids[0])) return leader;
    // Mid-election: wait for the next change anywhere, then look again.
    await new Promise<void>((resolve) => {
      const offs = nodes.map((n) =>
        n.onLeaderChange(() => {
          for (const off of offs) off();
          resolve();
        }),
      );
    });
  }
}

/** Proposes each command on the leader, following it if leadership moves. */
async function proposeAll(
  nodes: readonly RedraftNode<OrderedLog>[],
  commands: readonly LogCommand[],
): Promise<void> {
  for (const command of commands) {
    for (;;) {
      const leader = await agreedLeader(nodes);
      try {
        await leader.propose(command);
        break;
      } catch (err) {
        if (!(err instanceof NotLeaderError)) throw err;
      }
    }
  }
}

describe('startNode', () => {
  it('keeps its state across a restart from the data directory', async () => {
    const l = await layout(3);
    let nodes = await Promise.all([1, 2, 3].map((id) => start(l, id)));
    await proposeAll(nodes, appends('a', 12));
    await Promise.all(nodes.map((n) => stop(n)));
    for (const id of [1, 2, 3]) {
      const files = await readdir(join(l.dataDir(id), 'snapshots'));
      assert.ok(
        files.some((f) => f.endsWith('.snap')),
        `node ${id} wrote snapshot files (${files.join(', ')})`,
      );
    }

    nodes = await Promise.all([1, 2, 3].map((id) => start(l, id)));
    for (const node of nodes) {
      const [restored] = node.stateMachine.restoredSizes;
      assert.ok(
        restored !== undefined && restored > 0,
        `node ${node.id} restored its state machine from its snapshot`,
      );
    }
    await agreedLeader(nodes);
    for (const node of nodes) {
      assert.deepEqual(await node.read('linearizable', (log) => log.items.slice()), names('a', 12));
    }
    await proposeAll(nodes, appends('b', 1));
    for (const node of nodes) {
      assert.equal(await node.read('linearizable', (log) => log.items.length), 13);
    }
  });

  it("a member that missed compacted entries is sent the leader's snapshot", async () => {
    const l = await layout(3);
    const nodes = await Promise.all([1, 2, 3].map((id) => start(l, id)));
    await proposeAll(nodes, appends('a', 3));
    const leader = await agreedLeader(nodes);
    const lagging = nodes.find((n) => n.id !== leader.id)!;
    const had = await lagging.read('linearizable', (log) => log.items.length);
    await stop(lagging);
    const rest = nodes.filter((n) => n !== lagging);
    // snapshotEntries 5 keeps 5 entries behind each snapshot: 30 more outrun it.
    await proposeAll(rest, appends('b', 30));

    const back = await start(l, lagging.id);
    const all = [...rest, back];
    await agreedLeader(all);
    assert.equal(await back.read('linearizable', (log) => log.items.length), 33);
    assert.ok(
      back.stateMachine.restoredSizes.some((size) => size > had),
      `restored from a snapshot newer than what it had (${had} items): ${back.stateMachine.restoredSizes.join(', ')}`,
    );
  });

  it('refuses a data directory another node holds, and leaves it usable', async () => {
    const l = await layout(1);
    const first = await start(l, 1);
    await assert.rejects(start(l, 1), (err: unknown) => {
      assert.ok(err instanceof StorageError, `got ${String(err)}`);
      assert.match(err.message, /cannot open log storage/);
      return true;
    });
    await first.waitForLeader();
    assert.equal(await first.propose({ append: 'still fine' }), 1);
  });

  it('fails to start when its peer port is taken, and releases the data directory', async () => {
    const l = await layout(1);
    const port = Number(l.peers[1]!.split(':')[1]);
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      await assert.rejects(start(l, 1), /node 1 cannot start its peer transport: .*EADDRINUSE/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    const node = await start(l, 1);
    await node.waitForLeader();
    assert.equal(await node.propose({ append: 'x' }), 1);
  });
});

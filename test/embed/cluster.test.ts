/**
 * The in-process cluster and the node API over it: proposals and their results, refusals on
 * followers, rejections by the state machine, the three read consistencies (also across a
 * partition), leadership transfer, and restarts from what a member persisted.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  InvalidCommandError,
  LeadershipLostError,
  NotLeaderError,
  RedraftError,
  jsonCodec,
  startCluster,
  type InProcessCluster,
  type RedraftNode,
} from '../../src/index.js';
import { OrderedLog, Refused, appends, names, type LogCommand } from './helpers.js';

let running: InProcessCluster<OrderedLog>[] = [];

afterEach(async () => {
  await Promise.all(running.map((c) => c.stop()));
  running = [];
});

async function cluster(
  options: { size?: number; snapshotEntries?: number; requestTimeoutMs?: number } = {},
): Promise<InProcessCluster<OrderedLog>> {
  const c = await startCluster({
    size: options.size ?? 3,
    stateMachine: () => new OrderedLog(),
    codec: jsonCodec<LogCommand>(),
    ...(options.snapshotEntries === undefined ? {} : { snapshotEntries: options.snapshotEntries }),
    ...(options.requestTimeoutMs === undefined
      ? {}
      : { requestTimeoutMs: options.requestTimeoutMs }),
  });
  running.push(c);
  return c;
}

async function proposeAll(c: InProcessCluster<OrderedLog>, commands: LogCommand[]): Promise<void> {
  for (const command of commands) await c.propose(command);
}

/** Resolves with the leader `node` knows of once it is not `excluded`. */
function leaderOtherThan(node: RedraftNode<OrderedLog>, excluded: number): Promise<number> {
  return new Promise((resolve) => {
    const check = (leader: number | undefined): boolean => {
      if (leader === undefined || leader === excluded) return false;
      unsubscribe();
      resolve(leader);
      return true;
    };
    const unsubscribe = node.onLeaderChange(check);
    check(node.leaderId);
  });
}

/** A running node other than the leader, once it knows the leader. */
async function follower(c: InProcessCluster<OrderedLog>): Promise<RedraftNode<OrderedLog>> {
  const leader = await c.waitForLeader();
  const node = c.runningNodes().find((n) => n.id !== leader.id)!;
  await node.waitForLeader();
  return node;
}

describe('startCluster', () => {
  it('replicates proposals in order and returns what apply returned', async () => {
    const c = await cluster();
    const leader = await c.waitForLeader();
    assert.equal(await leader.propose({ append: 'a' }), 1);
    assert.equal(await leader.propose({ append: 'b' }), 2);
    const many = await Promise.all(appends('x', 20).map((cmd) => leader.propose(cmd)));
    assert.deepEqual(
      [...many].sort((p, q) => p - q),
      Array.from({ length: 20 }, (_, k) => k + 3),
      'each concurrent proposal gets its own result',
    );
    for (const node of c.runningNodes()) {
      await node.waitForLeader();
      const items = await node.read('linearizable', (log) => log.items.slice());
      assert.equal(items.length, 22);
      assert.deepEqual(items.slice(0, 2), ['a', 'b']);
      const indexes = node.stateMachine.indexes;
      assert.ok(
        indexes.every((i, k) => k === 0 || i > indexes[k - 1]!),
        'applied at increasing log indexes',
      );
    }
  });

  it('a follower refuses a proposal with NotLeaderError naming the leader, and proposes nothing', async () => {
    const c = await cluster();
    await c.propose({ append: 'first' });
    const f = await follower(c);
    const leader = c.leader()!;
    await assert.rejects(f.propose({ append: 'on a follower' }), (err: unknown) => {
      assert.ok(err instanceof NotLeaderError);
      assert.equal(err.code, 'NOT_LEADER');
      assert.equal(err.leaderId, leader.id);
      return true;
    });
    await c.propose({ append: 'second' });
    const items = await leader.read('linearizable', (log) => log.items.slice());
    assert.deepEqual(items, ['first', 'second']);
  });

  it('a command apply throws on is rejected to its proposer and applied nowhere', async () => {
    const c = await cluster();
    await c.propose({ append: 'kept' });
    await assert.rejects(c.propose({ refuse: 'not today' }), (err: unknown) => {
      assert.ok(err instanceof Refused, `got ${String(err)}`);
      assert.equal(err.message, 'refused: not today');
      return true;
    });
    assert.equal(await c.propose({ append: 'after' }), 2);
    for (const node of c.runningNodes()) {
      await node.waitForLeader();
      assert.deepEqual(await node.read('linearizable', (log) => log.items.slice()), [
        'kept',
        'after',
      ]);
    }
  });

  it('refuses commands the codec cannot encode, or over maxCommandBytes, before proposing', async () => {
    const c = await startCluster({
      size: 1,
      stateMachine: () => new OrderedLog(),
      codec: jsonCodec<LogCommand>(),
      maxCommandBytes: 64,
    });
    running.push(c);
    const leader = await c.waitForLeader();
    // Once a read is served, the leader's own first entry is committed: nothing else moves.
    await leader.read('linearizable', () => undefined);
    const before = leader.status().commitIndex;
    await assert.rejects(leader.propose({ append: 'y'.repeat(100) }), (err: unknown) => {
      assert.ok(err instanceof InvalidCommandError);
      assert.equal(err.code, 'BAD_REQUEST');
      assert.match(err.message, /over the 64-byte limit \(maxCommandBytes\)/);
      return true;
    });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await assert.rejects(
      leader.propose(circular as unknown as LogCommand),
      (err: unknown) =>
        err instanceof InvalidCommandError && /cannot encode the command/.test(err.message),
    );
    assert.equal(leader.status().commitIndex, before, 'nothing reached the log');
    assert.equal(await leader.propose({ append: 'fits' }), 1);
  });

  it('serves linearizable, lease and stale reads, and reads follow a partition as documented', async () => {
    const c = await cluster({ requestTimeoutMs: 1_000 });
    await proposeAll(c, appends('v', 3));
    const leader = c.leader()!;
    assert.equal(await leader.read('lease', (log) => log.items.length), 3);
    assert.equal(await leader.read('linearizable', (log) => log.items.length), 3);
    const isolated = await follower(c);
    assert.equal(await isolated.read('linearizable', (log) => log.items.length), 3);

    c.isolate(isolated.id);
    await proposeAll(c, appends('w', 2));
    assert.equal(
      await isolated.read('stale', (log) => log.items.length),
      3,
      'a stale read serves what this node has',
    );
    await assert.rejects(
      isolated.read('linearizable', (log) => log.items.length),
      (err) => {
        assert.ok(err instanceof RedraftError);
        assert.ok(
          err.code === 'TIMEOUT' || err.code === 'NO_LEADER',
          `cut off from the leader, a linearizable read fails (got ${err.code})`,
        );
        return true;
      },
    );
    const majority = c.runningNodes().filter((n) => n.id !== isolated.id);
    for (const node of majority) {
      await node.waitForLeader();
      assert.equal(await node.read('linearizable', (log) => log.items.length), 5);
    }

    c.heal();
    await isolated.waitForLeader();
    assert.equal(await isolated.read('linearizable', (log) => log.items.length), 5);
  });

  it('a leader cut off from the majority loses its pending proposal with LeadershipLostError', async () => {
    const c = await cluster();
    await c.propose({ append: 'before' });
    const old = c.leader()!;
    const others = c.runningNodes().filter((n) => n.id !== old.id);
    c.partition(
      [old.id],
      others.map((n) => n.id),
    );
    const pending = old.propose({ append: 'cut off' });
    // Check-quorum makes the old leader step down; its proposal's fate is then unknown.
    await assert.rejects(pending, LeadershipLostError);
    const successor = await leaderOtherThan(others[0]!, old.id);
    await c.node(successor).propose({ append: 'after' });

    c.heal();
    for (const node of c.runningNodes()) {
      await leaderOtherThan(node, old.id);
      assert.deepEqual(
        await node.read('linearizable', (log) => log.items.slice()),
        ['before', 'after'],
        'the uncommitted entry of the old term was replaced everywhere',
      );
    }
  });

  it('rejects a read with an unknown consistency or without a query', async () => {
    const c = await cluster({ size: 1 });
    const node = await c.waitForLeader();
    await assert.rejects(
      node.read('eventual' as 'stale', () => 1),
      (err: unknown) => err instanceof InvalidCommandError && /consistency/.test(err.message),
    );
    await assert.rejects(
      node.read('stale', undefined as unknown as () => number),
      (err: unknown) => err instanceof InvalidCommandError,
    );
  });

  it('survives stopping the leader, and the stopped node rejoins with its state', async () => {
    const c = await cluster({ snapshotEntries: 4 });
    await proposeAll(c, appends('a', 6));
    const old = c.leader()!;
    await c.stopNode(old.id, { transferLeadership: false });
    assert.equal(old.stopped, true);
    assert.throws(() => c.node(old.id), /not running/);
    await assert.rejects(old.propose({ append: 'late' }), (err: unknown) => {
      assert.ok(err instanceof RedraftError);
      assert.equal(err.code, 'SHUTTING_DOWN');
      return true;
    });

    const next = await c.waitForLeader();
    assert.notEqual(next.id, old.id);
    await proposeAll(c, appends('b', 6));

    const back = await c.restartNode(old.id);
    assert.notEqual(back, old, 'a restart makes a new node');
    const [restored] = back.stateMachine.restoredSizes;
    assert.ok(
      restored !== undefined && restored > 0 && restored <= 6,
      `restored from a snapshot it took before it stopped (${String(restored)} items)`,
    );
    await back.waitForLeader();
    const items = await back.read('linearizable', (log) => log.items.slice());
    assert.deepEqual(items, [...names('a', 6), ...names('b', 6)]);
  });

  it('hands leadership over on request', async () => {
    const c = await cluster();
    await c.propose({ append: 'x' });
    const leader = c.leader()!;
    const target = c.runningNodes().find((n) => n.id !== leader.id)!;
    assert.equal(await leader.transferLeadership(target.id), true);
    assert.equal(leader.isLeader, false);
    const f = await follower(c);
    await assert.rejects(f.transferLeadership(), NotLeaderError);
    assert.equal(await c.propose({ append: 'y' }), 2);
  });

  it('stops a node whose state machine fails, tells onFailure listeners, and restarts from disk', async () => {
    let failing = false;
    const c = await startCluster({
      size: 1,
      stateMachine: () => {
        const log = new OrderedLog();
        const snapshot = log.snapshot.bind(log);
        log.snapshot = () => {
          if (failing) throw new Error('disk full (simulated)');
          return snapshot();
        };
        return log;
      },
      codec: jsonCodec<LogCommand>(),
      storage: 'disk',
      snapshotEntries: 3,
    });
    running.push(c);
    const node = await c.waitForLeader();
    await proposeAll(c, appends('a', 2));
    const failure = new Promise<Error>((resolve) => node.onFailure(resolve));
    failing = true;
    const pending = Promise.allSettled(appends('b', 3).map((cmd) => node.propose(cmd)));
    const error = await failure;
    assert.match(error.message, /disk full \(simulated\)/);
    assert.equal(node.stopped, true);
    for (const outcome of await pending) {
      if (outcome.status === 'rejected') assert.ok(outcome.reason instanceof RedraftError);
    }
    await assert.rejects(node.propose({ append: 'c' }), RedraftError);

    failing = false;
    const back = await c.restartNode(node.id);
    await back.waitForLeader();
    const items = await back.read('linearizable', (log) => log.items.slice());
    assert.deepEqual(items.slice(0, 2), names('a', 2), 'what was committed before is still there');
  });

  it('reports status', async () => {
    const c = await cluster();
    await c.propose({ append: 'x' });
    const leader = c.leader()!;
    const status = leader.status();
    assert.equal(status.id, leader.id);
    assert.equal(status.role, 'leader');
    assert.equal(status.leaderId, leader.id);
    assert.ok(status.term >= 1);
    assert.ok(status.commitIndex >= 2, "the leader's empty entry and the command");
    assert.ok(status.appliedIndex >= 2);
    assert.deepEqual(status.voters, [1, 2, 3]);
    assert.deepEqual(status.learners, []);
    assert.equal(leader.peerAddress, undefined, 'in-memory transport');
  });

  it('runs over gRPC on loopback with data directories, and restarts from them', async () => {
    const c = await startCluster({
      size: 3,
      stateMachine: () => new OrderedLog(),
      codec: jsonCodec<LogCommand>(),
      transport: 'grpc',
      storage: 'disk',
      snapshotEntries: 3,
    });
    running.push(c);
    assert.ok(c.dataDir !== undefined);
    for (const node of c.runningNodes()) assert.match(node.peerAddress ?? '', /^127\.0\.0\.1:\d+$/);
    await proposeAll(c, appends('g', 5));
    const f = await follower(c);
    const address = f.peerAddress;
    await c.stopNode(f.id);
    await proposeAll(c, appends('h', 2));
    const back = await c.restartNode(f.id);
    assert.equal(back.peerAddress, address, 'a restarted member listens where it did');
    assert.ok(back.stateMachine.restoredSizes.length > 0, 'restored from its snapshot file');
    await back.waitForLeader();
    assert.equal(await back.read('linearizable', (log) => log.items.length), 7);
  });
});

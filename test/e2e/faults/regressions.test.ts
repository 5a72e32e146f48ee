/**
 * Anomalies the fault schedules found, replayed as targeted scenarios (a seed does not replay
 * a real machine's timing, so each is rebuilt to make its interleaving likely).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  HistoryRecorder,
  checkCounters,
  type CounterInput,
  type CounterOutput,
} from '../checker/index.js';
import {
  RespConnection,
  raftView,
  startLoopbackCluster,
  type FaultCluster,
  type FaultNode,
} from './harness/index.js';

const KEY = 'regression-counter';

/** INCR in a loop through one member, pipelined, recording every outcome. */
async function incrLoop(
  node: FaultNode,
  history: HistoryRecorder<CounterInput, CounterOutput>,
  firstProcess: number,
  running: () => boolean,
): Promise<void> {
  let proc = firstProcess;
  let conn: RespConnection | undefined;
  while (running()) {
    if (conn?.usable !== true) {
      try {
        conn = await RespConnection.connect(node.endpoint, 500);
      } catch {
        await sleep(20);
        continue;
      }
    }
    // A few requests in flight at once: when a paused member wakes up, they are all waiting
    // in its socket, next to the new leader's messages.
    const batch = Array.from({ length: 4 }, () => {
      const op = history.invoke(proc, KEY, { f: 'incr' });
      return conn!.send(['INCR', KEY], 3000).then(
        (reply) => {
          if (reply.kind === 'integer') op.ok(Number(reply.value));
          else if (reply.kind === 'error' && /^(MOVED|CLUSTERDOWN)/.test(reply.message))
            op.fail(reply.message);
          else op.unknown(JSON.stringify(reply));
        },
        (err: unknown) => {
          op.unknown((err as Error).message);
        },
      );
    });
    await Promise.all(batch);
    if (!conn.usable) proc += 1000;
    // Refused (no leader yet): asking again at once only starves the election of CPU.
    if (history.operations.at(-1)?.status === 'fail') await sleep(10);
  }
  conn?.close();
}

async function leaderOf(
  cluster: FaultCluster,
  among: readonly FaultNode[],
): Promise<FaultNode | undefined> {
  const views = await Promise.all(among.map((n) => raftView(n, 500)));
  const i = views.findIndex((v) => v?.role === 'leader');
  return i < 0 ? undefined : among[i];
}

describe('fault-schedule regressions', () => {
  it(
    'seed 280282460: a paused leader that wakes up never answers -MOVED for a write that then commits',
    { timeout: 90_000 },
    async () => {
      const cluster = await startLoopbackCluster({
        name: 'regress-moved',
        size: 3,
        tickMs: 25,
        electionTicks: 10,
        snapshotEntries: 10_000,
      });
      let keep = true;
      try {
        const history = new HistoryRecorder<CounterInput, CounterOutput>();
        let running = true;
        const loops = cluster.nodes.flatMap((n, i) => [
          incrLoop(n, history, i * 2, () => running),
          incrLoop(n, history, i * 2 + 1, () => running),
        ]);
        let lateProcess = 100_000;
        for (let cycle = 0; cycle < 8; cycle++) {
          const leader = await waitForValue(() => leaderOf(cluster, cluster.nodes), 10_000);
          // Idle connections, opened while it runs, for requests sent while it is paused.
          const late = await Promise.all(
            Array.from({ length: 4 }, () => RespConnection.connect(leader.endpoint, 1000)),
          );
          leader.pause();
          const others = cluster.nodes.filter((n) => n !== leader);
          await waitForValue(() => leaderOf(cluster, others), 10_000);
          // The new leader's heartbeats are already waiting in the paused member's sockets;
          // requests sent now wait behind them. On waking, the member steps a heartbeat
          // (its core steps down) and reads these requests in the same turn of its event
          // loop, before its driver has seen the step-down: the window of the bug.
          await sleep(200);
          const pending = late.flatMap((conn) =>
            Array.from({ length: 4 }, () => {
              const op = history.invoke(lateProcess++, KEY, { f: 'incr' });
              return conn.send(['INCR', KEY], 5000).then(
                (reply) => {
                  if (reply.kind === 'integer') op.ok(Number(reply.value));
                  else if (reply.kind === 'error' && /^(MOVED|CLUSTERDOWN)/.test(reply.message))
                    op.fail(reply.message);
                  else op.unknown(JSON.stringify(reply));
                },
                (err: unknown) => {
                  op.unknown((err as Error).message);
                },
              );
            }),
          );
          await sleep(50);
          leader.resume();
          await Promise.all(pending);
          for (const conn of late) conn.close();
          await sleep(300);
        }
        running = false;
        await Promise.all(loops);
        const leader = await waitForValue(() => leaderOf(cluster, cluster.nodes), 10_000);
        const conn = await RespConnection.connect(leader.endpoint, 1000);
        const reply = await conn.send(['GET', KEY], 3000);
        conn.close();
        assert.equal(reply.kind, 'bulk', JSON.stringify(reply));
        const final = Number(reply.value.toString());
        const result = checkCounters(history.operations, new Map([[KEY, final]]));
        const refused = history.operations.filter((o) => o.status === 'fail').length;
        process.stderr.write(
          `faults: regression 280282460: ${history.operations.length} INCRs, ${refused} refused, final ${final}\n`,
        );
        assert.deepEqual(result.keys.flatMap((k) => k.errors).slice(0, 5), []);
        keep = false;
      } finally {
        await cluster.stop(keep);
      }
    },
  );
});

describe('known issues found by the fault schedules (todo until fixed)', () => {
  it(
    'seeds 762128484, 232474788, 660461611: a member told to stop (SIGTERM) exits while a peer is paused',
    {
      timeout: 60_000,
      // Reported, not fixed here (src/transport is outside the fault suite's remit): after
      // "stopped" the process lingers for as long as the paused peer holds its connection
      // to this member's peer port. See README.md, "Anomalies found so far".
      todo: "GrpcTransport.shutdown leaves a paused peer's inbound HTTP/2 socket open",
    },
    async () => {
      const cluster = await startLoopbackCluster({
        name: 'regress-sigterm',
        size: 3,
        tickMs: 50,
        electionTicks: 10,
        snapshotEntries: 10_000,
      });
      try {
        const leader = await waitForValue(() => leaderOf(cluster, cluster.nodes), 15_000);
        const follower = cluster.nodes.find((n) => n !== leader)!;
        leader.pause();
        // Long enough for the follower to have answered heartbeats the paused leader never reads.
        await sleep(500);
        const status = await follower.terminate();
        assert.deepEqual(status, { code: 0, signal: null });
        leader.resume();
      } finally {
        // Nothing worth keeping while this is a known failure: the member's log just ends
        // with "stopped".
        await cluster.stop(false);
      }
    },
  );
});

async function waitForValue<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`nothing within ${timeoutMs} ms`);
    await sleep(20);
  }
}

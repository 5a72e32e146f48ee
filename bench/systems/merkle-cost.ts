/**
 * What Merkle maintenance costs in write throughput, measured side by side: two fresh 3-node
 * Redraft clusters, identical but for `--no-merkle` on one, both running for the whole part so
 * that both see the same machine. For each SET workload and each tool, R rounds; each round
 * measures both clusters, and the one that goes first alternates, so that a drift in the
 * machine's load falls on both alike.
 *
 * After the fill and after each of its runs, the cluster with Merkle state checkpoints and
 * finishes its root before anything else is measured, so that its root work never lands in
 * the other cluster's run. That work belongs to the writes of the run before it, so the time
 * and server CPU it takes are charged to that run: its ops/s are its requests over the run's
 * time plus the settle's, as on a saturated machine, where root work and writes share the
 * same cores. The writes a run does not count (the load generator's warm-up, redis-benchmark's
 * sizing probes) have their root finished, uncharged, just before the measured window opens;
 * both clusters pause there alike.
 */
import { TestCluster, parseInfo, respCommand, type Member } from '../../test/e2e/harness/index.js';
import { CHANGING_VALUE_COUNT, benchValue, changingValues, keyNames } from '../keyspace.js';
import { totalCpuMs } from '../machine.js';
import { runLoad, type KvTarget, type Workload } from '../load.js';
import { measureSized } from '../redis-benchmark.js';
import { redisTarget } from '../redis-target.js';
import {
  workloadLabel,
  type MerkleCostMeasurement,
  type MerkleCostTool,
  type RunFigures,
} from '../report.js';
import {
  asError,
  benchmarkSpec,
  fill,
  progress,
  workloadsOf,
  type BenchSettings,
  type Results,
} from '../suite.js';
import { ELECTION_TICKS, TICK_MS } from './redraft.js';

const NO_MERKLE = '--no-merkle';
/**
 * In this order, each tool through every workload before the next tool:
 * - the load generator writes the value the fill wrote, as in the rest of the bench: rewrites
 *   of the bytes a key holds, which Merkle maintenance notices and skips, so it comes first,
 *   while every key still holds the fill's value;
 * - redis-benchmark writes the same payload in every run (its generator has a fixed seed): its
 *   first run changes every key it reaches, once, and later runs rewrite the bytes they hold;
 * - the load generator with changing values writes one of CHANGING_VALUE_COUNT distinct
 *   values in turn: nearly every write changes its key.
 */
const TOOLS: readonly MerkleCostTool[] = [
  'load generator',
  'redis-benchmark',
  'load generator, changing values',
];

/** One of the two clusters, started and led. */
interface Side {
  /** "with Merkle", "without Merkle": for progress lines and notes. */
  readonly name: string;
  readonly merkle: boolean;
  readonly cluster: TestCluster;
  readonly leader: Member;
  readonly pids: readonly (number | undefined)[];
  readonly target: KvTarget;
  /** The same, writing changing values. */
  readonly changingTarget: KvTarget;
}

/** What finishing a cluster's pending root work took. */
interface Settle {
  readonly seconds: number;
  /** CPU time of the cluster's members meanwhile, ms. */
  readonly serverCpuMs: number;
}

/**
 * Makes the Merkle cluster checkpoint now and waits until every member has computed that root
 * (INFO finishes a pending root), so that root work left from the fill or from one run is not
 * done during the next run, whichever cluster that run measures. Returns what it took, or an
 * Error, recorded (the runs after it will say whether the cluster still works), not thrown.
 */
async function settleRoot(results: Results, side: Side, after: string): Promise<Settle | Error> {
  const started = performance.now();
  const cpuBefore = totalCpuMs(side.pids);
  try {
    const leaderPort = side.leader.ports.resp;
    const reply = await respCommand(leaderPort, ['MERKLE', 'CHECKPOINT', 'NOW'], 30_000);
    if (reply.kind === 'error') throw new Error(`MERKLE CHECKPOINT NOW: ${reply.message}`);
    await side.cluster.waitFor(
      'every member to compute the Merkle root',
      async () => {
        for (const m of side.cluster.members) {
          const info = parseInfo(await respCommand(m.ports.resp, ['INFO', 'merkle'], 10_000));
          if (info.get('merkle_pending_keys') !== '0') return undefined;
        }
        return true;
      },
      60_000,
      50,
    );
    return {
      seconds: (performance.now() - started) / 1000,
      serverCpuMs: totalCpuMs(side.pids) - cpuBefore,
    };
  } catch (err) {
    const e = asError(err);
    const what = `Merkle cost: computing the root after ${after}`;
    progress(`bench: ${what} failed: ${e.message}\n`);
    results.notes.push(`${what} failed: ${e.message}`);
    results.failures++;
    return e;
  }
}

/** A run's figures with the settle that finished its root work charged to it. */
function charged(run: MeasuredRun, settle: Settle): RunFigures {
  return {
    opsPerSecond: run.requests / (run.seconds + settle.seconds),
    serverCpuUsPerOp: run.serverCpuUsPerOp + (settle.serverCpuMs * 1000) / run.requests,
  };
}

/** A run as measured: its figures, and the requests and seconds they come from. */
interface MeasuredRun extends RunFigures {
  readonly requests: number;
  readonly seconds: number;
}

/** One run of `tool` against `side`; a failure is returned (and counted), not thrown. */
async function measureOnce(
  results: Results,
  settings: BenchSettings,
  tool: MerkleCostTool,
  workload: Workload,
  side: Side,
  round: number,
): Promise<MeasuredRun | Error> {
  const what =
    `Merkle cost: ${tool} ${workloadLabel(workload)}, ` +
    `round ${round}/${settings.merkleRounds}, ${side.name}`;
  progress(`bench: ${what}... `);
  // Root work for writes the window does not count: done before it opens, not charged.
  const settleUncounted = async (): Promise<void> => {
    if (side.merkle) await settleRoot(results, side, `the uncounted writes before ${what}`);
  };
  try {
    let figures: MeasuredRun;
    if (tool !== 'redis-benchmark') {
      const target = tool === 'load generator' ? side.target : side.changingTarget;
      const r = await runLoad(target, workload, {
        keyspace: settings.keyspace,
        warmupMs: settings.warmupSeconds * 1000,
        durationMs: settings.seconds * 1000,
        beforeWindow: settleUncounted,
      });
      // A figure carries no error count here, so a run with errors is not a figure at all.
      if (r.errors > 0) throw new Error(`${r.errors} errors (${r.firstError ?? '?'})`);
      figures = {
        opsPerSecond: r.opsPerSecond,
        serverCpuUsPerOp: r.serverCpuUsPerOp,
        requests: r.ops,
        seconds: r.seconds,
      };
    } else {
      const spec = benchmarkSpec(settings, side.leader.ports.resp, workload, settings.valueBytes);
      const r = await measureSized(spec, settings.rbSeconds, side.pids, settleUncounted);
      figures = {
        opsPerSecond: r.row.rps,
        serverCpuUsPerOp: r.serverCpuUs,
        requests: r.requests,
        // redis-benchmark's own rate, not the wall time, which includes its start and stop.
        seconds: r.requests / r.row.rps,
      };
    }
    progress(
      `${Math.round(figures.opsPerSecond).toLocaleString('en-US')} ops/s, ` +
        `server CPU ${figures.serverCpuUsPerOp.toFixed(1)} µs/op\n`,
    );
    return figures;
  } catch (err) {
    const e = asError(err);
    progress(`failed: ${e.message}\n`);
    results.notes.push(`${what} failed: ${e.message}`);
    results.failures++;
    return e;
  }
}

function startCluster(
  name: string,
  nodeFlags: readonly string[],
  extraArgs: readonly string[],
): Promise<TestCluster> {
  return TestCluster.start({
    name,
    tickMs: TICK_MS,
    electionTicks: ELECTION_TICKS,
    nodeFlags,
    extraArgs,
  });
}

/** Starts both clusters at once; if either fails to start, the other is stopped. */
async function startBoth(
  nodeFlags: readonly string[],
  serverFlags: readonly string[],
): Promise<[withMerkle: TestCluster, withoutMerkle: TestCluster]> {
  const [a, b] = await Promise.allSettled([
    startCluster('bench-merkle', nodeFlags, serverFlags),
    startCluster('bench-no-merkle', nodeFlags, [...serverFlags, NO_MERKLE]),
  ]);
  if (a.status === 'fulfilled' && b.status === 'fulfilled') return [a.value, b.value];
  const started = [a, b].flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  await Promise.all(started.map((c) => c.stop()));
  throw asError(a.status === 'rejected' ? a.reason : (b as PromiseRejectedResult).reason);
}

export async function benchMerkleCost(settings: BenchSettings, results: Results): Promise<void> {
  if (settings.serverFlags.includes(NO_MERKLE)) {
    const why =
      'The Merkle-cost part did not run: REDRAFT_BENCH_SERVER_FLAGS has `--no-merkle`, so both ' +
      'of its clusters would run without Merkle state.';
    progress(`bench: ${why}\n`);
    results.notes.push(why);
    return;
  }
  // Not profiled even with REDRAFT_BENCH_PROFILE: a profiler's overhead would blur the change.
  const nodeFlags = settings.nodeFlags;
  const [withCluster, withoutCluster] = await startBoth(nodeFlags, settings.serverFlags);
  const failuresBefore = results.failures;
  let keep = false;
  try {
    const keys = keyNames(settings.keyspace);
    const value = benchValue(settings.valueBytes);
    const side = async (cluster: TestCluster, merkle: boolean): Promise<Side> => {
      const leader = await cluster.waitForLeader(20_000);
      // All three members: a follower's share of a write (append, fsync, apply) is its cost too.
      const pids = cluster.members.map((m) => m.pid);
      const name = merkle ? 'with Merkle' : 'without Merkle';
      return {
        name,
        merkle,
        cluster,
        leader,
        pids,
        target: redisTarget({
          name: `Redraft ${name}`,
          port: leader.ports.resp,
          keys,
          value,
          serverPids: pids,
        }),
        changingTarget: redisTarget({
          name: `Redraft ${name}, changing values`,
          port: leader.ports.resp,
          keys,
          value,
          values: changingValues(settings.valueBytes, CHANGING_VALUE_COUNT),
          serverPids: pids,
        }),
      };
    };
    const [withMerkle, withoutMerkle] = await Promise.all([
      side(withCluster, true),
      side(withoutCluster, false),
    ]);
    const rounds = settings.merkleRounds;
    results.setups.push(
      `Merkle cost: two more fresh clusters of ${withCluster.members.length} \`redraft server\` ` +
        `processes on 127.0.0.1, started together and both running for the whole part, each ` +
        `set up like the Redraft cluster of the other parts (fsync on, tick ${TICK_MS} ms, ` +
        `election ${ELECTION_TICKS} ticks, the defaults for the rest): one with Merkle state ` +
        `(the default; leader node ${withMerkle.leader.id}), one with \`${NO_MERKLE}\` (leader ` +
        `node ${withoutMerkle.leader.id}); every client connects to its cluster's leader. ` +
        `${rounds} round${rounds === 1 ? '' : 's'} per tool and SET workload, each measuring ` +
        `both clusters, the one with Merkle first in odd rounds (REDRAFT_BENCH_MERKLE_ROUNDS).` +
        (nodeFlags.length > 0 ? ` Members' node flags: \`${nodeFlags.join(' ')}\`.` : '') +
        (settings.serverFlags.length > 0
          ? ` Server flags: \`${settings.serverFlags.join(' ')}\`.`
          : ''),
    );

    await fill(settings, 'Redraft with Merkle', withMerkle.target);
    await fill(settings, 'Redraft without Merkle', withoutMerkle.target);
    await settleRoot(results, withMerkle, 'the fill');

    // Every round of a workload before the next: both clusters see the same stretch of the
    // machine's load.
    for (const tool of TOOLS) {
      for (const w of workloadsOf(settings).filter((x) => x.op === 'set')) {
        const row = {
          tool,
          label: workloadLabel(w),
          withMerkle: [] as (RunFigures | Error)[],
          withoutMerkle: [] as (RunFigures | Error)[],
        } satisfies MerkleCostMeasurement;
        for (let round = 1; round <= rounds; round++) {
          const order = round % 2 === 1 ? [withMerkle, withoutMerkle] : [withoutMerkle, withMerkle];
          for (const s of order) {
            const run = await measureOnce(results, settings, tool, w, s, round);
            if (s.merkle) {
              const settle = await settleRoot(results, s, `${tool} ${row.label}, round ${round}`);
              if (run instanceof Error) {
                row.withMerkle.push(run);
                continue;
              }
              if (settle instanceof Error) {
                row.withMerkle.push(settle);
                continue;
              }
              const figures = charged(run, settle);
              progress(
                `bench: Merkle cost: its root took ${settle.seconds.toFixed(2)} s and ` +
                  `${Math.round(settle.serverCpuMs)} ms of server CPU; charged: ` +
                  `${Math.round(figures.opsPerSecond).toLocaleString('en-US')} ops/s, ` +
                  `${figures.serverCpuUsPerOp.toFixed(1)} µs/op\n`,
              );
              row.withMerkle.push(figures);
            } else {
              row.withoutMerkle.push(run);
            }
          }
        }
        results.merkleCost.push(row);
      }
    }

    for (const s of [withMerkle, withoutMerkle]) {
      const still = await s.cluster.waitForLeader(10_000).catch(() => undefined);
      if (still?.id !== s.leader.id)
        results.notes.push(
          `Merkle cost: the leadership of the cluster ${s.name} moved from node ${s.leader.id} ` +
            `to ${still === undefined ? 'nobody' : `node ${still.id}`} during the run.`,
        );
      for (const m of s.cluster.members)
        if (m.unexpectedExits.length > 0)
          results.notes.push(
            `Merkle cost: node ${m.id} of the cluster ${s.name} exited on its own: ` +
              `${JSON.stringify(m.unexpectedExits)}.`,
          );
    }
    keep = results.failures > failuresBefore;
  } catch (err) {
    keep = true;
    throw err;
  } finally {
    await Promise.all([withCluster.stop({ keep }), withoutCluster.stop({ keep })]);
  }
}

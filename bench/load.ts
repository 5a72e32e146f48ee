/**
 * A closed-loop load generator over any key-value store with a {@link KvTarget} driver
 * (ioredis for Redraft and redis-server, gRPC and the JSON gateway for etcd), so that every
 * system is measured by the same loop, the same key choice and the same clock.
 *
 * Each client is one connection that sends a batch of `depth` requests for random keys of the
 * key space, waits until all are answered, and sends the next: `depth` 1 is one request at a
 * time; above 1 it is a pipeline for RESP, and that many concurrent requests for etcd. Every
 * request of a batch is charged the batch's latency, which is how redis-benchmark counts
 * pipelined requests too.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import { LatencySamples, summarize, type LatencySummary } from './latency.js';
import { totalCpuMs } from './machine.js';

export type Operation = 'set' | 'get';

export interface Workload {
  readonly op: Operation;
  readonly clients: number;
  /** Requests a client sends before it waits for their replies. */
  readonly depth: number;
}

/** What a batch came to. `error` is one of the failures, when there were any. */
export interface BatchOutcome {
  readonly failed: number;
  /** GETs that found no value (the key space is filled first, so this should stay 0). */
  readonly misses: number;
  readonly error?: Error;
}

export const BATCH_OK: BatchOutcome = Object.freeze({ failed: 0, misses: 0 });

export interface KvConnection {
  /**
   * Sends one request per entry of `keys` (indices into the key space) at once: SET writes the
   * target's value. Resolves when every request is answered; never rejects (failures are
   * counted in the outcome). Reads `keys` before it returns: the caller reuses the array.
   */
  run(op: Operation, keys: readonly number[]): Promise<BatchOutcome>;
  close(): Promise<void>;
}

export interface KvTarget {
  /** How the system is reached, for the report: 'Redraft', 'etcd gRPC', ... */
  readonly name: string;
  /** The server processes, whose CPU time is charged to the requests they served. */
  readonly serverPids: readonly (number | undefined)[];
  /** A new client connection; `depth` is the largest batch it will be given. */
  connect(depth: number): Promise<KvConnection>;
}

export interface LoadOptions {
  readonly keyspace: number;
  /** Run before the measured window, which starts with the connections warm. */
  readonly warmupMs: number;
  readonly durationMs: number;
  /**
   * Runs after the warm-up, once every warm-up request has been answered, and before the
   * measured window opens; no request is sent meanwhile. The Merkle-cost part finishes the
   * root work of the warm-up's writes here: no request the window counts caused it.
   */
  readonly beforeWindow?: () => Promise<void>;
}

export interface LoadResult {
  readonly target: string;
  readonly workload: Workload;
  /** Requests answered without error during the measured window. */
  readonly ops: number;
  readonly errors: number;
  readonly misses: number;
  readonly seconds: number;
  readonly opsPerSecond: number;
  readonly latency: LatencySummary;
  /** CPU time of all the target's server processes during the window, per request. */
  readonly serverCpuUsPerOp: number;
  /** CPU time of this (load-generating) process during the window, per request. */
  readonly clientCpuUsPerOp: number;
  readonly firstError?: string;
}

/** How long the clients may take to finish their last batch once the window is over. */
const DRAIN_LIMIT_MS = 15_000;

function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function connectAll(target: KvTarget, n: number, depth: number): Promise<KvConnection[]> {
  const settled = await Promise.allSettled(Array.from({ length: n }, () => target.connect(depth)));
  const conns = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(conns.map((c) => c.close()));
    throw new Error(`${target.name}: could not connect ${n} clients`, { cause: failed.reason });
  }
  return conns;
}

/** Waits for `loops`, but no longer than DRAIN_LIMIT_MS: a stalled server fails the run. */
async function drain(target: KvTarget, loops: Promise<void>[]): Promise<void> {
  const limit = new AbortController();
  const stalled = sleep(DRAIN_LIMIT_MS, true, { signal: limit.signal }).catch(() => false);
  const done = Promise.all(loops).then(() => false);
  const timedOut = await Promise.race([done, stalled]);
  limit.abort();
  if (timedOut)
    throw new Error(
      `${target.name}: requests still unanswered ${DRAIN_LIMIT_MS / 1000} s after the run`,
    );
}

/** Runs `workload` against `target`: warm-up, then the measured window. */
export async function runLoad(
  target: KvTarget,
  workload: Workload,
  options: LoadOptions,
): Promise<LoadResult> {
  const conns = await connectAll(target, workload.clients, workload.depth);
  const samples = new LatencySamples();
  const state = { running: true, recording: false, ops: 0, errors: 0, misses: 0 };
  let firstError: Error | undefined;
  const clientLoop = async (conn: KvConnection): Promise<void> => {
    const keys = new Array<number>(workload.depth).fill(0);
    while (state.running) {
      for (let k = 0; k < keys.length; k++) keys[k] = Math.floor(Math.random() * options.keyspace);
      const t0 = performance.now();
      const outcome = await conn.run(workload.op, keys);
      // A connection that fails at once would otherwise spin on settled promises and starve
      // the timers that end the run.
      if (outcome.failed > 0) await yieldToEventLoop();
      if (!state.recording) continue;
      const answered = keys.length - outcome.failed;
      samples.pushRepeated(performance.now() - t0, answered);
      state.ops += answered;
      state.errors += outcome.failed;
      state.misses += outcome.misses;
      firstError ??= outcome.error;
    }
  };
  let loops = conns.map(clientLoop);
  try {
    await sleep(options.warmupMs);
    if (options.beforeWindow !== undefined) {
      state.running = false;
      await drain(target, loops);
      await options.beforeWindow();
      state.running = true;
      loops = conns.map(clientLoop);
    }
    const cpuBefore = [totalCpuMs(target.serverPids), ownCpuMs()] as const;
    const start = performance.now();
    state.recording = true;
    await sleep(options.durationMs);
    state.recording = false;
    const seconds = (performance.now() - start) / 1000;
    const cpuAfter = [totalCpuMs(target.serverPids), ownCpuMs()] as const;
    state.running = false;
    await drain(target, loops);
    const perOpUs = (k: 0 | 1): number =>
      ((cpuAfter[k] - cpuBefore[k]) * 1000) / Math.max(1, state.ops);
    return {
      target: target.name,
      workload,
      ops: state.ops,
      errors: state.errors,
      misses: state.misses,
      seconds,
      opsPerSecond: state.ops / seconds,
      latency: summarize(samples),
      serverCpuUsPerOp: perOpUs(0),
      clientCpuUsPerOp: perOpUs(1),
      ...(firstError === undefined ? {} : { firstError: firstError.message }),
    };
  } finally {
    state.running = false;
    await Promise.all(conns.map((c) => c.close()));
  }
}

/**
 * Writes every key of the key space once, so that GETs find values: `clients` connections
 * each take an equal share, in batches of `depth`. Throws on the first failure.
 */
export async function fillKeyspace(
  target: KvTarget,
  keyspace: number,
  clients = 16,
  depth = 16,
): Promise<void> {
  const conns = await connectAll(target, clients, depth);
  try {
    const share = Math.ceil(keyspace / clients);
    await Promise.all(
      conns.map(async (conn, c) => {
        const end = Math.min(keyspace, (c + 1) * share);
        for (let first = c * share; first < end; first += depth) {
          const keys = [];
          for (let k = first; k < Math.min(end, first + depth); k++) keys.push(k);
          const outcome = await conn.run('set', keys);
          if (outcome.failed > 0)
            throw new Error(`${target.name}: filling the key space failed`, {
              cause: outcome.error,
            });
        }
      }),
    );
  } finally {
    await Promise.all(conns.map((c) => c.close()));
  }
}

/**
 * One fault schedule from start to verdict: start a cluster, let clients work while the
 * nemesis injects faults for the given time, heal everything, read the final state, and check
 * the histories. Anything wrong — a non-linearizable register, a lost or invented increment,
 * a lost, duplicated or reordered append, replicas that disagree, a member that crashed or
 * logged a fatal error, a cluster that does not recover — is an anomaly. With anomalies the
 * cluster's directory (member logs and data, plus history.json and report.txt) is kept and
 * its path printed; without, it is removed (REDRAFT_KEEP_LOGS=1 keeps it anyway).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom, waitFor } from '../../harness/index.js';
import { isInjectedDiskFailure } from './disk.js';
import {
  checkAppends,
  checkCounters,
  checkRegisters,
  type AppendResult,
  type CounterResult,
  type LinearizabilityResult,
} from '../../checker/index.js';
import {
  raftView,
  startLoopbackCluster,
  startNetnsCluster,
  type ClusterSettings,
  type FaultCluster,
  type FaultNode,
} from './fault-cluster.js';
import { Nemesis, faultsFor, type FaultKind } from './nemesis.js';
import { RespConnection } from './resp-connection.js';
import { COUNTER_KEY, Workload } from './workload.js';
import type { Reply } from '../../../../src/resp/encoder.js';

export interface ScheduleOptions {
  /** Names the temporary directory and the namespaces. */
  readonly name: string;
  readonly mode: 'loopback' | 'netns';
  readonly size: number;
  readonly seconds: number;
  readonly seed: number;
  /** Default: every fault the mode supports. */
  readonly kinds?: readonly FaultKind[];
  readonly clients?: number;
  readonly tickMs?: number;
  readonly electionTicks?: number;
  /** Small, so that snapshots and snapshot catch-up happen under faults too. */
  readonly snapshotEntries?: number;
  readonly requestTimeoutMs?: number;
  readonly holdMs?: readonly [number, number];
  readonly quietMs?: readonly [number, number];
}

export interface ScheduleReport {
  readonly anomalies: readonly string[];
  /** One paragraph for the test output. */
  readonly summary: string;
  /** Where logs and history were kept (only when there were anomalies or REDRAFT_KEEP_LOGS). */
  readonly keptIn: string | undefined;
}

/** Seconds per schedule: REDRAFT_FAULT_SECONDS, or the short default for `npm test`. */
export function faultSeconds(short: number): number {
  const raw = process.env.REDRAFT_FAULT_SECONDS;
  return raw !== undefined && /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : short;
}

/** REDRAFT_FAULT_SEED, or a fresh seed (printed by every schedule so it can be replayed). */
export function faultSeed(): number {
  const raw = process.env.REDRAFT_FAULT_SEED;
  if (raw !== undefined && /^\d+$/.test(raw)) return Number(raw);
  return Math.floor(Math.random() * 2 ** 31);
}

/** A test timeout that covers the schedule plus start, recovery and checking. */
export function scheduleTimeoutMs(seconds: number): number {
  return seconds * 1000 + 150_000;
}

const RECOVERY_MS = 30_000;

export async function runSchedule(options: ScheduleOptions): Promise<ScheduleReport> {
  const settings: ClusterSettings = {
    name: options.name,
    size: options.size,
    tickMs: options.tickMs ?? 50,
    electionTicks: options.electionTicks ?? 10,
    snapshotEntries: options.snapshotEntries ?? 250,
  };
  const replay = `REDRAFT_FAULT_SEED=${options.seed} REDRAFT_FAULT_SECONDS=${options.seconds}`;
  process.stderr.write(
    `faults: schedule "${options.name}" (${options.mode}, ${options.size} members, ${options.seconds} s) seed ${options.seed} — replay with ${replay} node scripts/run-tests.mjs test/e2e/faults\n`,
  );
  const cluster =
    options.mode === 'netns'
      ? await startNetnsCluster(settings)
      : await startLoopbackCluster(settings);
  const t0 = performance.now();
  const clock = (): number => performance.now() - t0;
  const anomalies: string[] = [];
  const notes: string[] = [];
  let workload: Workload | undefined;
  let nemesis: Nemesis | undefined;
  let finals = new Map<string, string | null>();
  let registers: LinearizabilityResult | undefined;
  let counters: CounterResult | undefined;
  let appends: AppendResult | undefined;
  try {
    await waitForLeader(cluster, RECOVERY_MS);
    workload = new Workload({
      clients: options.clients ?? 8,
      requestTimeoutMs: options.requestTimeoutMs ?? 2000,
      random: seededRandom(options.seed ^ 0x5bd1e995),
      nodes: cluster.nodes,
    });
    // The histories share the schedule's clock.
    for (const recorder of [workload.registers, workload.counters, workload.appends])
      recorder.useClock(clock);
    nemesis = new Nemesis({
      cluster,
      kinds: options.kinds ?? faultsFor(cluster),
      random: seededRandom(options.seed),
      clock,
      holdMs: options.holdMs ?? [1000, 4000],
      quietMs: options.quietMs ?? [500, 2500],
    });
    workload.start();
    nemesis.start();
    await sleep(options.seconds * 1000);
    await nemesis.stop();
    await workload.stop();

    // Recovery: a leader everyone agrees on, which has committed an entry of its own term
    // (so every earlier entry is settled one way or the other).
    let leader: FaultNode | undefined;
    try {
      leader = await waitForLeader(cluster, RECOVERY_MS);
    } catch (err) {
      anomalies.push(`no recovery: ${(err as Error).message}`);
    }
    if (leader !== undefined) {
      const keys = [...workload.registerKeys.all, COUNTER_KEY, ...workload.appendKeys.all];
      finals = await finalReads(leader, keys, workload, clock);
      anomalies.push(...(await convergence(cluster, keys)));
    }

    registers = checkRegisters(workload.registers.operations);
    for (const k of registers.keys) {
      if (k.result === 'illegal')
        anomalies.push(`register not linearizable — ${k.explanation ?? k.key}`);
      if (k.result === 'undecided')
        notes.push(`register ${k.key} undecided: ${k.explanation ?? ''}`);
    }
    const counterFinal = finals.get(COUNTER_KEY);
    counters = checkCounters(
      workload.counters.operations,
      new Map(
        counterFinal === undefined
          ? []
          : [[COUNTER_KEY, counterFinal === null ? null : Number(counterFinal)]],
      ),
    );
    for (const k of counters.keys)
      for (const e of k.errors) anomalies.push(`counter ${k.key}: ${e}`);
    appends = checkAppends(
      workload.appends.operations,
      new Map(workload.appendKeys.all.filter((k) => finals.has(k)).map((k) => [k, finals.get(k)!])),
    );
    for (const k of appends.keys) for (const e of k.errors) anomalies.push(`append ${k.key}: ${e}`);
    anomalies.push(...nemesis.anomalies);
    const bug = workload.errors.get('workload-bug');
    if (bug !== undefined) anomalies.push(`workload error (a harness bug): ${bug.sample}`);
  } catch (err) {
    anomalies.push(`harness error: ${(err as Error).stack ?? String(err)}`);
  } finally {
    await nemesis?.stop().catch(() => undefined);
    await workload?.stop().catch(() => undefined);
  }

  const diskFailures = nemesis?.diskFailures ?? new Map<number, number>();
  for (const n of cluster.nodes) {
    // A member whose disk was made to fail must fail-stop: exit 1, once per injected failure
    // at most. Anything else that ends a member on its own is an anomaly.
    const injected = diskFailures.get(n.id) ?? 0;
    let failStops = 0;
    for (const exit of n.unexpectedExits) {
      if (exit.code === 1 && failStops < injected) {
        failStops++;
        continue;
      }
      anomalies.push(
        `node ${n.id} exited on its own (code ${exit.code ?? '-'}, signal ${exit.signal ?? '-'}); see ${n.logFile}`,
      );
    }
    if (injected > 0)
      notes.push(`node ${n.id}: disk failed ${injected}×, fail-stopped ${failStops}×`);
  }
  anomalies.push(...fatalLogLines(cluster, diskFailures));
  if (cluster.diskFaultsUnavailable !== undefined)
    notes.push(`disk faults left out: ${cluster.diskFaultsUnavailable}`);

  for (const issue of nemesis?.knownIssues ?? []) {
    notes.push(`known issue (reported, not failed on): ${issue}`);
  }
  const summary = summarize(
    options,
    cluster,
    workload,
    nemesis,
    registers,
    counters,
    appends,
    notes,
  );
  const keep = anomalies.length > 0 || (process.env.REDRAFT_KEEP_LOGS ?? '') !== '';
  if (keep) {
    writeFileSync(
      join(cluster.dir, 'history.json'),
      JSON.stringify(
        {
          seed: options.seed,
          options,
          settings,
          anomalies,
          nemesis: nemesis?.events ?? [],
          finals: Object.fromEntries(finals),
          registers: workload?.registers.operations ?? [],
          counters: workload?.counters.operations ?? [],
          appends: workload?.appends.operations ?? [],
          errors: Object.fromEntries(workload?.errors ?? []),
        },
        null,
        1,
      ),
    );
    writeFileSync(join(cluster.dir, 'report.txt'), [summary, '', ...anomalies].join('\n') + '\n');
  }
  await cluster.stop(keep);
  if (anomalies.length > 0) {
    process.stderr.write(
      `faults: schedule "${options.name}" seed ${options.seed} found ${anomalies.length} anomalies; logs, history.json and report.txt are in ${cluster.dir}\n`,
    );
  }
  return { anomalies, summary, keptIn: keep ? cluster.dir : undefined };
}

/**
 * Waits until every running member names the same leader in the same term, and a write
 * through that leader is acknowledged (it has committed an entry of its own term).
 */
async function waitForLeader(cluster: FaultCluster, timeoutMs: number): Promise<FaultNode> {
  return waitFor(
    'a leader every member agrees on, committing writes',
    async () => {
      const running = cluster.nodes.filter((n) => n.running && !n.paused);
      const views = await Promise.all(running.map((n) => raftView(n, 1000)));
      const seen = views.map((v, i) =>
        v === undefined ? `n${running[i]!.id}:?` : `n${v.id}:${v.role}/t${v.term}/lead=${v.leader}`,
      );
      const lead = views[0]?.leader ?? 0;
      const leaderView = views.find((v) => v?.id === lead);
      if (
        lead === 0 ||
        leaderView?.role !== 'leader' ||
        views.some((v) => v === undefined || v.leader !== lead || v.term !== leaderView.term)
      ) {
        throw new Error(seen.join(' '));
      }
      const leader = cluster.nodes.find((n) => n.id === lead)!;
      const conn = await RespConnection.connect(leader.endpoint, 1000);
      try {
        const reply = await conn.send(['SET', 'fault-barrier', String(Date.now())], 2000);
        if (reply.kind !== 'simple') throw new Error(`barrier write: ${JSON.stringify(reply)}`);
      } finally {
        conn.close();
      }
      return leader;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

function textOf(reply: Reply): string | null | undefined {
  if (reply.kind === 'null') return null;
  if (reply.kind === 'bulk' || reply.kind === 'verbatim') {
    return typeof reply.value === 'string' ? reply.value : reply.value.toString('utf8');
  }
  return undefined;
}

/** GETs every key through `node`, pipelined, optionally after a first command; retried. */
async function readKeysAt(
  node: FaultNode,
  keys: readonly string[],
  first: readonly string[] | undefined,
  timeoutMs: number,
): Promise<Map<string, string | null>> {
  return waitFor(
    `node ${node.id} to answer ${keys.length} GETs`,
    async () => {
      const conn = await RespConnection.connect(node.endpoint, 1000);
      try {
        if (first !== undefined) {
          const r = await conn.send(first, 2000);
          if (r.kind === 'error') throw new Error(`${first.join(' ')}: ${r.message}`);
        }
        const replies = await Promise.all(keys.map((k) => conn.send(['GET', k], 5000)));
        const out = new Map<string, string | null>();
        replies.forEach((r, i) => {
          const v = textOf(r);
          if (v === undefined) throw new Error(`GET ${keys[i]!}: ${JSON.stringify(r)}`);
          out.set(keys[i]!, v);
        });
        return out;
      } finally {
        conn.close();
      }
    },
    { timeoutMs, intervalMs: 200 },
  );
}

/** Final linearizable reads through the leader; register reads join the history. */
async function finalReads(
  leader: FaultNode,
  keys: readonly string[],
  workload: Workload,
  clock: () => number,
): Promise<Map<string, string | null>> {
  const invoke = clock();
  const values = await readKeysAt(leader, keys, undefined, RECOVERY_MS);
  const complete = clock();
  // One process per read, each spanning the whole pipelined batch: honest, if loose.
  let process = 1_000_000;
  for (const key of workload.registerKeys.all) {
    const op = workload.registers.invokeAt(process++, key, { f: 'read' }, invoke);
    op.okAt(values.get(key) ?? null, complete);
  }
  return values;
}

/**
 * Replicas agree: once every member has applied the same index (and still has after the
 * reads), stale reads of every key give the same value on every member.
 */
async function convergence(cluster: FaultCluster, keys: readonly string[]): Promise<string[]> {
  const deadline = Date.now() + RECOVERY_MS;
  let last = '';
  while (Date.now() < deadline) {
    const before = await Promise.all(cluster.nodes.map((n) => raftView(n, 1000)));
    const applied = before.map((v) => v?.applied);
    if (applied.some((a) => a === undefined || a !== applied[0])) {
      last = `applied indexes ${applied.map((a, i) => `n${i + 1}=${a ?? '?'}`).join(' ')}`;
      await sleep(100);
      continue;
    }
    const states = await Promise.all(
      cluster.nodes.map((n) => readKeysAt(n, keys, ['READCONSISTENCY', 'stale'], 10_000)),
    );
    const after = await Promise.all(cluster.nodes.map((n) => raftView(n, 1000)));
    if (after.some((v) => v?.applied !== applied[0])) {
      last = 'applied index moved during the reads';
      continue;
    }
    const problems: string[] = [];
    for (const key of keys) {
      const values = states.map((s) => s.get(key));
      if (values.some((v) => v !== values[0])) {
        problems.push(
          `replicas diverged at applied index ${applied[0]!}: ${key} is ${values.map((v, i) => `n${i + 1}=${JSON.stringify(v)}`).join(' ')}`,
        );
      }
    }
    return problems.slice(0, 20);
  }
  return [`members did not converge within ${RECOVERY_MS} ms (${last})`];
}

/**
 * Fatal lines (pino level 60) in any member's log, all incarnations, except a member's
 * fail-stop on the I/O error the nemesis injected into its disk.
 */
function fatalLogLines(cluster: FaultCluster, diskFailures: ReadonlyMap<number, number>): string[] {
  const out: string[] = [];
  for (const n of cluster.nodes) {
    let text = '';
    try {
      text = readFileSync(n.logFile, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line.startsWith('{"level":60')) continue;
      if ((diskFailures.get(n.id) ?? 0) > 0 && isInjectedDiskFailure(line)) continue;
      out.push(`node ${n.id} logged a fatal error: ${line.slice(0, 600)}`);
    }
  }
  return out;
}

function summarize(
  options: ScheduleOptions,
  cluster: FaultCluster,
  workload: Workload | undefined,
  nemesis: Nemesis | undefined,
  registers: LinearizabilityResult | undefined,
  counters: CounterResult | undefined,
  appends: AppendResult | undefined,
  notes: readonly string[],
): string {
  const tally = (ops: readonly { status: string }[]): string => {
    const ok = ops.filter((o) => o.status === 'ok').length;
    const unknown = ops.filter((o) => o.status === 'unknown').length;
    const fail = ops.filter((o) => o.status === 'fail').length;
    return `${ops.length} (ok ${ok}, unknown ${unknown}, refused ${fail})`;
  };
  const faults = new Map<string, number>();
  for (const e of nemesis?.events ?? [])
    if (e.phase === 'start') faults.set(e.kind, (faults.get(e.kind) ?? 0) + 1);
  const lines = [
    `schedule "${options.name}": ${cluster.mode}, ${options.size} members, ${options.seconds} s, seed ${options.seed}`,
    `faults: ${[...faults].map(([k, n]) => `${k}×${n}`).join(' ') || 'none'}`,
  ];
  if (workload !== undefined) {
    lines.push(
      `operations: registers ${tally(workload.registers.operations)}, counter ${tally(workload.counters.operations)}, appends ${tally(workload.appends.operations)}`,
    );
  }
  if (registers !== undefined) {
    const undecided = registers.keys.filter((k) => k.result === 'undecided').length;
    const steps = registers.keys.reduce((s, k) => s + k.steps, 0);
    lines.push(
      `registers: ${registers.result} over ${registers.keys.length} keys (${undecided} undecided, ${steps} search steps)`,
    );
  }
  for (const k of counters?.keys ?? []) {
    lines.push(
      `counter: final ${k.finalValue ?? '?'}, acknowledged ${k.acknowledged}, sent ${k.attempted}: ${k.ok ? 'ok' : 'ANOMALY'}`,
    );
  }
  if (appends !== undefined) {
    const present = appends.keys.reduce((s, k) => s + k.present, 0);
    const acked = appends.keys.reduce((s, k) => s + k.acknowledged, 0);
    lines.push(
      `appends: ${appends.keys.length} keys, ${acked} acknowledged, ${present} present: ${appends.ok ? 'ok' : 'ANOMALY'}`,
    );
  }
  const errors = [...(workload?.errors ?? [])].map(([k, e]) => `${k}×${e.count}`).join(' ');
  if (errors !== '') lines.push(`client-side errors: ${errors}`);
  // Examples of the less obvious kinds: what a client was told.
  for (const [kind, e] of workload?.errors ?? []) {
    if (!['CLUSTERDOWN', 'connect', 'transport'].includes(kind)) {
      lines.push(`  e.g. ${kind}: ${e.sample.slice(0, 200)}`);
    }
  }
  lines.push(...notes);
  return lines.join('\n');
}

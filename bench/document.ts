/**
 * The report as a whole: the Markdown of docs/benchmarks.md and its SVG chart, from the results
 * of one run, the machine facts and the settings. Pure: it measures and writes nothing.
 */
import { barChartSvg, type ChartPanel } from './chart.js';
import { CHANGING_VALUE_COUNT } from './keyspace.js';
import type { Workload } from './load.js';
import type { MachineFacts } from './machine.js';
import { REDIS_BENCHMARK_DEFAULT_VALUE_BYTES } from './redis-benchmark.js';
import {
  REFERENCE,
  TARGET,
  comparisonTable,
  consistencyTable,
  detailTable,
  meanMerkleChange,
  merkleCostTable,
  worstMerkleChange,
  sameWorkload,
  signedPercent,
  summaryTable,
  workloadLabel,
  workloadTable,
  type ComparisonRow,
} from './report.js';
import { workloadsOf, type BenchSettings, type Results } from './suite.js';

/** The systems of the load-generator tables, in column order, and the baselines Redraft is compared with. */
export const LOAD_SYSTEMS = ['Redraft', 'redis-server', 'etcd gRPC', 'etcd JSON'] as const;
const BASELINES = ['redis-server', 'etcd gRPC'] as const;

export interface ReportContext {
  readonly results: Results;
  readonly settings: BenchSettings;
  readonly facts: MachineFacts;
  /** ISO time the run started. */
  readonly startedAt: string;
  /** How long the measuring took, from the first server's start to the last one's stop. */
  readonly elapsedSeconds: number;
  /** `git describe` of the measured tree. */
  readonly revision: string;
  /** The command line as typed, e.g. `npm run bench -- --only etcd`. */
  readonly command: string;
  /** The `REDRAFT_BENCH_*` variables set, as `K=V` words. */
  readonly environment: string;
  /** The chart's file name relative to the Markdown, when a chart was drawn. */
  readonly chartFile: string | undefined;
  /** The PNG rendering's file name, when there is one. */
  readonly pngFile: string | undefined;
}

function measuredSystems(results: Results): string[] {
  return LOAD_SYSTEMS.filter((s) => results.load.some((m) => m.system === s));
}

/** Throughput and p99 of every system under every workload, as chart panels. */
export function chartPanels(results: Results, workloads: readonly Workload[]): ChartPanel[] {
  const systems = measuredSystems(results);
  const value = (system: string, w: Workload, pick: 'ops' | 'p99'): number | undefined => {
    const m = results.load.find((x) => x.system === system && sameWorkload(x.workload, w));
    if (m === undefined || m.result instanceof Error) return undefined;
    return pick === 'ops' ? m.result.opsPerSecond : m.result.latency.p99Ms;
  };
  const groups = workloads.map(workloadLabel);
  return [
    {
      title: 'Throughput (higher is better)',
      unit: 'ops/s',
      groups,
      series: systems.map((s) => ({ name: s, values: workloads.map((w) => value(s, w, 'ops')) })),
    },
    {
      title: 'p99 latency (lower is better)',
      unit: 'ms',
      groups,
      series: systems.map((s) => ({ name: s, values: workloads.map((w) => value(s, w, 'p99')) })),
    },
  ];
}

export function chartSvg(context: ReportContext): string | undefined {
  const { results, settings } = context;
  if (results.load.length === 0) return undefined;
  return barChartSvg(
    'Redraft, redis-server and etcd on one machine',
    `${context.startedAt} at ${context.revision}; ${context.facts.cores} cores, ${context.facts.model}; ` +
      `${settings.valueBytes}-byte values, ${settings.keyspace.toLocaleString('en-US')} keys, ` +
      `${settings.seconds} s per bar; Nc = N clients, ×${settings.depth} = ${settings.depth} requests in flight per client`,
    chartPanels(results, workloadsOf(settings)),
  );
}

function loadSection(context: ReportContext): string[] {
  const { results, settings } = context;
  const systems = measuredSystems(results);
  if (systems.length === 0) return [];
  const workloads = workloadsOf(settings);
  const baselines = BASELINES.filter((b) => systems.includes(b));
  const lines = [
    '## Load generator: Redraft, redis-server and etcd',
    '',
    `The same TypeScript load generator (bench/load.ts) drives every system: each client is one ` +
      `connection that sends a batch of requests for uniformly random keys out of ` +
      `${settings.keyspace.toLocaleString('en-US')}, waits for every reply, and sends the next. ` +
      `\`Nc\` is N clients; \`×${settings.depth}\` means ${settings.depth} requests per batch: an ` +
      `ioredis pipeline for Redraft and redis-server, ${settings.depth} concurrent calls on the ` +
      `client's one HTTP/2 connection for etcd gRPC (the analogue of pipelining there), and ` +
      `${settings.depth} concurrent requests on ${settings.depth} keep-alive connections of the ` +
      `client's own agent for the etcd JSON gateway (HTTP/1.1 cannot multiplex). Without \`×\` ` +
      `a client has one request in flight. Every request of a batch is charged the batch's ` +
      `latency, as redis-benchmark does. SET is \`SET\` / etcd \`Put\`; GET is \`GET\` / etcd ` +
      `\`Range\` of one key, linearizable on every system. ${settings.valueBytes}-byte values; ` +
      `the whole key space is written once before the first run, so every GET finds a value ` +
      `(a miss would be counted in the errors column).`,
    '',
  ];
  if (context.chartFile !== undefined)
    lines.push(
      `![Throughput and p99 latency of every system under every workload](${context.chartFile})`,
      '',
      context.pngFile === undefined
        ? ''
        : `(Also as a PNG: [${context.pngFile}](${context.pngFile}).)`,
      '',
    );
  lines.push(
    '### Summary',
    '',
    ...summaryTable(
      workloads,
      systems,
      results.load,
      'Redraft',
      systems.includes('Redraft') ? baselines : [],
    ),
    '',
    'A ratio above 1 means Redraft is faster.',
    '',
  );
  for (const w of workloads) {
    if (!results.load.some((m) => sameWorkload(m.workload, w))) continue;
    lines.push(
      `### ${workloadLabel(w)}`,
      '',
      ...workloadTable(w, systems, results.load, baselines),
      '',
    );
  }
  lines.push(
    'p50/p99/p99.9 are nearest-rank percentiles over every request of the measured window. ' +
      "Server CPU µs/op: the CPU time of all of the system's server processes during the " +
      'window (the three members together for Redraft and etcd), divided by its requests; it ' +
      'depends far less on the neighbours than ops/s. Client CPU µs/op: the same for the load ' +
      'generator itself, which shares the two cores with the servers: where it is large, the ' +
      'client, not the server, sets the pace.',
    '',
  );
  return lines;
}

function consistencySection(context: ReportContext): string[] {
  const { results, settings } = context;
  if (results.consistency.length === 0) return [];
  return [
    '## The cost of read consistency',
    '',
    `GETs (etcd: \`Range\` of one key), ${settings.clientCounts.join(' and ')} clients, one ` +
      `request in flight each, against the leader and against a follower. Redraft: ` +
      `\`READCONSISTENCY linearizable|lease|stale\` sent on each connection (README, "Reads"): ` +
      `linearizable confirms leadership with a heartbeat round (ReadIndex; a follower asks ` +
      `the leader for the index), lease trusts the leader's lease instead of that round, stale ` +
      `reads the member's own state at once. etcd: \`serializable: false\` (its default, ` +
      `linearizable through ReadIndex) against \`serializable: true\` (the member's own state), ` +
      `through gRPC.`,
    '',
    ...consistencyTable(results.consistency),
    '',
  ];
}

function benchmarkSection(context: ReportContext): string[] {
  const { results, settings } = context;
  if (results.benchmark.length === 0) return [];
  const find = (system: string, label: string) =>
    results.benchmark.find((m) => m.system === system && m.label === label)?.result;
  const labels = [...new Set(results.benchmark.map((m) => m.label))];
  const rows: ComparisonRow[] = labels.map((label) => {
    const base = label.replace(' (follower)', '');
    const follower = base !== label;
    return {
      label,
      redraft: find('Redraft', label),
      redis: find('redis-server', base),
      reference: follower ? undefined : REFERENCE[base],
      target: follower ? undefined : TARGET[base],
    };
  });
  return [
    '## redis-benchmark: Redraft against redis-server with appendfsync always',
    '',
    `\`redis-benchmark -t set|get -c N -r ${settings.keyspace} -d ${settings.rbValueBytes} ` +
      `[-P ${settings.depth}]\` against the same 3-node Redraft cluster (fsync on) and against ` +
      'one `redis-server` that fsyncs its append-only file before every reply: both acknowledge ' +
      'a write only once it is on disk.',
    '',
    ...comparisonTable(rows),
    '',
    '- Redraft / redis above 1 means Redraft is faster.',
    '- Follower rows: GET sent to a follower, which serves a linearizable read after a ReadIndex ' +
      'round with the leader; compared with redis-server GET at the same clients and pipelining.',
    rbValueNote(settings.rbValueBytes),
    '',
    '### Every redis-benchmark run',
    '',
    ...detailTable(results.benchmark),
    '',
    "p50, p99 and max are redis-benchmark's own (HDR histogram); its p99.9 is the latency at the " +
      'first step of its percentile distribution at or above 99.9% (99.902%), an upper bound close ' +
      'to the 99.9th percentile. Server CPU µs/op as above.',
    '',
  ];
}

/** Where the RedisRaft figures and the targets come from, and how this run's values compare. */
function rbValueNote(valueBytes: number): string {
  const same =
    valueBytes === REDIS_BENCHMARK_DEFAULT_VALUE_BYTES
      ? 'with the same command as here'
      : `with redis-benchmark's default ${REDIS_BENCHMARK_DEFAULT_VALUE_BYTES}-byte values, not ` +
        `this run's ${valueBytes}`;
  return (
    '- The RedisRaft figures and the targets come from an earlier issue, measured on another ' +
    `machine ${same}; the redis-server column, measured in the same run, is the like-for-like ` +
    "yardstick. The load generator's runs above write larger values (see Settings)."
  );
}

/** The issue's bound on the drop in write throughput that Merkle maintenance may cause, %. */
export const MERKLE_MAX_DROP_PERCENT = 15;

function merkleCostSection(context: ReportContext): string[] {
  const { results, settings } = context;
  if (results.merkleCost.length === 0) return [];
  const rounds = settings.merkleRounds;
  const change = meanMerkleChange(results.merkleCost);
  const worst = worstMerkleChange(results.merkleCost);
  const target = `the target (issue 5) is a drop of less than ${MERKLE_MAX_DROP_PERCENT}% in every row`;
  const verdict =
    change === undefined || worst === undefined
      ? `Mean change over the SET rows: none, every row has a failed run; ${target}: not judged.`
      : `Mean change over the SET rows: ${signedPercent(change)}; the largest drop: ` +
        `${signedPercent(worst.change)} (${worst.row.tool}, ${worst.row.label}); ${target}: ` +
        `${worst.change > -MERKLE_MAX_DROP_PERCENT ? 'met' : 'not met'}.`;
  return [
    '## The cost of Merkle maintenance',
    '',
    `Two fresh 3-member Redraft clusters, identical but for \`--no-merkle\` on one, both running ` +
      `during the whole part, so that both see the same machine. With Merkle state, each write ` +
      `marks its key as changed, and each checkpoint (every 10 s while keys change) or snapshot ` +
      `computes the new root between applies; without it, neither happens. For each SET ` +
      `workload, three kinds of runs, in this order: the load generator ` +
      `(${settings.warmupSeconds} s of warm-up, then ${settings.seconds} s measured) writing ` +
      `the value the fill wrote, as everywhere else in this report (a SET of the bytes a key ` +
      `already holds changes nothing a root covers, and Redraft does not mark it); ` +
      `redis-benchmark (about ${settings.rbSeconds} s), whose payload is the same bytes in ` +
      `every run (redis-benchmark fills it from a generator with a fixed seed), so that its ` +
      `first run changes each key it reaches and later runs rewrite the bytes those keys ` +
      `already hold; and the load generator writing ` +
      `one of ${CHANGING_VALUE_COUNT} distinct values in turn, so that nearly every SET ` +
      `changes its key's value. Each kind goes through every workload before the next, ` +
      `${rounds} round${rounds === 1 ? '' : 's'} per workload against each cluster, alternating which ` +
      `goes first (with Merkle first in odd rounds), so that a drift in the machine's load ` +
      `falls on both alike. After the fill and after each of its runs, the cluster with Merkle ` +
      `state is made to checkpoint and finish computing its root (\`MERKLE CHECKPOINT NOW\`), ` +
      `so that no root work left from one run falls into the next, whichever cluster it ` +
      `measures. That root work is the run's own, so it is charged to the run: the run's ops/s ` +
      `are its requests over its time plus the time the root took, and its server CPU includes ` +
      `the members' CPU meanwhile (as on a saturated machine, where root work and writes share ` +
      `the cores). The writes a run does not count, the load generator's warm-up and ` +
      `redis-benchmark's sizing probes, get their root the same way just before the measured ` +
      `part starts, uncharged; both clusters pause there alike. Ops/s: the mean over the rounds, then each round's figure. Change: the mean with ` +
      `Merkle against the mean without (negative: slower with Merkle). Server CPU µs/op: the ` +
      `CPU time of the cluster's three members divided by the run's requests, mean over the ` +
      `rounds.`,
    '',
    ...merkleCostTable(results.merkleCost),
    '',
    verdict,
    '',
  ];
}

function settingsSection(context: ReportContext): string[] {
  const { results, settings } = context;
  const clients = settings.clientCounts.join(' and ');
  return [
    '## Settings',
    '',
    ...results.setups.map((s) => `- ${s}`),
    `- Load generator: ${clients} clients; batches of 1 and ${settings.depth}; ` +
      `${settings.valueBytes}-byte values; keys \`key:\` + 12 digits, uniformly random over ` +
      `${settings.keyspace.toLocaleString('en-US')} (the names redis-benchmark's -r uses); each ` +
      `run ${settings.warmupSeconds} s of warm-up (not counted) then ${settings.seconds} s measured ` +
      `(REDRAFT_BENCH_WARMUP_SECONDS, REDRAFT_BENCH_SECONDS); key space written once per system ` +
      `before its first run (16 clients, batches of 16).`,
    `- redis-benchmark: ${clients} connections, with and without \`-P ${settings.depth}\`, one ` +
      `client thread; ${settings.rbValueBytes}-byte values (REDRAFT_BENCH_RB_VALUE_BYTES); ` +
      `\`-n\` chosen per run so that it lasts about ${settings.rbSeconds} s ` +
      `(REDRAFT_BENCH_RB_SECONDS), from one or two short probe runs just before it that also ` +
      `warm up; a run that comes out shorter than half that is repeated once.`,
    `- Order: per system (Redraft, then redis-server, then etcd): start, fill the key space, ` +
      `redis-benchmark, the load generator's workloads (SETs first), the read-consistency ` +
      `runs, stop; between Redraft and redis-server, the Merkle-cost part: its two clusters ` +
      `started together, both filled, then per SET workload the load generator's rounds and ` +
      `redis-benchmark's, stop. Parts run: ${[...settings.parts].join(', ')}; systems: ` +
      `${[...settings.systems].join(', ')}.`,
    '- Everything runs on one machine and competes for the same cores: the load generator or ' +
      'redis-benchmark with three Redraft or etcd members is four busy processes, against two ' +
      'for redis-server.',
    '',
  ];
}

export function reportMarkdown(context: ReportContext): string {
  const { results, facts } = context;
  return [
    '# Redraft benchmarks',
    '',
    `Measured ${context.startedAt} at ${context.revision} with \`${context.command}\` ` +
      `(bench/main.ts), in ${Math.round(context.elapsedSeconds)} s. Every figure depends on the machine and on what else runs on it: ` +
      'compare figures from one run, not across runs.',
    '',
    `- Machine: ${facts.cores} cores, ${facts.model}, Linux ${facts.kernel}, ${facts.memory}`,
    `- Load average (1, 5, 15 min): ${results.loadAverages.map(([when, l]) => `${when} ${l}`).join('; ')}`,
    `- Node ${facts.node}; ${facts.redisServer}; ${facts.redisBenchmark}; ${facts.etcd}`,
    `- Data directories under ${facts.tmpDir}, on ${facts.tmpFileSystem}; fsync there: ${facts.fsync}`,
    `- Benchmark environment: ${context.environment === '' ? 'no `REDRAFT_BENCH_*` variables set (defaults)' : context.environment}`,
    ...(results.notes.length === 0 ? [] : ['', ...results.notes.map((n) => `**${n}**`)]),
    '',
    ...loadSection(context),
    ...consistencySection(context),
    ...benchmarkSection(context),
    ...merkleCostSection(context),
    ...settingsSection(context),
  ].join('\n');
}

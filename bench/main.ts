/**
 * `npm run bench`: Redraft's 3-node cluster against redis-server (appendfsync always) and a
 * 3-member etcd, on this machine in one run, and the report: Markdown on stdout, and with
 * `--write-report` docs/benchmarks.md with its chart docs/benchmarks.svg (and a PNG of it
 * when rsvg-convert is installed: bench/install.sh installs it with everything else).
 *
 *   --only LIST        comma-separated parts (redis-benchmark, load, consistency,
 *                      merkle-cost) and/or systems (redraft, redis, etcd); a kind not named
 *                      runs in full, so `--only etcd` runs every part for etcd alone (or
 *                      REDRAFT_BENCH_ONLY)
 *   --quick            short runs and a small key space, to check that everything works
 *   --write-report     also write docs/benchmarks.md and the chart
 *
 *   REDRAFT_BENCH_SECONDS          load generator: measured seconds per run (default 4)
 *   REDRAFT_BENCH_WARMUP_SECONDS   load generator: warm-up before each run (default 1)
 *   REDRAFT_BENCH_RB_SECONDS       redis-benchmark: aimed seconds per run (default 4)
 *   REDRAFT_BENCH_CLIENTS          client counts (default 1,50)
 *   REDRAFT_BENCH_DEPTH            requests in flight per client when pipelined (default 16)
 *   REDRAFT_BENCH_VALUE_BYTES      load generator and Merkle cost: value size (default 64)
 *   REDRAFT_BENCH_RB_VALUE_BYTES   redis-benchmark part: its -d (default 3, redis-benchmark's own
 *                                  default: the command the RESP issue's targets are set for)
 *   REDRAFT_BENCH_KEYSPACE         keys (default 100000)
 *   REDRAFT_BENCH_PROFILE=1        run the Redraft members under `node --cpu-prof` and print
 *                                  the leader's top frames (profiles kept, paths printed)
 *   REDRAFT_BENCH_NODE_FLAGS       any other flags for the Redraft members' `node`
 *   REDRAFT_BENCH_SERVER_FLAGS     extra `redraft server` flags for every Redraft member, e.g.
 *                                  `--no-merkle` to run them without Merkle state (the
 *                                  merkle-cost part then does not run)
 *   REDRAFT_BENCH_MERKLE_ROUNDS    merkle-cost: rounds per tool and SET workload against each of
 *                                  its two clusters, with and without Merkle state (default 4;
 *                                  2 with --quick)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { format, resolveConfig } from 'prettier';
import { chartSvg, reportMarkdown } from './document.js';
import { machineFacts } from './machine.js';
import { REDIS_BENCHMARK_DEFAULT_VALUE_BYTES } from './redis-benchmark.js';
import { Results, selection, type BenchSettings, type Part } from './suite.js';
import { benchEtcd } from './systems/etcd.js';
import { benchMerkleCost } from './systems/merkle-cost.js';
import { benchRedis } from './systems/redis.js';
import { benchRedraft } from './systems/redraft.js';

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!(n > 0)) throw new Error(`${name} must be a positive number, not ${JSON.stringify(raw)}`);
  return n;
}

function integerFromEnv(name: string, fallback: number): number {
  const n = numberFromEnv(name, fallback);
  if (!Number.isInteger(n))
    throw new Error(`${name} must be a positive integer, not ${JSON.stringify(process.env[name])}`);
  return n;
}

function settingsFrom(only: string, quick: boolean): BenchSettings {
  const { parts, systems } = selection(only);
  const clients = (process.env.REDRAFT_BENCH_CLIENTS ?? '1,50').split(',').map(Number);
  if (clients.some((c) => !Number.isInteger(c) || c < 1))
    throw new Error(
      `REDRAFT_BENCH_CLIENTS must list positive integers, not ${process.env.REDRAFT_BENCH_CLIENTS}`,
    );
  return {
    seconds: numberFromEnv('REDRAFT_BENCH_SECONDS', quick ? 1 : 4),
    warmupSeconds: numberFromEnv('REDRAFT_BENCH_WARMUP_SECONDS', quick ? 0.3 : 1),
    rbSeconds: numberFromEnv('REDRAFT_BENCH_RB_SECONDS', quick ? 1 : 4),
    valueBytes: numberFromEnv('REDRAFT_BENCH_VALUE_BYTES', 64),
    rbValueBytes: integerFromEnv(
      'REDRAFT_BENCH_RB_VALUE_BYTES',
      REDIS_BENCHMARK_DEFAULT_VALUE_BYTES,
    ),
    keyspace: numberFromEnv('REDRAFT_BENCH_KEYSPACE', quick ? 5000 : 100_000),
    clientCounts: clients,
    depth: numberFromEnv('REDRAFT_BENCH_DEPTH', 16),
    parts,
    systems,
    profile: process.env.REDRAFT_BENCH_PROFILE === '1',
    nodeFlags: (process.env.REDRAFT_BENCH_NODE_FLAGS ?? '').split(/\s+/).filter((s) => s !== ''),
    serverFlags: (process.env.REDRAFT_BENCH_SERVER_FLAGS ?? '')
      .split(/\s+/)
      .filter((s) => s !== ''),
    // Four rounds, not two: between identical runs a cluster's CPU per SET varies by up to a
    // half (a snapshot or a checkpoint falls in one run's window and not the next), and with two
    // rounds a side the mean of the changing-values rows moved by 10 points from run to run.
    merkleRounds: integerFromEnv('REDRAFT_BENCH_MERKLE_ROUNDS', quick ? 2 : 4),
  };
}

/** `git describe` of the tree measured, so a report can be matched to the code. */
function revision(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], {
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      timeout: 5000,
    }).trim();
  } catch {
    return 'unknown';
  }
}

/** Renders the SVG to a PNG beside it with rsvg-convert; false when that is not installed. */
function renderPng(svgFile: string, pngFile: string): boolean {
  try {
    execFileSync('rsvg-convert', ['--format', 'png', '--output', pngFile, svgFile], {
      timeout: 30_000,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return true;
  } catch (err) {
    process.stderr.write(
      `bench: no PNG (${err instanceof Error ? err.message.split('\n')[0]! : String(err)}); bench/install.sh installs rsvg-convert\n`,
    );
    return false;
  }
}

/** What `--help` prints, and what a wrong option is answered with. */
const USAGE = `usage: npm run bench -- [--only LIST] [--quick] [--write-report]

  --only LIST      comma-separated parts (redis-benchmark, load, consistency, merkle-cost)
                   and/or systems (redraft, redis, etcd); a kind not named runs in full
  --quick          short runs and a small key space, to check that everything works
  --write-report   also write docs/benchmarks.md and its chart
  -h, --help       this text

Environment variables (REDRAFT_BENCH_SECONDS, _CLIENTS, _KEYSPACE, _SERVER_FLAGS, ...) are
described at the top of bench/main.ts and in the README's Benchmarks section.
`;

/**
 * The command line's options and the settings they and the environment give; undefined after
 * answering --help, or a wrong option or setting (named, with the usage, and exit status 2).
 */
function commandLine():
  { values: { quick: boolean; 'write-report': boolean }; settings: BenchSettings } | undefined {
  try {
    const { values } = parseArgs({
      options: {
        only: { type: 'string' },
        quick: { type: 'boolean', default: false },
        'write-report': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return undefined;
    }
    const only = values.only ?? process.env.REDRAFT_BENCH_ONLY ?? '';
    return { values, settings: settingsFrom(only, values.quick) };
  } catch (err) {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    process.exitCode = 2;
    return undefined;
  }
}

async function main(): Promise<void> {
  const parsed = commandLine();
  if (parsed === undefined) return;
  const { values, settings } = parsed;
  const facts = machineFacts();
  const startedAt = new Date().toISOString();
  const results = new Results();
  if (values.quick)
    results.notes.push(
      'A --quick run: short runs and a small key space, to check that everything works; its figures are not for reading.',
    );
  const t0 = performance.now();

  // A step runs only when its system is selected and so is one of its parts: `--only
  // merkle-cost` starts neither the Redraft cluster of the other parts nor redis-server nor etcd.
  const { parts, systems } = settings;
  const anyOf = (...wanted: Part[]): boolean => wanted.some((p) => parts.has(p));
  type Step = {
    runs: string;
    after: string;
    when: boolean;
    run: (s: BenchSettings, r: Results) => Promise<void>;
  };
  const steps: Step[] = [
    {
      runs: 'the Redraft runs',
      after: 'after Redraft',
      when: systems.has('redraft') && anyOf('redis-benchmark', 'load', 'consistency'),
      run: benchRedraft,
    },
    {
      runs: 'the Merkle-cost runs',
      after: 'after the Merkle-cost runs',
      when: systems.has('redraft') && anyOf('merkle-cost'),
      run: benchMerkleCost,
    },
    {
      runs: 'the redis-server runs',
      after: 'after redis-server',
      when: systems.has('redis') && anyOf('redis-benchmark', 'load'),
      run: benchRedis,
    },
    {
      runs: 'the etcd runs',
      after: 'after etcd',
      when: systems.has('etcd') && anyOf('load', 'consistency'),
      run: benchEtcd,
    },
  ];
  for (const step of steps) {
    if (!step.when) continue;
    try {
      await step.run(settings, results);
    } catch (err) {
      results.fail(step.runs, err);
    }
    results.noteLoad(step.after);
  }
  const elapsedSeconds = (performance.now() - t0) / 1000;
  process.stderr.write(`bench: measured in ${elapsedSeconds.toFixed(0)} s\n`);

  const args = process.argv.slice(2).join(' ');
  const environment = Object.entries(process.env)
    .filter(([k]) => k.startsWith('REDRAFT_BENCH_'))
    .map(([k, v]) => `${k}=${v ?? ''}`)
    .join(' ');
  const mdFile = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));
  const svgFile = mdFile.replace(/\.md$/, '.svg');
  const pngFile = mdFile.replace(/\.md$/, '.png');
  const context = {
    results,
    settings,
    facts,
    startedAt,
    elapsedSeconds,
    revision: revision(),
    command: `npm run bench${args === '' ? '' : ` -- ${args}`}`,
    environment,
    chartFile: undefined as string | undefined,
    pngFile: undefined as string | undefined,
  };
  const svg = chartSvg(context);
  if (values['write-report'] && svg !== undefined) {
    mkdirSync(dirname(svgFile), { recursive: true });
    writeFileSync(svgFile, svg);
    context.chartFile = basename(svgFile);
    if (renderPng(svgFile, pngFile)) context.pngFile = basename(pngFile);
  }
  // Formatted as `npm run lint` wants the file, so a written report passes `prettier --check`.
  const text = await format(reportMarkdown(context), {
    ...(await resolveConfig(mdFile)),
    filepath: mdFile,
  });
  console.log(`\n${text}`);
  if (values['write-report']) {
    writeFileSync(mdFile, text);
    process.stderr.write(
      `bench: report written to ${mdFile}${svg === undefined ? '' : ` with ${svgFile}`}\n`,
    );
  }
  if (results.failures > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});

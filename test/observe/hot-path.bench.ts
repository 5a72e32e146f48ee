/**
 * The per-command cost of the metrics hot path, against prom-client's own labelled histogram:
 * nanoseconds per recorded command, and the garbage collections the loop caused (none when
 * the path allocates nothing).
 *
 *   npx tsc -p . && node --expose-gc dist/test/observe/hot-path.bench.js
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { Histogram, Registry } from 'prom-client';
import { LATENCY_BUCKETS_SECONDS } from '../../src/observe/fast-metrics.js';
import { NodeMetrics } from '../../src/observe/metrics.js';

const N = 5_000_000;
const gc = (globalThis as { gc?: () => void }).gc;
const names = ['get', 'set', 'incr', 'hset'];

let collections = 0;
new PerformanceObserver((list) => {
  collections += list.getEntries().length;
}).observe({ entryTypes: ['gc'] });

async function measure(label: string, record: (name: string, ms: number) => void): Promise<void> {
  for (let i = 0; i < 200_000; i++) record(names[i & 3]!, 0.1); // warm up
  gc?.();
  await new Promise((r) => setImmediate(r)); // let the observer report the forced one
  collections = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    record(names[i & 3]!, performance.now() - t);
  }
  const ns = Number(process.hrtime.bigint() - started) / N;
  await new Promise((r) => setImmediate(r));
  process.stdout.write(
    `${label}: ${ns.toFixed(0)} ns per command (two clock reads included), ${collections} garbage collections in ${N} commands\n`,
  );
}

const metrics = new NodeMetrics({ commandNames: names, processMetrics: false });
await measure('redraft fast histogram', (name, ms) => {
  metrics.resp.command(name).record(ms);
});

const registry = new Registry();
const prom = new Histogram({
  name: 'prom_seconds',
  help: 'x',
  labelNames: ['command'],
  buckets: [...LATENCY_BUCKETS_SECONDS],
  registers: [registry],
});
const children = new Map(names.map((n) => [n, prom.labels(n)]));
await measure('prom-client Histogram (cached child)', (name, ms) => {
  children.get(name)!.observe(ms / 1000);
});
await measure('clock reads alone', () => undefined);

/**
 * redis-server's share of the run: one `redis-server` that fsyncs its append-only file before
 * every reply (so, like Redraft with fsync, a reply means the write is on disk), its key space
 * filled, then the same redis-benchmark runs and load-generator workloads as Redraft.
 */
import { benchValue, keyNames } from '../keyspace.js';
import { startRedisServer } from '../redis-benchmark.js';
import { redisTarget } from '../redis-target.js';
import { workloadLabel } from '../report.js';
import {
  benchmarkSpec,
  fill,
  measureBenchmark,
  measureLoad,
  workloadsOf,
  type BenchSettings,
  type Results,
} from '../suite.js';

export async function benchRedis(settings: BenchSettings, results: Results): Promise<void> {
  const redis = await startRedisServer();
  try {
    const quote = (a: string): string => (a === '' ? "''" : a);
    results.setups.push(
      `redis-server ${redis.version}: \`${redis.args.map(quote).join(' ')}\`; CONFIG GET says ` +
        `${[...redis.config].map(([k, v]) => `${k}=${quote(v)}`).join(', ')}.`,
    );
    const target = redisTarget({
      name: 'redis-server',
      port: redis.port,
      keys: keyNames(settings.keyspace),
      value: benchValue(settings.valueBytes),
      serverPids: [redis.pid],
    });
    await fill(settings, 'redis-server', target);
    if (settings.parts.has('redis-benchmark')) {
      for (const w of workloadsOf(settings)) {
        await measureBenchmark(
          results,
          settings,
          { system: 'redis-server', label: workloadLabel(w), where: `port ${redis.port}` },
          benchmarkSpec(settings, redis.port, w, settings.rbValueBytes),
          [redis.pid],
        );
      }
    }
    if (settings.parts.has('load')) {
      for (const w of workloadsOf(settings))
        await measureLoad(results, settings, 'redis-server', target, w);
    }
  } finally {
    await redis.stop();
  }
}

/**
 * Differential test: the same deterministic command sequences (generator.ts) go to a real
 * redis-server and to a real 3-node Redraft cluster over raw RESP connections, and every reply
 * must match Redis's, exactly or under the documented allow-list (compare.ts).
 *
 * REDRAFT_DIFF_SEED=<n> and REDRAFT_DIFF_SEQUENCES=<n> change the seed and the number of
 * sequences; REDRAFT_DIFF_SHOW=<n> prints more mismatches (default 10).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestCluster } from '../harness/index.js';
import { useClusterCleanup } from '../harness/hooks.js';
import { commandNames, generate, UNKNOWN_COMMANDS } from './generator.js';
import { RedisServer } from './redis-server.js';
import { describeMismatch, runSequences } from './runner.js';

useClusterCleanup();

const SEED = Number(process.env.REDRAFT_DIFF_SEED ?? 7);
const SEQUENCES = Number(process.env.REDRAFT_DIFF_SEQUENCES ?? 150);
const SHOW = Number(process.env.REDRAFT_DIFF_SHOW ?? 10);
/** Handled by the dispatcher itself, so COMMAND INFO does not list them. */
const DISPATCHER_COMMANDS = ['multi', 'exec', 'discard', 'watch', 'unwatch'];

describe('Redraft against redis-server, command by command', () => {
  it(
    `answers ${SEQUENCES} generated sequences (seed ${SEED}) as Redis does`,
    { timeout: 110_000 },
    async () => {
      const sequences = generate(SEED, SEQUENCES);
      // Replies do not depend on fsync; without it the comparison runs faster.
      const [redis, cluster] = await Promise.all([
        RedisServer.start(),
        TestCluster.start({ name: 'redis-diff', sync: false }),
      ]);
      try {
        const leader = await cluster.waitForLeader(15_000);
        const version = await redis.version();
        const names = commandNames(sequences);
        const info = await leader.command(['COMMAND', 'INFO', ...names]);
        const implemented = new Set(
          info.kind === 'array' ? names.filter((_, i) => info.items[i]?.kind === 'array') : [],
        );
        const result = await runSequences({
          sequences,
          redisPort: redis.port,
          redraftPort: (i) => cluster.members[i % cluster.members.length]!.ports.resp,
          implemented,
          alwaysRun: new Set([...DISPATCHER_COMMANDS, ...UNKNOWN_COMMANDS]),
        });
        const dropped = [...result.dropped].map(([n, c]) => `${n} x${c}`).join(', ');
        const kinds = [...result.kinds].map(([k, c]) => `${k} ${c}`).join(', ');
        process.stderr.write(
          `redis-diff: redis ${version}, seed ${SEED}: ${sequences.length} sequences, ${result.commands} commands each side, ` +
            `${result.mismatches.length} sequences with a mismatch; Redis replied: ${kinds}` +
            (dropped === '' ? '' : `; not implemented by this build, left out: ${dropped}`) +
            '\n',
        );
        for (const m of result.mismatches.slice(0, SHOW))
          process.stderr.write(`${describeMismatch(m)}\n\n`);
        assert.equal(
          result.mismatches.length,
          0,
          `${result.mismatches.length} sequences got a reply Redis would not give; first:\n${
            result.mismatches[0] === undefined ? '' : describeMismatch(result.mismatches[0])
          }\n(replay with REDRAFT_DIFF_SEED=${SEED})`,
        );
      } finally {
        await redis.stop();
      }
    },
  );
});

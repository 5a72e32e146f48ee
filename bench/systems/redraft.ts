/**
 * Redraft's share of the run: a fresh 3-node cluster of real `redraft server` processes (fsync
 * on, default ticks), its key space filled, then redis-benchmark, the load generator through
 * ioredis, and GETs at each read consistency on the leader and on a follower.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCluster } from '../../test/e2e/harness/index.js';
import { topFrames } from '../cpu-profile.js';
import { benchValue, keyNames } from '../keyspace.js';
import { redisTarget, type ReadConsistency } from '../redis-target.js';
import { workloadLabel } from '../report.js';
import {
  benchmarkSpec,
  fill,
  measureBenchmark,
  measureConsistency,
  measureLoad,
  workloadsOf,
  type BenchSettings,
  type Results,
} from '../suite.js';

/** The server's defaults: the figures are those of an untuned cluster. */
export const TICK_MS = 100;
export const ELECTION_TICKS = 10;
export const READ_CONSISTENCIES: readonly ReadConsistency[] = ['linearizable', 'lease', 'stale'];

export async function benchRedraft(settings: BenchSettings, results: Results): Promise<void> {
  const nodeFlags = [...settings.nodeFlags];
  // Every member gets the same flags; their profiles are told apart by pid. Kept after the run.
  const profileDir = settings.profile ? mkdtempSync(join(tmpdir(), 'redraft-bench-profiles-')) : '';
  if (settings.profile) nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
  const cluster = await TestCluster.start({
    name: 'bench',
    tickMs: TICK_MS,
    electionTicks: ELECTION_TICKS,
    nodeFlags,
    extraArgs: settings.serverFlags,
  });
  // A system whose runs failed keeps its logs for reading.
  const failuresBefore = results.failures;
  let keep = false;
  try {
    const leader = await cluster.waitForLeader(20_000);
    const follower = cluster.members.find((m) => m !== leader)!;
    // All three members: a follower's share of a write (append, fsync, apply) is its cost too.
    const pids = cluster.members.map((m) => m.pid);
    const keys = keyNames(settings.keyspace);
    const value = benchValue(settings.valueBytes);
    const target = (port: number, readConsistency?: ReadConsistency) =>
      redisTarget({
        name: 'Redraft',
        port,
        keys,
        value,
        serverPids: pids,
        ...(readConsistency === undefined ? {} : { readConsistency }),
      });
    results.setups.push(
      `Redraft: a fresh cluster of ${cluster.members.length} \`redraft server\` processes on ` +
        `127.0.0.1, fsync on, tick ${TICK_MS} ms, election ${ELECTION_TICKS} ticks, and the ` +
        `defaults for the rest (heartbeat every tick, a snapshot every 100,000 entries, ` +
        `linearizable reads unless a connection asks otherwise, followers forward writes, log ` +
        `level info); every client connects to the leader (node ${leader.id}), except the ` +
        `follower rows (node ${follower.id}).` +
        (nodeFlags.length > 0 ? ` Members' node flags: \`${nodeFlags.join(' ')}\`.` : '') +
        (settings.serverFlags.length > 0
          ? ` Server flags: \`${settings.serverFlags.join(' ')}\`.`
          : ''),
    );

    await fill(settings, 'Redraft', target(leader.ports.resp));
    if (settings.parts.has('redis-benchmark')) {
      for (const w of workloadsOf(settings)) {
        await measureBenchmark(
          results,
          settings,
          { system: 'Redraft', label: workloadLabel(w), where: `node ${leader.id} (leader)` },
          benchmarkSpec(settings, leader.ports.resp, w, settings.rbValueBytes),
          pids,
        );
      }
      // GETs on a follower, which serves a linearizable read after a ReadIndex round.
      for (const w of workloadsOf(settings).filter((x) => x.op === 'get' && x.clients > 1)) {
        await measureBenchmark(
          results,
          settings,
          {
            system: 'Redraft',
            label: `${workloadLabel(w)} (follower)`,
            where: `node ${follower.id} (follower)`,
          },
          benchmarkSpec(settings, follower.ports.resp, w, settings.rbValueBytes),
          pids,
        );
      }
    }
    if (settings.parts.has('load')) {
      const toLeader = target(leader.ports.resp);
      for (const w of workloadsOf(settings))
        await measureLoad(results, settings, 'Redraft', toLeader, w);
    }
    if (settings.parts.has('consistency')) {
      for (const [node, member] of [
        ['leader', leader],
        ['follower', follower],
      ] as const) {
        for (const mode of READ_CONSISTENCIES) {
          for (const clients of settings.clientCounts) {
            await measureConsistency(
              results,
              settings,
              { system: 'Redraft', mode, node, clients },
              target(member.ports.resp, mode),
            );
          }
        }
      }
    }

    const still = await cluster.waitForLeader(10_000).catch(() => undefined);
    if (still?.id !== leader.id)
      results.notes.push(
        `Redraft's leadership moved from node ${leader.id} to ${still === undefined ? 'nobody' : `node ${still.id}`} during the run.`,
      );
    for (const m of cluster.members)
      if (m.unexpectedExits.length > 0)
        results.notes.push(
          `Redraft node ${m.id} exited on its own: ${JSON.stringify(m.unexpectedExits)}.`,
        );
    keep = results.failures > failuresBefore;

    if (settings.profile) {
      const leaderPid = leader.pid;
      // A clean stop (SIGTERM, exit 0) is what makes node write the profiles.
      for (const m of cluster.members) if (m.running) await m.stop('SIGTERM');
      const file = readdirSync(profileDir).find((f) => f.includes(`.${leaderPid}.`));
      if (file === undefined) {
        process.stderr.write(
          `bench: no profile for the leader (pid ${leaderPid}) in ${profileDir}\n`,
        );
      } else {
        // Printed, not reported: a profile is for whoever is looking at this run.
        console.log(
          `\nleader (node ${leader.id}) CPU profile, top frames by self time (% of busy time): ${join(profileDir, file)}\n`,
        );
        for (const line of topFrames(join(profileDir, file), 25)) console.log(`    ${line}`);
      }
    }
  } catch (err) {
    keep = true;
    throw err;
  } finally {
    await cluster.stop({ keep });
  }
}

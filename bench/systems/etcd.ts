/**
 * etcd's share of the run: a fresh 3-member cluster of Debian's etcd on loopback, its key
 * space filled, then the load generator's workloads through gRPC and through the JSON gateway
 * (leader), and linearizable against serializable Range on the leader and on a follower.
 */
import { EtcdCluster, ETCD_SETTINGS } from '../etcd/cluster.js';
import { etcdGatewayTarget } from '../etcd/gateway-target.js';
import { etcdGrpcTarget } from '../etcd/grpc-target.js';
import { benchValue, keyNames } from '../keyspace.js';
import type { KvTarget } from '../load.js';
import {
  fill,
  measureConsistency,
  measureLoad,
  workloadsOf,
  type BenchSettings,
  type Results,
} from '../suite.js';

export const ETCD_GRPC = 'etcd gRPC';
export const ETCD_JSON = 'etcd JSON';

export async function benchEtcd(settings: BenchSettings, results: Results): Promise<void> {
  const cluster = await EtcdCluster.start({ name: 'bench' });
  // A system whose runs failed keeps its logs for reading.
  const failuresBefore = results.failures;
  let keep = false;
  try {
    const leader = await cluster.leader();
    const follower = cluster.members.find((m) => m !== leader)!;
    const pids = cluster.members.map((m) => m.pid);
    const keys = keyNames(settings.keyspace);
    const value = benchValue(settings.valueBytes);
    results.setups.push(
      `etcd: ${await cluster.version()}, a fresh cluster of ${cluster.members.length} members on ` +
        `127.0.0.1 with their data under one temporary directory; each member runs ` +
        `\`etcd ${cluster.args[0]!.join(' ')}\` (names, ports and directories differ); ` +
        `${ETCD_SETTINGS.map(([k, v]) => `${k} ${v}`).join(', ')} are etcd's defaults, given ` +
        `explicitly; etcd fsyncs its WAL before it acknowledges a write. Clients connect to the ` +
        `leader (${leader.name}), except the follower rows (${follower.name}). gRPC: ` +
        `@grpc/grpc-js, one channel (HTTP/2 connection) per client, KV.Put and KV.Range. JSON: ` +
        `POST /v3/kv/put and /v3/kv/range with base64 keys and values, keep-alive HTTP/1.1.`,
    );
    const grpc = (address: string, serializable: boolean): KvTarget =>
      etcdGrpcTarget({ name: ETCD_GRPC, address, keys, value, serverPids: pids, serializable });
    const toLeader = grpc(leader.address, false);
    await fill(settings, 'etcd', toLeader);
    if (settings.parts.has('load')) {
      const json = etcdGatewayTarget({
        name: ETCD_JSON,
        port: leader.clientPort,
        keys,
        value,
        serverPids: pids,
      });
      for (const w of workloadsOf(settings))
        await measureLoad(results, settings, ETCD_GRPC, toLeader, w);
      for (const w of workloadsOf(settings))
        await measureLoad(results, settings, ETCD_JSON, json, w);
    }
    if (settings.parts.has('consistency')) {
      for (const [node, member] of [
        ['leader', leader],
        ['follower', follower],
      ] as const) {
        for (const serializable of [false, true]) {
          for (const clients of settings.clientCounts) {
            await measureConsistency(
              results,
              settings,
              {
                system: ETCD_GRPC,
                mode: serializable ? 'serializable' : 'linearizable',
                node,
                clients,
              },
              grpc(member.address, serializable),
            );
          }
        }
      }
    }
    const still = await cluster.leader().catch(() => undefined);
    if (still?.name !== leader.name)
      results.notes.push(
        `etcd's leadership moved from ${leader.name} to ${still?.name ?? 'nobody'} during the run.`,
      );
    keep = results.failures > failuresBefore;
  } catch (err) {
    keep = true;
    throw err;
  } finally {
    await cluster.stop({ keep });
  }
}

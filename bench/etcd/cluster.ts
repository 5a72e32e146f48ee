/**
 * A throwaway etcd cluster on loopback for the benchmark: `size` members of Debian's `etcd`
 * on free ports, each with its data directory and log file under one temporary directory.
 * {@link EtcdCluster.stop} stops them and removes the directory; a process exit hook
 * (processes.ts) kills whatever a failed run leaves.
 */
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { freePorts, waitFor } from '../../test/e2e/harness/index.js';
import {
  keepTempDir,
  makeTempDir,
  removeTempDir,
  spawnTracked,
  stopTracked,
  type TrackedChild,
} from '../processes.js';
import { postJsonOnce } from './gateway-target.js';

export interface EtcdMember {
  readonly name: string;
  /** gRPC and the JSON gateway share this port. */
  readonly clientPort: number;
  readonly peerPort: number;
  readonly logFile: string;
  readonly pid: number | undefined;
  /** host:port for gRPC. */
  readonly address: string;
}

export interface EtcdClusterOptions {
  readonly size?: number;
  /** Goes into the temporary directory's name. */
  readonly name: string;
}

/**
 * etcd's own defaults for a loopback cluster, given explicitly so that the report can state
 * them: heartbeat 100 ms and election timeout 1000 ms match Redraft's default 100 ms tick and
 * 10-tick election; etcd fsyncs its WAL before acknowledging, as Redraft does with sync on.
 */
export const ETCD_SETTINGS: readonly (readonly [string, string])[] = [
  ['heartbeat-interval', '100'],
  ['election-timeout', '1000'],
  ['snapshot-count', '100000'],
  ['quota-backend-bytes', String(2 * 1024 ** 3)],
  ['auto-compaction-retention', '0'],
];

interface StatusReply {
  readonly header?: { readonly member_id?: string };
  readonly leader?: string;
  readonly version?: string;
}

export class EtcdCluster {
  private stopped = false;

  private constructor(
    readonly dir: string,
    readonly members: readonly EtcdMember[],
    private readonly children: readonly TrackedChild[],
    /** Every member's command line minus the binary, for the report. */
    readonly args: readonly (readonly string[])[],
  ) {}

  static async start(options: EtcdClusterOptions): Promise<EtcdCluster> {
    const size = options.size ?? 3;
    const ports = await freePorts(size * 2);
    const dir = makeTempDir(`redraft-bench-etcd-${options.name.replace(/[^a-z0-9-]/gi, '-')}-`);
    const names = Array.from({ length: size }, (_, k) => `m${k + 1}`);
    const peerUrl = (k: number): string => `http://127.0.0.1:${ports[2 * k + 1]!}`;
    const initialCluster = names.map((n, k) => `${n}=${peerUrl(k)}`).join(',');
    const members: EtcdMember[] = [];
    const children: TrackedChild[] = [];
    const allArgs: string[][] = [];
    try {
      for (const [k, name] of names.entries()) {
        const clientUrl = `http://127.0.0.1:${ports[2 * k]!}`;
        const args = [
          '--name',
          name,
          '--data-dir',
          join(dir, name),
          '--listen-client-urls',
          clientUrl,
          '--advertise-client-urls',
          clientUrl,
          '--listen-peer-urls',
          peerUrl(k),
          '--initial-advertise-peer-urls',
          peerUrl(k),
          '--initial-cluster',
          initialCluster,
          '--initial-cluster-token',
          `redraft-bench-${process.pid}`,
          '--initial-cluster-state',
          'new',
          ...ETCD_SETTINGS.flatMap(([flag, value]) => [`--${flag}`, value]),
          '--logger',
          'zap',
          '--log-outputs',
          'stderr',
        ];
        const logFile = join(dir, `${name}.log`);
        const fd = openSync(logFile, 'a');
        let child: TrackedChild;
        try {
          // The member writes its log file itself: a busy benchmark never slows it down.
          child = spawnTracked('etcd', args, ['ignore', fd, fd]);
        } finally {
          closeSync(fd);
        }
        children.push(child);
        allArgs.push(args);
        members.push({
          name,
          clientPort: ports[2 * k]!,
          peerPort: ports[2 * k + 1]!,
          logFile,
          pid: child.child.pid,
          address: `127.0.0.1:${ports[2 * k]!}`,
        });
      }
      const cluster = new EtcdCluster(dir, members, children, allArgs);
      await cluster.waitHealthy(30_000);
      return cluster;
    } catch (err) {
      await Promise.all(children.map((c) => stopTracked(c, 1000)));
      keepTempDir(dir, 'the logs of an etcd that did not start');
      throw err;
    }
  }

  /** Waits until every member says it is healthy (it has a leader and answers). */
  private async waitHealthy(timeoutMs: number): Promise<void> {
    await waitFor(
      `${this.members.length} healthy etcd members`,
      async () => {
        for (const [k, c] of this.children.entries()) {
          if (c.child.exitCode !== null || c.child.signalCode !== null)
            throw new Error(
              `etcd ${this.members[k]!.name} exited; see ${this.members[k]!.logFile}`,
            );
        }
        const replies = await Promise.all(
          this.members.map((m) => fetchHealth(m.clientPort).catch(() => false)),
        );
        return replies.every((ok) => ok) ? true : undefined;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  /** The member that leads, by asking every member who the leader is. */
  async leader(): Promise<EtcdMember> {
    const statuses = await Promise.all(
      this.members.map(
        async (m) =>
          (await postJsonOnce(m.clientPort, '/v3/maintenance/status', {})) as StatusReply,
      ),
    );
    const lead = statuses[0]?.leader;
    const k = statuses.findIndex((s) => s.header?.member_id === lead);
    if (lead === undefined || k < 0 || statuses.some((s) => s.leader !== lead))
      throw new Error(`the etcd members disagree on the leader: ${JSON.stringify(statuses)}`);
    return this.members[k]!;
  }

  /** The server version a member reports (GET /version). */
  async version(): Promise<string> {
    const m = this.members[0]!;
    const res = await fetch(`http://127.0.0.1:${m.clientPort}/version`);
    const body = (await res.json()) as { etcdserver?: string; etcdcluster?: string };
    return `etcd ${body.etcdserver ?? '?'} (cluster version ${body.etcdcluster ?? '?'})`;
  }

  /**
   * Stops every member (SIGTERM, SIGKILL after 5 s) and removes the directory, unless `keep`,
   * when the logs stay for reading and their path is printed.
   */
  async stop(options: { keep?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.children.map((c) => stopTracked(c, 5000)));
    if (options.keep === true) keepTempDir(this.dir, 'etcd logs');
    else removeTempDir(this.dir);
  }
}

async function fetchHealth(port: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1000) });
  const body = (await res.json()) as { health?: string };
  return body.health === 'true';
}

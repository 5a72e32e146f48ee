/**
 * A cluster the fault schedules can hurt, in one of two network modes:
 *
 *  - `loopback`: the e2e harness's TestCluster (every member on 127.0.0.1); faults are
 *    process faults only: kill -9 and restart, SIGSTOP/SIGCONT.
 *  - `netns`: every member in its own network namespace on a private bridge (netns.ts), so
 *    links between members can be cut, one way or both, and cables pulled; process faults
 *    work the same. Clients reach members through a proxy in the switch namespace.
 *
 * Both give the schedule the same view: members with an endpoint for clients, that can be
 * killed, restarted, paused and resumed, and a log file each under one directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  REDRAFT_SCRIPT,
  TestCluster,
  childEnv,
  parseInfo,
  type ExitStatus,
  type Member,
} from '../../harness/index.js';
import { DiskControl, diskFaultLibrary } from './disk.js';
import { NetnsNetwork, memberAddress, sweepStaleNamespaces } from './netns.js';
import { commandAt, type Endpoint } from './resp-connection.js';

export interface FaultNode {
  readonly id: number;
  readonly endpoint: Endpoint;
  readonly logFile: string;
  /** The process exists (it may be paused). */
  readonly running: boolean;
  readonly paused: boolean;
  /** Exits the harness did not cause: a crash is an anomaly in itself. */
  readonly unexpectedExits: readonly ExitStatus[];
  kill(): Promise<void>;
  /** SIGTERM (a graceful stop: leadership handed over), then its exit status. */
  terminate(): Promise<ExitStatus>;
  start(): void;
  pause(): void;
  resume(): void;
  /** The member's disk, when the disk-fault shim could be built here. */
  readonly disk: DiskControl | undefined;
}

export interface ClusterSettings {
  readonly name: string;
  readonly size: number;
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly snapshotEntries: number;
  /** More `redraft server` flags for every member (loopback mode). */
  readonly extraArgs?: readonly string[];
}

export interface FaultCluster {
  readonly mode: 'loopback' | 'netns';
  readonly dir: string;
  readonly nodes: readonly FaultNode[];
  /** Only in netns mode. */
  readonly network: NetnsNetwork | undefined;
  readonly settings: ClusterSettings;
  /** Why disk faults are unavailable, if they are. */
  readonly diskFaultsUnavailable: string | undefined;
  /** Kills everything and removes the directory unless `keep`. Never throws. */
  stop(keep: boolean): Promise<void>;
}

export interface RaftView {
  readonly id: number;
  readonly role: string;
  readonly term: number;
  readonly leader: number;
  readonly commit: number;
  readonly applied: number;
}

/** INFO raft of one member, or undefined if it does not answer in time. */
export async function raftView(node: FaultNode, timeoutMs = 1000): Promise<RaftView | undefined> {
  try {
    const info = parseInfo(await commandAt(node.endpoint, ['INFO', 'raft'], timeoutMs));
    const num = (k: string): number => Number(info.get(k) ?? Number.NaN);
    return {
      id: num('raft_node_id'),
      role: info.get('raft_role') ?? '',
      term: num('raft_term'),
      leader: num('raft_leader_id'),
      commit: num('raft_commit_index'),
      applied: num('raft_applied_index'),
    };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------
// Loopback mode

class LoopbackNode implements FaultNode {
  constructor(
    private readonly member: Member,
    readonly disk: DiskControl | undefined,
  ) {}
  get id(): number {
    return this.member.id;
  }
  get endpoint(): Endpoint {
    return { host: '127.0.0.1', port: this.member.ports.resp };
  }
  get logFile(): string {
    return this.member.logFile;
  }
  get running(): boolean {
    return this.member.running;
  }
  get paused(): boolean {
    return this.member.running && !this.member.live;
  }
  get unexpectedExits(): readonly ExitStatus[] {
    return this.member.unexpectedExits;
  }
  async kill(): Promise<void> {
    await this.member.kill();
  }
  async terminate(): Promise<ExitStatus> {
    try {
      return await this.member.stop('SIGTERM', TERMINATE_TIMEOUT_MS);
    } catch (err) {
      await this.member.kill().catch(() => undefined);
      throw err;
    }
  }
  start(): void {
    this.member.start(this.disk?.env);
  }
  pause(): void {
    this.member.pause();
  }
  resume(): void {
    this.member.resume();
  }
}

export async function startLoopbackCluster(settings: ClusterSettings): Promise<FaultCluster> {
  const cluster = await TestCluster.create({
    name: settings.name,
    size: settings.size,
    tickMs: settings.tickMs,
    electionTicks: settings.electionTicks,
    snapshotEntries: settings.snapshotEntries,
    ...(settings.extraArgs === undefined ? {} : { extraArgs: settings.extraArgs }),
  });
  const shim = diskFaultLibrary();
  const nodes = cluster.members.map(
    (m) =>
      new LoopbackNode(
        m,
        'library' in shim
          ? new DiskControl(shim.library, join(cluster.dir, `n${m.id}.disk`))
          : undefined,
      ),
  );
  for (const n of nodes) n.start();
  return {
    mode: 'loopback',
    dir: cluster.dir,
    nodes,
    network: undefined,
    settings,
    diskFaultsUnavailable: 'reason' in shim ? shim.reason : undefined,
    stop: async (keep) => {
      // Paused members would not die of SIGKILL any slower, but resuming first lets their
      // last log lines reach the file.
      for (const n of nodes) if (n.paused) n.resume();
      await cluster.stop({ keep }).catch(() => undefined);
    },
  };
}

// ---------------------------------------------------------------------------------------
// Network-namespace mode

/** A graceful stop that takes longer than this is a failure in itself. */
const TERMINATE_TIMEOUT_MS = 10_000;

const PORTS = { peer: 7001, resp: 6379, http: 8080, grpc: 9090 } as const;
const MARKER = '--- fault harness:';

/** Children of this module, killed by the exit hook if the test process ends early. */
const children = new Set<ChildProcess>();
let hooked = false;

function track(child: ChildProcess): void {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const c of children) c.kill('SIGKILL');
    });
  }
  children.add(child);
  child.once('exit', () => children.delete(child));
}

class NamespaceNode implements FaultNode {
  private child: ChildProcess | undefined;
  private exited: Promise<ExitStatus> | undefined;
  private stopping = false;
  private isPaused = false;
  readonly unexpectedExits: ExitStatus[] = [];
  readonly endpoint: Endpoint;

  constructor(
    readonly id: number,
    readonly ns: string,
    readonly logFile: string,
    private readonly args: readonly string[],
    socketDir: string,
    readonly disk: DiskControl | undefined,
  ) {
    this.endpoint = { path: join(socketDir, `n${id}.sock`) };
  }

  get running(): boolean {
    return this.child !== undefined;
  }
  get paused(): boolean {
    return this.isPaused;
  }

  start(): void {
    if (this.child !== undefined) throw new Error(`node ${this.id} is already running`);
    const fd = openSync(this.logFile, 'a');
    try {
      writeSync(
        fd,
        `${MARKER} starting node ${this.id} in ${this.ns} at ${new Date().toISOString()} ---\n`,
      );
      // `ip netns exec` execs the command in place: the child's pid is the member's own, so
      // signals reach the member and not a wrapper.
      const child = spawn(
        'ip',
        ['netns', 'exec', this.ns, process.execPath, REDRAFT_SCRIPT, ...this.args],
        {
          env: childEnv(this.disk?.env),
          stdio: ['ignore', fd, fd],
        },
      );
      track(child);
      this.child = child;
      this.stopping = false;
      this.isPaused = false;
      this.exited = new Promise<ExitStatus>((resolve) => {
        child.once('exit', (code, signal) => {
          if (this.child === child) {
            this.child = undefined;
            this.isPaused = false;
            if (!this.stopping) this.unexpectedExits.push({ code, signal });
          }
          resolve({ code, signal });
        });
      });
    } finally {
      closeSync(fd);
    }
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.stopping = true;
    child.kill('SIGKILL');
    await this.exited;
  }

  async terminate(): Promise<ExitStatus> {
    const child = this.child;
    const exited = this.exited;
    if (child === undefined || exited === undefined)
      throw new Error(`node ${this.id} is not running`);
    this.stopping = true;
    child.kill('SIGTERM');
    if (this.isPaused) child.kill('SIGCONT');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        resolve(undefined);
      }, TERMINATE_TIMEOUT_MS);
    });
    const status = await Promise.race([exited, timeout]);
    clearTimeout(timer);
    if (status !== undefined) return status;
    child.kill('SIGKILL');
    await exited;
    throw new Error(`node ${this.id} did not exit within ${TERMINATE_TIMEOUT_MS} ms of SIGTERM`);
  }

  pause(): void {
    if (this.child === undefined) throw new Error(`node ${this.id} is not running`);
    this.child.kill('SIGSTOP');
    this.isPaused = true;
  }

  resume(): void {
    if (this.child === undefined) throw new Error(`node ${this.id} is not running`);
    this.child.kill('SIGCONT');
    this.isPaused = false;
  }
}

const PROXY_SCRIPT = fileURLToPath(new URL('./ns-proxy.js', import.meta.url));

export async function startNetnsCluster(settings: ClusterSettings): Promise<FaultCluster> {
  sweepStaleNamespaces();
  const dir = mkdtempSync(
    join(tmpdir(), `redraft-fault-${settings.name.replace(/[^a-z0-9-]/gi, '-')}-`),
  );
  const socketDir = join(dir, 'sockets');
  mkdirSync(socketDir);
  const network = new NetnsNetwork(settings.size, settings.name);
  const shim = diskFaultLibrary();
  let proxy: ChildProcess | undefined;
  const nodes: NamespaceNode[] = [];
  const stop = async (keep: boolean): Promise<void> => {
    for (const n of nodes) if (n.paused) n.resume();
    await Promise.all(nodes.map((n) => n.kill().catch(() => undefined)));
    if (proxy !== undefined && proxy.exitCode === null && proxy.signalCode === null) {
      const gone = new Promise((resolve) => proxy!.once('exit', resolve));
      proxy.kill('SIGKILL');
      await gone;
    }
    await network.destroy();
    rmSync(socketDir, { recursive: true, force: true });
    if (keep || (process.env.REDRAFT_KEEP_LOGS ?? '') !== '') {
      process.stderr.write(`faults: cluster "${settings.name}" logs kept in ${dir}\n`);
    } else {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    await network.create();
    const initialCluster = Array.from(
      { length: settings.size },
      (_, k) => `${k + 1}=${memberAddress(k + 1)}:${PORTS.peer}`,
    ).join(',');
    for (let id = 1; id <= settings.size; id++) {
      const addr = memberAddress(id);
      const args = [
        'server',
        '--id',
        String(id),
        '--data-dir',
        join(dir, `node-${id}`),
        '--peer-addr',
        `${addr}:${PORTS.peer}`,
        '--resp-addr',
        `${addr}:${PORTS.resp}`,
        '--http-addr',
        `${addr}:${PORTS.http}`,
        '--grpc-addr',
        `${addr}:${PORTS.grpc}`,
        '--initial-cluster',
        initialCluster,
        '--tick-ms',
        String(settings.tickMs),
        '--election-ticks',
        String(settings.electionTicks),
        '--snapshot-entries',
        String(settings.snapshotEntries),
        '--log-level',
        'info',
      ];
      const disk =
        'library' in shim ? new DiskControl(shim.library, join(dir, `n${id}.disk`)) : undefined;
      nodes.push(
        new NamespaceNode(id, network.nsOf(id), join(dir, `n${id}.log`), args, socketDir, disk),
      );
    }
    proxy = await startProxy(network.switchNs, socketDir, settings.size, join(dir, 'proxy.log'));
    for (const n of nodes) n.start();
  } catch (err) {
    await stop(true);
    throw err;
  }
  return {
    mode: 'netns',
    dir,
    nodes,
    network,
    settings,
    diskFaultsUnavailable: 'reason' in shim ? shim.reason : undefined,
    stop,
  };
}

async function startProxy(
  ns: string,
  socketDir: string,
  size: number,
  logFile: string,
): Promise<ChildProcess> {
  const targets = Array.from(
    { length: size },
    (_, k) => `${k + 1}=${memberAddress(k + 1)}:${PORTS.resp}`,
  );
  const errFd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(
      'ip',
      ['netns', 'exec', ns, process.execPath, PROXY_SCRIPT, socketDir, ...targets],
      {
        env: childEnv(),
        // stdin stays open as a lifeline: the proxy exits when it closes.
        stdio: ['pipe', 'pipe', errFd],
      },
    );
  } finally {
    closeSync(errFd);
  }
  track(child);
  const stdout = child.stdout;
  if (stdout === null) throw new Error('proxy has no stdout');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`the namespace proxy did not start (see ${logFile})`));
    }, 10_000);
    const lines = createInterface({ input: stdout });
    lines.once('line', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the namespace proxy exited (${code ?? signal ?? '?'}); see ${logFile}`));
    });
  });
  return child;
}

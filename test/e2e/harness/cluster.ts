/**
 * Real `redraft server` processes on loopback, each with its own LevelDB data directory under
 * one temporary directory, for end-to-end tests and the cluster benchmark.
 *
 * Each member's stdout and stderr go straight to `<dir>/n<id>.log` (the child writes the file
 * itself, so a busy test process never slows a member down); restarts append to the same file
 * after a marker line. Members can be killed (-9), stopped (SIGTERM), paused (SIGSTOP),
 * resumed and restarted with the same data directory and ports. Every wait is a poll with a
 * deadline. {@link TestCluster.stop} kills whatever still runs and deletes the directory unless
 * asked to keep it; a process 'exit' hook (process.ts) kills anything left over.
 */
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Reply } from '../../../src/resp/encoder.js';
import { freePorts } from './ports.js';
import { childEnv, nodeFlagsFromEnv, spawnTracked, type ExitStatus } from './process.js';
import { RespClient, parseInfo, replyText, respCommand } from './resp-client.js';
import { waitFor } from './wait.js';

export interface ClusterOptions {
  /** Goes into the temporary directory's name. */
  readonly name: string;
  readonly size?: number;
  readonly tickMs?: number;
  readonly electionTicks?: number;
  readonly snapshotEntries?: number;
  readonly sync?: boolean;
  readonly logLevel?: string;
  /** More `redraft server` flags for every member. */
  readonly extraArgs?: readonly string[];
  /** Flags for `node` itself (added to REDRAFT_E2E_NODE_FLAGS). */
  readonly nodeFlags?: readonly string[];
  /** Pass the settings as command-line flags (default) or as REDRAFT_* environment variables. */
  readonly configVia?: 'flags' | 'env';
}

export interface MemberPorts {
  readonly peer: number;
  readonly resp: number;
  readonly http: number;
  readonly grpc: number;
}

/** One pino line of a member's log (other lines, e.g. a stack trace on stderr, are skipped). */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** The `# Raft` section of INFO. */
export interface RaftInfo {
  readonly id: number;
  readonly role: string;
  readonly term: number;
  readonly leader: number;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly firstIndex: number;
}

const MARKER = '--- e2e harness:';

function memberPorts(ports: readonly number[], k: number): MemberPorts {
  return {
    peer: ports[k * 4]!,
    resp: ports[k * 4 + 1]!,
    http: ports[k * 4 + 2]!,
    grpc: ports[k * 4 + 3]!,
  };
}

export class Member {
  private child: ChildProcess | undefined;
  private exitedPromise: Promise<ExitStatus> | undefined;
  private paused = false;
  /** Byte offset in the log file where the current incarnation's output starts. */
  private logStart = 0;
  /** How the last incarnation ended, once it has. */
  lastExit: ExitStatus | undefined;
  /** Set while the harness itself is stopping the process. */
  private stopping = false;
  /** Exits nobody asked for (a crash, or a signal from outside the test), for failure reports. */
  readonly unexpectedExits: ExitStatus[] = [];

  constructor(
    readonly id: number,
    readonly ports: MemberPorts,
    readonly dataDir: string,
    readonly logFile: string,
    private readonly args: readonly string[],
    private readonly nodeFlags: readonly string[],
    /** REDRAFT_* settings given through the environment instead of flags. */
    private readonly env: Readonly<Record<string, string>> = {},
  ) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Running and not paused: able to answer. */
  get live(): boolean {
    return this.child !== undefined && !this.paused;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get respAddr(): string {
    return `127.0.0.1:${this.ports.resp}`;
  }

  /** Starts the member (again) with its data directory and ports. */
  start(extraEnv: Readonly<Record<string, string>> = {}): void {
    if (this.child !== undefined) throw new Error(`node ${this.id} is already running`);
    const fd = openSync(this.logFile, 'a');
    try {
      writeSync(fd, `${MARKER} starting node ${this.id} at ${new Date().toISOString()} ---\n`);
      this.logStart = statSync(this.logFile).size;
      const { child, exited } = spawnTracked(this.args, {
        env: childEnv({ ...this.env, ...extraEnv }),
        stdio: ['ignore', fd, fd],
        nodeFlags: this.nodeFlags,
      });
      this.child = child;
      this.paused = false;
      this.stopping = false;
      this.lastExit = undefined;
      this.exitedPromise = exited.then((status) => {
        if (this.child === child) {
          this.child = undefined;
          this.paused = false;
          this.lastExit = status;
          if (!this.stopping) this.unexpectedExits.push(status);
        }
        return status;
      });
    } finally {
      // The child holds its own copy of the descriptor.
      closeSync(fd);
    }
  }

  /** Sends `signal` and waits for the process to exit (SIGKILL, or SIGTERM for a clean stop). */
  async stop(signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL', timeoutMs = 10_000): Promise<ExitStatus> {
    const child = this.child;
    const exited = this.exitedPromise;
    if (child === undefined || exited === undefined)
      throw new Error(`node ${this.id} is not running`);
    this.stopping = true;
    child.kill(signal);
    // A paused process only acts on SIGTERM once it runs again.
    if (this.paused && signal !== 'SIGKILL') child.kill('SIGCONT');
    return this.waitForExit(timeoutMs);
  }

  /** Kill -9. */
  kill(): Promise<ExitStatus> {
    return this.stop('SIGKILL');
  }

  /** Sends a signal without waiting. */
  signal(signal: NodeJS.Signals): void {
    if (this.child === undefined) throw new Error(`node ${this.id} is not running`);
    this.child.kill(signal);
  }

  pause(): void {
    this.signal('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    this.signal('SIGCONT');
    this.paused = false;
  }

  /** Waits for an exit the test expects (e.g. a refused start): it is not reported as unexpected. */
  async waitForExit(timeoutMs: number): Promise<ExitStatus> {
    this.stopping = true;
    const exited = this.exitedPromise;
    if (exited === undefined) throw new Error(`node ${this.id} was never started`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`node ${this.id} did not exit within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  command(argv: readonly (string | Buffer)[], timeoutMs = 2000): Promise<Reply> {
    return respCommand(this.ports.resp, argv, timeoutMs);
  }

  connect(timeoutMs = 2000): Promise<RespClient> {
    return RespClient.connect(this.ports.resp, timeoutMs);
  }

  async info(timeoutMs = 2000): Promise<Map<string, string>> {
    return parseInfo(await this.command(['INFO'], timeoutMs));
  }

  async raftInfo(timeoutMs = 2000): Promise<RaftInfo> {
    const info = await this.info(timeoutMs);
    const num = (k: string): number => {
      const v = info.get(k);
      if (v === undefined) throw new Error(`INFO of node ${this.id} has no ${k}`);
      return Number(v);
    };
    return {
      id: num('raft_node_id'),
      role: info.get('raft_role') ?? '',
      term: num('raft_term'),
      leader: num('raft_leader_id'),
      commit: num('raft_commit_index'),
      applied: num('raft_applied_index'),
      lastIndex: num('raft_last_index'),
      firstIndex: num('raft_first_index'),
    };
  }

  /** GET through this member (its default consistency: linearizable). */
  async get(key: string, timeoutMs = 2000): Promise<string | null> {
    return replyText(await this.command(['GET', key], timeoutMs));
  }

  /**
   * This member's log lines, by default only those of the current (or last) incarnation.
   * Lines that are not pino JSON are skipped.
   */
  logLines(options: { allIncarnations?: boolean } = {}): LogLine[] {
    let text: string;
    try {
      text = readFileSync(this.logFile, 'utf8');
    } catch {
      return [];
    }
    if (options.allIncarnations !== true) text = text.slice(this.logStart);
    const out: LogLine[] = [];
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const parsed: unknown = JSON.parse(line);
        if (typeof parsed === 'object' && parsed !== null && 'msg' in parsed && 'level' in parsed) {
          out.push(parsed as LogLine);
        }
      } catch {
        // A line cut short by kill -9.
      }
    }
    return out;
  }

  /** Log text of the current incarnation, for messages. */
  logText(): string {
    try {
      return readFileSync(this.logFile, 'utf8').slice(this.logStart);
    } catch {
      return '';
    }
  }

  /** Waits for a log line of the current incarnation matching `match`, and returns it. */
  waitForLog(what: string, match: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
    return waitFor(`node ${this.id} to log ${what}`, () => this.logLines().find(match), {
      timeoutMs,
      intervalMs: 25,
    });
  }

  /** Forgets the process without waiting (used when tearing down). */
  killNow(): void {
    this.stopping = true;
    try {
      this.child?.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }

  exited(): Promise<ExitStatus> | undefined {
    return this.child === undefined ? undefined : this.exitedPromise;
  }
}

export class TestCluster {
  /** Aborted by stop(): waits still running in an abandoned test give up. */
  private readonly abort = new AbortController();
  private stopped = false;
  private readonly all: Member[] = [];

  private constructor(
    readonly name: string,
    readonly dir: string,
    private readonly options: ClusterOptions,
    readonly tickMs: number,
    readonly electionTicks: number,
  ) {}

  /** Every member this cluster started, including those added with {@link addMember}. */
  get members(): readonly Member[] {
    return this.all;
  }

  /** Allocates ports and a temporary directory, and starts every member (not waiting). */
  static async start(options: ClusterOptions): Promise<TestCluster> {
    const cluster = await TestCluster.create(options);
    for (const m of cluster.members) m.start();
    return cluster;
  }

  /** Like {@link start} but starts nothing. */
  static async create(options: ClusterOptions): Promise<TestCluster> {
    const size = options.size ?? 3;
    // 50 ms x 10 ticks: elections within a second, yet no spurious ones when a loaded 2-core
    // machine stalls a member for a couple hundred milliseconds.
    const tickMs = options.tickMs ?? 50;
    const electionTicks = options.electionTicks ?? 10;
    const ports = await freePorts(size * 4);
    const dir = mkdtempSync(
      join(tmpdir(), `redraft-e2e-${options.name.replace(/[^a-z0-9-]/gi, '-')}-`),
    );
    const layout = Array.from({ length: size }, (_, k) => memberPorts(ports, k));
    const initialCluster = layout.map((p, k) => `${k + 1}=127.0.0.1:${p.peer}`).join(',');
    const cluster = new TestCluster(options.name, dir, options, tickMs, electionTicks);
    layout.forEach((p, k) => {
      cluster.all.push(cluster.newMember(k + 1, p, ['initial-cluster', initialCluster]));
    });
    registry.add(cluster);
    return cluster;
  }

  /**
   * Starts a new member (the next free id) that joins the running cluster through `via`, a
   * member's RESP address (`redraft server --join`). Does not wait for it to join.
   */
  async addMember(
    via: string,
    options: { id?: number; extraArgs?: readonly string[] } = {},
  ): Promise<Member> {
    const id = options.id ?? Math.max(0, ...this.all.map((m) => m.id)) + 1;
    const member = this.newMember(
      id,
      memberPorts(await freePorts(4), 0),
      ['join', via],
      options.extraArgs,
    );
    this.all.push(member);
    member.start();
    return member;
  }

  private newMember(
    id: number,
    p: MemberPorts,
    cluster: readonly [string, string],
    extraArgs: readonly string[] = [],
  ): Member {
    const options = this.options;
    const dataDir = join(this.dir, `node-${id}`);
    const settings: [string, string][] = [
      ['id', String(id)],
      ['data-dir', dataDir],
      ['peer-addr', `127.0.0.1:${p.peer}`],
      ['resp-addr', `127.0.0.1:${p.resp}`],
      ['http-addr', `127.0.0.1:${p.http}`],
      ['grpc-addr', `127.0.0.1:${p.grpc}`],
      [cluster[0], cluster[1]],
      ['tick-ms', String(this.tickMs)],
      ['election-ticks', String(this.electionTicks)],
      ['log-level', options.logLevel ?? 'info'],
    ];
    if (options.snapshotEntries !== undefined)
      settings.push(['snapshot-entries', String(options.snapshotEntries)]);
    if (options.sync === false) settings.push(['sync', 'false']);
    const viaEnv = options.configVia === 'env';
    const args = viaEnv
      ? ['server']
      : ['server', ...settings.flatMap(([k, v]) => (k === 'sync' ? ['--no-sync'] : [`--${k}`, v]))];
    const env = viaEnv
      ? Object.fromEntries(
          settings.map(([k, v]) => [`REDRAFT_${k.replace(/-/g, '_').toUpperCase()}`, v]),
        )
      : {};
    args.push(...(options.extraArgs ?? []), ...extraArgs);
    const nodeFlags = [...nodeFlagsFromEnv(), ...(options.nodeFlags ?? [])];
    return new Member(id, p, dataDir, join(this.dir, `n${id}.log`), args, nodeFlags, env);
  }

  /** The shortest election timeout of the members, in milliseconds. */
  get electionTimeoutMs(): number {
    return this.tickMs * this.electionTicks;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  member(id: number): Member {
    const m = this.all.find((x) => x.id === id);
    if (m === undefined) throw new Error(`no node ${id}`);
    return m;
  }

  get live(): Member[] {
    return this.members.filter((m) => m.live);
  }

  /** Polls with this cluster's abort signal (see {@link waitFor}). */
  waitFor<T>(
    what: string,
    probe: () => Promise<T | undefined> | T | undefined,
    timeoutMs: number,
    intervalMs = 20,
  ): Promise<T> {
    return waitFor(what, probe, { timeoutMs, intervalMs, signal: this.abort.signal }).catch(
      (err: unknown) => {
        // A member that died on its own is the likeliest reason a wait failed: say so.
        const died = this.members
          .filter((m) => m.unexpectedExits.length > 0)
          .map((m) => `node ${m.id} exited on its own: ${JSON.stringify(m.unexpectedExits)}`);
        if (err instanceof Error && died.length > 0) err.message += ` [${died.join('; ')}]`;
        throw err;
      },
    );
  }

  /**
   * Waits until every live member names the same leader, that leader is live and says it
   * leads in the same term, and every live member can tell clients its RESP address (the
   * member table is replicated): from then on any member serves writes. The default timeout
   * covers process start-up too (loading the gRPC and REST gateways takes about a second of
   * CPU per member, three members at once on a shared 2-core machine).
   */
  waitForLeader(timeoutMs = 20_000, members: readonly Member[] = this.live): Promise<Member> {
    return this.waitFor(
      `a leader known by nodes ${members.map((m) => m.id).join(',')}`,
      async () => {
        const infos = await Promise.all(members.map((m) => m.raftInfo(1000)));
        const seen = infos.map((i) => `n${i.id}:${i.role}/t${i.term}/lead=${i.leader}`).join(' ');
        const lead = infos[0]?.leader ?? 0;
        const leader = members.find((m) => m.id === lead);
        const leaderInfo = infos.find((i) => i.id === lead);
        if (
          lead === 0 ||
          leader === undefined ||
          leaderInfo?.role !== 'leader' ||
          infos.some((i) => i.leader !== lead || i.term !== leaderInfo.term)
        ) {
          throw new Error(seen);
        }
        const replies = await Promise.all(members.map((m) => m.command(['LEADER'], 1000)));
        for (const r of replies) {
          if (r.kind !== 'array' || r.items[1]?.kind !== 'bulk')
            throw new Error(`LEADER: ${JSON.stringify(r)}`);
          if (replyText(r.items[1]) !== leader.respAddr)
            throw new Error(`LEADER names ${replyText(r.items[1])}`);
        }
        return leader;
      },
      timeoutMs,
    );
  }

  /** Waits until `member` has applied at least `index`. */
  waitForApplied(member: Member, index: number, timeoutMs = 10_000): Promise<RaftInfo> {
    return this.waitFor(
      `node ${member.id} to apply index ${index}`,
      async () => {
        const info = await member.raftInfo(1000);
        if (info.applied < index) throw new Error(`applied ${info.applied}`);
        return info;
      },
      timeoutMs,
    );
  }

  /** A short description of where the logs are, for failure messages. */
  describeLogs(): string {
    return `${this.dir} (${this.members.map((m) => `n${m.id}.log`).join(', ')})`;
  }

  /**
   * Kills every member still running and removes the directory, unless `keep` (a failed test)
   * or REDRAFT_KEEP_LOGS is set, in which case the directory stays and its path is printed.
   */
  async stop(options: { keep?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    registry.delete(this);
    this.abort.abort();
    const exits = this.members.map((m) => m.exited()).filter((p) => p !== undefined);
    for (const m of this.members) m.killNow();
    await Promise.all(exits);
    const keep = options.keep === true || (process.env.REDRAFT_KEEP_LOGS ?? '') !== '';
    if (keep) {
      process.stderr.write(`e2e: cluster "${this.name}" logs kept in ${this.describeLogs()}\n`);
    } else {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** Clusters started and not yet stopped (see hooks.ts). */
const registry = new Set<TestCluster>();

/** Stops every cluster not yet stopped. */
export async function stopAllClusters(options: { keep?: boolean } = {}): Promise<TestCluster[]> {
  const all = [...registry];
  await Promise.all(all.map((c) => c.stop(options)));
  return all;
}

/**
 * `startCluster`: N members of one Redraft cluster in this process, for tests of an
 * application's state machine and for trying Redraft out. Members talk over an in-memory
 * network (default) or real gRPC on loopback, and keep their logs in memory (default) or in
 * data directories; either way a member can be stopped and restarted from what it persisted.
 */
import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { RedraftError } from '../errors.js';
import { EMPTY_CONF_STATE, nodeId, type MemoryStorage, type Snapshot } from '../raft/index.js';
import type { DurableLog, SnapshotFiles } from '../node/raft-node.js';
import { openDataDir } from '../storage/data-dir.js';
import { MemoryLog } from '../storage/memory-log.js';
import { GrpcTransport } from '../transport/grpc-transport.js';
import { MemoryNetwork } from '../transport/memory-transport.js';
import type { Transport } from '../transport/transport.js';
import type { Codec } from './codec.js';
import { InvalidOptionsError } from './errors.js';
import {
  EmbeddedNode,
  defaultWaitMs,
  waitFor,
  type RedraftNode,
  type StateChangeSource,
  type StopOptions,
} from './node.js';
import {
  fail,
  optionalLogger,
  requireCodec,
  requireInteger,
  requireObject,
  requireStateMachine,
  requireString,
  resolveTuning,
  type RaftTuning,
  type ResolvedTuning,
} from './options.js';
import { boundAddress } from './start-node.js';
import type { AnyStateMachine, CommandOf, ResultOf } from './state-machine.js';

/**
 * Options of {@link startCluster}.
 *
 * @typeParam S - the application's state machine; its `apply` decides the command and result
 *   types of `propose`.
 */
export interface ClusterOptions<S extends AnyStateMachine> extends RaftTuning {
  /** How many voters (1 to 15); their ids are 1..size. */
  readonly size: number;
  /**
   * Makes an empty state machine for member `id`; called again when a member restarts (it is
   * then restored from that member's snapshot and log).
   */
  readonly stateMachine: (id: number) => S;
  /** How commands are stored in the log. */
  readonly codec: Codec<CommandOf<S>>;
  /**
   * `memory` (default): an in-process network, which {@link InProcessCluster.partition} can
   * cut. `grpc`: the real peer transport on loopback ports the system picks.
   */
  readonly transport?: 'memory' | 'grpc';
  /**
   * `memory` (default): logs and snapshots in memory; a restarted member gets back what it
   * had persisted, and everything is gone when the process ends. `disk`: a data directory per
   * member (`<dataDir>/node-<id>`), as `startNode` uses.
   */
  readonly storage?: 'memory' | 'disk';
  /**
   * With `storage: 'disk'`: where the members' directories go (kept after `stop()`).
   * Default: a new temporary directory, removed by `stop()`.
   */
  readonly dataDir?: string;
  /** With `transport: 'grpc'`: the interface to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** A pino logger for the members' messages. Default: silent. */
  readonly logger?: Logger;
}

/** A running in-process cluster; see {@link startCluster}. */
export interface InProcessCluster<S extends AnyStateMachine> {
  /** The member ids, 1..size. */
  readonly ids: readonly number[];
  /** The root of the members' data directories (`storage: 'disk'` only). */
  readonly dataDir: string | undefined;

  /**
   * The running node with this id. Throws a `RedraftError` (`BAD_REQUEST`) for an unknown id
   * or a member that is stopped.
   */
  node(id: number): RedraftNode<S>;
  /** The members that are running, by id. */
  runningNodes(): RedraftNode<S>[];
  /**
   * The running node that believes it leads (the one of the highest term if a partitioned
   * old leader still does too), or undefined.
   */
  leader(): RedraftNode<S> | undefined;
  /**
   * Resolves with the leader once a running member leads; rejects with `RequestTimeoutError`
   * after `timeoutMs` (default: twenty election timeouts).
   */
  waitForLeader(timeoutMs?: number): Promise<RedraftNode<S>>;
  /**
   * Proposes on the current leader, waiting for one if there is none. Refusals that
   * guarantee nothing was proposed (`NotLeaderError`, `PROPOSAL_DROPPED`) are retried on the
   * next leader until `timeoutMs` (default: twenty election timeouts) has passed; every other
   * outcome is returned or thrown as {@link RedraftNode.propose} does, including
   * `LeadershipLostError` (outcome unknown), which is never retried.
   */
  propose(command: CommandOf<S>, timeoutMs?: number): Promise<ResultOf<S>>;
  /** Stops one member (see {@link RedraftNode.stop}); its storage is kept for a restart. */
  stopNode(id: number, options?: StopOptions): Promise<void>;
  /**
   * Starts a stopped member again from what it persisted: a fresh state machine from the
   * factory, restored from its newest snapshot, then the log after it.
   */
  restartNode(id: number): Promise<RedraftNode<S>>;
  /**
   * Cuts the network between the groups (members in no group keep all their links).
   * `transport: 'memory'` only.
   */
  partition(...groups: readonly (readonly number[])[]): void;
  /** Cuts member `id` off from all the others. `transport: 'memory'` only. */
  isolate(id: number): void;
  /** Restores every link cut by {@link partition} or {@link isolate}. */
  heal(): void;
  /** Stops every member and removes the temporary data directory, if one was made. */
  stop(): Promise<void>;
}

interface Member<S extends AnyStateMachine> {
  readonly id: number;
  node: EmbeddedNode<S> | undefined;
  /** `storage: 'memory'`: what the member persisted, kept across restarts. */
  disk: MemoryStorage | undefined;
  /** `transport: 'grpc'`: port 0 until the first start, then the port it got. */
  listenAddress: string;
}

interface ClusterConfig<S extends AnyStateMachine> {
  readonly ids: readonly number[];
  readonly stateMachine: (id: number) => S;
  readonly codec: Codec<CommandOf<S>>;
  readonly network: MemoryNetwork | undefined;
  readonly dataDir: string | undefined;
  readonly removeDataDir: boolean;
  readonly host: string;
  readonly tuning: ResolvedTuning;
  readonly logger: Logger;
}

/**
 * Starts `size` voters and resolves once all of them run (not once a leader is elected: see
 * {@link InProcessCluster.waitForLeader}). Throws {@link InvalidOptionsError} for options that
 * cannot work; if a member fails to start, the others are stopped before the error is thrown.
 */
export async function startCluster<S extends AnyStateMachine>(
  options: ClusterOptions<S>,
): Promise<InProcessCluster<S>> {
  requireObject('options', options);
  const size = requireInteger('size', options.size, 1, 15);
  if (typeof options.stateMachine !== 'function') {
    fail('stateMachine must be a function (id) => state machine, one per member');
  }
  const codec = requireCodec('codec', options.codec) as Codec<CommandOf<S>>;
  // Typed loosely: JavaScript callers may pass anything.
  const transport: unknown = options.transport ?? 'memory';
  if (transport !== 'memory' && transport !== 'grpc') {
    fail(`transport must be "memory" or "grpc", got ${JSON.stringify(transport)}`);
  }
  const storage: unknown = options.storage ?? 'memory';
  if (storage !== 'memory' && storage !== 'disk') {
    fail(`storage must be "memory" or "disk", got ${JSON.stringify(storage)}`);
  }
  if (options.dataDir !== undefined && storage !== 'disk') {
    fail('dataDir needs storage: "disk"');
  }
  if (options.host !== undefined && transport !== 'grpc') fail('host needs transport: "grpc"');
  const host = options.host === undefined ? '127.0.0.1' : requireString('host', options.host);
  const tuning = resolveTuning(options, 50);
  const logger = optionalLogger(options.logger) ?? pino({ level: 'silent' });

  let dataDir: string | undefined;
  let removeDataDir = false;
  if (storage === 'disk') {
    if (options.dataDir === undefined) {
      dataDir = await mkdtemp(join(tmpdir(), 'redraft-cluster-'));
      removeDataDir = true;
    } else {
      dataDir = requireString('dataDir', options.dataDir);
    }
  }
  const cluster = new LocalCluster<S>({
    ids: Array.from({ length: size }, (_, k) => k + 1),
    stateMachine: options.stateMachine,
    codec,
    network: transport === 'memory' ? new MemoryNetwork() : undefined,
    dataDir,
    removeDataDir,
    host,
    tuning,
    logger,
  });
  try {
    await cluster.startAll();
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

class LocalCluster<S extends AnyStateMachine> implements InProcessCluster<S> {
  readonly ids: readonly number[];
  readonly dataDir: string | undefined;
  private readonly members = new Map<number, Member<S>>();
  private stopping: Promise<void> | undefined;

  constructor(private readonly config: ClusterConfig<S>) {
    this.ids = config.ids;
    this.dataDir = config.dataDir;
    for (const id of config.ids) {
      this.members.set(id, {
        id,
        node: undefined,
        disk: undefined,
        listenAddress: `${config.host}:0`,
      });
    }
  }

  async startAll(): Promise<void> {
    for (const member of this.members.values()) await this.startMember(member);
  }

  node(id: number): RedraftNode<S> {
    const node = this.member(id).node;
    if (node === undefined || node.stopped) {
      throw new RedraftError('BAD_REQUEST', `node ${id} is not running`);
    }
    return node;
  }

  runningNodes(): RedraftNode<S>[] {
    return this.running();
  }

  leader(): RedraftNode<S> | undefined {
    let best: EmbeddedNode<S> | undefined;
    let bestTerm = -1;
    for (const node of this.running()) {
      if (!node.isLeader) continue;
      const term = node.status().term;
      if (term > bestTerm) {
        best = node;
        bestTerm = term;
      }
    }
    return best;
  }

  waitForLeader(timeoutMs = defaultWaitMs(this.config.tuning)): Promise<RedraftNode<S>> {
    return waitFor(this.running(), () => this.leader(), timeoutMs, 'waiting for a leader');
  }

  async propose(
    command: CommandOf<S>,
    timeoutMs = defaultWaitMs(this.config.tuning),
  ): Promise<ResultOf<S>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const leader = await this.waitForLeader(Math.max(1, deadline - performance.now()));
      try {
        return await leader.propose(command);
      } catch (err) {
        const left = deadline - performance.now();
        if (!nothingWasProposed(err) || left <= 0) throw err;
        // The refusing node is about to learn of (or become) another leader: wait for that
        // instead of asking it again at once. A transfer that is abandoned changes nothing,
        // hence the bound.
        const electionMs = this.config.tuning.tickMs * this.config.tuning.electionTicks;
        await nextStateChange(this.running(), Math.min(left, electionMs));
      }
    }
  }

  async stopNode(id: number, options?: StopOptions): Promise<void> {
    const node = this.member(id).node;
    if (node !== undefined) await node.stop(options);
  }

  async restartNode(id: number): Promise<RedraftNode<S>> {
    const member = this.member(id);
    if (this.stopping !== undefined)
      throw new RedraftError('SHUTTING_DOWN', 'the cluster is stopping');
    if (member.node !== undefined && !member.node.stopped) {
      throw new RedraftError('BAD_REQUEST', `node ${id} is running; stop it first`);
    }
    // Let a stop in progress release the port and the log first.
    await member.node?.stop();
    return this.startMember(member);
  }

  partition(...groups: readonly (readonly number[])[]): void {
    const network = this.requireNetwork('partition');
    for (const group of groups) for (const id of group) this.member(id);
    network.partition(...groups.map((g) => g.map(nodeId)));
  }

  isolate(id: number): void {
    const network = this.requireNetwork('isolate');
    this.member(id);
    network.isolate(nodeId(id));
  }

  heal(): void {
    this.requireNetwork('heal').heal();
  }

  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    const stops: Promise<void>[] = [];
    for (const m of this.members.values()) {
      if (m.node !== undefined) stops.push(m.node.stop({ transferLeadership: false }));
    }
    await Promise.all(stops);
    if (this.config.removeDataDir && this.config.dataDir !== undefined) {
      await rm(this.config.dataDir, { recursive: true, force: true });
    }
  }

  private async startMember(member: Member<S>): Promise<EmbeddedNode<S>> {
    const { id } = member;
    const { config } = this;
    const logger = config.logger.child({ component: 'redraft', nodeId: id });
    const stateMachine = requireStateMachine(
      `the state machine made for node ${id}`,
      config.stateMachine(id),
    ) as S;
    const storage = await this.openStorage(member, logger);
    let transport: Transport;
    let peerAddress: () => string | undefined = () => undefined;
    try {
      if (storage.snapshot !== undefined) stateMachine.restore(storage.snapshot.data);
      transport = this.makeTransport(member, logger);
      if (transport instanceof GrpcTransport) {
        const grpc = transport;
        peerAddress = () => boundAddress(grpc);
      }
    } catch (err) {
      await storage.log.close().catch(() => undefined);
      throw err;
    }
    const node = await EmbeddedNode.launch({
      id,
      stateMachine,
      codec: config.codec,
      log: storage.log,
      snapshots: storage.snapshots,
      initialSnapshot: storage.snapshot,
      transport,
      peerAddress,
      tuning: config.tuning,
      logger: logger.child({ component: 'node' }),
      random: (bound) => randomInt(bound),
    });
    member.node = node;
    const address = node.peerAddress;
    if (address !== undefined) {
      // A member bound to port 0 learns its port only now; later restarts reuse it.
      member.listenAddress = address;
      for (const other of this.running()) other.setPeerAddress(id, address);
    }
    return node;
  }

  private async openStorage(
    member: Member<S>,
    logger: Logger,
  ): Promise<{ log: DurableLog; snapshots: SnapshotFiles; snapshot: Snapshot | undefined }> {
    const bootstrap = { ...EMPTY_CONF_STATE, voters: this.ids.map(nodeId) };
    if (this.config.dataDir !== undefined) {
      return openDataDir(join(this.config.dataDir, `node-${member.id}`), {
        logger,
        bootstrap,
        memberId: member.id,
      });
    }
    member.disk ??= MemoryLog.bootstrapDisk(bootstrap);
    const log = new MemoryLog(member.disk);
    const snapshot = log.snapshot();
    return {
      log,
      // The log keeps each snapshot with its data (recordSnapshot, persist): no files needed.
      snapshots: { save: () => Promise.resolve() },
      snapshot: snapshot.metadata.index > 0 ? snapshot : undefined,
    };
  }

  private makeTransport(member: Member<S>, logger: Logger): Transport {
    const { network } = this.config;
    if (network !== undefined) {
      const transport = network.transport(nodeId(member.id));
      for (const id of this.ids)
        if (id !== member.id) transport.addPeer(nodeId(id), `memory:${id}`);
      return transport;
    }
    const transport = new GrpcTransport({
      id: nodeId(member.id),
      listenAddress: member.listenAddress,
      logger: logger.child({ component: 'transport' }),
    });
    for (const other of this.members.values()) {
      if (other.id !== member.id && !other.listenAddress.endsWith(':0')) {
        transport.addPeer(nodeId(other.id), other.listenAddress);
      }
    }
    return transport;
  }

  private running(): EmbeddedNode<S>[] {
    const nodes: EmbeddedNode<S>[] = [];
    for (const m of this.members.values()) {
      if (m.node !== undefined && !m.node.stopped) nodes.push(m.node);
    }
    return nodes;
  }

  private member(id: number): Member<S> {
    const member = this.members.get(id);
    if (member === undefined) {
      throw new RedraftError(
        'BAD_REQUEST',
        `no node ${String(id)} in this cluster (ids 1..${this.ids.length})`,
      );
    }
    return member;
  }

  private requireNetwork(what: string): MemoryNetwork {
    if (this.config.network === undefined) {
      throw new InvalidOptionsError(`${what} needs transport: "memory"`);
    }
    return this.config.network;
  }
}

/** True for refusals that guarantee the command was not proposed. */
function nothingWasProposed(err: unknown): boolean {
  return (
    err instanceof RedraftError &&
    (err.code === 'NOT_LEADER' || err.code === 'NO_LEADER' || err.code === 'PROPOSAL_DROPPED')
  );
}

/** Resolves at the next change of role or leader on any of `nodes`, or after `ms`. */
function nextStateChange(nodes: readonly StateChangeSource[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    const unsubscribe: (() => void)[] = [];
    const done = (): void => {
      clearTimeout(timer);
      for (const u of unsubscribe) u();
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const node of nodes) unsubscribe.push(node.onStateChange(done));
  });
}

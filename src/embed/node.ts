/**
 * An embedded Redraft node: the Raft driver (src/node) running the application's state
 * machine. `startNode` (start-node.ts) and `startCluster` (cluster.ts) build one; this file is
 * what the application holds afterwards.
 */
import type { Logger } from 'pino';
import { NotLeaderError, RequestTimeoutError } from '../errors.js';
import { NONE, nodeId, type RandomInt, type Snapshot } from '../raft/index.js';
import {
  RaftNode,
  type DurableLog,
  type ReadConsistency,
  type SnapshotFiles,
} from '../node/raft-node.js';
import { IntervalTicker } from '../node/ticker.js';
import type { Transport } from '../transport/transport.js';
import type { Codec } from './codec.js';
import {
  COMMAND_ENTRY_OVERHEAD,
  Rejection,
  adaptStateMachine,
  commandEntry,
  messageOf,
  type ApplyOutcome,
} from './command-log.js';
import { InvalidCommandError } from './errors.js';
import { describeValue, type ResolvedTuning } from './options.js';
import type {
  AnyStateMachine,
  CommandOf,
  ReplicatedStateMachine,
  ResultOf,
} from './state-machine.js';

export type { ReadConsistency } from '../node/raft-node.js';

/** A node's view of the cluster, for monitoring and tests. */
export interface NodeStatus {
  readonly id: number;
  readonly role: 'leader' | 'follower' | 'candidate' | 'pre-candidate';
  readonly term: number;
  /** The leader this node knows of, if any. */
  readonly leaderId: number | undefined;
  /** The highest log index known to be committed. */
  readonly commitIndex: number;
  /** The highest log index applied to this node's state machine. */
  readonly appliedIndex: number;
  readonly voters: readonly number[];
  readonly learners: readonly number[];
}

/** Options of {@link RedraftNode.stop}. */
export interface StopOptions {
  /**
   * When this node leads, hand leadership to the most up-to-date voter first (bounded by an
   * election timeout), so the others need not wait for an election. Default true.
   */
  readonly transferLeadership?: boolean;
}

/**
 * One running member of a Redraft cluster, replicating a state machine of type `S`.
 *
 * Writes go through {@link propose} on the leader; a follower refuses them with
 * {@link NotLeaderError} naming the leader, and nothing is proposed (so retrying on the
 * leader is safe). Proposals are not forwarded: the application decides how to reach the
 * leader (the in-process cluster's `propose` does it for you). Reads run on any node, at the
 * consistency the caller picks.
 */
export interface RedraftNode<S extends AnyStateMachine> {
  /** This member's id. */
  readonly id: number;
  /**
   * The application's state machine on this node. Read it through {@link read}, which says
   * how current it is; never change it outside `apply`.
   */
  readonly stateMachine: S;
  /** The address this node's peer transport listens on (undefined in-memory). */
  readonly peerAddress: string | undefined;
  /** True while this node is the leader. */
  readonly isLeader: boolean;
  /** The leader this node knows of, or undefined during an election. */
  readonly leaderId: number | undefined;
  /** True once the node stopped (by {@link stop} or after a failure). */
  readonly stopped: boolean;

  /**
   * Replicates `command` and resolves with what `apply` returned on this node, once a quorum
   * has it durably and this node applied it.
   *
   * Rejects with:
   * - {@link NotLeaderError} (code `NOT_LEADER`, or `NO_LEADER` with `leaderId` 0 during an
   *   election): nothing was proposed; retry on the leader.
   * - {@link InvalidCommandError}: the codec refused the command or it is over
   *   `maxCommandBytes`; nothing was proposed.
   * - the error `apply` threw: the command was committed and rejected by every replica.
   * - {@link LeadershipLostError}: leadership changed while it was in flight; it may or may
   *   not have been applied. Retry only if the command is idempotent.
   * - `RedraftError` with code `PROPOSAL_DROPPED` (the leader is handing over leadership;
   *   nothing was proposed), `SHUTTING_DOWN` or `STORAGE_FAILED`.
   */
  propose(command: CommandOf<S>): Promise<ResultOf<S>>;

  /**
   * Runs `query` against this node's state machine once this node may serve a read at
   * `consistency`, and resolves with its result:
   * - `linearizable`: reflects every command acknowledged before the call. The leader
   *   confirms it still leads with a heartbeat round (shared by the reads that arrive
   *   meanwhile); a follower asks the leader for the commit index the same way and waits
   *   until it has applied up to it.
   * - `lease`: like linearizable, but the leader trusts its lease instead of a heartbeat
   *   round; correct while clock drift between members stays well below the election timeout.
   * - `stale`: this node's state as it is, which may lag the leader; works without a leader.
   *
   * `query` runs synchronously between applies and must not change the state. Rejects with
   * {@link NotLeaderError} (`NO_LEADER`) when no leader is known for a linearizable or lease
   * read, `RequestTimeoutError` when the confirmation takes longer than `requestTimeoutMs`,
   * or {@link LeadershipLostError} when this leader lost its leadership meanwhile.
   */
  read<T>(consistency: ReadConsistency, query: (state: S) => T): Promise<T>;

  /** A snapshot of this node's Raft state. */
  status(): NodeStatus;

  /**
   * Resolves with the leader's id as soon as this node knows one; rejects with
   * `RequestTimeoutError` after `timeoutMs` (default: twenty election timeouts).
   */
  waitForLeader(timeoutMs?: number): Promise<number>;

  /**
   * Calls `listener` whenever the leader this node knows of changes (undefined: an election
   * is under way). Returns a function that unsubscribes.
   */
  onLeaderChange(listener: (leaderId: number | undefined) => void): () => void;

  /**
   * Called once if the node stops on its own because it could not persist or apply
   * (fail-stop); the node has then released its port and data directory.
   */
  onFailure(listener: (error: Error) => void): () => void;

  /**
   * Hands leadership to `to` (default: the most up-to-date voter) and resolves true once this
   * node no longer leads, false if that did not happen within an election timeout. Rejects
   * with {@link NotLeaderError} on a follower.
   */
  transferLeadership(to?: number): Promise<boolean>;

  /**
   * Stops the node: new calls are refused, pending ones fail with `SHUTTING_DOWN` (a pending
   * proposal may still be committed by the others), the log is flushed and closed and the
   * port released. Idempotent.
   */
  stop(options?: StopOptions): Promise<void>;
}

/** What a node is assembled from; the caller (start-node.ts, cluster.ts) opens each part. */
export interface NodeParts<S extends AnyStateMachine> {
  readonly id: number;
  readonly stateMachine: S;
  readonly codec: Codec<CommandOf<S>>;
  readonly log: DurableLog;
  readonly snapshots: SnapshotFiles;
  /** The snapshot `stateMachine` was restored from, if any. */
  readonly initialSnapshot: Snapshot | undefined;
  readonly transport: Transport;
  /** The transport's listening address, once it is bound (called after start). */
  readonly peerAddress: () => string | undefined;
  readonly tuning: ResolvedTuning;
  readonly logger: Logger;
  readonly random: RandomInt;
}

const READ_CONSISTENCIES: ReadonlySet<string> = new Set(['linearizable', 'lease', 'stale']);

/** The one implementation of {@link RedraftNode}; built by {@link EmbeddedNode.launch}. */
export class EmbeddedNode<S extends AnyStateMachine> implements RedraftNode<S> {
  readonly id: number;
  readonly stateMachine: S;
  private readonly raft: RaftNode<ApplyOutcome<ResultOf<S>>>;
  private readonly codec: Codec<CommandOf<S>>;
  private readonly transport: Transport;
  private readonly tuning: ResolvedTuning;
  private readonly logger: Logger;
  private readonly peerAddressOf: () => string | undefined;
  private readonly failureListeners = new Set<(error: Error) => void>();
  private stopping: Promise<void> | undefined;

  private constructor(parts: NodeParts<S>) {
    this.id = parts.id;
    this.stateMachine = parts.stateMachine;
    this.codec = parts.codec;
    this.transport = parts.transport;
    this.tuning = parts.tuning;
    this.logger = parts.logger;
    this.peerAddressOf = parts.peerAddress;
    const { tickMs, electionTicks, heartbeatTicks, snapshotEntries, requestTimeoutMs, sync } =
      parts.tuning;
    this.raft = new RaftNode({
      id: nodeId(parts.id),
      log: parts.log,
      snapshots: parts.snapshots,
      initialSnapshot: parts.initialSnapshot,
      transport: parts.transport,
      // S's apply takes CommandOf<S> and returns ResultOf<S> by definition of those types;
      // the compiler cannot see through the indexed access on a type parameter.
      fsm: adaptStateMachine(
        parts.stateMachine as ReplicatedStateMachine<CommandOf<S>, ResultOf<S>>,
        parts.codec,
      ),
      ticker: new IntervalTicker(tickMs),
      logger: parts.logger,
      random: parts.random,
      tickMs,
      electionTicks,
      heartbeatTicks,
      snapshotEntries,
      requestTimeoutMs,
      sync,
    });
    this.raft.onFailure((error) => {
      const notify = (): void => {
        for (const listener of this.failureListeners) listener(error);
      };
      // Release the port and the data directory first: a failed member must not linger
      // half-alive, and a listener may want to start it again.
      this.stop({ transferLeadership: false }).then(notify, notify);
    });
  }

  /**
   * Starts a node from its parts. On failure (e.g. the peer port is taken) everything the
   * parts hold is closed before the error is thrown.
   */
  static async launch<S extends AnyStateMachine>(parts: NodeParts<S>): Promise<EmbeddedNode<S>> {
    const node = new EmbeddedNode(parts);
    try {
      await node.raft.start();
    } catch (err) {
      await node.raft.stop().catch(() => undefined);
      // Only the transport can fail here; grpc-js's own message names the address.
      throw new Error(`node ${parts.id} cannot start its peer transport: ${messageOf(err)}`, {
        cause: err,
      });
    }
    return node;
  }

  get peerAddress(): string | undefined {
    return this.peerAddressOf();
  }

  get isLeader(): boolean {
    return this.raft.isLeader;
  }

  get leaderId(): number | undefined {
    const leader = this.raft.leader;
    return leader === NONE ? undefined : leader;
  }

  get stopped(): boolean {
    return this.stopping !== undefined;
  }

  propose(command: CommandOf<S>): Promise<ResultOf<S>> {
    let encoded: Uint8Array;
    try {
      encoded = this.codec.encode(command);
    } catch (err) {
      return Promise.reject(
        new InvalidCommandError(`cannot encode the command: ${messageOf(err)}`, { cause: err }),
      );
    }
    if (!(encoded instanceof Uint8Array)) {
      return Promise.reject(new InvalidCommandError('the codec did not encode to a Uint8Array'));
    }
    const size = encoded.length + COMMAND_ENTRY_OVERHEAD;
    if (size > this.tuning.maxCommandBytes) {
      return Promise.reject(
        new InvalidCommandError(
          `the command is ${size} bytes, over the ${this.tuning.maxCommandBytes}-byte limit (maxCommandBytes)`,
        ),
      );
    }
    let applied: Promise<ApplyOutcome<ResultOf<S>>>;
    try {
      applied = this.raft.propose(commandEntry(encoded));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return applied.then(unwrapOutcome);
  }

  read<T>(consistency: ReadConsistency, query: (state: S) => T): Promise<T> {
    if (typeof consistency !== 'string' || !READ_CONSISTENCIES.has(consistency)) {
      return Promise.reject(
        new InvalidCommandError(
          `read consistency must be "linearizable", "lease" or "stale", got ${describeValue(consistency as unknown)}`,
        ),
      );
    }
    if (typeof query !== 'function') {
      return Promise.reject(new InvalidCommandError('read needs a query function'));
    }
    let confirmed: Promise<void>;
    try {
      confirmed = this.raft.read(consistency);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return confirmed.then(() => query(this.stateMachine));
  }

  status(): NodeStatus {
    const s = this.raft.status();
    const config = this.raft.currentConfState;
    return {
      id: this.id,
      role: s.role,
      term: s.term,
      leaderId: s.lead === NONE ? undefined : s.lead,
      commitIndex: s.commit,
      appliedIndex: this.raft.applied,
      voters: [...config.voters],
      learners: [...config.learners],
    };
  }

  waitForLeader(timeoutMs = this.defaultWaitMs()): Promise<number> {
    return waitFor([this], () => this.leaderId, timeoutMs, `node ${this.id} waiting for a leader`);
  }

  onLeaderChange(listener: (leaderId: number | undefined) => void): () => void {
    let last = this.leaderId;
    return this.raft.onStateChange(() => {
      const current = this.leaderId;
      if (current === last) return;
      last = current;
      listener(current);
    });
  }

  onFailure(listener: (error: Error) => void): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  async transferLeadership(to?: number): Promise<boolean> {
    if (!this.raft.isLeader) throw new NotLeaderError(this.raft.leader);
    const electionMs = this.tuning.tickMs * this.tuning.electionTicks;
    if (to === undefined) return this.raft.handOverLeadership(electionMs);
    const voters: readonly number[] = this.raft.currentConfState.voters;
    if (!voters.includes(to)) {
      throw new InvalidCommandError(`cannot transfer leadership to ${String(to)}: not a voter`);
    }
    if (to === this.id) return false;
    const handedOver = waitFor(
      [this],
      () => (this.isLeader ? undefined : true),
      electionMs,
      'leadership transfer',
    ).catch(() => false);
    this.raft.transferLeadership(nodeId(to));
    return handedOver;
  }

  stop(options: StopOptions = {}): Promise<void> {
    this.stopping ??= this.shutDown(options.transferLeadership ?? true);
    return this.stopping;
  }

  /** Adds or updates the address of a peer (the in-process cluster learns them at start). */
  setPeerAddress(id: number, address: string): void {
    if (id !== this.id) this.transport.addPeer(nodeId(id), address);
  }

  /** @internal Subscribes to every change of role or leader (for cluster-wide waits). */
  onStateChange(listener: () => void): () => void {
    return this.raft.onStateChange(listener);
  }

  private async shutDown(transferLeadership: boolean): Promise<void> {
    if (transferLeadership && this.raft.isLeader) {
      const electionMs = this.tuning.tickMs * this.tuning.electionTicks;
      const handed = await this.raft.handOverLeadership(electionMs);
      this.logger.info({ handed }, 'leadership handover before stopping');
    }
    await this.raft.stop();
  }

  private defaultWaitMs(): number {
    return defaultWaitMs(this.tuning);
  }
}

/** Twenty election timeouts: enough for several split votes on a loaded machine. */
export function defaultWaitMs(tuning: ResolvedTuning): number {
  return tuning.tickMs * tuning.electionTicks * 20;
}

function unwrapOutcome<Res>(outcome: ApplyOutcome<Res>): Res {
  if (outcome instanceof Rejection) throw outcome.error;
  return outcome;
}

/** Anything that reports changes of role or leader. */
export interface StateChangeSource {
  onStateChange(listener: () => void): () => void;
}

/**
 * Resolves with `probe()`'s value as soon as it is defined, re-probing after every state
 * change of `nodes`; rejects with RequestTimeoutError after `timeoutMs`.
 */
export function waitFor<T>(
  nodes: readonly StateChangeSource[],
  probe: () => T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const now = probe();
  if (now !== undefined) return Promise.resolve(now);
  return new Promise<T>((resolve, reject) => {
    const unsubscribe: (() => void)[] = [];
    const finish = (): void => {
      clearTimeout(timer);
      for (const u of unsubscribe) u();
    };
    const timer = setTimeout(() => {
      finish();
      reject(new RequestTimeoutError(`${what} (${timeoutMs} ms)`));
    }, timeoutMs);
    for (const node of nodes) {
      unsubscribe.push(
        node.onStateChange(() => {
          const value = probe();
          if (value === undefined) return;
          finish();
          resolve(value);
        }),
      );
    }
  });
}

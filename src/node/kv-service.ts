import { NotLeaderError, RedraftError } from '../errors.js';
import {
  EntryKind,
  decodeEntry,
  encodeCommand,
  encodeTransaction,
  type MemberInfo,
  type QueuedCommand,
  type WatchedKey,
} from '../fsm/entry-codec.js';
import { EXPIRE_SWEEP } from '../fsm/commands/server.js';
import { keyBytes } from '../fsm/keyspace.js';
import { DATABASES, type KvStateMachine } from '../fsm/kv-state-machine.js';
import type { ProvenValue } from '../fsm/merkle-state.js';
import { CommandError, type Result } from '../fsm/result.js';
import { NONE } from '../raft/index.js';
import type { RaftNode, ReadConsistency } from './raft-node.js';

/**
 * Sends a command to the leader and returns its result: how a follower serves a write.
 * Implemented over the leader's client port (src/resp), so any front end can use it.
 */
export interface LeaderForwarder {
  forward(leader: MemberInfo, db: number, argv: readonly Buffer[]): Promise<Result>;
}

/** The internal RESP command a follower uses to hand a whole transaction to the leader. */
export const FORWARDED_TRANSACTION = '__txn';

/** How often the leader looks for expired keys, and how many it deletes per entry. */
const EXPIRY_SWEEP_MS = 100;
const EXPIRY_SWEEP_KEYS = 500;

/**
 * What every front end (RESP, gRPC, REST) talks to: writes go through the Raft log, reads are
 * served from local state at the consistency asked for. Front ends never see the Raft core.
 */
/**
 * The largest log entry accepted by default. Every entry travels whole in one peer message
 * (the transport refuses messages over 64 MiB) and sits in every member's log: a larger value
 * is refused up front with a clear error instead of stalling replication.
 */
export const DEFAULT_MAX_ENTRY_BYTES = 32 * 1024 * 1024;

export class KvService {
  constructor(
    readonly node: RaftNode<Result>,
    readonly fsm: KvStateMachine,
    private readonly forwarder: LeaderForwarder | undefined,
    /** The wall clock that stamps writes (on the leader) and judges expiry (on reads). */
    private readonly clock: () => number = Date.now,
    readonly maxEntryBytes = DEFAULT_MAX_ENTRY_BYTES,
  ) {}

  /** Proposes an encoded entry unless it is too large to replicate. */
  private propose(payload: Buffer): Promise<Result> {
    if (payload.length > this.maxEntryBytes) {
      return Promise.resolve(
        new CommandError(
          `ERR request of ${payload.length} bytes exceeds the ${this.maxEntryBytes}-byte limit of one replicated entry`,
        ),
      );
    }
    return this.node.propose(payload);
  }

  /**
   * Executes a write. On the leader it is stamped with the leader's clock and proposed; on a
   * follower it is forwarded to the leader when a forwarder is configured, else refused with
   * {@link NotLeaderError} naming the leader.
   */
  write(db: number, argv: readonly Buffer[]): Promise<Result> {
    // Not async: on the leader, every SET's promise is the proposal's own, with no wrapper.
    if (this.node.isLeader) return this.propose(encodeCommand(this.clock(), db, argv));
    const leader = this.leaderInfo();
    if (leader === undefined || this.forwarder === undefined) {
      return Promise.reject(new NotLeaderError(this.node.leader));
    }
    return this.forwarder.forward(leader, db, argv);
  }

  /**
   * Executes MULTI/EXEC as one log entry. The watched versions were read linearizably when
   * WATCH ran; the state machine compares them at apply time. A follower hands the encoded
   * transaction to the leader, which re-stamps it with its own clock.
   */
  async transaction(
    watches: readonly WatchedKey[],
    commands: readonly QueuedCommand[],
  ): Promise<Result> {
    const payload = encodeTransaction(this.clock(), watches, commands);
    if (this.node.isLeader) return this.propose(payload);
    const leader = this.leaderInfo();
    if (leader === undefined || this.forwarder === undefined)
      throw new NotLeaderError(this.node.leader);
    return this.forwarder.forward(leader, 0, [Buffer.from(FORWARDED_TRANSACTION), payload]);
  }

  /**
   * Replicates an entry the leader builds (`build` runs on the leader only: its clock, its
   * settings). A follower forwards the client's command `argv` to the leader, which builds the
   * same entry from it; without a forwarder it throws {@link NotLeaderError}.
   */
  async proposeOrForward(
    build: () => Buffer,
    db: number,
    argv: readonly Buffer[],
  ): Promise<Result> {
    if (this.node.isLeader) return this.propose(build());
    const leader = this.leaderInfo();
    if (leader === undefined || this.forwarder === undefined) {
      throw new NotLeaderError(this.node.leader);
    }
    return this.forwarder.forward(leader, db, argv);
  }

  /** The leader's side of {@link transaction} for a follower: validate, re-stamp, propose. */
  async proposeForwardedTransaction(payload: Buffer): Promise<Result> {
    if (!this.node.isLeader) throw new NotLeaderError(this.node.leader);
    const decoded = decodeEntry(payload);
    if (decoded.kind !== EntryKind.Transaction) throw new Error('not a transaction payload');
    return this.propose(encodeTransaction(this.clock(), decoded.watches, decoded.commands));
  }

  /** The versions of keys as WATCH records them, read at `consistency`. */
  async watchVersions(
    db: number,
    keys: readonly Buffer[],
    consistency: ReadConsistency,
  ): Promise<WatchedKey[]> {
    await this.readable(consistency);
    const now = this.clock();
    return keys.map((key) => ({
      db,
      key: Buffer.from(key),
      version: this.fsm.versionOf(db, key, now),
    }));
  }

  /**
   * Starts the leader's expiry sweep: expired keys are already invisible to reads, and the
   * leader proposes their deletion so that every replica frees them at the same index. While
   * `paused()` (CLIENT PAUSE on this member) it proposes nothing, as Redis expires nothing
   * during a pause: the data stays as it was, and expired keys stay invisible all the same.
   */
  startExpirySweeper(paused: () => boolean = () => false): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running || !this.node.isLeader || paused()) return;
      running = true;
      const now = this.clock();
      const proposals: Promise<unknown>[] = [];
      this.fsm.dbs.forEach((db, i) => {
        const keys = db.expired(now, EXPIRY_SWEEP_KEYS);
        if (keys.length === 0) return;
        const argv = [Buffer.from(EXPIRE_SWEEP), ...keys.map(keyBytes)];
        proposals.push(this.node.propose(encodeCommand(now, i, argv)));
      });
      void Promise.allSettled(proposals).then(() => {
        running = false;
      });
    }, EXPIRY_SWEEP_MS);
    timer.unref();
    return () => {
      clearInterval(timer);
    };
  }

  /**
   * Executes a read command on local state once `consistency` allows. A follower serves
   * linearizable reads itself after a ReadIndex round trip to the leader: the leader only
   * confirms an index, and the data never crosses the network twice.
   */
  read(db: number, argv: readonly Buffer[], consistency: ReadConsistency): Promise<Result> {
    return this.whenReadable(consistency, () => this.fsm.read(db, argv, this.clock()));
  }

  /** Runs `fn` against local state once `consistency` allows (multi-key or custom reads). */
  async readWith<T>(
    consistency: ReadConsistency,
    fn: (fsm: KvStateMachine, now: number) => T,
  ): Promise<T> {
    await this.readable(consistency);
    return fn(this.fsm, this.clock());
  }

  /**
   * Proves what `key` of database `db` holds — its canonical value bytes, or absence — in the
   * current state (read at `consistency`, linearizable by default like every read) or in the
   * tagged version `tag`. The proof is ICS-23 CommitmentProof bytes against `root`, the state
   * root at Raft index `index`: what RESP PROVE returns, for every front end.
   */
  async prove(
    db: number,
    key: Buffer,
    tag?: string,
    consistency: ReadConsistency = 'linearizable',
  ): Promise<ProvenValue> {
    const merkle = this.fsm.merkle;
    if (merkle === undefined) {
      throw new RedraftError(
        'NOT_IMPLEMENTED',
        'this node keeps no Merkle state (started with --no-merkle)',
      );
    }
    if (!Number.isInteger(db) || db < 0 || db >= DATABASES) {
      throw new RedraftError('BAD_REQUEST', 'DB index is out of range');
    }
    await this.readable(consistency);
    const proven = merkle.prove(db, key, tag);
    if (proven === undefined) throw new RedraftError('NOT_FOUND', `no such tag '${tag!}'`);
    return proven;
  }

  /**
   * Waits until local state may be read at `consistency`. A member whose Merkle root differs
   * from the leader's refuses every read, before and after the wait (the alarm may go off
   * meanwhile): its state cannot be trusted.
   */
  private readable(consistency: ReadConsistency): Promise<void> {
    return this.whenReadable(consistency, () => undefined);
  }

  /**
   * Runs `read` once local state may be read at `consistency` (see `readable`). The hot path of
   * every GET: one reaction on the node's promise (which the reads of a ReadIndex batch share),
   * not a chain of promises or nested async functions.
   */
  private whenReadable<T>(consistency: ReadConsistency, read: () => T): Promise<T> {
    const refused = this.divergedError();
    if (refused !== undefined) return Promise.reject(refused);
    return this.node.read(consistency).then(() => {
      const late = this.divergedError();
      if (late !== undefined) throw late;
      return read();
    });
  }

  /** Why reads are refused here (see `readable`), if they are. */
  private divergedError(): RedraftError | undefined {
    const divergence = this.fsm.merkle?.divergence;
    if (divergence === undefined) return undefined;
    return new RedraftError(
      'STATE_DIVERGED',
      `this member's state root at index ${divergence.index} differs from the leader's: it serves no reads until it is rebuilt from the leader (another member can serve them)`,
    );
  }

  /** The leader's published addresses, if a leader is known and has published them. */
  leaderInfo(): MemberInfo | undefined {
    const lead = this.node.leader;
    if (lead === NONE) return undefined;
    return this.fsm.members.get(lead);
  }

  members(): MemberInfo[] {
    return [...this.fsm.members.values()].sort((a, b) => a.id - b.id);
  }
}

import { NotLeaderError } from '../errors.js';
import { encodeCommand, type MemberInfo } from '../fsm/entry-codec.js';
import type { KvStateMachine } from '../fsm/kv-state-machine.js';
import type { Result } from '../fsm/result.js';
import { NONE } from '../raft/index.js';
import type { RaftNode, ReadConsistency } from './raft-node.js';

/**
 * Sends a command to the leader and returns its result: how a follower serves a write.
 * Implemented over the leader's client port (src/resp), so any front end can use it.
 */
export interface LeaderForwarder {
  forward(leader: MemberInfo, db: number, argv: readonly Buffer[]): Promise<Result>;
}

/**
 * What every front end (RESP, gRPC, REST) talks to: writes go through the Raft log, reads are
 * served from local state at the consistency asked for. Front ends never see the Raft core.
 */
export class KvService {
  constructor(
    readonly node: RaftNode<Result>,
    readonly fsm: KvStateMachine,
    private readonly forwarder: LeaderForwarder | undefined,
    /** The wall clock that stamps writes (on the leader) and judges expiry (on reads). */
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Executes a write. On the leader it is stamped with the leader's clock and proposed; on a
   * follower it is forwarded to the leader when a forwarder is configured, else refused with
   * {@link NotLeaderError} naming the leader.
   */
  async write(db: number, argv: readonly Buffer[]): Promise<Result> {
    if (this.node.isLeader) return this.node.propose(encodeCommand(this.clock(), db, argv));
    const leader = this.leaderInfo();
    if (leader === undefined || this.forwarder === undefined) {
      throw new NotLeaderError(this.node.leader);
    }
    return this.forwarder.forward(leader, db, argv);
  }

  /**
   * Executes a read command on local state once `consistency` allows. A follower serves
   * linearizable reads itself after a ReadIndex round trip to the leader: the leader only
   * confirms an index, and the data never crosses the network twice.
   */
  async read(db: number, argv: readonly Buffer[], consistency: ReadConsistency): Promise<Result> {
    await this.node.read(consistency);
    return this.fsm.read(db, argv, this.clock());
  }

  /** Runs `fn` against local state once `consistency` allows (multi-key or custom reads). */
  async readWith<T>(consistency: ReadConsistency, fn: (fsm: KvStateMachine, now: number) => T): Promise<T> {
    await this.node.read(consistency);
    return fn(this.fsm, this.clock());
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

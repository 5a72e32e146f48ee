import type { Logger } from 'pino';
import { NotLeaderError, RedraftError, RequestTimeoutError } from '../errors.js';
import { encodeMemberContext } from '../fsm/entry-codec.js';
import {
  ConfChangeType,
  EMPTY_BYTES,
  NONE,
  nodeId,
  type ConfChangeSingle,
  type NodeId,
  type ProgressStatus,
} from '../raft/index.js';
import {
  checkAddresses,
  checkMemberId,
  type AdminForwarder,
  type AdminRequest,
  type AdminResult,
} from './admin-request.js';
import type {
  ClusterAdmin,
  ClusterStatus,
  MemberAddresses,
  MemberStatus,
  SnapshotInfo,
} from './cluster-admin.js';
import type { KvService } from './kv-service.js';
import {
  DEFAULT_PROMOTION_LAG_ENTRIES,
  caughtUp,
  learnerLag,
  learnersToPromote,
} from './learner-promotion.js';

/** {@link ClusterAdmin} plus what joining members and forwarded requests need. */
export interface ClusterMembership extends ClusterAdmin {
  /**
   * Adds a member that asks to join (`redraft server --join`) as a learner that the leader
   * promotes once it has caught up. Idempotent for a learner that has not received anything
   * yet (a joining node that restarted before its first write). Resolves with the members.
   */
  join(id: number, addresses: MemberAddresses): Promise<readonly MemberStatus[]>;
  /** Runs a request here if this member leads, else hands it to the leader. */
  execute<R extends AdminRequest>(request: R): Promise<AdminResult<R>>;
  /** Runs a request a follower handed over: only on the leader, never forwarded again. */
  executeForwarded<R extends AdminRequest>(request: R): Promise<AdminResult<R>>;
}

export interface ClusterAdminOptions {
  readonly kv: KvService;
  /** How a follower reaches the leader; used whatever the client routing mode. */
  readonly forwarder: AdminForwarder;
  readonly logger: Logger;
  /** The election timeout in milliseconds: bounds the waits for leadership to move. */
  readonly electionTimeoutMs: number;
  /** A learner within this many entries of the leader's log counts as caught up. */
  readonly promotionLagEntries?: number;
}

/**
 * Cluster administration over the Raft node: membership changes go through the log one at a
 * time (single-server changes, thesis §4.1), leadership moves with TimeoutNow (§3.10), and a
 * follower hands every change to the leader.
 *
 * A change is checked and marked in flight synchronously, before the first await: requests that
 * arrive together (one pipeline) see each other and the second is refused with
 * CHANGE_IN_PROGRESS instead of racing it.
 */
export class RaftClusterAdmin implements ClusterMembership {
  private readonly kv: KvService;
  private readonly forwarder: AdminForwarder;
  private readonly logger: Logger;
  private readonly electionTimeoutMs: number;
  private readonly promotionLag: number;
  /** The change this leader is carrying out, if any. */
  private inFlight: string | undefined;

  constructor(options: ClusterAdminOptions) {
    this.kv = options.kv;
    this.forwarder = options.forwarder;
    this.logger = options.logger;
    this.electionTimeoutMs = options.electionTimeoutMs;
    this.promotionLag = options.promotionLagEntries ?? DEFAULT_PROMOTION_LAG_ENTRIES;
  }

  private get node(): KvService['node'] {
    return this.kv.node;
  }

  // -------------------------------------------------------------------------------------
  // Reads (local, on any member)

  status(): ClusterStatus {
    const s = this.node.status();
    return {
      id: s.id,
      role: s.role,
      term: s.term,
      leader: s.lead,
      commitIndex: s.commit,
      appliedIndex: this.node.applied,
      members: this.members(),
    };
  }

  members(): readonly MemberStatus[] {
    const s = this.node.status();
    const voters = new Set<number>([...s.config.voters, ...s.config.votersOutgoing]);
    const learners = new Set<number>([...s.config.learners, ...s.config.learnersNext]);
    const ids = [...new Set([...voters, ...learners])].sort((a, b) => a - b);
    return ids.map((id) => {
      const info = this.kv.fsm.members.get(id);
      const match = s.progress?.get(id as NodeId)?.match;
      return {
        id,
        role: voters.has(id) ? 'voter' : 'learner',
        isLeader: id === s.lead,
        peerAddr: info?.peerAddr ?? '',
        respAddr: info?.respAddr ?? '',
        httpAddr: info?.httpAddr ?? '',
        grpcAddr: info?.grpcAddr ?? '',
        ...(match === undefined ? {} : { matchIndex: match }),
      };
    });
  }

  async snapshot(): Promise<SnapshotInfo> {
    return this.node.takeSnapshot();
  }

  // -------------------------------------------------------------------------------------
  // Changes (on the leader; a follower forwards them)

  async addLearner(id: number, addresses: MemberAddresses): Promise<MemberStatus> {
    return this.execute({ op: 'addLearner', id, addresses });
  }

  async join(id: number, addresses: MemberAddresses): Promise<readonly MemberStatus[]> {
    return this.execute({ op: 'join', id, addresses });
  }

  async promote(id: number): Promise<void> {
    await this.execute({ op: 'promote', id });
  }

  async remove(id: number): Promise<void> {
    await this.execute({ op: 'remove', id });
  }

  async transferLeader(to: number): Promise<number> {
    return this.execute({ op: 'transferLeader', to });
  }

  // The methods that start a change are async functions with no await before the change is
  // claimed (runOnLeader): an async function runs synchronously up to its first await.

  async executeForwarded<R extends AdminRequest>(request: R): Promise<AdminResult<R>> {
    check(request);
    if (!this.node.isLeader) throw new NotLeaderError(this.node.leader);
    return this.runOnLeader(request);
  }

  /**
   * Promotes, one at a time, the learners that joined with `--join` once they have caught up.
   * Runs on every member; only the leader acts. Returns a function that stops it.
   */
  startAutoPromotion(intervalMs: number): () => void {
    const timer = setInterval(() => {
      this.promoteCaughtUpLearners();
    }, intervalMs);
    timer.unref();
    return () => {
      clearInterval(timer);
    };
  }

  private promoteCaughtUpLearners(): void {
    if (!this.node.isLeader || this.inFlight !== undefined) return;
    if (this.node.membershipChangePending() || this.kv.fsm.autoPromote.size === 0) return;
    const s = this.node.status();
    if (s.progress === undefined) return;
    const [id] = learnersToPromote(
      s.progress,
      s.lastIndex,
      this.kv.fsm.autoPromote,
      this.promotionLag,
    );
    if (id === undefined) return;
    this.runOnLeader({ op: 'promote', id }).then(
      () => {
        this.logger.info({ member: id }, 'promoted a caught-up learner that joined to voter');
      },
      (err: unknown) => {
        // Retried at the next interval; a leadership change or a user's change got there first.
        this.logger.info({ err, member: id }, 'automatic promotion did not go through');
      },
    );
  }

  async execute<R extends AdminRequest>(request: R): Promise<AdminResult<R>> {
    check(request);
    if (this.node.isLeader) return this.runOnLeader(request);
    return this.forwardToLeader(request);
  }

  /**
   * Hands the request to the leader. Retried while the leader is unknown, unreachable or has
   * just changed: each of those answers means nothing ran, so retrying cannot apply it twice.
   */
  private async forwardToLeader<R extends AdminRequest>(request: R): Promise<AdminResult<R>> {
    const deadline = performance.now() + this.electionTimeoutMs * 3;
    for (;;) {
      if (this.node.isLeader) return this.runOnLeader(request);
      const lead = this.node.leader;
      const info = this.kv.leaderInfo();
      let retry: RedraftError;
      if (info === undefined) {
        retry = new NotLeaderError(0);
        if (lead !== NONE) {
          retry = new RedraftError(
            'NO_LEADER',
            `the leader (node ${lead}) has not published its address yet`,
          );
        }
      } else {
        try {
          return await this.forwarder.forward(info, request);
        } catch (err) {
          if (
            !(err instanceof RedraftError) ||
            (err.code !== 'NOT_LEADER' && err.code !== 'NO_LEADER')
          ) {
            throw err;
          }
          retry = err;
        }
      }
      const left = deadline - performance.now();
      if (left <= 0) throw retry;
      await this.leaderChange(lead, Math.min(left, this.electionTimeoutMs));
    }
  }

  /** Resolves when the known leader differs from `from`, or after `timeoutMs`. */
  private leaderChange(from: NodeId, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        unsubscribe();
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      const unsubscribe = this.node.onStateChange(() => {
        if (this.node.leader !== from) done();
      });
    });
  }

  private async runOnLeader<R extends AdminRequest>(request: R): Promise<AdminResult<R>> {
    const what = this.claim(request);
    try {
      if (request.op !== 'transferLeader') {
        await this.changesSettled();
        if (!this.node.isLeader) throw new NotLeaderError(this.node.leader);
      }
      const value = await this.carryOut(request);
      this.logger.info({ change: what }, 'cluster change done');
      return value as AdminResult<R>;
    } finally {
      this.inFlight = undefined;
    }
  }

  /** Marks the change in flight, or refuses it while another one is. */
  private claim(request: AdminRequest): string {
    if (this.inFlight !== undefined) {
      throw new RedraftError(
        'CHANGE_IN_PROGRESS',
        `another change is in progress (${this.inFlight}); try again when it completes`,
      );
    }
    this.inFlight = describe(request);
    return this.inFlight;
  }

  /**
   * Waits, for up to an election timeout, until the core has no membership change pending. A
   * change proposed in an earlier term may still be committing, and a new leader counts all
   * it has not applied yet as one: right after a leadership change that takes a round trip.
   */
  private changesSettled(): Promise<void> {
    if (!this.node.membershipChangePending()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(
          new RedraftError(
            'CHANGE_IN_PROGRESS',
            'a membership change is still being committed; try again when it completes',
          ),
        );
      }, this.electionTimeoutMs);
      const unsubscribe = this.node.onApplied(() => {
        if (this.node.membershipChangePending()) return;
        clearTimeout(timer);
        unsubscribe();
        resolve();
      });
    });
  }

  /** Checks the request against the membership (synchronously) and starts it. */
  private carryOut(request: AdminRequest): Promise<unknown> {
    switch (request.op) {
      case 'addLearner':
        return this.addMember(request.id, request.addresses, false).then((id) =>
          this.memberStatus(id),
        );
      case 'join':
        return this.addMember(request.id, request.addresses, true).then(() => this.members());
      case 'promote':
        return this.promoteLearner(request.id).then(() => null);
      case 'remove':
        return this.removeMember(request.id).then(() => null);
      case 'transferLeader':
        return this.transfer(request.to);
    }
  }

  private addMember(
    requested: number,
    addresses: MemberAddresses,
    autoPromote: boolean,
  ): Promise<number> {
    const s = this.node.status();
    const id = requested === 0 ? this.freeId() : requested;
    const role = roleOf(s.config, id);
    if (role !== undefined) {
      const match = s.progress?.get(id as NodeId)?.match ?? 0;
      // A joining node that restarted before it stored anything asks again: nothing was
      // acknowledged in its name, so its empty log is the truth and it may carry on.
      if (autoPromote && role === 'learner' && match === 0) return Promise.resolve(id);
      throw new RedraftError(
        'MEMBER_EXISTS',
        autoPromote
          ? `node ${id} is already a ${role} and has stored entries; if its data directory was lost, remove it first (redraft admin remove ${id}) and join again`
          : `node ${id} is already a ${role}`,
      );
    }
    for (const m of this.kv.fsm.members.values()) {
      if (m.peerAddr === addresses.peerAddr && m.id !== id) {
        throw new RedraftError(
          'INVALID_CHANGE',
          `peer address ${addresses.peerAddr} is already used by node ${m.id}`,
        );
      }
    }
    const context = encodeMemberContext({ member: { id, ...addresses }, autoPromote });
    return this.proposeChange(
      { type: ConfChangeType.AddLearner, nodeId: nodeId(id) },
      context,
    ).then(() => id);
  }

  private promoteLearner(id: number): Promise<void> {
    const s = this.node.status();
    const role = roleOf(s.config, id);
    if (role === undefined) throw unknownMember(id);
    if (role === 'voter') throw new RedraftError('INVALID_CHANGE', `node ${id} is already a voter`);
    const pr = s.progress?.get(id as NodeId);
    if (pr === undefined || !caughtUp(pr, s.lastIndex, this.promotionLag)) {
      const lag = pr === undefined ? s.lastIndex : learnerLag(pr, s.lastIndex);
      throw new RedraftError(
        'LEARNER_NOT_READY',
        `learner ${id} has not caught up with the leader yet (${lag} entries behind); try again later`,
      );
    }
    return this.proposeChange({ type: ConfChangeType.AddVoter, nodeId: nodeId(id) });
  }

  private removeMember(id: number): Promise<void> {
    const s = this.node.status();
    const role = roleOf(s.config, id);
    if (role === undefined) throw unknownMember(id);
    if (role === 'voter' && s.config.voters.length === 1) {
      throw new RedraftError(
        'INVALID_CHANGE',
        `node ${id} is the last voter and cannot be removed`,
      );
    }
    if (id === this.node.id) return this.removeSelf();
    return this.proposeChange({ type: ConfChangeType.Remove, nodeId: nodeId(id) });
  }

  /**
   * The leader removes itself by handing leadership over first, then asking the new leader to
   * remove it: the cluster keeps a leader throughout, instead of waiting out an election after
   * this one steps down. If the handover does not happen, the leader removes itself, and the
   * core steps down once the change is applied.
   */
  private async removeSelf(): Promise<void> {
    const self = this.node.id;
    try {
      await this.transfer(0);
    } catch (err) {
      this.logger.warn({ err }, 'leadership handover before removing this leader failed');
    }
    const change = { type: ConfChangeType.Remove, nodeId: self };
    if (this.node.isLeader) return this.proposeChange(change);
    await this.forwardToLeader({ op: 'remove', id: self });
  }

  private async transfer(requested: number): Promise<number> {
    const s = this.node.status();
    const self = this.node.id;
    let to = requested;
    if (to === 0) {
      to = this.bestTransferee(s.progress, s.config.voters);
      if (to === NONE) {
        throw new RedraftError('INVALID_CHANGE', 'there is no other voter to hand leadership to');
      }
    }
    if (to === self) return self;
    const role = roleOf(s.config, to);
    if (role === undefined) throw unknownMember(to);
    if (role === 'learner') {
      throw new RedraftError('INVALID_CHANGE', `node ${to} is a learner; only a voter can lead`);
    }
    const moved = this.leadershipMoved();
    this.node.transferLeadership(nodeId(to));
    const leader = await moved;
    this.logger.info({ from: self, to, leader }, 'leadership transferred');
    return leader;
  }

  /** The voter other than this leader with the most of the log, or NONE. */
  private bestTransferee(
    progress: ReadonlyMap<NodeId, ProgressStatus> | undefined,
    voters: readonly NodeId[],
  ): number {
    let best: number = NONE;
    let bestMatch = -1;
    for (const id of voters) {
      const pr = progress?.get(id);
      if (id === this.node.id || pr === undefined) continue;
      if (pr.match > bestMatch) {
        best = id;
        bestMatch = pr.match;
      }
    }
    return best;
  }

  /**
   * Resolves with the new leader once this node has stepped down and learned who leads. A
   * transfer the core abandons (the transferee did not catch up within an election timeout)
   * ends in a timeout error.
   */
  private leadershipMoved(): Promise<number> {
    const timeoutMs = this.electionTimeoutMs * 2;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new RequestTimeoutError('leadership transfer'));
      }, timeoutMs);
      const unsubscribe = this.node.onStateChange(() => {
        const lead = this.node.leader;
        if (this.node.isLeader || lead === NONE) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(lead);
      });
    });
  }

  private async proposeChange(
    change: ConfChangeSingle,
    context: Uint8Array = EMPTY_BYTES,
  ): Promise<void> {
    await this.node.proposeConfChange({ transition: 'auto', changes: [change], context });
  }

  private memberStatus(id: number): MemberStatus {
    const m = this.members().find((x) => x.id === id);
    if (m === undefined) throw new RedraftError('INTERNAL', `node ${id} vanished after its change`);
    return m;
  }

  /** The smallest id above every current and recorded member. */
  private freeId(): number {
    const s = this.node.status();
    let max = 0;
    for (const id of [...s.config.voters, ...s.config.learners, ...this.kv.fsm.members.keys()]) {
      max = Math.max(max, id);
    }
    return max + 1;
  }
}

function check(request: AdminRequest): void {
  switch (request.op) {
    case 'addLearner':
    case 'join':
      checkMemberId(request.id, 'member id', request.op === 'addLearner');
      checkAddresses(request.addresses);
      return;
    case 'promote':
    case 'remove':
      checkMemberId(request.id, 'member id');
      return;
    case 'transferLeader':
      checkMemberId(request.to, 'transferee id', true);
      return;
  }
}

function describe(request: AdminRequest): string {
  switch (request.op) {
    case 'addLearner':
      return `add learner ${request.id === 0 ? '(new id)' : request.id}`;
    case 'join':
      return `join of node ${request.id}`;
    case 'promote':
      return `promotion of node ${request.id}`;
    case 'remove':
      return `removal of node ${request.id}`;
    case 'transferLeader':
      return `leadership transfer${request.to === 0 ? '' : ` to node ${request.to}`}`;
  }
}

function roleOf(
  config: { readonly voters: readonly NodeId[]; readonly learners: readonly NodeId[] },
  id: number,
): 'voter' | 'learner' | undefined {
  if (config.voters.includes(id as NodeId)) return 'voter';
  if (config.learners.includes(id as NodeId)) return 'learner';
  return undefined;
}

function unknownMember(id: number): RedraftError {
  return new RedraftError('UNKNOWN_MEMBER', `node ${id} is not a member of the cluster`);
}

/**
 * Members of a cluster in one process: real RaftNodes, KvStateMachines, KvServices and
 * RaftClusterAdmins over an in-memory network and in-memory logs, with real ticks (a few
 * milliseconds each). A follower's administrative requests reach the leader through the same
 * JSON encoding as `__raft` does over RESP. For tests of cluster administration that need many
 * membership changes, which real processes would make slow.
 */
import { MemoryLog } from '../../../src/storage/memory-log.js';
import pino from 'pino';
import { RedraftError } from '../../../src/errors.js';
import { encodeCommand, encodeMember, type MemberInfo } from '../../../src/fsm/entry-codec.js';
import { KvStateMachine } from '../../../src/fsm/kv-state-machine.js';
import type { Result } from '../../../src/fsm/result.js';
import {
  decodeAdminReply,
  decodeAdminRequest,
  encodeAdminReply,
  encodeAdminRequest,
  type AdminForwarder,
  type AdminRequest,
  type AdminResult,
} from '../../../src/node/admin-request.js';
import { initialMembershipEntries } from '../../../src/node/bootstrap.js';
import { RaftClusterAdmin } from '../../../src/node/cluster-admin-service.js';
import { KvService } from '../../../src/node/kv-service.js';
import { RaftNode } from '../../../src/node/raft-node.js';
import { IntervalTicker } from '../../../src/node/ticker.js';
import {
  MemoryStorage,
  NONE,
  index,
  nodeId,
  seededRandom,
  term,
  type NodeId,
} from '../../../src/raft/index.js';
import { MemoryNetwork, type MemoryTransport } from '../../../src/transport/memory-transport.js';
import { waitFor } from '../../e2e/harness/wait.js';

export const TICK_MS = 5;
export const ELECTION_TICKS = 10;

/** The storage of an initial member: the bootstrap entries, committed. */
function bootstrappedStorage(voters: readonly NodeId[]): MemoryStorage {
  const storage = new MemoryStorage();
  const entries = initialMembershipEntries(voters);
  storage.append(entries);
  storage.setHardState({ term: term(1), vote: NONE, commit: index(entries.length) });
  return storage;
}

export interface InProcessMember {
  readonly id: number;
  readonly info: MemberInfo;
  readonly node: RaftNode<Result>;
  readonly fsm: KvStateMachine;
  readonly kv: KvService;
  readonly admin: RaftClusterAdmin;
  readonly storage: MemoryStorage;
  readonly transport: MemoryTransport;
  stopped: boolean;
}

export interface InProcessOptions {
  readonly snapshotEntries?: number;
  /** How far behind the leader a learner may be and still count as caught up. */
  readonly promotionLagEntries?: number;
}

export class InProcessCluster {
  readonly network = new MemoryNetwork();
  readonly members = new Map<number, InProcessMember>();
  private readonly stopAutoPromotion: (() => void)[] = [];

  private constructor(private readonly options: InProcessOptions) {}

  /** Starts `size` bootstrapped voters (ids 1..size). */
  static async start(size: number, options: InProcessOptions = {}): Promise<InProcessCluster> {
    const cluster = new InProcessCluster(options);
    const voters = Array.from({ length: size }, (_, k) => nodeId(k + 1));
    for (const id of voters) await cluster.startMember(id, bootstrappedStorage(voters));
    for (const m of cluster.members.values()) cluster.connect(m);
    return cluster;
  }

  /** The addresses member `id` advertises (fake, but unique and well formed). */
  static addresses(id: number): MemberInfo {
    return {
      id,
      peerAddr: `10.0.0.${id}:7000`,
      respAddr: `10.0.0.${id}:6379`,
      httpAddr: `10.0.0.${id}:8080`,
      grpcAddr: `10.0.0.${id}:9090`,
    };
  }

  /** Starts a member with an empty log (as `--join` does); it is not a member until added. */
  async startEmpty(id: number): Promise<InProcessMember> {
    const m = await this.startMember(nodeId(id), new MemoryStorage());
    this.connect(m);
    return m;
  }

  private async startMember(id: NodeId, storage: MemoryStorage): Promise<InProcessMember> {
    const fsm = new KvStateMachine();
    const transport = this.network.transport(id);
    const node = new RaftNode<Result>({
      id,
      log: new MemoryLog(storage),
      snapshots: { save: () => Promise.resolve() },
      initialSnapshot: undefined,
      transport,
      fsm,
      ticker: new IntervalTicker(TICK_MS),
      logger: pino({ level: 'silent' }),
      random: seededRandom(id * 7919),
      tickMs: TICK_MS,
      electionTicks: ELECTION_TICKS,
      ...(this.options.snapshotEntries === undefined
        ? {}
        : { snapshotEntries: this.options.snapshotEntries }),
    });
    const kv = new KvService(node, fsm, undefined);
    const admin = new RaftClusterAdmin({
      kv,
      forwarder: this.forwarder(),
      logger: pino({ level: 'silent' }),
      electionTimeoutMs: TICK_MS * ELECTION_TICKS,
      ...(this.options.promotionLagEntries === undefined
        ? {}
        : { promotionLagEntries: this.options.promotionLagEntries }),
    });
    const member: InProcessMember = {
      id,
      info: InProcessCluster.addresses(id),
      node,
      fsm,
      kv,
      admin,
      storage,
      transport,
      stopped: false,
    };
    this.members.set(id, member);
    // Publish our addresses once a leader is known, as `redraft server` does.
    node.onStateChange(() => {
      const cs = node.currentConfState;
      const isMember = cs.voters.includes(id) || cs.learners.includes(id);
      if (node.leader !== NONE && isMember && fsm.members.get(id) === undefined) {
        node.proposeForwarded(encodeMember(member.info));
      }
    });
    this.stopAutoPromotion.push(admin.startAutoPromotion(TICK_MS * ELECTION_TICKS));
    await node.start();
    return member;
  }

  /** `m` and every other member learn each other's address. */
  private connect(m: InProcessMember): void {
    for (const other of this.members.values()) {
      if (other === m) continue;
      m.transport.addPeer(nodeId(other.id), other.info.peerAddr);
      other.transport.addPeer(nodeId(m.id), m.info.peerAddr);
    }
  }

  /** A follower's forwarder: the leader's admin, reached through the JSON encoding. */
  private forwarder(): AdminForwarder {
    return {
      forward: async <R extends AdminRequest>(
        leader: MemberInfo,
        request: R,
      ): Promise<AdminResult<R>> => {
        const target = this.members.get(leader.id);
        if (target === undefined || target.stopped) {
          throw new RedraftError('NO_LEADER', `node ${leader.id} is unreachable`);
        }
        const decoded = decodeAdminRequest(encodeAdminRequest(request)) as R;
        const reply = await target.admin.executeForwarded(decoded).then(
          (ok) => encodeAdminReply({ ok }),
          (error: unknown) => encodeAdminReply({ error }),
        );
        return decodeAdminReply(request, reply);
      },
    };
  }

  member(id: number): InProcessMember {
    const m = this.members.get(id);
    if (m === undefined) throw new Error(`no member ${id}`);
    return m;
  }

  running(): InProcessMember[] {
    return [...this.members.values()].filter((m) => !m.stopped);
  }

  /** Waits until the running members agree on a running leader that knows every address. */
  async leader(timeoutMs = 10_000): Promise<InProcessMember> {
    return waitFor(
      'an agreed leader',
      () => {
        const running = this.running();
        const lead = running.find((m) => m.node.isLeader);
        if (lead === undefined) return undefined;
        const voters = lead.node.currentConfState.voters;
        const agreed = running
          .filter((m) => voters.includes(m.id as NodeId))
          .every((m) => m.node.leader === lead.id && m.kv.leaderInfo() !== undefined);
        return agreed ? lead : undefined;
      },
      { timeoutMs, intervalMs: 5 },
    );
  }

  /** Writes `n` keys through the leader. */
  async write(prefix: string, n: number): Promise<void> {
    const lead = await this.leader();
    const writes: Promise<Result>[] = [];
    for (let i = 0; i < n; i++) {
      writes.push(
        lead.node.propose(
          encodeCommand(Date.now(), 0, [
            Buffer.from('SET'),
            Buffer.from(`${prefix}${i}`),
            Buffer.from(String(i)),
          ]),
        ),
      );
    }
    await Promise.all(writes);
  }

  async stopMember(id: number): Promise<void> {
    const m = this.member(id);
    if (m.stopped) return;
    m.stopped = true;
    await m.node.stop();
  }

  async stop(): Promise<void> {
    for (const stop of this.stopAutoPromotion) stop();
    await Promise.all([...this.members.keys()].map((id) => this.stopMember(id)));
  }
}

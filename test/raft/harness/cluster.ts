/**
 * A deterministic in-memory cluster of RawNodes for tests: each node has a MemoryStorage, a
 * list of applied entries, and an outbox. Delivery is explicit, so a test decides exactly
 * which messages arrive, in what order, and which are lost.
 */
import {
  EntryType,
  MemoryStorage,
  NONE,
  Raft,
  RawNode,
  index,
  term,
  decodeConfChange,
  nodeId,
  seededRandom,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type RaftConfig,
  type ReadState,
  type Ready,
} from '../../../src/raft/index.js';

export interface TestNode {
  readonly id: NodeId;
  rawNode: RawNode;
  storage: MemoryStorage;
  /** Committed entries in apply order (including empty leader entries). */
  applied: Entry[];
  readStates: ReadState[];
  confState: ConfState;
}

export type ConfigOverrides = Partial<Omit<RaftConfig, 'id' | 'storage'>>;

export function ids(...n: number[]): NodeId[] {
  return n.map(nodeId);
}

export class TestCluster {
  readonly nodes = new Map<NodeId, TestNode>();
  /** Messages sent and not yet delivered. */
  inflight: Message[] = [];
  /** Pairs (from,to) whose messages are dropped. */
  readonly cut = new Set<string>();

  constructor(
    voters: readonly NodeId[],
    private readonly overrides: ConfigOverrides = {},
    learners: readonly NodeId[] = [],
  ) {
    const confState: ConfState = {
      voters: [...voters],
      learners: [...learners],
      votersOutgoing: [],
      learnersNext: [],
      autoLeave: false,
    };
    for (const id of [...voters, ...learners]) this.addNode(id, MemoryStorage.bootstrap(confState));
  }

  config(id: NodeId, storage: MemoryStorage): RaftConfig {
    return {
      id,
      storage,
      electionTick: 10,
      heartbeatTick: 1,
      maxSizePerMsg: 1024 * 1024,
      maxInflightMsgs: 256,
      random: seededRandom(id * 7919),
      ...this.overrides,
    };
  }

  /** Adds a node with the given storage (a fresh one joins with an empty storage). */
  addNode(id: NodeId, storage: MemoryStorage, applied: Entry[] = []): TestNode {
    const node: TestNode = {
      id,
      rawNode: new RawNode(this.config(id, storage)),
      storage,
      applied,
      readStates: [],
      confState: storage.initialState().confState,
    };
    this.nodes.set(id, node);
    return node;
  }

  node(id: number): TestNode {
    const n = this.nodes.get(id as NodeId);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  /** Persists, queues messages and applies, per the Ready ordering rules. */
  handleReady(node: TestNode): boolean {
    if (!node.rawNode.hasReady()) return false;
    const rd: Ready = node.rawNode.ready();
    if (rd.snapshot !== undefined) {
      node.storage.applySnapshot(rd.snapshot);
      node.confState = rd.snapshot.metadata.confState;
      node.applied = [];
    }
    node.storage.append(rd.entries);
    if (rd.hardState !== undefined) node.storage.setHardState(rd.hardState);
    for (const m of [...rd.earlyMessages, ...rd.messages]) {
      if (!this.cut.has(`${m.from}-${m.to}`)) this.inflight.push(m);
    }
    for (const e of rd.committedEntries) {
      node.applied.push(e);
      if (e.type === EntryType.ConfChange) {
        node.confState = node.rawNode.applyConfChange(decodeConfChange(e.data));
      }
    }
    node.readStates.push(...rd.readStates);
    node.rawNode.advance(rd);
    return true;
  }

  /** Handles Readies and delivers messages until nothing moves. */
  stabilize(maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round++) {
      let moved = false;
      for (const node of this.nodes.values()) moved = this.handleReady(node) || moved;
      if (this.inflight.length > 0) {
        moved = true;
        const batch = this.inflight;
        this.inflight = [];
        for (const m of batch) this.deliver(m);
      }
      if (!moved) return;
    }
    throw new Error('cluster did not stabilize');
  }

  deliver(m: Message): void {
    const to = this.nodes.get(m.to);
    if (to === undefined || this.cut.has(`${m.from}-${m.to}`)) return;
    to.rawNode.step(m);
  }

  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) for (const node of this.nodes.values()) node.rawNode.tick();
  }

  isolate(id: number): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}-${other}`);
      this.cut.add(`${other}-${id}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  /** Campaigns on `id` and stabilizes: the usual way to get a known leader. */
  elect(id: number): void {
    this.node(id).rawNode.campaign();
    this.stabilize();
  }

  leaders(): NodeId[] {
    return [...this.nodes.values()]
      .filter((n) => n.rawNode.raft.role === 'leader')
      .map((n) => n.id);
  }

  /** Application data applied on `id`, as strings, skipping empty and conf change entries. */
  appliedData(id: number): string[] {
    return this.node(id)
      .applied.filter((e) => e.type === EntryType.Normal && e.data.length > 0)
      .map((e) => new TextDecoder().decode(e.data));
  }

  // -------------------------------------------------------------------------------------------
  // Finer-grained control for the protocol tests.

  /**
   * Like stabilize, but every message sent passes through `keep` first: returning false drops
   * it. The predicate sees each message exactly once, so it can also count traffic.
   */
  stabilizeWith(keep: (m: Message) => boolean, maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round++) {
      let moved = false;
      for (const node of this.nodes.values()) moved = this.handleReady(node) || moved;
      if (this.inflight.length > 0) {
        moved = true;
        const batch = this.inflight;
        this.inflight = [];
        for (const m of batch) if (keep(m)) this.deliver(m);
      }
      if (!moved) return;
    }
    throw new Error('cluster did not stabilize');
  }

  /**
   * Handles every node's Ready once and returns (and removes) what they sent, undelivered:
   * what the nodes put on the wire between two Readies.
   */
  drain(): Message[] {
    for (const node of this.nodes.values()) this.handleReady(node);
    const msgs = this.inflight;
    this.inflight = [];
    return msgs;
  }

  /** Delivers each message in order (cut links still drop). */
  deliverAll(msgs: readonly Message[]): void {
    for (const m of msgs) this.deliver(m);
  }

  /** Rebuilds node `id` from what its storage persisted, as after a crash and restart. */
  restart(id: number): TestNode {
    const old = this.node(id);
    // Messages addressed to the crashed process are lost with it.
    this.inflight = this.inflight.filter((m) => m.to !== old.id);
    return this.addNode(old.id, old.storage);
  }

  /** Ticks every node and stabilizes until exactly one leader exists; returns it. */
  tickUntilLeader(maxTicks = 200): NodeId {
    for (let i = 0; i < maxTicks; i++) {
      this.tickAll();
      this.stabilize();
      const leaders = this.leaders();
      if (leaders.length === 1) return leaders[0]!;
    }
    throw new Error(`no single leader after ${maxTicks} ticks`);
  }

  /** Ticks every node and stabilizes until `done()` holds; throws after `maxTicks`. */
  tickUntil(done: () => boolean, maxTicks = 200): void {
    for (let i = 0; i < maxTicks; i++) {
      if (done()) return;
      this.tickAll();
      this.stabilize();
    }
    if (!done()) throw new Error(`condition not reached after ${maxTicks} ticks`);
  }

  /** The Raft state machine inside node `id`. */
  raft(id: number): Raft {
    return this.node(id).rawNode.raft;
  }
}

export function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

// ---------------------------------------------------------------------------------------------
// Helpers for tests that build logs by hand or step a bare Raft.

/** The ConfState of a cluster that starts with these voters and learners. */
export function confStateOf(
  voters: readonly NodeId[],
  learners: readonly NodeId[] = [],
): ConfState {
  return {
    voters: [...voters],
    learners: [...learners],
    votersOutgoing: [],
    learnersNext: [],
    autoLeave: false,
  };
}

/**
 * A MemoryStorage that already holds a log whose entry i+1 has term `terms[i]`, with the given
 * hard state (term defaults to the last entry's), as a node restarting with that log finds it.
 * Lets a test start from the exact logs drawn in the Raft paper's figures.
 */
export function storageWithLog(
  voters: readonly NodeId[],
  terms: readonly number[],
  hardState: Partial<HardState> = {},
  learners: readonly NodeId[] = [],
): MemoryStorage {
  const storage = MemoryStorage.bootstrap(confStateOf(voters, learners));
  storage.append(
    terms.map((t, i) => ({
      term: term(t),
      index: index(i + 1),
      type: EntryType.Normal,
      data: bytes(`t${t}i${i + 1}`),
    })),
  );
  storage.setHardState({
    term: hardState.term ?? term(terms.length > 0 ? terms[terms.length - 1]! : 0),
    vote: hardState.vote ?? NONE,
    commit: hardState.commit ?? index(0),
  });
  return storage;
}

/** A bare Raft (no RawNode), for tests that step it message by message. */
export function newTestRaft(
  id: number,
  voters: readonly number[],
  overrides: ConfigOverrides = {},
  storage: MemoryStorage = MemoryStorage.bootstrap(confStateOf(ids(...voters))),
): Raft {
  return new Raft({
    id: nodeId(id),
    storage,
    electionTick: 10,
    heartbeatTick: 1,
    random: seededRandom(id * 7919),
    ...overrides,
  });
}

/** The messages a bare Raft produced, after flushing what it batched (see flushBroadcasts). */
export function takeMessages(r: Raft): Message[] {
  r.flushBroadcasts();
  const msgs = r.msgs;
  r.msgs = [];
  return msgs;
}

/** The terms of every entry in a node's log, first index first. */
export function logTerms(r: Raft): number[] {
  return r.raftLog.allEntries().map((e) => e.term);
}

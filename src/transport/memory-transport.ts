/**
 * An in-process network for tests: the same {@link Transport} contract as the gRPC transport,
 * without sockets. Delivery is asynchronous (a later macrotask, never inside `send()`), in send
 * order per link, and links can be cut, partitioned or filtered.
 *
 * Like the real transport, a node only sends to peers it was told about with `addPeer`, and
 * what cannot be delivered (no such peer, link cut, receiver closed) is reported through
 * `unreachable` (and `snapshotStatus(to, false)` for a MsgSnap). Messages removed by a drop
 * filter vanish silently, as on a lossy network, except that a MsgSnap still ends with
 * `snapshotStatus(to, false)`, as a failed transfer does. A handler that throws is not caught:
 * in a test, that is a bug to see.
 */
import type { Message, NodeId } from '../raft/index.js';
import type { MessageHandler, Transport, TransportEvents } from './transport.js';

/** Returns true to drop the message silently. */
export type DropFilter = (message: Message) => boolean;

interface InFlight {
  readonly sender: MemoryTransport;
  readonly message: Message;
  /** The sender had no address for the target: undeliverable, as with the real transport. */
  readonly unknownPeer: boolean;
}

function linkKey(from: NodeId, to: NodeId): string {
  return `${from}>${to}`;
}

export class MemoryNetwork {
  private readonly nodes = new Map<NodeId, MemoryTransport>();
  private readonly cutLinks = new Set<string>();
  private dropFilter: DropFilter | undefined;
  private inFlight: InFlight[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private idleWaiters: (() => void)[] = [];
  private deliveredCount = 0;
  private droppedCount = 0;

  /** Creates the transport of node `id` on this network. */
  transport(id: NodeId): MemoryTransport {
    return new MemoryTransport(this, id);
  }

  /** Messages handed to a handler so far. */
  get delivered(): number {
    return this.deliveredCount;
  }

  /** Messages lost to a cut link, a filter or a missing receiver so far. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Stops traffic from `from` to `to` (one direction). */
  cut(from: NodeId, to: NodeId): void {
    this.cutLinks.add(linkKey(from, to));
  }

  /** Stops traffic both ways between `a` and `b`. */
  cutBoth(a: NodeId, b: NodeId): void {
    this.cut(a, b);
    this.cut(b, a);
  }

  restore(from: NodeId, to: NodeId): void {
    this.cutLinks.delete(linkKey(from, to));
  }

  /** Cuts every link between nodes of different groups. Nodes not named keep all links. */
  partition(...groups: readonly (readonly NodeId[])[]): void {
    for (let i = 0; i < groups.length; i++) {
      for (let j = 0; j < groups.length; j++) {
        if (i === j) continue;
        for (const a of groups[i]!) for (const b of groups[j]!) this.cut(a, b);
      }
    }
  }

  /** Cuts `id` off from every node currently on the network. */
  isolate(id: NodeId): void {
    for (const other of this.nodes.keys()) if (other !== id) this.cutBoth(id, other);
  }

  /** Restores every link and removes the drop filter. */
  heal(): void {
    this.cutLinks.clear();
    this.dropFilter = undefined;
  }

  setDropFilter(filter: DropFilter | undefined): void {
    this.dropFilter = filter;
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cutLinks.has(linkKey(from, to));
  }

  /** Resolves once nothing is in flight (handlers may send more; this waits for that too). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.inFlight.length === 0 && this.scheduled === undefined;
  }

  /** @internal */
  register(t: MemoryTransport): void {
    if (this.nodes.has(t.id)) throw new Error(`node ${t.id} is already on the network`);
    this.nodes.set(t.id, t);
  }

  /** @internal */
  unregister(t: MemoryTransport): void {
    if (this.nodes.get(t.id) === t) this.nodes.delete(t.id);
  }

  /** @internal */
  enqueue(sender: MemoryTransport, m: Message, unknownPeer: boolean): void {
    // A copy, so that neither side can change what the other sees; entries and byte arrays are
    // immutable by convention and shared.
    this.inFlight.push({ sender, message: { ...m, entries: m.entries.slice() }, unknownPeer });
    this.scheduled ??= setImmediate(() => {
      this.deliverAll();
    });
  }

  private deliverAll(): void {
    this.scheduled = undefined;
    // One FIFO for the whole network keeps every link in send order.
    const batch = this.inFlight;
    this.inFlight = [];
    for (const f of batch) this.deliverOne(f.sender, f.message, f.unknownPeer);
    // Handlers may have sent more, which is then still in flight.
    if (this.isIdle()) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private deliverOne(sender: MemoryTransport, m: Message, unknownPeer: boolean): void {
    const isSnap = m.type === 'MsgSnap';
    if (this.dropFilter?.(m) === true) {
      this.droppedCount++;
      if (isSnap) sender.notifySnapshot(m.to, false);
      return;
    }
    const receiver = this.nodes.get(m.to);
    if (unknownPeer || receiver === undefined || this.isCut(m.from, m.to) || !receiver.receive(m)) {
      this.droppedCount++;
      sender.notifyUnreachable(m.to);
      if (isSnap) sender.notifySnapshot(m.to, false);
      return;
    }
    this.deliveredCount++;
    if (isSnap) sender.notifySnapshot(m.to, true);
  }
}

export class MemoryTransport implements Transport {
  private handler: MessageHandler | undefined;
  private events: TransportEvents | undefined;
  private readonly peers = new Map<NodeId, string>();
  private closed = false;

  constructor(
    private readonly network: MemoryNetwork,
    readonly id: NodeId,
  ) {}

  start(handler: MessageHandler, events: TransportEvents): Promise<void> {
    if (this.closed) return Promise.reject(new Error('transport closed'));
    if (this.handler !== undefined) return Promise.reject(new Error('already started'));
    try {
      this.network.register(this);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    this.handler = handler;
    this.events = events;
    return Promise.resolve();
  }

  send(messages: readonly Message[]): void {
    if (this.closed || this.handler === undefined) return;
    for (const m of messages) this.network.enqueue(this, m, !this.peers.has(m.to));
  }

  addPeer(id: NodeId, address: string): void {
    if (id !== this.id) this.peers.set(id, address);
  }

  removePeer(id: NodeId): void {
    this.peers.delete(id);
  }

  /** The peers this transport was told about, with their (unused) addresses. */
  knownPeers(): ReadonlyMap<NodeId, string> {
    return this.peers;
  }

  close(): Promise<void> {
    this.closed = true;
    this.network.unregister(this);
    return Promise.resolve();
  }

  /** @internal Returns false when this node cannot take the message. */
  receive(m: Message): boolean {
    if (this.closed || this.handler === undefined) return false;
    this.handler(m);
    return true;
  }

  /** @internal */
  notifyUnreachable(to: NodeId): void {
    if (!this.closed) this.events?.unreachable(to);
  }

  /** @internal */
  notifySnapshot(to: NodeId, ok: boolean): void {
    if (!this.closed) this.events?.snapshotStatus(to, ok);
  }
}

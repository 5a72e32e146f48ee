/**
 * The simulated network: every message a node sends goes through here, and the seed decides
 * whether it is dropped, duplicated, delayed (delivered k steps later) or reordered, and
 * whether a partition is in its way. Time is the simulation's step counter, the same logical
 * clock the nodes tick with.
 */
import type { Message, NodeId, RandomInt } from '../../../src/raft/index.js';

/** How unreliable the links are right now. Percentages apply to each message. */
export interface LinkFaults {
  readonly dropPercent: number;
  readonly duplicatePercent: number;
  /** A message is delivered 0..maxDelay steps after it was sent. */
  readonly maxDelay: number;
  /** Deliver due messages in random order. Otherwise every link is FIFO. */
  readonly reorder: boolean;
}

export const RELIABLE: LinkFaults = {
  dropPercent: 0,
  duplicatePercent: 0,
  maxDelay: 0,
  reorder: false,
};

/** A set of one-way links that carry nothing. */
export interface Partition {
  readonly label: string;
  readonly blocked: ReadonlySet<number>;
}

export const NO_PARTITION: Partition = { label: 'none', blocked: new Set() };

function link(from: NodeId, to: NodeId): number {
  // Node ids in the simulation are small, so one number identifies a directed link.
  return from * 1024 + to;
}

/** A and B cannot talk to each other in either direction. */
export function symmetricPartition(a: readonly NodeId[], b: readonly NodeId[]): Partition {
  const blocked = new Set<number>();
  for (const x of a) {
    for (const y of b) {
      blocked.add(link(x, y));
      blocked.add(link(y, x));
    }
  }
  return { label: `[${a.join(',')}] | [${b.join(',')}]`, blocked };
}

/** Messages from A to B are lost; B still reaches A (a one-way, asymmetric partition). */
export function oneWayPartition(a: readonly NodeId[], b: readonly NodeId[]): Partition {
  const blocked = new Set<number>();
  for (const x of a) for (const y of b) blocked.add(link(x, y));
  return { label: `[${a.join(',')}] -/-> [${b.join(',')}]`, blocked };
}

/**
 * A and B are cut from each other, but `bridge` talks to both: the classic setup in which a
 * node that sees both halves keeps bumping terms or serves as the only path for a quorum.
 */
export function bridgePartition(
  a: readonly NodeId[],
  b: readonly NodeId[],
  bridge: NodeId,
): Partition {
  const p = symmetricPartition(a, b);
  return { label: `[${a.join(',')}] | [${b.join(',')}] bridged by ${bridge}`, blocked: p.blocked };
}

export type DropReason = 'random' | 'partition';

interface InFlight {
  readonly m: Message;
  readonly at: number;
}

export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
}

export class SimNetwork {
  faults: LinkFaults = RELIABLE;
  partition: Partition = NO_PARTITION;
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0 };
  /** Called for every message the network loses, so the sender's transport can report it. */
  onDrop: (m: Message, reason: DropReason) => void = () => undefined;
  private queue: InFlight[] = [];
  /** Per link, the latest delivery step scheduled: keeps links FIFO when not reordering. */
  private readonly lastAt = new Map<number, number>();

  constructor(private readonly random: RandomInt) {}

  /** Hands a message to the network at step `now`. */
  send(m: Message, now: number): void {
    this.stats.sent++;
    const f = this.faults;
    if (f.dropPercent > 0 && this.random(100) < f.dropPercent) {
      this.stats.dropped++;
      this.onDrop(m, 'random');
      return;
    }
    this.enqueue(m, now);
    if (f.duplicatePercent > 0 && this.random(100) < f.duplicatePercent) {
      this.stats.duplicated++;
      this.enqueue(m, now);
    }
  }

  private enqueue(m: Message, now: number): void {
    let at = now + (this.faults.maxDelay > 0 ? this.random(this.faults.maxDelay + 1) : 0);
    if (!this.faults.reorder) {
      const l = link(m.from, m.to);
      at = Math.max(at, this.lastAt.get(l) ?? 0);
      this.lastAt.set(l, at);
    }
    this.queue.push({ m, at });
  }

  /**
   * Removes and returns the messages due at step `now`, each a fresh copy (the core may
   * mutate a message it is given, and a duplicate must not see that). Messages on a blocked
   * link are lost here, at delivery time, so a partition also swallows what was in flight.
   */
  takeDue(now: number): Message[] {
    const due: Message[] = [];
    const later: InFlight[] = [];
    for (const f of this.queue) {
      if (f.at > now) {
        later.push(f);
      } else if (this.partition.blocked.has(link(f.m.from, f.m.to))) {
        this.stats.dropped++;
        this.onDrop(f.m, 'partition');
      } else {
        due.push({ ...f.m });
      }
    }
    this.queue = later;
    if (this.faults.reorder) {
      for (let i = due.length - 1; i > 0; i--) {
        const j = this.random(i + 1);
        [due[i], due[j]] = [due[j]!, due[i]!];
      }
    }
    this.stats.delivered += due.length;
    return due;
  }
}

import { index, type Index, type NodeId } from './types.js';

export type VoteResult = 'pending' | 'won' | 'lost';

/**
 * A set of voters deciding by simple majority. The empty config is a special case that
 * agrees with everything, so that a joint config with an empty outgoing half behaves like
 * its incoming half alone.
 */
export class MajorityConfig {
  readonly ids: ReadonlySet<NodeId>;

  constructor(ids: Iterable<NodeId> = []) {
    this.ids = new Set(ids);
  }

  get size(): number {
    return this.ids.size;
  }

  has(id: NodeId): boolean {
    return this.ids.has(id);
  }

  sorted(): NodeId[] {
    return [...this.ids].sort((a, b) => a - b);
  }

  /**
   * The largest index that a majority has acknowledged. `acked` returns undefined for a voter
   * not heard from, which counts as 0.
   */
  committedIndex(acked: (id: NodeId) => Index | undefined): Index {
    const n = this.ids.size;
    if (n === 0) return index(Number.MAX_SAFE_INTEGER);
    if (n <= 7) {
      // Small clusters are the norm: an insertion sort on a stack-like array beats sort().
      const values: number[] = [];
      for (const id of this.ids) {
        const v = acked(id) ?? 0;
        let j = values.length;
        values.push(v);
        while (j > 0 && values[j - 1]! > v) {
          values[j] = values[j - 1]!;
          j--;
        }
        values[j] = v;
      }
      return index(values[n - (Math.floor(n / 2) + 1)]!);
    }
    const values = [...this.ids].map((id) => acked(id) ?? 0).sort((a, b) => a - b);
    return index(values[n - (Math.floor(n / 2) + 1)]!);
  }

  voteResult(votes: ReadonlyMap<NodeId, boolean>): VoteResult {
    if (this.ids.size === 0) return 'won';
    let granted = 0;
    let missing = 0;
    for (const id of this.ids) {
      const v = votes.get(id);
      if (v === undefined) missing++;
      else if (v) granted++;
    }
    const q = Math.floor(this.ids.size / 2) + 1;
    if (granted >= q) return 'won';
    if (granted + missing >= q) return 'pending';
    return 'lost';
  }

  toString(): string {
    return `(${this.sorted().join(' ')})`;
  }
}

/** Two majority configs that must both agree: the incoming one and the outgoing one. */
export class JointConfig {
  constructor(
    readonly incoming: MajorityConfig,
    readonly outgoing: MajorityConfig,
  ) {}

  isJoint(): boolean {
    return this.outgoing.size > 0;
  }

  ids(): Set<NodeId> {
    const ids = new Set(this.incoming.ids);
    for (const id of this.outgoing.ids) ids.add(id);
    return ids;
  }

  has(id: NodeId): boolean {
    return this.incoming.has(id) || this.outgoing.has(id);
  }

  committedIndex(acked: (id: NodeId) => Index | undefined): Index {
    const a = this.incoming.committedIndex(acked);
    const b = this.outgoing.committedIndex(acked);
    return a < b ? a : b;
  }

  voteResult(votes: ReadonlyMap<NodeId, boolean>): VoteResult {
    const a = this.incoming.voteResult(votes);
    const b = this.outgoing.voteResult(votes);
    if (a === b) return a;
    if (a === 'lost' || b === 'lost') return 'lost';
    return 'pending';
  }

  toString(): string {
    return this.isJoint()
      ? `${this.incoming.toString()}&&${this.outgoing.toString()}`
      : this.incoming.toString();
  }
}

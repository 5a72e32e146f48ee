/**
 * Flow control for one follower: the MsgApps sent but not yet acknowledged, identified by the
 * last index each carried. Sending pauses when either the count or the byte limit is reached.
 * A ring buffer, so that the steady state allocates nothing.
 */
export class Inflights {
  private start = 0;
  private count = 0;
  private bytes = 0;
  private indexes: number[] = [];
  private sizes: number[] = [];

  constructor(
    readonly maxCount: number,
    /** 0 means no byte limit. */
    readonly maxBytes: number,
  ) {}

  clone(): Inflights {
    const c = new Inflights(this.maxCount, this.maxBytes);
    c.start = this.start;
    c.count = this.count;
    c.bytes = this.bytes;
    c.indexes = this.indexes.slice();
    c.sizes = this.sizes.slice();
    return c;
  }

  /** Records a MsgApp whose last entry is `index`. Indexes must be added in increasing order. */
  add(index: number, bytes: number): void {
    if (this.full()) throw new Error('cannot add into a full inflights');
    let next = this.start + this.count;
    if (next >= this.maxCount) next -= this.maxCount;
    if (next >= this.indexes.length) {
      this.indexes.push(index);
      this.sizes.push(bytes);
    } else {
      this.indexes[next] = index;
      this.sizes[next] = bytes;
    }
    this.count++;
    this.bytes += bytes;
  }

  /** Frees every message whose last index is <= `to`: they have been acknowledged. */
  freeLE(to: number): void {
    if (this.count === 0 || to < this.indexes[this.start]!) return;
    let idx = this.start;
    let i = 0;
    let freedBytes = 0;
    for (; i < this.count; i++) {
      if (to < this.indexes[idx]!) break;
      freedBytes += this.sizes[idx]!;
      idx++;
      if (idx >= this.maxCount) idx -= this.maxCount;
    }
    this.count -= i;
    this.bytes -= freedBytes;
    this.start = idx;
    if (this.count === 0) this.start = 0;
  }

  /** Frees the oldest message, to let a stalled window make progress. */
  freeFirstOne(): void {
    if (this.count > 0) this.freeLE(this.indexes[this.start]!);
  }

  full(): boolean {
    return this.count === this.maxCount || (this.maxBytes !== 0 && this.bytes >= this.maxBytes);
  }

  size(): number {
    return this.count;
  }

  inflightBytes(): number {
    return this.bytes;
  }

  reset(): void {
    this.count = 0;
    this.start = 0;
    this.bytes = 0;
  }
}

import type { Index, Message, NodeId } from './types.js';
import { bytesKey } from './util.js';

/** A ReadIndex request waiting for a quorum to confirm the leader's leadership. */
export interface ReadIndexStatus {
  readonly request: Message;
  /** The commit index when the request arrived: the read is served once this is applied. */
  readonly index: Index;
  readonly acks: Set<NodeId>;
}

/**
 * The leader's queue of ReadIndex requests (thesis §6.4). Each request is identified by its
 * context; a heartbeat round carries the context of the newest request, and a quorum of
 * answers to it confirms every request queued up to it as well, so concurrent reads share
 * one round.
 */
export class ReadOnly {
  private pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  /** Queues a request. A duplicate context is ignored: the first request keeps the slot. */
  addRequest(index: Index, request: Message): void {
    const key = bytesKey(request.context);
    if (this.pending.has(key)) return;
    this.pending.set(key, { request, index, acks: new Set() });
    this.queue.push(key);
  }

  /** Records a heartbeat answer; returns who has acknowledged the round so far. */
  recvAck(from: NodeId, context: Uint8Array): ReadonlySet<NodeId> | undefined {
    const status = this.pending.get(bytesKey(context));
    if (status === undefined) return undefined;
    status.acks.add(from);
    return status.acks;
  }

  /** Removes and returns every request up to and including the one with `context`. */
  advance(context: Uint8Array): ReadIndexStatus[] {
    const key = bytesKey(context);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const done = this.queue.splice(0, at + 1);
    const out: ReadIndexStatus[] = [];
    for (const k of done) {
      const status = this.pending.get(k);
      if (status === undefined)
        throw new Error('cannot find the corresponding read state from the pending map');
      this.pending.delete(k);
      out.push(status);
    }
    return out;
  }

  /** Whether the request with `context` is still waiting for its quorum. */
  isPending(context: Uint8Array): boolean {
    return this.pending.has(bytesKey(context));
  }

  lastPendingContext(): Uint8Array | undefined {
    const key = this.queue[this.queue.length - 1];
    return key === undefined ? undefined : this.pending.get(key)!.request.context;
  }

  pendingCount(): number {
    return this.queue.length;
  }

  /** Forgets everything: leadership was lost and the requests will never be confirmed. */
  reset(): Message[] {
    const dropped = this.queue.map((k) => this.pending.get(k)!.request);
    this.pending.clear();
    this.queue = [];
    return dropped;
  }
}

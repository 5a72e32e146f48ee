import { setImmediate as nextTurn } from 'node:timers/promises';
import { keyBytes } from '../fsm/keyspace.js';
import type { Change, ChangeCursor, ChangeFilter } from '../node/change-feed.js';
import type { WatchEvent } from './model.js';

/** Changes per message at most (a message never splits one index's changes). */
export const WATCH_BATCH_CHANGES = 512;

export interface WatchBatch {
  readonly events: readonly WatchEvent[];
  /** Every change up to this index was delivered: resume from position + 1. */
  readonly position: number;
}

/**
 * The committed changes one watcher asked for, from the node's change feed. Consumed as an
 * async iterable of batches: the consumer awaits its own transport's back-pressure between
 * batches, so a slow client only falls behind in the feed (and gets COMPACTED once the feed
 * drops what it had not read), never buffers without bound here.
 */
export class WatchStream {
  constructor(
    private readonly cursor: ChangeCursor,
    private readonly filter: ChangeFilter,
  ) {}

  /** Where the watch starts: every later event has a greater index. */
  get startPosition(): number {
    return this.cursor.position;
  }

  /**
   * Yields non-empty batches as changes commit, until `signal` aborts (then it returns).
   * Throws CompactedError when the feed dropped changes before they were read. The cursor is
   * released when the iteration ends, however it ends.
   */
  async *batches(signal: AbortSignal): AsyncGenerator<WatchBatch, void, undefined> {
    try {
      while (!signal.aborted) {
        const { changes, position } = this.cursor.read(this.filter, WATCH_BATCH_CHANGES);
        if (changes.length > 0) {
          yield { events: changes.map(toEvent), position };
        } else if (this.cursor.pending) {
          await nextTurn(); // a long run of other keys' changes: let others run first
        } else {
          await this.changed(signal);
        }
      }
    } finally {
      this.cursor.close();
    }
  }

  /** Closes the cursor without iterating (a stream that never started). */
  close(): void {
    this.cursor.close();
  }

  private changed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      this.cursor.onChange(done);
    });
  }
}

function toEvent(c: Change): WatchEvent {
  const key = keyBytes(c.key);
  return c.type === undefined
    ? {
        type: 'delete',
        index: c.index,
        record: { key, type: 'string', value: undefined, version: c.version, expireAtMs: 0 },
      }
    : {
        type: 'put',
        index: c.index,
        record: { key, type: c.type, value: c.value, version: c.version, expireAtMs: c.expireAt },
      };
}

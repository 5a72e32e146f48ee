/**
 * A Raft log kept in memory, with the same contract as {@link LevelLogStorage} where the node
 * relies on it: one `persist` per Ready, snapshots recorded with their data, compaction behind
 * a snapshot. For tests and in-process clusters only: nothing survives the process.
 *
 * The {@link MemoryStorage} underneath plays the part of the disk. A node stopped in-process
 * and started again on a new MemoryLog over the same MemoryStorage sees exactly what it had
 * persisted, which is what a restart from a data directory would see; that is how an
 * in-process cluster restarts a member without a file system.
 */
import {
  MemoryStorage,
  type ConfState,
  type Entry,
  type HardState,
  type Index,
  type Snapshot,
  type Term,
} from '../raft/index.js';
import { StorageClosedError } from './errors.js';
import type { PersistBatch } from './level-log-storage.js';

export class MemoryLog {
  private closed = false;

  /** `disk` holds what was persisted; pass the same one again to "restart" from it. */
  constructor(readonly disk: MemoryStorage) {}

  /** A new disk holding only the initial membership, as `LevelLogStorage.bootstrap` writes it. */
  static bootstrapDisk(confState: ConfState): MemoryStorage {
    return MemoryStorage.bootstrap(confState);
  }

  initialState(): { hardState: HardState; confState: ConfState } {
    return this.disk.initialState();
  }

  entries(lo: Index, hi: Index, maxBytes: number): Entry[] {
    return this.disk.entries(lo, hi, maxBytes);
  }

  term(i: Index): Term {
    return this.disk.term(i);
  }

  lastIndex(): Index {
    return this.disk.lastIndex();
  }

  firstIndex(): Index {
    return this.disk.firstIndex();
  }

  /** The latest snapshot with its data (index 0 and no data before the first one). */
  snapshot(): Snapshot {
    return this.disk.snapshot();
  }

  persist(batch: PersistBatch, _sync: boolean): Promise<void> {
    if (this.closed) return Promise.reject(new StorageClosedError());
    // The order LevelLogStorage applies inside its one batch: a snapshot replaces the log,
    // then the entries that follow it, then the hard state that may commit them.
    if (batch.snapshot !== undefined) this.disk.applySnapshot(batch.snapshot);
    this.disk.append(batch.entries);
    if (batch.hardState !== undefined) this.disk.setHardState(batch.hardState);
    return Promise.resolve();
  }

  recordSnapshot(snapshot: Snapshot): Promise<void> {
    if (this.closed) return Promise.reject(new StorageClosedError());
    const { index, confState } = snapshot.metadata;
    try {
      this.disk.createSnapshot(index, confState, snapshot.data);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return Promise.resolve();
  }

  compact(index: Index): Promise<void> {
    if (this.closed) return Promise.reject(new StorageClosedError());
    try {
      this.disk.compact(index);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/**
 * Opening a member's data directory: `<dir>/raft` (the LevelDB log) and `<dir>/snapshots`
 * (the snapshot files), reconciled in the order level-log-storage.ts prescribes for a
 * restart: open the log, load the newest valid snapshot file, adopt it.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ConfState, Snapshot } from '../raft/index.js';
import { StorageCorruptError, StorageError } from './errors.js';
import { LevelLogStorage } from './level-log-storage.js';
import { SnapshotStore } from './snapshot-store.js';

export interface DataDirOptions {
  readonly logger: Logger;
  /**
   * The membership a brand-new member starts with. Used only when the directory holds no log
   * yet: a member that has one restarts with what it persisted, whatever is passed here.
   */
  readonly bootstrap: ConfState | undefined;
  /** The member opening it: recorded in the log, and a directory of another member refused. */
  readonly memberId?: number;
}

export interface OpenedDataDir {
  readonly log: LevelLogStorage;
  readonly snapshots: SnapshotStore;
  /**
   * The snapshot to restore the state machine from before the node starts (its data
   * attached), or undefined when the state machine starts empty at index 0.
   */
  readonly snapshot: Snapshot | undefined;
  /** True when this call created the member's log (first start). */
  readonly bootstrapped: boolean;
}

/**
 * Opens (creating) a data directory. Throws {@link StorageError} when the directory is held by
 * another process or holds no log and `bootstrap` is undefined, and
 * {@link StorageCorruptError} when its contents cannot be trusted; the log is closed again
 * before either is thrown, so the caller may simply report and exit.
 */
export async function openDataDir(dir: string, options: DataDirOptions): Promise<OpenedDataDir> {
  const { logger } = options;
  await mkdir(dir, { recursive: true });
  const log = await LevelLogStorage.open(join(dir, 'raft'), {
    logger: logger.child({ component: 'storage' }),
    // A damaged entry past the commit index may have been acknowledged; dropping it leaves
    // this member stuck behind a leader that never re-sends it (level-log-storage.ts).
    damagedTail: 'refuse',
    ...(options.memberId === undefined ? {} : { memberId: options.memberId }),
  });
  try {
    const snapshots = await SnapshotStore.open(join(dir, 'snapshots'), {
      logger: logger.child({ component: 'snapshots' }),
    });
    let bootstrapped = false;
    if (log.isEmpty()) {
      if (options.bootstrap === undefined) {
        throw new StorageError(
          'STORAGE_EMPTY',
          `${dir} holds no Raft log and no initial membership was given`,
        );
      }
      await log.bootstrap(options.bootstrap);
      bootstrapped = true;
      logger.info({ voters: options.bootstrap.voters }, 'bootstrapped a new member');
    }
    const latest = await snapshots.loadLatest();
    const recorded = log.snapshotMetadata().index;
    if (latest === undefined && recorded > 0) {
      // Starting from an empty state machine would replay a log that no longer starts at 1.
      throw new StorageCorruptError(
        'snapshot-meta',
        `the log recorded a snapshot at index ${recorded} but ${join(dir, 'snapshots')} holds no valid snapshot file`,
      );
    }
    if (latest === undefined) return { log, snapshots, snapshot: undefined, bootstrapped };
    const how = await log.adoptSnapshot(latest);
    // The snapshot the log now stands on (adoptSnapshot may have chosen how to reconcile).
    const snapshot = log.snapshot();
    logger.info({ index: snapshot.metadata.index, how }, 'found a snapshot to restore from');
    return { log, snapshots, snapshot, bootstrapped };
  } catch (err) {
    await log.close().catch(() => undefined);
    throw err;
  }
}

/**
 * Durable storage: the LevelDB-backed Raft log (entries, hard state, snapshot metadata) and
 * the snapshot file store. See level-log-storage.ts for the order the driver must keep
 * between the two.
 */
export {
  LevelLogStorage,
  entryKey,
  type AdoptResult,
  type LevelLogStorageOptions,
  type LogStorageObserver,
  type LogStorageStats,
  type PersistBatch,
} from './level-log-storage.js';
export {
  SnapshotStore,
  decodeSnapshotFile,
  snapshotFileName,
  type SnapshotFileInfo,
  type SnapshotStoreObserver,
  type SnapshotStoreOptions,
} from './snapshot-store.js';
export {
  MemberMismatchError,
  StorageClosedError,
  StorageCorruptError,
  StorageError,
  StorageFatalError,
} from './errors.js';
export {
  DecodeError,
  crc32,
  decodeEntry,
  decodeHardState,
  decodeSnapshotMetadata,
  encodeEntry,
  encodeHardState,
  encodeSnapshotMetadata,
} from './codec.js';

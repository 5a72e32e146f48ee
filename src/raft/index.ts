/**
 * The Raft consensus core: deterministic, synchronous and free of I/O. See raw-node.ts for
 * the driver-facing API and the Ready ordering rules.
 */
export * from './types.js';
export * from './errors.js';
export type { RaftLogger } from './logger.js';
export { silentLogger } from './logger.js';
export { seededRandom, type RandomInt } from './random.js';
export { MemoryStorage, type Storage } from './storage.js';
export { encodeConfChange, decodeConfChange } from './conf-change-codec.js';
export { ConfChangeError } from './confchange.js';
export { Raft, type RaftConfig, type RaftStatus, type ProgressStatus } from './raft.js';
export { RawNode, type Ready, type ProposalReceipt } from './raw-node.js';
export { limitSize, entrySize, entriesSize, ENTRY_OVERHEAD_BYTES } from './util.js';

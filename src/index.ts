/**
 * Redraft as a library: replicate your own state machine with Raft.
 *
 * - {@link startNode} runs one durable member of a cluster in this process (log and
 *   snapshots in a data directory, gRPC to the other members).
 * - {@link startCluster} runs a whole cluster in this process, for tests.
 * - Both hand back {@link RedraftNode}s: `propose(command)` on the leader, `read(consistency,
 *   query)` on any node.
 * - The errors every part of Redraft reports, and the offline verifier of Redraft's Merkle
 *   proofs, are exported too.
 *
 * The Raft core itself is the `redraft/raft` entry point.
 */
export { startNode, type NodeOptions, type PeerCredentials } from './embed/start-node.js';
export { startCluster, type ClusterOptions, type InProcessCluster } from './embed/cluster.js';
export type { NodeStatus, ReadConsistency, RedraftNode, StopOptions } from './embed/node.js';
export type {
  AnyStateMachine,
  CommandOf,
  CommandPosition,
  ReplicatedStateMachine,
  ResultOf,
  StateSnapshot,
} from './embed/state-machine.js';
export { bytesCodec, jsonCodec, utf8Codec, type Codec } from './embed/codec.js';
export { MAX_COMMAND_BYTES_LIMIT, type RaftTuning } from './embed/options.js';
export { InvalidCommandError, InvalidOptionsError } from './embed/errors.js';
export {
  ERROR_REGISTRY,
  LeadershipLostError,
  NotLeaderError,
  RedraftError,
  RequestTimeoutError,
  ShuttingDownError,
  type ErrorCode,
  type ErrorMapping,
} from './errors.js';
export {
  StorageClosedError,
  StorageCorruptError,
  StorageError,
  StorageFatalError,
} from './storage/errors.js';
export {
  decodeCommitmentProof,
  Ics23DecodeError,
  verifyConsistency,
  verifyInclusion,
  verifyMembership,
  verifyNonMembership,
  type CommitmentProof,
  type VerifyResult,
} from './merkle/index.js';

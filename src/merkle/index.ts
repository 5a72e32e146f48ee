/**
 * Verifiable state: the authenticated map, its ICS-23 proofs, the offline verifier and the
 * RFC 6962 checkpoint log. Depends on nothing outside this folder but node:crypto.
 */
export { SparseMerkleTree, SmtBuilder, SmtVersion, type SmtView } from './sparse-merkle-tree.js';
export { diffVersions, type SmtChange } from './smt-diff.js';
export { proveKey, type KeyProof } from './proofs.js';
export { verifyMembership, verifyNonMembership } from './verifier.js';
export type { VerifyResult } from './verify-result.js';
export {
  HashOp,
  LengthOp,
  SMT_SPEC,
  SMT_EMPTY_ROOT_HEX,
  SMT_MAX_DEPTH,
  SMT_LEAF_PREFIX,
  SMT_INNER_PREFIX,
  type SmtProofSpec,
} from './spec.js';
export {
  decodeCommitmentProof,
  encodeCommitmentProof,
  Ics23DecodeError,
  type CommitmentProof,
  type ExistenceProof,
  type NonExistenceProof,
  type LeafOp,
  type InnerOp,
} from './ics23-codec.js';
export {
  MerkleLog,
  rfc6962LeafHash,
  rfc6962NodeHash,
  verifyInclusion,
  verifyConsistency,
  RFC6962_EMPTY_ROOT_HEX,
} from './rfc6962-log.js';
export {
  REDIS_TYPE_HASH,
  REDIS_TYPE_STRING,
  REDIS_VALUE_FORMAT,
  RedisValueFormatError,
  decodeRedisValue,
  decodeTreeKey,
  encodeRedisValue,
  encodeSortedHashValue,
  encodeStringValue,
  encodeTreeKey,
  stringValueHead,
  type RedisValue,
} from './redis-value.js';

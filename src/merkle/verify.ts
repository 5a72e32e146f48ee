/**
 * The offline verifier, as the package exports it (`redraft/verify`): everything a client needs
 * to check what a Redraft cluster proved, with no server code — this module and what it imports
 * depend on nothing but node:crypto.
 *
 * `verifyKeyProof` answers the question a client asks of a PROVE reply: given a trusted state
 * root, does this proof show that key K of database D holds value V (or is absent)? It checks
 * the ICS-23 proof strictly against the pinned SmtSpec (verifier.ts) for the tree key D || K and
 * the canonical value bytes (redis-value.ts). The root log's proofs are checked with
 * `verifyConsistency` and `verifyInclusion` (RFC 6962).
 */
import { decodeCommitmentProof } from './ics23-codec.js';
import {
  RedisValueFormatError,
  decodeRedisValue,
  encodeTreeKey,
  type RedisValue,
} from './redis-value.js';
import { verifyMembership, verifyNonMembership } from './verifier.js';

export {
  REDIS_TYPE_HASH,
  REDIS_TYPE_STRING,
  REDIS_VALUE_FORMAT,
  RedisValueFormatError,
  decodeRedisValue,
  decodeTreeKey,
  encodeRedisValue,
  encodeTreeKey,
  type RedisValue,
} from './redis-value.js';
export { verifyMembership, verifyNonMembership } from './verifier.js';
export { verifyConsistency, verifyInclusion, rfc6962LeafHash } from './rfc6962-log.js';
export { SMT_SPEC, SMT_EMPTY_ROOT_HEX } from './spec.js';
export type { VerifyResult } from './verify-result.js';

/** What the client claims about the key. */
export type KeyClaim =
  /** The key does not exist. */
  | { readonly kind: 'absent' }
  /** The key holds a string with these bytes (whatever its expiry: the proven one is reported). */
  | { readonly kind: 'string'; readonly value: Uint8Array }
  /** The key holds exactly this canonical value (type, contents, expiry): PROVE's value. */
  | { readonly kind: 'encoded'; readonly value: Uint8Array };

export interface KeyProofQuestion {
  /** The trusted state root, 32 bytes. */
  readonly root: Uint8Array;
  /** Database index, 0-15. */
  readonly db: number;
  readonly key: Uint8Array;
  readonly claim: KeyClaim;
  /** ICS-23 CommitmentProof bytes, as PROVE returned them. */
  readonly proof: Uint8Array;
}

export type KeyProofResult =
  | {
      readonly valid: true;
      /** The proven value (decoded), or undefined for a proven absence. */
      readonly value: RedisValue | undefined;
    }
  | { readonly valid: false; readonly reason: string };

function invalid(reason: string): KeyProofResult {
  return { valid: false, reason };
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/** The value an existence proof carries, or undefined if the bytes are no existence proof. */
function provenValue(proof: Uint8Array): Uint8Array | undefined {
  try {
    const cp = decodeCommitmentProof(proof);
    return cp.kind === 'exist' ? cp.exist.value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Valid iff `proof` shows, under `root`, that key `key` of database `db` is as `claim` says.
 * Never throws: every failure, malformed input included, is `{ valid: false, reason }`.
 */
export function verifyKeyProof(q: KeyProofQuestion): KeyProofResult {
  if (!Number.isInteger(q.db) || q.db < 0 || q.db > 255) {
    return invalid(`database index ${String(q.db)} is not within 0..255`);
  }
  if (!(q.key instanceof Uint8Array)) return invalid('key must be a Uint8Array');
  const treeKey = encodeTreeKey(q.db, q.key);
  const claim = q.claim;
  if (claim.kind === 'absent') {
    const r = verifyNonMembership(q.root, treeKey, q.proof);
    return r.valid ? { valid: true, value: undefined } : r;
  }
  if (!(claim.value instanceof Uint8Array)) return invalid('the claimed value must be bytes');
  let encoded: Uint8Array;
  if (claim.kind === 'encoded') {
    encoded = claim.value;
  } else {
    // The claim fixes the type and contents; the expiry is whatever the proof commits to.
    const carried = provenValue(q.proof);
    if (carried === undefined) {
      const r = verifyMembership(q.root, treeKey, new Uint8Array(0), q.proof);
      return r.valid ? invalid('not an existence proof') : r;
    }
    let proven: RedisValue;
    try {
      proven = decodeRedisValue(carried);
    } catch (err) {
      if (err instanceof RedisValueFormatError) {
        return invalid(`the proven value is not a canonical Redraft value: ${err.message}`);
      }
      throw err;
    }
    if (proven.type !== 'string') return invalid(`the key holds a ${proven.type}, not a string`);
    if (!bytesEqual(proven.value, claim.value)) {
      return invalid('the key holds another string than the one claimed');
    }
    encoded = carried;
  }
  const r = verifyMembership(q.root, treeKey, encoded, q.proof);
  if (!r.valid) return r;
  try {
    return { valid: true, value: decodeRedisValue(encoded) };
  } catch (err) {
    // The tree commits to bytes Redraft would never write: the proof holds, the value is alien.
    return invalid(`the proven value is not a canonical Redraft value: ${(err as Error).message}`);
  }
}

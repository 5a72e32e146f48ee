/**
 * The key-value operations both gateways offer, in neutral terms: the gRPC service and the
 * REST routes translate their wire formats to and from these.
 */
import type { ReadConsistency } from '../node/raft-node.js';

export type ValueType = 'string' | 'hash';

/** A live key as the gateways present it. */
export interface KeyRecord {
  readonly key: Buffer;
  readonly type: ValueType;
  /** A string's bytes; undefined for a hash, or when values were not asked for. */
  readonly value: Buffer | undefined;
  /** The log index of the last write to the key. */
  readonly version: number;
  /** ms since the epoch (leader time); 0: no expiry. */
  readonly expireAtMs: number;
}

export interface GetRequest {
  readonly db: number;
  readonly key: Buffer;
  /** undefined: the node's default. */
  readonly consistency?: ReadConsistency | undefined;
}

export interface GetResult {
  readonly record: KeyRecord | undefined;
  readonly appliedIndex: number;
}

export type WriteCondition =
  | { readonly kind: 'none' }
  | { readonly kind: 'absent' }
  | { readonly kind: 'version'; readonly version: number };

export interface PutRequest {
  readonly db: number;
  readonly key: Buffer;
  readonly value: Buffer;
  /** 0: no expiry. */
  readonly ttlMs: number;
  readonly condition: WriteCondition;
}

export interface PutResult {
  /** The log index of the write: the key's new version. */
  readonly version: number;
}

export interface DeleteRequest {
  readonly db: number;
  readonly key: Buffer;
  /** Delete only while the key has this version. */
  readonly ifVersion?: number | undefined;
}

export interface DeleteResult {
  readonly deleted: boolean;
  /** The log index of the deletion. */
  readonly index: number;
}

export interface RangeRequest {
  readonly db: number;
  readonly prefix: Buffer;
  /** undefined: the default page size. */
  readonly limit?: number | undefined;
  /** '' or undefined: the first page. */
  readonly pageToken?: string | undefined;
  readonly consistency?: ReadConsistency | undefined;
  readonly keysOnly?: boolean | undefined;
}

export interface RangeResult {
  readonly records: readonly KeyRecord[];
  /** '' on the last page. */
  readonly nextPageToken: string;
  readonly appliedIndex: number;
}

export type CompareOp = 'equal' | 'not-equal' | 'less' | 'greater';

export type CompareTarget =
  | { readonly kind: 'value'; readonly value: Buffer }
  | { readonly kind: 'version'; readonly version: number }
  | { readonly kind: 'exists'; readonly exists: boolean };

export interface Compare {
  readonly key: Buffer;
  readonly op: CompareOp;
  readonly target: CompareTarget;
}

export type TxnOp =
  | { readonly kind: 'put'; readonly key: Buffer; readonly value: Buffer; readonly ttlMs: number }
  | { readonly kind: 'delete'; readonly key: Buffer }
  | { readonly kind: 'get'; readonly key: Buffer };

export type TxnOpResult =
  | { readonly kind: 'put'; readonly version: number }
  | { readonly kind: 'delete'; readonly deleted: boolean }
  | { readonly kind: 'get'; readonly record: KeyRecord | undefined };

export interface TxnRequest {
  readonly db: number;
  readonly compare: readonly Compare[];
  readonly success: readonly TxnOp[];
  readonly failure: readonly TxnOp[];
}

export interface TxnResult {
  readonly succeeded: boolean;
  readonly results: readonly TxnOpResult[];
  /** The log index of the transaction. */
  readonly index: number;
}

export interface WatchRequest {
  readonly db: number;
  readonly prefix: Buffer;
  /** 0: from now on. */
  readonly startIndex: number;
}

export interface WatchEvent {
  readonly type: 'put' | 'delete';
  /** For a deletion: the key, no value, version = the deletion's index. */
  readonly record: KeyRecord;
  readonly index: number;
}

/**
 * The Merkle helper's proof function (the shape every front end shares): proof is an ICS-23
 * CommitmentProof, exactly what RESP PROVE returns.
 */
export type ProveFunction = (
  db: number,
  key: Buffer,
  tag?: string,
) => Promise<{ value: Buffer | null; root: Buffer; index: number; proof: Uint8Array }>;

export interface ProveResult {
  readonly found: boolean;
  readonly value: Buffer | undefined;
  readonly root: Buffer;
  readonly index: number;
  readonly proof: Buffer;
}

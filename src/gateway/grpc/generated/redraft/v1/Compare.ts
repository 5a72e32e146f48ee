// Original file: proto/redraft/v1/kv.proto

import type { CompareOp as _redraft_v1_CompareOp, CompareOp__Output as _redraft_v1_CompareOp__Output } from '../../redraft/v1/CompareOp.js';
import type { Long } from '@grpc/proto-loader';

/**
 * One condition of a transaction: the key's value (in byte order), version or existence,
 * compared with the operand. A missing key has no value: EQUAL, LESS and GREATER on its value
 * are false, NOT_EQUAL true. Its version is the index that deleted it while the cluster
 * remembers the deletion (see WATCH), else 0. A value comparison on a hash key fails the
 * transaction with FAILED_PRECONDITION (code WRONG_TYPE).
 */
export interface Compare {
  'key'?: (Buffer | Uint8Array | string);
  'op'?: (_redraft_v1_CompareOp);
  'value'?: (Buffer | Uint8Array | string);
  'version'?: (number | string | Long);
  /**
   * Only EQUAL and NOT_EQUAL apply.
   */
  'exists'?: (boolean);
  'target'?: "value"|"version"|"exists";
}

/**
 * One condition of a transaction: the key's value (in byte order), version or existence,
 * compared with the operand. A missing key has no value: EQUAL, LESS and GREATER on its value
 * are false, NOT_EQUAL true. Its version is the index that deleted it while the cluster
 * remembers the deletion (see WATCH), else 0. A value comparison on a hash key fails the
 * transaction with FAILED_PRECONDITION (code WRONG_TYPE).
 */
export interface Compare__Output {
  'key': (Buffer);
  'op': (_redraft_v1_CompareOp__Output);
  'value'?: (Buffer);
  'version'?: (number);
  /**
   * Only EQUAL and NOT_EQUAL apply.
   */
  'exists'?: (boolean);
  'target'?: "value"|"version"|"exists";
}

// Original file: proto/redraft/v1/kv.proto

import type { Compare as _redraft_v1_Compare, Compare__Output as _redraft_v1_Compare__Output } from '../../redraft/v1/Compare.js';
import type { RequestOp as _redraft_v1_RequestOp, RequestOp__Output as _redraft_v1_RequestOp__Output } from '../../redraft/v1/RequestOp.js';

/**
 * If every comparison holds, `success` runs, else `failure`; comparisons and operations are
 * one atomic step (one log entry). Operations see the writes before them in the list.
 */
export interface TxnRequest {
  'db'?: (number);
  'compare'?: (_redraft_v1_Compare)[];
  'success'?: (_redraft_v1_RequestOp)[];
  'failure'?: (_redraft_v1_RequestOp)[];
}

/**
 * If every comparison holds, `success` runs, else `failure`; comparisons and operations are
 * one atomic step (one log entry). Operations see the writes before them in the list.
 */
export interface TxnRequest__Output {
  'db': (number);
  'compare': (_redraft_v1_Compare__Output)[];
  'success': (_redraft_v1_RequestOp__Output)[];
  'failure': (_redraft_v1_RequestOp__Output)[];
}

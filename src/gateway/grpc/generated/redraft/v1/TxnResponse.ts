// Original file: proto/redraft/v1/kv.proto

import type { ResponseOp as _redraft_v1_ResponseOp, ResponseOp__Output as _redraft_v1_ResponseOp__Output } from '../../redraft/v1/ResponseOp.js';
import type { Long } from '@grpc/proto-loader';

export interface TxnResponse {
  'succeeded'?: (boolean);
  /**
   * One per operation of the branch that ran.
   */
  'responses'?: (_redraft_v1_ResponseOp)[];
  /**
   * The log index of the transaction.
   */
  'index'?: (number | string | Long);
}

export interface TxnResponse__Output {
  'succeeded': (boolean);
  /**
   * One per operation of the branch that ran.
   */
  'responses': (_redraft_v1_ResponseOp__Output)[];
  /**
   * The log index of the transaction.
   */
  'index': (number);
}

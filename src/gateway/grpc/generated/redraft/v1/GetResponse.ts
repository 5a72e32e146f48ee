// Original file: proto/redraft/v1/kv.proto

import type { KeyValue as _redraft_v1_KeyValue, KeyValue__Output as _redraft_v1_KeyValue__Output } from '../../redraft/v1/KeyValue.js';
import type { Long } from '@grpc/proto-loader';

export interface GetResponse {
  'found'?: (boolean);
  /**
   * Set when found.
   */
  'kv'?: (_redraft_v1_KeyValue | null);
  /**
   * The log index this node had applied when it served the read.
   */
  'appliedIndex'?: (number | string | Long);
}

export interface GetResponse__Output {
  'found': (boolean);
  /**
   * Set when found.
   */
  'kv': (_redraft_v1_KeyValue__Output | null);
  /**
   * The log index this node had applied when it served the read.
   */
  'appliedIndex': (number);
}

// Original file: proto/redraft/v1/kv.proto

import type { KeyValue as _redraft_v1_KeyValue, KeyValue__Output as _redraft_v1_KeyValue__Output } from '../../redraft/v1/KeyValue.js';

export interface GetResult {
  'found'?: (boolean);
  'kv'?: (_redraft_v1_KeyValue | null);
}

export interface GetResult__Output {
  'found': (boolean);
  'kv': (_redraft_v1_KeyValue__Output | null);
}

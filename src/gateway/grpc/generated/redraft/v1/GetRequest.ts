// Original file: proto/redraft/v1/kv.proto

import type { Consistency as _redraft_v1_Consistency, Consistency__Output as _redraft_v1_Consistency__Output } from '../../redraft/v1/Consistency.js';

export interface GetRequest {
  'db'?: (number);
  'key'?: (Buffer | Uint8Array | string);
  'consistency'?: (_redraft_v1_Consistency);
}

export interface GetRequest__Output {
  'db': (number);
  'key': (Buffer);
  'consistency': (_redraft_v1_Consistency__Output);
}

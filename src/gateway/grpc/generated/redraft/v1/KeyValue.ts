// Original file: proto/redraft/v1/kv.proto

import type { ValueType as _redraft_v1_ValueType, ValueType__Output as _redraft_v1_ValueType__Output } from '../../redraft/v1/ValueType.js';
import type { Long } from '@grpc/proto-loader';

export interface KeyValue {
  'key'?: (Buffer | Uint8Array | string);
  'value'?: (Buffer | Uint8Array | string);
  /**
   * The log index of the last write to this key.
   */
  'version'?: (number | string | Long);
  /**
   * When the key expires, in milliseconds since the epoch (leader time); 0: never.
   */
  'expireAtMs'?: (number | string | Long);
  'type'?: (_redraft_v1_ValueType);
}

export interface KeyValue__Output {
  'key': (Buffer);
  'value': (Buffer);
  /**
   * The log index of the last write to this key.
   */
  'version': (number);
  /**
   * When the key expires, in milliseconds since the epoch (leader time); 0: never.
   */
  'expireAtMs': (number);
  'type': (_redraft_v1_ValueType__Output);
}

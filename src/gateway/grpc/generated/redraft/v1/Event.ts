// Original file: proto/redraft/v1/kv.proto

import type { EventType as _redraft_v1_EventType, EventType__Output as _redraft_v1_EventType__Output } from '../../redraft/v1/EventType.js';
import type { KeyValue as _redraft_v1_KeyValue, KeyValue__Output as _redraft_v1_KeyValue__Output } from '../../redraft/v1/KeyValue.js';
import type { Long } from '@grpc/proto-loader';

export interface Event {
  'type'?: (_redraft_v1_EventType);
  /**
   * For a deletion: the key alone, and its version is the deletion's index.
   */
  'kv'?: (_redraft_v1_KeyValue | null);
  /**
   * The log index of the change.
   */
  'index'?: (number | string | Long);
}

export interface Event__Output {
  'type': (_redraft_v1_EventType__Output);
  /**
   * For a deletion: the key alone, and its version is the deletion's index.
   */
  'kv': (_redraft_v1_KeyValue__Output | null);
  /**
   * The log index of the change.
   */
  'index': (number);
}

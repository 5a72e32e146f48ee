// Original file: proto/redraft/v1/kv.proto

import type { Event as _redraft_v1_Event, Event__Output as _redraft_v1_Event__Output } from '../../redraft/v1/Event.js';
import type { Long } from '@grpc/proto-loader';

export interface WatchResponse {
  /**
   * The first response of a stream: the watch is in place; `index` is where it starts from
   * (every later event has a greater index).
   */
  'created'?: (boolean);
  /**
   * Every change up to this index has been sent (a response never splits one index's
   * changes): resume from index + 1.
   */
  'index'?: (number | string | Long);
  'events'?: (_redraft_v1_Event)[];
}

export interface WatchResponse__Output {
  /**
   * The first response of a stream: the watch is in place; `index` is where it starts from
   * (every later event has a greater index).
   */
  'created': (boolean);
  /**
   * Every change up to this index has been sent (a response never splits one index's
   * changes): resume from index + 1.
   */
  'index': (number);
  'events': (_redraft_v1_Event__Output)[];
}

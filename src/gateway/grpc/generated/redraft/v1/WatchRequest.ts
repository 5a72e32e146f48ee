// Original file: proto/redraft/v1/kv.proto

import type { Long } from '@grpc/proto-loader';

export interface WatchRequest {
  'db'?: (number);
  /**
   * Changes to keys starting with these bytes; empty: every key of the database.
   */
  'prefix'?: (Buffer | Uint8Array | string);
  /**
   * Changes at this log index and after; 0: from now on. To resume after a disconnect,
   * pass the `index` of the last response received plus one. A start older than this
   * node's history fails with OUT_OF_RANGE (code COMPACTED), naming the oldest index it has.
   */
  'startIndex'?: (number | string | Long);
}

export interface WatchRequest__Output {
  'db': (number);
  /**
   * Changes to keys starting with these bytes; empty: every key of the database.
   */
  'prefix': (Buffer);
  /**
   * Changes at this log index and after; 0: from now on. To resume after a disconnect,
   * pass the `index` of the last response received plus one. A start older than this
   * node's history fails with OUT_OF_RANGE (code COMPACTED), naming the oldest index it has.
   */
  'startIndex': (number);
}

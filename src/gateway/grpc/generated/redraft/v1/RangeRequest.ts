// Original file: proto/redraft/v1/kv.proto

import type { Consistency as _redraft_v1_Consistency, Consistency__Output as _redraft_v1_Consistency__Output } from '../../redraft/v1/Consistency.js';

export interface RangeRequest {
  'db'?: (number);
  /**
   * Keys starting with these bytes; empty: every key.
   */
  'prefix'?: (Buffer | Uint8Array | string);
  /**
   * Keys per page: 1-10000, default 100. A page also ends early at about 4 MiB of values.
   */
  'limit'?: (number);
  /**
   * `next_page_token` of the previous page; empty for the first page.
   */
  'pageToken'?: (string);
  'consistency'?: (_redraft_v1_Consistency);
  /**
   * Leave values out.
   */
  'keysOnly'?: (boolean);
}

export interface RangeRequest__Output {
  'db': (number);
  /**
   * Keys starting with these bytes; empty: every key.
   */
  'prefix': (Buffer);
  /**
   * Keys per page: 1-10000, default 100. A page also ends early at about 4 MiB of values.
   */
  'limit': (number);
  /**
   * `next_page_token` of the previous page; empty for the first page.
   */
  'pageToken': (string);
  'consistency': (_redraft_v1_Consistency__Output);
  /**
   * Leave values out.
   */
  'keysOnly': (boolean);
}

// Original file: proto/redraft/v1/kv.proto

import type { KeyValue as _redraft_v1_KeyValue, KeyValue__Output as _redraft_v1_KeyValue__Output } from '../../redraft/v1/KeyValue.js';
import type { Long } from '@grpc/proto-loader';

export interface RangeResponse {
  /**
   * In ascending byte order of the key.
   */
  'kvs'?: (_redraft_v1_KeyValue)[];
  /**
   * Pass to the next call to continue; empty on the last page. Each page is read at its own
   * moment: a key present during the whole listing is returned exactly once.
   */
  'nextPageToken'?: (string);
  'appliedIndex'?: (number | string | Long);
}

export interface RangeResponse__Output {
  /**
   * In ascending byte order of the key.
   */
  'kvs': (_redraft_v1_KeyValue__Output)[];
  /**
   * Pass to the next call to continue; empty on the last page. Each page is read at its own
   * moment: a key present during the whole listing is returned exactly once.
   */
  'nextPageToken': (string);
  'appliedIndex': (number);
}

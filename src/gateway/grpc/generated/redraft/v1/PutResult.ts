// Original file: proto/redraft/v1/kv.proto

import type { Long } from '@grpc/proto-loader';

export interface PutResult {
  /**
   * The transaction's log index.
   */
  'version'?: (number | string | Long);
}

export interface PutResult__Output {
  /**
   * The transaction's log index.
   */
  'version': (number);
}

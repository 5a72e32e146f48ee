// Original file: proto/redraft/v1/kv.proto

import type { Long } from '@grpc/proto-loader';

export interface PutResponse {
  /**
   * The log index of the write: the key's new version.
   */
  'version'?: (number | string | Long);
}

export interface PutResponse__Output {
  /**
   * The log index of the write: the key's new version.
   */
  'version': (number);
}

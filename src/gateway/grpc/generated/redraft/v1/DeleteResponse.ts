// Original file: proto/redraft/v1/kv.proto

import type { Long } from '@grpc/proto-loader';

export interface DeleteResponse {
  /**
   * Whether the key existed.
   */
  'deleted'?: (boolean);
  /**
   * The log index of the deletion.
   */
  'index'?: (number | string | Long);
}

export interface DeleteResponse__Output {
  /**
   * Whether the key existed.
   */
  'deleted': (boolean);
  /**
   * The log index of the deletion.
   */
  'index': (number);
}

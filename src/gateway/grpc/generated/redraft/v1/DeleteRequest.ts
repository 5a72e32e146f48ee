// Original file: proto/redraft/v1/kv.proto

import type { Long } from '@grpc/proto-loader';

export interface DeleteRequest {
  'db'?: (number);
  'key'?: (Buffer | Uint8Array | string);
  /**
   * Delete only if the key's version is exactly this.
   */
  'ifVersion'?: (number | string | Long);
  'condition'?: "ifVersion";
}

export interface DeleteRequest__Output {
  'db': (number);
  'key': (Buffer);
  /**
   * Delete only if the key's version is exactly this.
   */
  'ifVersion'?: (number);
  'condition'?: "ifVersion";
}

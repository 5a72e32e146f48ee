// Original file: proto/redraft/v1/kv.proto

import type { Long } from '@grpc/proto-loader';

export interface PutOp {
  'key'?: (Buffer | Uint8Array | string);
  'value'?: (Buffer | Uint8Array | string);
  'ttlMs'?: (number | string | Long);
}

export interface PutOp__Output {
  'key': (Buffer);
  'value': (Buffer);
  'ttlMs': (number);
}

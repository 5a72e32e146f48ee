// Original file: proto/redraft/v1/kv.proto

import type { Long } from '@grpc/proto-loader';

export interface PutRequest {
  'db'?: (number);
  'key'?: (Buffer | Uint8Array | string);
  'value'?: (Buffer | Uint8Array | string);
  /**
   * Expire the key this many milliseconds after the write; 0: no expiry (clears any TTL).
   */
  'ttlMs'?: (number | string | Long);
  /**
   * Write only if the key does not exist.
   */
  'ifAbsent'?: (boolean);
  /**
   * Write only if the key's version is exactly this (0: absent and never deleted).
   */
  'ifVersion'?: (number | string | Long);
  'condition'?: "ifAbsent"|"ifVersion";
}

export interface PutRequest__Output {
  'db': (number);
  'key': (Buffer);
  'value': (Buffer);
  /**
   * Expire the key this many milliseconds after the write; 0: no expiry (clears any TTL).
   */
  'ttlMs': (number);
  /**
   * Write only if the key does not exist.
   */
  'ifAbsent'?: (boolean);
  /**
   * Write only if the key's version is exactly this (0: absent and never deleted).
   */
  'ifVersion'?: (number);
  'condition'?: "ifAbsent"|"ifVersion";
}

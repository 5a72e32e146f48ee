// Original file: proto/redraft/v1/kv.proto

import type { Long } from '@grpc/proto-loader';

export interface ProveResponse {
  'found'?: (boolean);
  'value'?: (Buffer | Uint8Array | string);
  /**
   * The Merkle root the proof leads to.
   */
  'root'?: (Buffer | Uint8Array | string);
  /**
   * The log index the root was taken at.
   */
  'index'?: (number | string | Long);
  /**
   * An ICS-23 CommitmentProof (existence or non-existence), as RESP PROVE returns it.
   */
  'proof'?: (Buffer | Uint8Array | string);
}

export interface ProveResponse__Output {
  'found': (boolean);
  'value': (Buffer);
  /**
   * The Merkle root the proof leads to.
   */
  'root': (Buffer);
  /**
   * The log index the root was taken at.
   */
  'index': (number);
  /**
   * An ICS-23 CommitmentProof (existence or non-existence), as RESP PROVE returns it.
   */
  'proof': (Buffer);
}

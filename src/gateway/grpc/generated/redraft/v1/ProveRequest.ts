// Original file: proto/redraft/v1/kv.proto


export interface ProveRequest {
  'db'?: (number);
  'key'?: (Buffer | Uint8Array | string);
  /**
   * Handed to the prover as is (it names a recorded root); empty: the current root.
   */
  'tag'?: (string);
}

export interface ProveRequest__Output {
  'db': (number);
  'key': (Buffer);
  /**
   * Handed to the prover as is (it names a recorded root); empty: the current root.
   */
  'tag': (string);
}

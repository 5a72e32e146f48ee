// Original file: proto/redraft/v1/kv.proto


export interface GetOp {
  'key'?: (Buffer | Uint8Array | string);
}

export interface GetOp__Output {
  'key': (Buffer);
}

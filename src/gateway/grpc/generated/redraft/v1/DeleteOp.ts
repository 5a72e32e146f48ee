// Original file: proto/redraft/v1/kv.proto


export interface DeleteOp {
  'key'?: (Buffer | Uint8Array | string);
}

export interface DeleteOp__Output {
  'key': (Buffer);
}

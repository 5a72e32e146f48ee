// Original file: proto/redraft/v1/kv.proto


export interface DeleteResult {
  'deleted'?: (boolean);
}

export interface DeleteResult__Output {
  'deleted': (boolean);
}

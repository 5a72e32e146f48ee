// Original file: proto/redraft/v1/kv.proto

import type { PutResult as _redraft_v1_PutResult, PutResult__Output as _redraft_v1_PutResult__Output } from '../../redraft/v1/PutResult.js';
import type { DeleteResult as _redraft_v1_DeleteResult, DeleteResult__Output as _redraft_v1_DeleteResult__Output } from '../../redraft/v1/DeleteResult.js';
import type { GetResult as _redraft_v1_GetResult, GetResult__Output as _redraft_v1_GetResult__Output } from '../../redraft/v1/GetResult.js';

export interface ResponseOp {
  'put'?: (_redraft_v1_PutResult | null);
  'delete'?: (_redraft_v1_DeleteResult | null);
  'get'?: (_redraft_v1_GetResult | null);
  'result'?: "put"|"delete"|"get";
}

export interface ResponseOp__Output {
  'put'?: (_redraft_v1_PutResult__Output | null);
  'delete'?: (_redraft_v1_DeleteResult__Output | null);
  'get'?: (_redraft_v1_GetResult__Output | null);
  'result'?: "put"|"delete"|"get";
}

// Original file: proto/redraft/v1/kv.proto

import type { PutOp as _redraft_v1_PutOp, PutOp__Output as _redraft_v1_PutOp__Output } from '../../redraft/v1/PutOp.js';
import type { DeleteOp as _redraft_v1_DeleteOp, DeleteOp__Output as _redraft_v1_DeleteOp__Output } from '../../redraft/v1/DeleteOp.js';
import type { GetOp as _redraft_v1_GetOp, GetOp__Output as _redraft_v1_GetOp__Output } from '../../redraft/v1/GetOp.js';

export interface RequestOp {
  'put'?: (_redraft_v1_PutOp | null);
  'delete'?: (_redraft_v1_DeleteOp | null);
  'get'?: (_redraft_v1_GetOp | null);
  'op'?: "put"|"delete"|"get";
}

export interface RequestOp__Output {
  'put'?: (_redraft_v1_PutOp__Output | null);
  'delete'?: (_redraft_v1_DeleteOp__Output | null);
  'get'?: (_redraft_v1_GetOp__Output | null);
  'op'?: "put"|"delete"|"get";
}

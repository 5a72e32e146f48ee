import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Compare as _redraft_v1_Compare, Compare__Output as _redraft_v1_Compare__Output } from './redraft/v1/Compare.js';
import type { DeleteOp as _redraft_v1_DeleteOp, DeleteOp__Output as _redraft_v1_DeleteOp__Output } from './redraft/v1/DeleteOp.js';
import type { DeleteRequest as _redraft_v1_DeleteRequest, DeleteRequest__Output as _redraft_v1_DeleteRequest__Output } from './redraft/v1/DeleteRequest.js';
import type { DeleteResponse as _redraft_v1_DeleteResponse, DeleteResponse__Output as _redraft_v1_DeleteResponse__Output } from './redraft/v1/DeleteResponse.js';
import type { DeleteResult as _redraft_v1_DeleteResult, DeleteResult__Output as _redraft_v1_DeleteResult__Output } from './redraft/v1/DeleteResult.js';
import type { Event as _redraft_v1_Event, Event__Output as _redraft_v1_Event__Output } from './redraft/v1/Event.js';
import type { GetOp as _redraft_v1_GetOp, GetOp__Output as _redraft_v1_GetOp__Output } from './redraft/v1/GetOp.js';
import type { GetRequest as _redraft_v1_GetRequest, GetRequest__Output as _redraft_v1_GetRequest__Output } from './redraft/v1/GetRequest.js';
import type { GetResponse as _redraft_v1_GetResponse, GetResponse__Output as _redraft_v1_GetResponse__Output } from './redraft/v1/GetResponse.js';
import type { GetResult as _redraft_v1_GetResult, GetResult__Output as _redraft_v1_GetResult__Output } from './redraft/v1/GetResult.js';
import type { KVClient as _redraft_v1_KVClient, KVDefinition as _redraft_v1_KVDefinition } from './redraft/v1/KV.js';
import type { KeyValue as _redraft_v1_KeyValue, KeyValue__Output as _redraft_v1_KeyValue__Output } from './redraft/v1/KeyValue.js';
import type { ProveRequest as _redraft_v1_ProveRequest, ProveRequest__Output as _redraft_v1_ProveRequest__Output } from './redraft/v1/ProveRequest.js';
import type { ProveResponse as _redraft_v1_ProveResponse, ProveResponse__Output as _redraft_v1_ProveResponse__Output } from './redraft/v1/ProveResponse.js';
import type { PutOp as _redraft_v1_PutOp, PutOp__Output as _redraft_v1_PutOp__Output } from './redraft/v1/PutOp.js';
import type { PutRequest as _redraft_v1_PutRequest, PutRequest__Output as _redraft_v1_PutRequest__Output } from './redraft/v1/PutRequest.js';
import type { PutResponse as _redraft_v1_PutResponse, PutResponse__Output as _redraft_v1_PutResponse__Output } from './redraft/v1/PutResponse.js';
import type { PutResult as _redraft_v1_PutResult, PutResult__Output as _redraft_v1_PutResult__Output } from './redraft/v1/PutResult.js';
import type { RangeRequest as _redraft_v1_RangeRequest, RangeRequest__Output as _redraft_v1_RangeRequest__Output } from './redraft/v1/RangeRequest.js';
import type { RangeResponse as _redraft_v1_RangeResponse, RangeResponse__Output as _redraft_v1_RangeResponse__Output } from './redraft/v1/RangeResponse.js';
import type { RequestOp as _redraft_v1_RequestOp, RequestOp__Output as _redraft_v1_RequestOp__Output } from './redraft/v1/RequestOp.js';
import type { ResponseOp as _redraft_v1_ResponseOp, ResponseOp__Output as _redraft_v1_ResponseOp__Output } from './redraft/v1/ResponseOp.js';
import type { TxnRequest as _redraft_v1_TxnRequest, TxnRequest__Output as _redraft_v1_TxnRequest__Output } from './redraft/v1/TxnRequest.js';
import type { TxnResponse as _redraft_v1_TxnResponse, TxnResponse__Output as _redraft_v1_TxnResponse__Output } from './redraft/v1/TxnResponse.js';
import type { WatchRequest as _redraft_v1_WatchRequest, WatchRequest__Output as _redraft_v1_WatchRequest__Output } from './redraft/v1/WatchRequest.js';
import type { WatchResponse as _redraft_v1_WatchResponse, WatchResponse__Output as _redraft_v1_WatchResponse__Output } from './redraft/v1/WatchResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  redraft: {
    v1: {
      Compare: MessageTypeDefinition<_redraft_v1_Compare, _redraft_v1_Compare__Output>
      CompareOp: EnumTypeDefinition
      Consistency: EnumTypeDefinition
      DeleteOp: MessageTypeDefinition<_redraft_v1_DeleteOp, _redraft_v1_DeleteOp__Output>
      DeleteRequest: MessageTypeDefinition<_redraft_v1_DeleteRequest, _redraft_v1_DeleteRequest__Output>
      DeleteResponse: MessageTypeDefinition<_redraft_v1_DeleteResponse, _redraft_v1_DeleteResponse__Output>
      DeleteResult: MessageTypeDefinition<_redraft_v1_DeleteResult, _redraft_v1_DeleteResult__Output>
      Event: MessageTypeDefinition<_redraft_v1_Event, _redraft_v1_Event__Output>
      EventType: EnumTypeDefinition
      GetOp: MessageTypeDefinition<_redraft_v1_GetOp, _redraft_v1_GetOp__Output>
      GetRequest: MessageTypeDefinition<_redraft_v1_GetRequest, _redraft_v1_GetRequest__Output>
      GetResponse: MessageTypeDefinition<_redraft_v1_GetResponse, _redraft_v1_GetResponse__Output>
      GetResult: MessageTypeDefinition<_redraft_v1_GetResult, _redraft_v1_GetResult__Output>
      KV: SubtypeConstructor<typeof grpc.Client, _redraft_v1_KVClient> & { service: _redraft_v1_KVDefinition }
      KeyValue: MessageTypeDefinition<_redraft_v1_KeyValue, _redraft_v1_KeyValue__Output>
      ProveRequest: MessageTypeDefinition<_redraft_v1_ProveRequest, _redraft_v1_ProveRequest__Output>
      ProveResponse: MessageTypeDefinition<_redraft_v1_ProveResponse, _redraft_v1_ProveResponse__Output>
      PutOp: MessageTypeDefinition<_redraft_v1_PutOp, _redraft_v1_PutOp__Output>
      PutRequest: MessageTypeDefinition<_redraft_v1_PutRequest, _redraft_v1_PutRequest__Output>
      PutResponse: MessageTypeDefinition<_redraft_v1_PutResponse, _redraft_v1_PutResponse__Output>
      PutResult: MessageTypeDefinition<_redraft_v1_PutResult, _redraft_v1_PutResult__Output>
      RangeRequest: MessageTypeDefinition<_redraft_v1_RangeRequest, _redraft_v1_RangeRequest__Output>
      RangeResponse: MessageTypeDefinition<_redraft_v1_RangeResponse, _redraft_v1_RangeResponse__Output>
      RequestOp: MessageTypeDefinition<_redraft_v1_RequestOp, _redraft_v1_RequestOp__Output>
      ResponseOp: MessageTypeDefinition<_redraft_v1_ResponseOp, _redraft_v1_ResponseOp__Output>
      TxnRequest: MessageTypeDefinition<_redraft_v1_TxnRequest, _redraft_v1_TxnRequest__Output>
      TxnResponse: MessageTypeDefinition<_redraft_v1_TxnResponse, _redraft_v1_TxnResponse__Output>
      ValueType: EnumTypeDefinition
      WatchRequest: MessageTypeDefinition<_redraft_v1_WatchRequest, _redraft_v1_WatchRequest__Output>
      WatchResponse: MessageTypeDefinition<_redraft_v1_WatchResponse, _redraft_v1_WatchResponse__Output>
    }
  }
}


// Original file: proto/redraft/v1/kv.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DeleteRequest as _redraft_v1_DeleteRequest, DeleteRequest__Output as _redraft_v1_DeleteRequest__Output } from '../../redraft/v1/DeleteRequest.js';
import type { DeleteResponse as _redraft_v1_DeleteResponse, DeleteResponse__Output as _redraft_v1_DeleteResponse__Output } from '../../redraft/v1/DeleteResponse.js';
import type { GetRequest as _redraft_v1_GetRequest, GetRequest__Output as _redraft_v1_GetRequest__Output } from '../../redraft/v1/GetRequest.js';
import type { GetResponse as _redraft_v1_GetResponse, GetResponse__Output as _redraft_v1_GetResponse__Output } from '../../redraft/v1/GetResponse.js';
import type { ProveRequest as _redraft_v1_ProveRequest, ProveRequest__Output as _redraft_v1_ProveRequest__Output } from '../../redraft/v1/ProveRequest.js';
import type { ProveResponse as _redraft_v1_ProveResponse, ProveResponse__Output as _redraft_v1_ProveResponse__Output } from '../../redraft/v1/ProveResponse.js';
import type { PutRequest as _redraft_v1_PutRequest, PutRequest__Output as _redraft_v1_PutRequest__Output } from '../../redraft/v1/PutRequest.js';
import type { PutResponse as _redraft_v1_PutResponse, PutResponse__Output as _redraft_v1_PutResponse__Output } from '../../redraft/v1/PutResponse.js';
import type { RangeRequest as _redraft_v1_RangeRequest, RangeRequest__Output as _redraft_v1_RangeRequest__Output } from '../../redraft/v1/RangeRequest.js';
import type { RangeResponse as _redraft_v1_RangeResponse, RangeResponse__Output as _redraft_v1_RangeResponse__Output } from '../../redraft/v1/RangeResponse.js';
import type { TxnRequest as _redraft_v1_TxnRequest, TxnRequest__Output as _redraft_v1_TxnRequest__Output } from '../../redraft/v1/TxnRequest.js';
import type { TxnResponse as _redraft_v1_TxnResponse, TxnResponse__Output as _redraft_v1_TxnResponse__Output } from '../../redraft/v1/TxnResponse.js';
import type { WatchRequest as _redraft_v1_WatchRequest, WatchRequest__Output as _redraft_v1_WatchRequest__Output } from '../../redraft/v1/WatchRequest.js';
import type { WatchResponse as _redraft_v1_WatchResponse, WatchResponse__Output as _redraft_v1_WatchResponse__Output } from '../../redraft/v1/WatchResponse.js';

export interface KVClient extends grpc.Client {
  /**
   * Deletes one key, optionally only if it still has a given version.
   */
  Delete(argument: _redraft_v1_DeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  Delete(argument: _redraft_v1_DeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  Delete(argument: _redraft_v1_DeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  Delete(argument: _redraft_v1_DeleteRequest, callback: grpc.requestCallback<_redraft_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Deletes one key, optionally only if it still has a given version.
   */
  delete(argument: _redraft_v1_DeleteRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  delete(argument: _redraft_v1_DeleteRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  delete(argument: _redraft_v1_DeleteRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  delete(argument: _redraft_v1_DeleteRequest, callback: grpc.requestCallback<_redraft_v1_DeleteResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Reads one key. A key that does not exist is `found: false`, not an error.
   */
  Get(argument: _redraft_v1_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  Get(argument: _redraft_v1_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  Get(argument: _redraft_v1_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  Get(argument: _redraft_v1_GetRequest, callback: grpc.requestCallback<_redraft_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Reads one key. A key that does not exist is `found: false`, not an error.
   */
  get(argument: _redraft_v1_GetRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  get(argument: _redraft_v1_GetRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  get(argument: _redraft_v1_GetRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  get(argument: _redraft_v1_GetRequest, callback: grpc.requestCallback<_redraft_v1_GetResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * A Merkle proof of a key's value or absence (UNIMPLEMENTED when the node has no prover).
   */
  Prove(argument: _redraft_v1_ProveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_ProveResponse__Output>): grpc.ClientUnaryCall;
  Prove(argument: _redraft_v1_ProveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_ProveResponse__Output>): grpc.ClientUnaryCall;
  Prove(argument: _redraft_v1_ProveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_ProveResponse__Output>): grpc.ClientUnaryCall;
  Prove(argument: _redraft_v1_ProveRequest, callback: grpc.requestCallback<_redraft_v1_ProveResponse__Output>): grpc.ClientUnaryCall;
  /**
   * A Merkle proof of a key's value or absence (UNIMPLEMENTED when the node has no prover).
   */
  prove(argument: _redraft_v1_ProveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_ProveResponse__Output>): grpc.ClientUnaryCall;
  prove(argument: _redraft_v1_ProveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_ProveResponse__Output>): grpc.ClientUnaryCall;
  prove(argument: _redraft_v1_ProveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_ProveResponse__Output>): grpc.ClientUnaryCall;
  prove(argument: _redraft_v1_ProveRequest, callback: grpc.requestCallback<_redraft_v1_ProveResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Writes one key, optionally with a TTL and a condition. A condition that does not hold
   * fails with FAILED_PRECONDITION (code CONDITION_FAILED) and changes nothing.
   */
  Put(argument: _redraft_v1_PutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_PutResponse__Output>): grpc.ClientUnaryCall;
  Put(argument: _redraft_v1_PutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_PutResponse__Output>): grpc.ClientUnaryCall;
  Put(argument: _redraft_v1_PutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_PutResponse__Output>): grpc.ClientUnaryCall;
  Put(argument: _redraft_v1_PutRequest, callback: grpc.requestCallback<_redraft_v1_PutResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Writes one key, optionally with a TTL and a condition. A condition that does not hold
   * fails with FAILED_PRECONDITION (code CONDITION_FAILED) and changes nothing.
   */
  put(argument: _redraft_v1_PutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_PutResponse__Output>): grpc.ClientUnaryCall;
  put(argument: _redraft_v1_PutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_PutResponse__Output>): grpc.ClientUnaryCall;
  put(argument: _redraft_v1_PutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_PutResponse__Output>): grpc.ClientUnaryCall;
  put(argument: _redraft_v1_PutRequest, callback: grpc.requestCallback<_redraft_v1_PutResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Lists the keys that start with a prefix, in byte order, one page at a time.
   */
  Range(argument: _redraft_v1_RangeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_RangeResponse__Output>): grpc.ClientUnaryCall;
  Range(argument: _redraft_v1_RangeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_RangeResponse__Output>): grpc.ClientUnaryCall;
  Range(argument: _redraft_v1_RangeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_RangeResponse__Output>): grpc.ClientUnaryCall;
  Range(argument: _redraft_v1_RangeRequest, callback: grpc.requestCallback<_redraft_v1_RangeResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Lists the keys that start with a prefix, in byte order, one page at a time.
   */
  range(argument: _redraft_v1_RangeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_RangeResponse__Output>): grpc.ClientUnaryCall;
  range(argument: _redraft_v1_RangeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_RangeResponse__Output>): grpc.ClientUnaryCall;
  range(argument: _redraft_v1_RangeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_RangeResponse__Output>): grpc.ClientUnaryCall;
  range(argument: _redraft_v1_RangeRequest, callback: grpc.requestCallback<_redraft_v1_RangeResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Compares, then runs one list of operations or the other, atomically (one log entry).
   */
  Txn(argument: _redraft_v1_TxnRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_TxnResponse__Output>): grpc.ClientUnaryCall;
  Txn(argument: _redraft_v1_TxnRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_TxnResponse__Output>): grpc.ClientUnaryCall;
  Txn(argument: _redraft_v1_TxnRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_TxnResponse__Output>): grpc.ClientUnaryCall;
  Txn(argument: _redraft_v1_TxnRequest, callback: grpc.requestCallback<_redraft_v1_TxnResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Compares, then runs one list of operations or the other, atomically (one log entry).
   */
  txn(argument: _redraft_v1_TxnRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_TxnResponse__Output>): grpc.ClientUnaryCall;
  txn(argument: _redraft_v1_TxnRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_TxnResponse__Output>): grpc.ClientUnaryCall;
  txn(argument: _redraft_v1_TxnRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_TxnResponse__Output>): grpc.ClientUnaryCall;
  txn(argument: _redraft_v1_TxnRequest, callback: grpc.requestCallback<_redraft_v1_TxnResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Streams committed changes from a log index on; resumable from the last index received.
   */
  Watch(argument: _redraft_v1_WatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_redraft_v1_WatchResponse__Output>;
  Watch(argument: _redraft_v1_WatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_redraft_v1_WatchResponse__Output>;
  /**
   * Streams committed changes from a log index on; resumable from the last index received.
   */
  watch(argument: _redraft_v1_WatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_redraft_v1_WatchResponse__Output>;
  watch(argument: _redraft_v1_WatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_redraft_v1_WatchResponse__Output>;
  
}

export interface KVHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Deletes one key, optionally only if it still has a given version.
   */
  Delete: grpc.handleUnaryCall<_redraft_v1_DeleteRequest__Output, _redraft_v1_DeleteResponse>;
  
  /**
   * Reads one key. A key that does not exist is `found: false`, not an error.
   */
  Get: grpc.handleUnaryCall<_redraft_v1_GetRequest__Output, _redraft_v1_GetResponse>;
  
  /**
   * A Merkle proof of a key's value or absence (UNIMPLEMENTED when the node has no prover).
   */
  Prove: grpc.handleUnaryCall<_redraft_v1_ProveRequest__Output, _redraft_v1_ProveResponse>;
  
  /**
   * Writes one key, optionally with a TTL and a condition. A condition that does not hold
   * fails with FAILED_PRECONDITION (code CONDITION_FAILED) and changes nothing.
   */
  Put: grpc.handleUnaryCall<_redraft_v1_PutRequest__Output, _redraft_v1_PutResponse>;
  
  /**
   * Lists the keys that start with a prefix, in byte order, one page at a time.
   */
  Range: grpc.handleUnaryCall<_redraft_v1_RangeRequest__Output, _redraft_v1_RangeResponse>;
  
  /**
   * Compares, then runs one list of operations or the other, atomically (one log entry).
   */
  Txn: grpc.handleUnaryCall<_redraft_v1_TxnRequest__Output, _redraft_v1_TxnResponse>;
  
  /**
   * Streams committed changes from a log index on; resumable from the last index received.
   */
  Watch: grpc.handleServerStreamingCall<_redraft_v1_WatchRequest__Output, _redraft_v1_WatchResponse>;
  
}

export interface KVDefinition extends grpc.ServiceDefinition {
  Delete: MethodDefinition<_redraft_v1_DeleteRequest, _redraft_v1_DeleteResponse, _redraft_v1_DeleteRequest__Output, _redraft_v1_DeleteResponse__Output>
  Get: MethodDefinition<_redraft_v1_GetRequest, _redraft_v1_GetResponse, _redraft_v1_GetRequest__Output, _redraft_v1_GetResponse__Output>
  Prove: MethodDefinition<_redraft_v1_ProveRequest, _redraft_v1_ProveResponse, _redraft_v1_ProveRequest__Output, _redraft_v1_ProveResponse__Output>
  Put: MethodDefinition<_redraft_v1_PutRequest, _redraft_v1_PutResponse, _redraft_v1_PutRequest__Output, _redraft_v1_PutResponse__Output>
  Range: MethodDefinition<_redraft_v1_RangeRequest, _redraft_v1_RangeResponse, _redraft_v1_RangeRequest__Output, _redraft_v1_RangeResponse__Output>
  Txn: MethodDefinition<_redraft_v1_TxnRequest, _redraft_v1_TxnResponse, _redraft_v1_TxnRequest__Output, _redraft_v1_TxnResponse__Output>
  Watch: MethodDefinition<_redraft_v1_WatchRequest, _redraft_v1_WatchResponse, _redraft_v1_WatchRequest__Output, _redraft_v1_WatchResponse__Output>
}

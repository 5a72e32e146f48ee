// Original file: proto/redraft/v1/cluster.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AddMemberRequest as _redraft_v1_AddMemberRequest, AddMemberRequest__Output as _redraft_v1_AddMemberRequest__Output } from '../../redraft/v1/AddMemberRequest.js';
import type { AddMemberResponse as _redraft_v1_AddMemberResponse, AddMemberResponse__Output as _redraft_v1_AddMemberResponse__Output } from '../../redraft/v1/AddMemberResponse.js';
import type { MembersRequest as _redraft_v1_MembersRequest, MembersRequest__Output as _redraft_v1_MembersRequest__Output } from '../../redraft/v1/MembersRequest.js';
import type { MembersResponse as _redraft_v1_MembersResponse, MembersResponse__Output as _redraft_v1_MembersResponse__Output } from '../../redraft/v1/MembersResponse.js';
import type { PromoteMemberRequest as _redraft_v1_PromoteMemberRequest, PromoteMemberRequest__Output as _redraft_v1_PromoteMemberRequest__Output } from '../../redraft/v1/PromoteMemberRequest.js';
import type { PromoteMemberResponse as _redraft_v1_PromoteMemberResponse, PromoteMemberResponse__Output as _redraft_v1_PromoteMemberResponse__Output } from '../../redraft/v1/PromoteMemberResponse.js';
import type { RemoveMemberRequest as _redraft_v1_RemoveMemberRequest, RemoveMemberRequest__Output as _redraft_v1_RemoveMemberRequest__Output } from '../../redraft/v1/RemoveMemberRequest.js';
import type { RemoveMemberResponse as _redraft_v1_RemoveMemberResponse, RemoveMemberResponse__Output as _redraft_v1_RemoveMemberResponse__Output } from '../../redraft/v1/RemoveMemberResponse.js';
import type { SnapshotRequest as _redraft_v1_SnapshotRequest, SnapshotRequest__Output as _redraft_v1_SnapshotRequest__Output } from '../../redraft/v1/SnapshotRequest.js';
import type { SnapshotResponse as _redraft_v1_SnapshotResponse, SnapshotResponse__Output as _redraft_v1_SnapshotResponse__Output } from '../../redraft/v1/SnapshotResponse.js';
import type { StatusRequest as _redraft_v1_StatusRequest, StatusRequest__Output as _redraft_v1_StatusRequest__Output } from '../../redraft/v1/StatusRequest.js';
import type { StatusResponse as _redraft_v1_StatusResponse, StatusResponse__Output as _redraft_v1_StatusResponse__Output } from '../../redraft/v1/StatusResponse.js';
import type { TransferLeaderRequest as _redraft_v1_TransferLeaderRequest, TransferLeaderRequest__Output as _redraft_v1_TransferLeaderRequest__Output } from '../../redraft/v1/TransferLeaderRequest.js';
import type { TransferLeaderResponse as _redraft_v1_TransferLeaderResponse, TransferLeaderResponse__Output as _redraft_v1_TransferLeaderResponse__Output } from '../../redraft/v1/TransferLeaderResponse.js';

export interface ClusterClient extends grpc.Client {
  /**
   * Adds a member as a learner (it receives the log but does not vote). Returns once the
   * change is committed.
   */
  AddMember(argument: _redraft_v1_AddMemberRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_AddMemberResponse__Output>): grpc.ClientUnaryCall;
  AddMember(argument: _redraft_v1_AddMemberRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_AddMemberResponse__Output>): grpc.ClientUnaryCall;
  AddMember(argument: _redraft_v1_AddMemberRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_AddMemberResponse__Output>): grpc.ClientUnaryCall;
  AddMember(argument: _redraft_v1_AddMemberRequest, callback: grpc.requestCallback<_redraft_v1_AddMemberResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Adds a member as a learner (it receives the log but does not vote). Returns once the
   * change is committed.
   */
  addMember(argument: _redraft_v1_AddMemberRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_AddMemberResponse__Output>): grpc.ClientUnaryCall;
  addMember(argument: _redraft_v1_AddMemberRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_AddMemberResponse__Output>): grpc.ClientUnaryCall;
  addMember(argument: _redraft_v1_AddMemberRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_AddMemberResponse__Output>): grpc.ClientUnaryCall;
  addMember(argument: _redraft_v1_AddMemberRequest, callback: grpc.requestCallback<_redraft_v1_AddMemberResponse__Output>): grpc.ClientUnaryCall;
  
  Members(argument: _redraft_v1_MembersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  Members(argument: _redraft_v1_MembersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  Members(argument: _redraft_v1_MembersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  Members(argument: _redraft_v1_MembersRequest, callback: grpc.requestCallback<_redraft_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  members(argument: _redraft_v1_MembersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  members(argument: _redraft_v1_MembersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  members(argument: _redraft_v1_MembersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  members(argument: _redraft_v1_MembersRequest, callback: grpc.requestCallback<_redraft_v1_MembersResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Makes a learner a voter. Returns once the change is committed.
   */
  PromoteMember(argument: _redraft_v1_PromoteMemberRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_PromoteMemberResponse__Output>): grpc.ClientUnaryCall;
  PromoteMember(argument: _redraft_v1_PromoteMemberRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_PromoteMemberResponse__Output>): grpc.ClientUnaryCall;
  PromoteMember(argument: _redraft_v1_PromoteMemberRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_PromoteMemberResponse__Output>): grpc.ClientUnaryCall;
  PromoteMember(argument: _redraft_v1_PromoteMemberRequest, callback: grpc.requestCallback<_redraft_v1_PromoteMemberResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Makes a learner a voter. Returns once the change is committed.
   */
  promoteMember(argument: _redraft_v1_PromoteMemberRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_PromoteMemberResponse__Output>): grpc.ClientUnaryCall;
  promoteMember(argument: _redraft_v1_PromoteMemberRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_PromoteMemberResponse__Output>): grpc.ClientUnaryCall;
  promoteMember(argument: _redraft_v1_PromoteMemberRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_PromoteMemberResponse__Output>): grpc.ClientUnaryCall;
  promoteMember(argument: _redraft_v1_PromoteMemberRequest, callback: grpc.requestCallback<_redraft_v1_PromoteMemberResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Removes a voter or learner. Returns once the change is committed.
   */
  RemoveMember(argument: _redraft_v1_RemoveMemberRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_RemoveMemberResponse__Output>): grpc.ClientUnaryCall;
  RemoveMember(argument: _redraft_v1_RemoveMemberRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_RemoveMemberResponse__Output>): grpc.ClientUnaryCall;
  RemoveMember(argument: _redraft_v1_RemoveMemberRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_RemoveMemberResponse__Output>): grpc.ClientUnaryCall;
  RemoveMember(argument: _redraft_v1_RemoveMemberRequest, callback: grpc.requestCallback<_redraft_v1_RemoveMemberResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Removes a voter or learner. Returns once the change is committed.
   */
  removeMember(argument: _redraft_v1_RemoveMemberRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_RemoveMemberResponse__Output>): grpc.ClientUnaryCall;
  removeMember(argument: _redraft_v1_RemoveMemberRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_RemoveMemberResponse__Output>): grpc.ClientUnaryCall;
  removeMember(argument: _redraft_v1_RemoveMemberRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_RemoveMemberResponse__Output>): grpc.ClientUnaryCall;
  removeMember(argument: _redraft_v1_RemoveMemberRequest, callback: grpc.requestCallback<_redraft_v1_RemoveMemberResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Takes a snapshot of this member's state now and compacts its log.
   */
  Snapshot(argument: _redraft_v1_SnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  Snapshot(argument: _redraft_v1_SnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  Snapshot(argument: _redraft_v1_SnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  Snapshot(argument: _redraft_v1_SnapshotRequest, callback: grpc.requestCallback<_redraft_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Takes a snapshot of this member's state now and compacts its log.
   */
  snapshot(argument: _redraft_v1_SnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  snapshot(argument: _redraft_v1_SnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  snapshot(argument: _redraft_v1_SnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  snapshot(argument: _redraft_v1_SnapshotRequest, callback: grpc.requestCallback<_redraft_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * This member's view: its role, term, the leader, commit and applied index, the members.
   */
  Status(argument: _redraft_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _redraft_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _redraft_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _redraft_v1_StatusRequest, callback: grpc.requestCallback<_redraft_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  /**
   * This member's view: its role, term, the leader, commit and applied index, the members.
   */
  status(argument: _redraft_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _redraft_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _redraft_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _redraft_v1_StatusRequest, callback: grpc.requestCallback<_redraft_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Hands leadership to a voter and returns the new leader.
   */
  TransferLeader(argument: _redraft_v1_TransferLeaderRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_TransferLeaderResponse__Output>): grpc.ClientUnaryCall;
  TransferLeader(argument: _redraft_v1_TransferLeaderRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_TransferLeaderResponse__Output>): grpc.ClientUnaryCall;
  TransferLeader(argument: _redraft_v1_TransferLeaderRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_TransferLeaderResponse__Output>): grpc.ClientUnaryCall;
  TransferLeader(argument: _redraft_v1_TransferLeaderRequest, callback: grpc.requestCallback<_redraft_v1_TransferLeaderResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Hands leadership to a voter and returns the new leader.
   */
  transferLeader(argument: _redraft_v1_TransferLeaderRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_TransferLeaderResponse__Output>): grpc.ClientUnaryCall;
  transferLeader(argument: _redraft_v1_TransferLeaderRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_redraft_v1_TransferLeaderResponse__Output>): grpc.ClientUnaryCall;
  transferLeader(argument: _redraft_v1_TransferLeaderRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_redraft_v1_TransferLeaderResponse__Output>): grpc.ClientUnaryCall;
  transferLeader(argument: _redraft_v1_TransferLeaderRequest, callback: grpc.requestCallback<_redraft_v1_TransferLeaderResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface ClusterHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Adds a member as a learner (it receives the log but does not vote). Returns once the
   * change is committed.
   */
  AddMember: grpc.handleUnaryCall<_redraft_v1_AddMemberRequest__Output, _redraft_v1_AddMemberResponse>;
  
  Members: grpc.handleUnaryCall<_redraft_v1_MembersRequest__Output, _redraft_v1_MembersResponse>;
  
  /**
   * Makes a learner a voter. Returns once the change is committed.
   */
  PromoteMember: grpc.handleUnaryCall<_redraft_v1_PromoteMemberRequest__Output, _redraft_v1_PromoteMemberResponse>;
  
  /**
   * Removes a voter or learner. Returns once the change is committed.
   */
  RemoveMember: grpc.handleUnaryCall<_redraft_v1_RemoveMemberRequest__Output, _redraft_v1_RemoveMemberResponse>;
  
  /**
   * Takes a snapshot of this member's state now and compacts its log.
   */
  Snapshot: grpc.handleUnaryCall<_redraft_v1_SnapshotRequest__Output, _redraft_v1_SnapshotResponse>;
  
  /**
   * This member's view: its role, term, the leader, commit and applied index, the members.
   */
  Status: grpc.handleUnaryCall<_redraft_v1_StatusRequest__Output, _redraft_v1_StatusResponse>;
  
  /**
   * Hands leadership to a voter and returns the new leader.
   */
  TransferLeader: grpc.handleUnaryCall<_redraft_v1_TransferLeaderRequest__Output, _redraft_v1_TransferLeaderResponse>;
  
}

export interface ClusterDefinition extends grpc.ServiceDefinition {
  AddMember: MethodDefinition<_redraft_v1_AddMemberRequest, _redraft_v1_AddMemberResponse, _redraft_v1_AddMemberRequest__Output, _redraft_v1_AddMemberResponse__Output>
  Members: MethodDefinition<_redraft_v1_MembersRequest, _redraft_v1_MembersResponse, _redraft_v1_MembersRequest__Output, _redraft_v1_MembersResponse__Output>
  PromoteMember: MethodDefinition<_redraft_v1_PromoteMemberRequest, _redraft_v1_PromoteMemberResponse, _redraft_v1_PromoteMemberRequest__Output, _redraft_v1_PromoteMemberResponse__Output>
  RemoveMember: MethodDefinition<_redraft_v1_RemoveMemberRequest, _redraft_v1_RemoveMemberResponse, _redraft_v1_RemoveMemberRequest__Output, _redraft_v1_RemoveMemberResponse__Output>
  Snapshot: MethodDefinition<_redraft_v1_SnapshotRequest, _redraft_v1_SnapshotResponse, _redraft_v1_SnapshotRequest__Output, _redraft_v1_SnapshotResponse__Output>
  Status: MethodDefinition<_redraft_v1_StatusRequest, _redraft_v1_StatusResponse, _redraft_v1_StatusRequest__Output, _redraft_v1_StatusResponse__Output>
  TransferLeader: MethodDefinition<_redraft_v1_TransferLeaderRequest, _redraft_v1_TransferLeaderResponse, _redraft_v1_TransferLeaderRequest__Output, _redraft_v1_TransferLeaderResponse__Output>
}

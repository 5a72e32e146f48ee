import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AddMemberRequest as _redraft_v1_AddMemberRequest, AddMemberRequest__Output as _redraft_v1_AddMemberRequest__Output } from './redraft/v1/AddMemberRequest.js';
import type { AddMemberResponse as _redraft_v1_AddMemberResponse, AddMemberResponse__Output as _redraft_v1_AddMemberResponse__Output } from './redraft/v1/AddMemberResponse.js';
import type { ClusterClient as _redraft_v1_ClusterClient, ClusterDefinition as _redraft_v1_ClusterDefinition } from './redraft/v1/Cluster.js';
import type { Member as _redraft_v1_Member, Member__Output as _redraft_v1_Member__Output } from './redraft/v1/Member.js';
import type { MembersRequest as _redraft_v1_MembersRequest, MembersRequest__Output as _redraft_v1_MembersRequest__Output } from './redraft/v1/MembersRequest.js';
import type { MembersResponse as _redraft_v1_MembersResponse, MembersResponse__Output as _redraft_v1_MembersResponse__Output } from './redraft/v1/MembersResponse.js';
import type { PromoteMemberRequest as _redraft_v1_PromoteMemberRequest, PromoteMemberRequest__Output as _redraft_v1_PromoteMemberRequest__Output } from './redraft/v1/PromoteMemberRequest.js';
import type { PromoteMemberResponse as _redraft_v1_PromoteMemberResponse, PromoteMemberResponse__Output as _redraft_v1_PromoteMemberResponse__Output } from './redraft/v1/PromoteMemberResponse.js';
import type { RemoveMemberRequest as _redraft_v1_RemoveMemberRequest, RemoveMemberRequest__Output as _redraft_v1_RemoveMemberRequest__Output } from './redraft/v1/RemoveMemberRequest.js';
import type { RemoveMemberResponse as _redraft_v1_RemoveMemberResponse, RemoveMemberResponse__Output as _redraft_v1_RemoveMemberResponse__Output } from './redraft/v1/RemoveMemberResponse.js';
import type { SnapshotRequest as _redraft_v1_SnapshotRequest, SnapshotRequest__Output as _redraft_v1_SnapshotRequest__Output } from './redraft/v1/SnapshotRequest.js';
import type { SnapshotResponse as _redraft_v1_SnapshotResponse, SnapshotResponse__Output as _redraft_v1_SnapshotResponse__Output } from './redraft/v1/SnapshotResponse.js';
import type { StatusRequest as _redraft_v1_StatusRequest, StatusRequest__Output as _redraft_v1_StatusRequest__Output } from './redraft/v1/StatusRequest.js';
import type { StatusResponse as _redraft_v1_StatusResponse, StatusResponse__Output as _redraft_v1_StatusResponse__Output } from './redraft/v1/StatusResponse.js';
import type { TransferLeaderRequest as _redraft_v1_TransferLeaderRequest, TransferLeaderRequest__Output as _redraft_v1_TransferLeaderRequest__Output } from './redraft/v1/TransferLeaderRequest.js';
import type { TransferLeaderResponse as _redraft_v1_TransferLeaderResponse, TransferLeaderResponse__Output as _redraft_v1_TransferLeaderResponse__Output } from './redraft/v1/TransferLeaderResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  redraft: {
    v1: {
      AddMemberRequest: MessageTypeDefinition<_redraft_v1_AddMemberRequest, _redraft_v1_AddMemberRequest__Output>
      AddMemberResponse: MessageTypeDefinition<_redraft_v1_AddMemberResponse, _redraft_v1_AddMemberResponse__Output>
      Cluster: SubtypeConstructor<typeof grpc.Client, _redraft_v1_ClusterClient> & { service: _redraft_v1_ClusterDefinition }
      Member: MessageTypeDefinition<_redraft_v1_Member, _redraft_v1_Member__Output>
      MemberRole: EnumTypeDefinition
      MembersRequest: MessageTypeDefinition<_redraft_v1_MembersRequest, _redraft_v1_MembersRequest__Output>
      MembersResponse: MessageTypeDefinition<_redraft_v1_MembersResponse, _redraft_v1_MembersResponse__Output>
      NodeRole: EnumTypeDefinition
      PromoteMemberRequest: MessageTypeDefinition<_redraft_v1_PromoteMemberRequest, _redraft_v1_PromoteMemberRequest__Output>
      PromoteMemberResponse: MessageTypeDefinition<_redraft_v1_PromoteMemberResponse, _redraft_v1_PromoteMemberResponse__Output>
      RemoveMemberRequest: MessageTypeDefinition<_redraft_v1_RemoveMemberRequest, _redraft_v1_RemoveMemberRequest__Output>
      RemoveMemberResponse: MessageTypeDefinition<_redraft_v1_RemoveMemberResponse, _redraft_v1_RemoveMemberResponse__Output>
      SnapshotRequest: MessageTypeDefinition<_redraft_v1_SnapshotRequest, _redraft_v1_SnapshotRequest__Output>
      SnapshotResponse: MessageTypeDefinition<_redraft_v1_SnapshotResponse, _redraft_v1_SnapshotResponse__Output>
      StatusRequest: MessageTypeDefinition<_redraft_v1_StatusRequest, _redraft_v1_StatusRequest__Output>
      StatusResponse: MessageTypeDefinition<_redraft_v1_StatusResponse, _redraft_v1_StatusResponse__Output>
      TransferLeaderRequest: MessageTypeDefinition<_redraft_v1_TransferLeaderRequest, _redraft_v1_TransferLeaderRequest__Output>
      TransferLeaderResponse: MessageTypeDefinition<_redraft_v1_TransferLeaderResponse, _redraft_v1_TransferLeaderResponse__Output>
    }
  }
}


// Original file: proto/redraft/v1/cluster.proto

import type { MemberRole as _redraft_v1_MemberRole, MemberRole__Output as _redraft_v1_MemberRole__Output } from '../../redraft/v1/MemberRole.js';
import type { Long } from '@grpc/proto-loader';

export interface Member {
  'id'?: (number | string | Long);
  'role'?: (_redraft_v1_MemberRole);
  'isLeader'?: (boolean);
  'peerAddr'?: (string);
  'respAddr'?: (string);
  'httpAddr'?: (string);
  'grpcAddr'?: (string);
  /**
   * The highest log index known to be replicated to this member (the leader's view); 0 when
   * this member does not know it.
   */
  'matchIndex'?: (number | string | Long);
}

export interface Member__Output {
  'id': (number);
  'role': (_redraft_v1_MemberRole__Output);
  'isLeader': (boolean);
  'peerAddr': (string);
  'respAddr': (string);
  'httpAddr': (string);
  'grpcAddr': (string);
  /**
   * The highest log index known to be replicated to this member (the leader's view); 0 when
   * this member does not know it.
   */
  'matchIndex': (number);
}

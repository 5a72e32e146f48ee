// Original file: proto/redraft/v1/cluster.proto

import type { Long } from '@grpc/proto-loader';

export interface AddMemberRequest {
  /**
   * 0: the leader picks a free id.
   */
  'id'?: (number | string | Long);
  'peerAddr'?: (string);
  'respAddr'?: (string);
  'httpAddr'?: (string);
  'grpcAddr'?: (string);
}

export interface AddMemberRequest__Output {
  /**
   * 0: the leader picks a free id.
   */
  'id': (number);
  'peerAddr': (string);
  'respAddr': (string);
  'httpAddr': (string);
  'grpcAddr': (string);
}

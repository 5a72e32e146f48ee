// Original file: proto/redraft/v1/cluster.proto

import type { Long } from '@grpc/proto-loader';

export interface RemoveMemberRequest {
  'id'?: (number | string | Long);
}

export interface RemoveMemberRequest__Output {
  'id': (number);
}

// Original file: proto/redraft/v1/cluster.proto

import type { Long } from '@grpc/proto-loader';

export interface PromoteMemberRequest {
  'id'?: (number | string | Long);
}

export interface PromoteMemberRequest__Output {
  'id': (number);
}

// Original file: proto/redraft/v1/cluster.proto

import type { Long } from '@grpc/proto-loader';

export interface TransferLeaderResponse {
  'leader'?: (number | string | Long);
}

export interface TransferLeaderResponse__Output {
  'leader': (number);
}

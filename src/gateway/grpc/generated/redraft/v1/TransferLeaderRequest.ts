// Original file: proto/redraft/v1/cluster.proto

import type { Long } from '@grpc/proto-loader';

export interface TransferLeaderRequest {
  /**
   * 0: the most up-to-date voter.
   */
  'to'?: (number | string | Long);
}

export interface TransferLeaderRequest__Output {
  /**
   * 0: the most up-to-date voter.
   */
  'to': (number);
}

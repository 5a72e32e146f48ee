// Original file: proto/redraft/v1/cluster.proto

import type { Long } from '@grpc/proto-loader';

export interface SnapshotResponse {
  'index'?: (number | string | Long);
  'term'?: (number | string | Long);
  'bytes'?: (number | string | Long);
}

export interface SnapshotResponse__Output {
  'index': (number);
  'term': (number);
  'bytes': (number);
}

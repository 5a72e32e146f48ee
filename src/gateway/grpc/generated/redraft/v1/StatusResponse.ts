// Original file: proto/redraft/v1/cluster.proto

import type { NodeRole as _redraft_v1_NodeRole, NodeRole__Output as _redraft_v1_NodeRole__Output } from '../../redraft/v1/NodeRole.js';
import type { Member as _redraft_v1_Member, Member__Output as _redraft_v1_Member__Output } from '../../redraft/v1/Member.js';
import type { Long } from '@grpc/proto-loader';

export interface StatusResponse {
  /**
   * The member that answered.
   */
  'id'?: (number | string | Long);
  'role'?: (_redraft_v1_NodeRole);
  'term'?: (number | string | Long);
  /**
   * 0 while no leader is known.
   */
  'leader'?: (number | string | Long);
  'commitIndex'?: (number | string | Long);
  'appliedIndex'?: (number | string | Long);
  'members'?: (_redraft_v1_Member)[];
}

export interface StatusResponse__Output {
  /**
   * The member that answered.
   */
  'id': (number);
  'role': (_redraft_v1_NodeRole__Output);
  'term': (number);
  /**
   * 0 while no leader is known.
   */
  'leader': (number);
  'commitIndex': (number);
  'appliedIndex': (number);
  'members': (_redraft_v1_Member__Output)[];
}

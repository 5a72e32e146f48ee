// Original file: proto/redraft/v1/cluster.proto

import type { Member as _redraft_v1_Member, Member__Output as _redraft_v1_Member__Output } from '../../redraft/v1/Member.js';

export interface MembersResponse {
  'members'?: (_redraft_v1_Member)[];
}

export interface MembersResponse__Output {
  'members': (_redraft_v1_Member__Output)[];
}

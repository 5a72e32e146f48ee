// Original file: proto/redraft/v1/cluster.proto

import type { Member as _redraft_v1_Member, Member__Output as _redraft_v1_Member__Output } from '../../redraft/v1/Member.js';

export interface AddMemberResponse {
  'member'?: (_redraft_v1_Member | null);
}

export interface AddMemberResponse__Output {
  'member': (_redraft_v1_Member__Output | null);
}

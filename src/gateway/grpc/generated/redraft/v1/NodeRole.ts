// Original file: proto/redraft/v1/cluster.proto

export const NodeRole = {
  NODE_ROLE_UNSPECIFIED: 'NODE_ROLE_UNSPECIFIED',
  NODE_ROLE_LEADER: 'NODE_ROLE_LEADER',
  NODE_ROLE_FOLLOWER: 'NODE_ROLE_FOLLOWER',
  NODE_ROLE_CANDIDATE: 'NODE_ROLE_CANDIDATE',
  NODE_ROLE_PRE_CANDIDATE: 'NODE_ROLE_PRE_CANDIDATE',
} as const;

export type NodeRole =
  | 'NODE_ROLE_UNSPECIFIED'
  | 0
  | 'NODE_ROLE_LEADER'
  | 1
  | 'NODE_ROLE_FOLLOWER'
  | 2
  | 'NODE_ROLE_CANDIDATE'
  | 3
  | 'NODE_ROLE_PRE_CANDIDATE'
  | 4

export type NodeRole__Output = typeof NodeRole[keyof typeof NodeRole]

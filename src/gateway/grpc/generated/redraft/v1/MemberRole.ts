// Original file: proto/redraft/v1/cluster.proto

export const MemberRole = {
  MEMBER_ROLE_UNSPECIFIED: 'MEMBER_ROLE_UNSPECIFIED',
  MEMBER_ROLE_VOTER: 'MEMBER_ROLE_VOTER',
  MEMBER_ROLE_LEARNER: 'MEMBER_ROLE_LEARNER',
} as const;

export type MemberRole =
  | 'MEMBER_ROLE_UNSPECIFIED'
  | 0
  | 'MEMBER_ROLE_VOTER'
  | 1
  | 'MEMBER_ROLE_LEARNER'
  | 2

export type MemberRole__Output = typeof MemberRole[keyof typeof MemberRole]

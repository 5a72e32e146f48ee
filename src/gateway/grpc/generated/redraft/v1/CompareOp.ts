// Original file: proto/redraft/v1/kv.proto

export const CompareOp = {
  COMPARE_OP_EQUAL: 'COMPARE_OP_EQUAL',
  COMPARE_OP_NOT_EQUAL: 'COMPARE_OP_NOT_EQUAL',
  COMPARE_OP_LESS: 'COMPARE_OP_LESS',
  COMPARE_OP_GREATER: 'COMPARE_OP_GREATER',
} as const;

export type CompareOp =
  | 'COMPARE_OP_EQUAL'
  | 0
  | 'COMPARE_OP_NOT_EQUAL'
  | 1
  | 'COMPARE_OP_LESS'
  | 2
  | 'COMPARE_OP_GREATER'
  | 3

export type CompareOp__Output = typeof CompareOp[keyof typeof CompareOp]

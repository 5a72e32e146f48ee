// Original file: proto/redraft/v1/kv.proto

export const ValueType = {
  VALUE_TYPE_UNSPECIFIED: 'VALUE_TYPE_UNSPECIFIED',
  /**
   * A byte string: `value` holds it.
   */
  VALUE_TYPE_STRING: 'VALUE_TYPE_STRING',
  /**
   * A Redis hash (written through RESP): `value` is empty.
   */
  VALUE_TYPE_HASH: 'VALUE_TYPE_HASH',
} as const;

export type ValueType =
  | 'VALUE_TYPE_UNSPECIFIED'
  | 0
  /**
   * A byte string: `value` holds it.
   */
  | 'VALUE_TYPE_STRING'
  | 1
  /**
   * A Redis hash (written through RESP): `value` is empty.
   */
  | 'VALUE_TYPE_HASH'
  | 2

export type ValueType__Output = typeof ValueType[keyof typeof ValueType]

// Original file: proto/redraft/v1/kv.proto

export const EventType = {
  EVENT_TYPE_PUT: 'EVENT_TYPE_PUT',
  EVENT_TYPE_DELETE: 'EVENT_TYPE_DELETE',
} as const;

export type EventType =
  | 'EVENT_TYPE_PUT'
  | 0
  | 'EVENT_TYPE_DELETE'
  | 1

export type EventType__Output = typeof EventType[keyof typeof EventType]

import * as grpc from '@grpc/grpc-js';
import type { RedraftError } from '../../errors.js';
import type { MemberInfo } from '../../fsm/entry-codec.js';
import { CompactedError } from '../../node/change-feed.js';

/** Trailer metadata keys every gRPC error carries. */
export const ERROR_CODE_KEY = 'x-redraft-error-code';
export const LEADER_KEY = 'x-redraft-leader';
export const LEADER_ID_KEY = 'x-redraft-leader-id';
export const OLDEST_INDEX_KEY = 'x-redraft-oldest-index';

/**
 * A RedraftError as a gRPC status: the registry's status code, the message, and trailers
 * naming the stable code and, when a client should go elsewhere, the leader's gRPC address.
 */
export function toStatus(
  err: RedraftError,
  leader: MemberInfo | undefined,
): grpc.StatusObject & Error {
  const metadata = new grpc.Metadata();
  metadata.set(ERROR_CODE_KEY, err.code);
  if (leader !== undefined) {
    metadata.set(LEADER_KEY, leader.grpcAddr);
    metadata.set(LEADER_ID_KEY, String(leader.id));
  }
  if (err instanceof CompactedError) metadata.set(OLDEST_INDEX_KEY, String(err.oldestIndex));
  return Object.assign(new Error(err.message), {
    code: grpcStatus(err.mapping.grpc),
    details: err.message,
    metadata,
  });
}

/** The registry's status number as grpc-js's enum (UNKNOWN for a number it does not know). */
function grpcStatus(code: number): grpc.status {
  const name = grpc.status[code] as keyof typeof grpc.status | undefined;
  return name === undefined ? grpc.status.UNKNOWN : grpc.status[name];
}

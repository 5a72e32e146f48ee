import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { MemberInfo } from '../../fsm/entry-codec.js';
import { asRedraftError } from '../kv-operations.js';
import { toStatus } from './status.js';

/**
 * Turns handler failures into gRPC statuses through the error registry, with the leader's
 * address when it is known and elsewhere. Only INTERNAL errors are logged: the rest are the
 * caller's or the cluster's state, reported to the caller.
 */
export class CallErrors {
  constructor(
    private readonly leader: () => MemberInfo | undefined,
    private readonly logger: Logger,
  ) {}

  status(err: unknown): grpc.StatusObject & Error {
    const e = asRedraftError(err);
    if (e.code === 'INTERNAL') this.logger.error({ err }, 'gRPC call failed');
    return toStatus(e, this.leader());
  }

  /** A unary handler from a (sync or async) function of the request. */
  unary<Req, Res>(fn: (req: Req) => Res | Promise<Res>): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      // Through a promise, so a synchronous throw is answered like a rejection.
      Promise.resolve(call.request)
        .then(fn)
        .then(
          (res) => {
            callback(null, res);
          },
          (err: unknown) => {
            callback(this.status(err));
          },
        );
    };
  }
}

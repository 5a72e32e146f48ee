/**
 * One error type for everything a client can be told, with a stable code. The registry maps
 * each code to how every front end reports it (fastify's error registry is the model), so a
 * RESP client, an HTTP caller and a gRPC caller hear the same thing in their own terms.
 */

export interface ErrorMapping {
  /** The RESP error prefix (the first word of the error line). */
  readonly resp: string;
  readonly http: number;
  /** gRPC status code number (see @grpc/grpc-js `status`). */
  readonly grpc: number;
}

export const ERROR_REGISTRY = {
  NOT_LEADER: { resp: 'MOVED', http: 421, grpc: 9 /* FAILED_PRECONDITION */ },
  NO_LEADER: { resp: 'CLUSTERDOWN', http: 503, grpc: 14 /* UNAVAILABLE */ },
  // A write whose fate is unknown must not invite a blind retry (an INCR could apply twice):
  // a plain ERR, where TRYAGAIN would tell cluster clients that retrying is safe.
  LEADERSHIP_LOST: { resp: 'ERR', http: 503, grpc: 14 /* UNAVAILABLE */ },
  OUTCOME_UNKNOWN: { resp: 'ERR', http: 504, grpc: 4 /* DEADLINE_EXCEEDED */ },
  SHUTTING_DOWN: { resp: 'ERR', http: 503, grpc: 14 /* UNAVAILABLE */ },
  TIMEOUT: { resp: 'TRYAGAIN', http: 504, grpc: 4 /* DEADLINE_EXCEEDED */ },
  PROPOSAL_DROPPED: { resp: 'TRYAGAIN', http: 503, grpc: 14 /* UNAVAILABLE */ },
  STORAGE_FAILED: { resp: 'ERR', http: 500, grpc: 13 /* INTERNAL */ },
  BAD_REQUEST: { resp: 'ERR', http: 400, grpc: 3 /* INVALID_ARGUMENT */ },
  INTERNAL: { resp: 'ERR', http: 500, grpc: 13 /* INTERNAL */ },
  // Cluster administration (src/node/cluster-admin.ts).
  UNKNOWN_MEMBER: { resp: 'ERR', http: 404, grpc: 5 /* NOT_FOUND */ },
  MEMBER_EXISTS: { resp: 'ERR', http: 409, grpc: 6 /* ALREADY_EXISTS */ },
  /** The change contradicts the membership (promote a voter, remove the last voter, ...). */
  INVALID_CHANGE: { resp: 'ERR', http: 409, grpc: 9 /* FAILED_PRECONDITION */ },
  // Refused without effect, and the same request succeeds later: retrying is safe.
  CHANGE_IN_PROGRESS: { resp: 'TRYAGAIN', http: 409, grpc: 10 /* ABORTED */ },
  LEARNER_NOT_READY: { resp: 'TRYAGAIN', http: 409, grpc: 14 /* UNAVAILABLE */ },
} as const satisfies Record<string, ErrorMapping>;

export type ErrorCode = keyof typeof ERROR_REGISTRY;

export class RedraftError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  get mapping(): ErrorMapping {
    return ERROR_REGISTRY[this.code];
  }
}

/** This node is not the leader; `leaderId` is 0 when no leader is known. */
export class NotLeaderError extends RedraftError {
  constructor(readonly leaderId: number) {
    super(
      leaderId === 0 ? 'NO_LEADER' : 'NOT_LEADER',
      leaderId === 0 ? 'no leader is known' : `not the leader; the leader is node ${leaderId}`,
    );
  }
}

/**
 * Leadership changed while the request was in flight: it may or may not have been applied.
 * Never reported as success.
 */
export class LeadershipLostError extends RedraftError {
  constructor() {
    super('LEADERSHIP_LOST', 'leadership lost while the request was in flight; outcome unknown');
  }
}

export class ShuttingDownError extends RedraftError {
  constructor() {
    super('SHUTTING_DOWN', 'the node is shutting down');
  }
}

export class RequestTimeoutError extends RedraftError {
  constructor(what: string) {
    super('TIMEOUT', `${what} timed out`);
  }
}

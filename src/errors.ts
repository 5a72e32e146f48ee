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
  /** A key, member or route that does not exist. */
  NOT_FOUND: { resp: 'ERR', http: 404, grpc: 5 /* NOT_FOUND */ },
  WRONG_TYPE: { resp: 'WRONGTYPE', http: 409, grpc: 9 /* FAILED_PRECONDITION */ },
  /** A conditional write (only-if-absent, only-if-version) whose condition did not hold. */
  CONDITION_FAILED: { resp: 'ERR', http: 412, grpc: 9 /* FAILED_PRECONDITION */ },
  /** Other writes kept changing the keys a transaction compares; nothing was applied. */
  CONTENDED: { resp: 'ERR', http: 409, grpc: 10 /* ABORTED */ },
  TOO_LARGE: { resp: 'ERR', http: 413, grpc: 8 /* RESOURCE_EXHAUSTED */ },
  UNSUPPORTED_MEDIA_TYPE: { resp: 'ERR', http: 415, grpc: 3 /* INVALID_ARGUMENT */ },
  UNAUTHENTICATED: { resp: 'NOAUTH', http: 401, grpc: 16 /* UNAUTHENTICATED */ },
  /**
   * A watch resumed from, or an audit asked for, a log index older than the history this
   * node keeps.
   */
  COMPACTED: { resp: 'ERR', http: 410, grpc: 11 /* OUT_OF_RANGE */ },
  NOT_IMPLEMENTED: { resp: 'ERR', http: 501, grpc: 12 /* UNIMPLEMENTED */ },
  /** Readiness probe: no leader known, or this node still applying what it knows committed. */
  NOT_READY: { resp: 'ERR', http: 503, grpc: 14 /* UNAVAILABLE */ },
  // This member's Merkle root differs from the leader's: it refuses reads; any other member
  // can serve them (Redis has no such error; the prefix names the condition).
  STATE_DIVERGED: { resp: 'DIVERGED', http: 503, grpc: 14 /* UNAVAILABLE */ },
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

/**
 * The error a relayed RESP error line stands for. A follower forwards writes over the
 * leader's RESP port (KvService), so what the leader refused arrives as text: its first word
 * is the registry's RESP prefix, and for the plain ERR lines Redraft itself writes, the
 * wording of the classes above. The gateways send only well-formed commands, so an ERR line
 * that is none of these is the server's fault, not the caller's.
 */
export function errorFromRespLine(line: string): RedraftError {
  const space = line.indexOf(' ');
  const prefix = space < 0 ? line : line.slice(0, space);
  const message = space < 0 ? line : line.slice(space + 1);
  switch (prefix) {
    case 'MOVED':
      return new RedraftError('NOT_LEADER', `not the leader (${message})`);
    case 'CLUSTERDOWN':
      return new RedraftError('NO_LEADER', message);
    case 'TRYAGAIN':
      return new RedraftError('PROPOSAL_DROPPED', message);
    case 'WRONGTYPE':
      return new RedraftError('WRONG_TYPE', message);
    case 'NOAUTH':
    case 'WRONGPASS':
      // The leader refused this member's own forwarding credentials: a configuration fault.
      return new RedraftError('INTERNAL', `the leader refused to authenticate: ${message}`);
    default:
      break;
  }
  if (/leadership lost/i.test(message)) return new RedraftError('LEADERSHIP_LOST', message);
  if (/outcome unknown|may or may not have been applied/i.test(message))
    return new RedraftError('OUTCOME_UNKNOWN', message);
  if (/shutting down/i.test(message)) return new RedraftError('SHUTTING_DOWN', message);
  if (/exceeds the \d+-byte limit/.test(message)) return new RedraftError('TOO_LARGE', message);
  if (/^node failed/.test(message)) return new RedraftError('STORAGE_FAILED', message);
  return new RedraftError('INTERNAL', message);
}

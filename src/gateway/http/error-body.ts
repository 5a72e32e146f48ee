import type { FastifyError, FastifyReply } from 'fastify';
import { ERROR_REGISTRY, RedraftError, type ErrorCode } from '../../errors.js';
import type { MemberInfo } from '../../fsm/entry-codec.js';
import { CompactedError } from '../../node/change-feed.js';
import { asRedraftError } from '../kv-operations.js';

/**
 * The one error body of the REST API: every failure, from validation to a lost leader,
 * answers `{ code, message }` with the registry's HTTP status, plus `leader` when another
 * node leads (also in the `x-redraft-leader` header) and `oldestIndex` for COMPACTED.
 */
export interface ErrorBody {
  readonly code: ErrorCode;
  readonly message: string;
  readonly leader?: { readonly id: number; readonly httpAddr: string };
  readonly oldestIndex?: number;
}

export const LEADER_HEADER = 'x-redraft-leader';

export const ERROR_BODY_SCHEMA = {
  type: 'object',
  description: 'Every error has this shape; `code` is stable, `message` is for people.',
  required: ['code', 'message'],
  properties: {
    code: { type: 'string', enum: Object.keys(ERROR_REGISTRY) },
    message: { type: 'string' },
    leader: {
      type: 'object',
      description: 'The leader, when another node leads (a write may be sent there).',
      required: ['id', 'httpAddr'],
      properties: { id: { type: 'integer' }, httpAddr: { type: 'string' } },
    },
    oldestIndex: {
      type: 'integer',
      description: 'COMPACTED: the oldest log index a watch can resume from on this node.',
    },
  },
} as const;

export function errorBody(err: RedraftError, leader: MemberInfo | undefined): ErrorBody {
  return {
    code: err.code,
    message: err.message,
    ...(leader === undefined ? {} : { leader: { id: leader.id, httpAddr: leader.httpAddr } }),
    ...(err instanceof CompactedError ? { oldestIndex: err.oldestIndex } : {}),
  };
}

export function sendError(
  reply: FastifyReply,
  err: RedraftError,
  leader: MemberInfo | undefined,
): FastifyReply {
  if (leader !== undefined) void reply.header(LEADER_HEADER, leader.httpAddr);
  if (err.code === 'UNAUTHENTICATED') void reply.header('www-authenticate', 'Bearer');
  return reply.code(err.mapping.http).type('application/json').send(errorBody(err, leader));
}

/** Fastify's own errors (parsing, validation, limits) in the registry's terms. */
export function fromFastifyError(err: unknown): RedraftError {
  if (err instanceof RedraftError) return err;
  if (!(err instanceof Error)) return asRedraftError(err);
  const fe = err as Error & Partial<FastifyError>;
  if (fe.validation !== undefined) {
    const where = fe.validationContext ?? 'request';
    return new RedraftError('BAD_REQUEST', `invalid ${where}: ${fe.message}`);
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new RedraftError('TOO_LARGE', 'the request body is larger than a write may be');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new RedraftError(
        'UNSUPPORTED_MEDIA_TYPE',
        'send the value as application/octet-stream, or a JSON body as application/json',
      );
    default:
      break;
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new RedraftError('BAD_REQUEST', fe.message);
  }
  return asRedraftError(err);
}

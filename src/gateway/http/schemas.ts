/**
 * JSON schemas of the REST API: fastify validates requests and serializes responses with
 * them, and the OpenAPI document is generated from them. Bytes travel as standard base64 in
 * JSON; in paths and query strings keys are UTF-8 text (or base64url with
 * `keyEncoding=base64url`).
 */
import { DATABASES } from '../../fsm/kv-state-machine.js';
import { MAX_COMPARES, MAX_PAGE_SIZE, MAX_TTL_MS, MAX_TXN_OPS } from '../kv-operations.js';
import { ERROR_BODY_SCHEMA } from './error-body.js';

export const BASE64 = {
  type: 'string',
  description: 'Bytes, standard base64 (RFC 4648 section 4) with padding.',
  pattern: '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$',
} as const;

/**
 * A raw application/octet-stream body: any bytes, so nothing to validate (the body is a
 * Buffer, which a JSON schema cannot describe). The OpenAPI document shows it as binary.
 */
export const RAW_BODY = { description: 'The raw bytes of the value.' } as const;
export const RAW_BODY_OPENAPI = { type: 'string', format: 'binary' } as const;

export const DB = {
  type: 'integer',
  minimum: 0,
  maximum: DATABASES - 1,
  default: 0,
  description: 'One of the 16 databases (as Redis SELECT).',
} as const;

export const INDEX = { type: 'integer', minimum: 0 } as const;

export const TTL_MS = {
  type: 'integer',
  minimum: 0,
  maximum: MAX_TTL_MS,
  description: 'Expire the key this many milliseconds after the write; 0: no expiry.',
} as const;

export const CONSISTENCY = {
  type: 'string',
  enum: ['linearizable', 'lease', 'stale'],
  description: "How fresh the read must be; default: the node's --read-consistency.",
} as const;

export const KEY_ENCODING = {
  type: 'string',
  enum: ['utf8', 'base64url'],
  default: 'utf8',
  description: 'How the key (or prefix) in the path or query is written.',
} as const;

export const KEY_VALUE = {
  type: 'object',
  required: ['key', 'version', 'expireAtMs', 'type'],
  properties: {
    key: BASE64,
    value: { ...BASE64, description: "The value, base64; absent for a hash or 'keysOnly'." },
    version: { ...INDEX, description: 'The log index of the last write to the key.' },
    expireAtMs: {
      type: 'integer',
      description: 'Expiry in ms since the epoch (leader time); 0: none.',
    },
    type: { type: 'string', enum: ['string', 'hash'] },
  },
} as const;

/** The error responses a route can give, all of the one error shape. */
export function errorResponses(...statuses: number[]): Record<number, unknown> {
  const out: Record<number, unknown> = {};
  for (const s of [400, 401, ...statuses, 500, 503]) {
    out[s] = { ...ERROR_BODY_SCHEMA, description: 'Error' };
  }
  return out;
}

export const KEY_PARAMS = {
  type: 'object',
  required: ['*'],
  properties: {
    '*': {
      type: 'string',
      minLength: 1,
      description: 'The key: the rest of the path, slashes included (percent-encode as usual).',
    },
  },
} as const;

const OPERAND_ONE_OF = [
  { required: ['value'] },
  { required: ['version'] },
  { required: ['exists'] },
] as const;

export const COMPARE = {
  type: 'object',
  additionalProperties: false,
  required: ['key'],
  description:
    'The key compared by value (byte order), version or existence; exactly one operand. A missing key has no value: only notEqual holds.',
  properties: {
    key: BASE64,
    op: { type: 'string', enum: ['equal', 'notEqual', 'less', 'greater'], default: 'equal' },
    value: BASE64,
    version: INDEX,
    exists: { type: 'boolean' },
  },
  oneOf: OPERAND_ONE_OF,
} as const;

export const REQUEST_OP = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  description: 'One of put, delete, get.',
  properties: {
    put: {
      type: 'object',
      additionalProperties: false,
      required: ['key', 'value'],
      properties: { key: BASE64, value: BASE64, ttlMs: TTL_MS },
    },
    delete: {
      type: 'object',
      additionalProperties: false,
      required: ['key'],
      properties: { key: BASE64 },
    },
    get: {
      type: 'object',
      additionalProperties: false,
      required: ['key'],
      properties: { key: BASE64 },
    },
  },
} as const;

export const TXN_BODY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    db: DB,
    compare: { type: 'array', maxItems: MAX_COMPARES, items: COMPARE, default: [] },
    success: { type: 'array', maxItems: MAX_TXN_OPS, items: REQUEST_OP, default: [] },
    failure: { type: 'array', maxItems: MAX_TXN_OPS, items: REQUEST_OP, default: [] },
  },
} as const;

export const RESPONSE_OP = {
  type: 'object',
  properties: {
    put: { type: 'object', properties: { version: INDEX } },
    delete: { type: 'object', properties: { deleted: { type: 'boolean' } } },
    get: { type: 'object', properties: { found: { type: 'boolean' }, kv: KEY_VALUE } },
  },
} as const;

export const PAGE_LIMIT = {
  type: 'integer',
  minimum: 1,
  maximum: MAX_PAGE_SIZE,
  default: 100,
} as const;

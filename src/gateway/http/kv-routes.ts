import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RedraftError } from '../../errors.js';
import type { ReadConsistency } from '../../node/raft-node.js';
import type { KvOperations } from '../kv-operations.js';
import type { CompareOp, KeyRecord, TxnOp, TxnOpResult, WriteCondition } from '../model.js';
import {
  BASE64,
  CONSISTENCY,
  DB,
  INDEX,
  KEY_ENCODING,
  KEY_PARAMS,
  KEY_VALUE,
  PAGE_LIMIT,
  RAW_BODY,
  RESPONSE_OP,
  TTL_MS,
  TXN_BODY,
  errorResponses,
} from './schemas.js';

type KeyEncoding = 'utf8' | 'base64url';

interface KeyParams {
  readonly '*': string;
}

interface KeyQuery {
  readonly db: number;
  readonly keyEncoding: KeyEncoding;
}

interface GetQuery extends KeyQuery {
  readonly consistency?: ReadConsistency;
  readonly format?: 'raw' | 'json';
}

interface PutQuery extends KeyQuery {
  readonly ttlMs?: number;
  readonly ifAbsent?: boolean;
  readonly ifVersion?: number;
}

interface PutJson {
  readonly value: string;
  readonly ttlMs?: number;
  readonly ifAbsent?: boolean;
  readonly ifVersion?: number;
}

interface DeleteQuery extends KeyQuery {
  readonly ifVersion?: number;
}

interface RangeQuery {
  readonly db: number;
  readonly prefix: string;
  readonly keyEncoding: KeyEncoding;
  readonly limit: number;
  readonly pageToken?: string;
  readonly consistency?: ReadConsistency;
  readonly keysOnly?: boolean;
}

interface CompareJson {
  readonly key: string;
  readonly op: 'equal' | 'notEqual' | 'less' | 'greater';
  readonly value?: string;
  readonly version?: number;
  readonly exists?: boolean;
}

interface OpJson {
  readonly put?: { readonly key: string; readonly value: string; readonly ttlMs?: number };
  readonly delete?: { readonly key: string };
  readonly get?: { readonly key: string };
}

interface TxnJson {
  readonly db: number;
  readonly compare: readonly CompareJson[];
  readonly success: readonly OpJson[];
  readonly failure: readonly OpJson[];
}

interface ProveQuery extends KeyQuery {
  readonly tag?: string;
}

const KEY_QUERY_PROPERTIES = { db: DB, keyEncoding: KEY_ENCODING } as const;
const RAW = 'application/octet-stream';
const JSON_TYPE = 'application/json';

/** `/v1/kv/...`, `/v1/txn` and `/v1/prove/...`: the KV operations over REST. */
export function registerKvRoutes(app: FastifyInstance, ops: KvOperations): void {
  app.get<{ Params: KeyParams; Querystring: GetQuery }>(
    '/v1/kv/*',
    {
      schema: {
        summary: 'Read a key',
        description:
          'Answers the raw value (application/octet-stream) with its version in `ETag` and `x-redraft-version`, or JSON with base64 bytes when asked (`format=json`, or an `Accept` naming application/json but not application/octet-stream). 404 when the key does not exist; 409 WRONG_TYPE for a hash as raw bytes.',
        tags: ['kv'],
        params: KEY_PARAMS,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...KEY_QUERY_PROPERTIES,
            consistency: CONSISTENCY,
            format: { type: 'string', enum: ['raw', 'json'] },
          },
        },
        response: {
          200: {
            description: 'The value',
            content: {
              [RAW]: { schema: { type: 'string', format: 'binary' } },
              [JSON_TYPE]: {
                schema: {
                  ...KEY_VALUE,
                  required: [...KEY_VALUE.required, 'appliedIndex'],
                  properties: { ...KEY_VALUE.properties, appliedIndex: INDEX },
                },
              },
            },
          },
          ...errorResponses(404, 409),
        },
      },
    },
    async (req, reply) => {
      const key = keyOfPath(req.params['*'], req.query.keyEncoding);
      const { record, appliedIndex } = await ops.get({
        db: req.query.db,
        key,
        consistency: req.query.consistency,
      });
      if (record === undefined) throw new RedraftError('NOT_FOUND', 'no such key');
      void reply.header('etag', `"${record.version}"`);
      if (wantsJson(req, req.query.format)) {
        return reply.type(JSON_TYPE).send({ ...keyValueJson(record), appliedIndex });
      }
      if (record.value === undefined) {
        throw new RedraftError('WRONG_TYPE', 'the key holds a hash; read it as JSON or by RESP');
      }
      void reply
        .header('x-redraft-version', record.version)
        .header('x-redraft-applied-index', appliedIndex);
      if (record.expireAtMs !== 0) void reply.header('x-redraft-expire-at-ms', record.expireAtMs);
      return reply.type(RAW).send(record.value);
    },
  );

  app.put<{ Params: KeyParams; Querystring: PutQuery; Body: Buffer | PutJson }>(
    '/v1/kv/*',
    {
      schema: {
        summary: 'Write a key',
        description:
          'The body is the raw value (application/octet-stream), with the options in the query string; or JSON (application/json) `{ value: base64, ttlMs?, ifAbsent?, ifVersion? }` with the options in the body. A condition that does not hold answers 412 CONDITION_FAILED and changes nothing.',
        tags: ['kv'],
        params: KEY_PARAMS,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...KEY_QUERY_PROPERTIES,
            ttlMs: TTL_MS,
            ifAbsent: { type: 'boolean', description: 'Write only if the key does not exist.' },
            ifVersion: { ...INDEX, description: 'Write only if the key has this version.' },
          },
        },
        body: {
          content: {
            [RAW]: { schema: RAW_BODY },
            [JSON_TYPE]: {
              schema: {
                type: 'object',
                additionalProperties: false,
                required: ['value'],
                properties: {
                  value: BASE64,
                  ttlMs: TTL_MS,
                  ifAbsent: { type: 'boolean' },
                  ifVersion: INDEX,
                },
              },
            },
          },
        },
        response: {
          200: {
            description: 'Written',
            type: 'object',
            required: ['version'],
            properties: { version: { ...INDEX, description: "The write's log index." } },
          },
          ...errorResponses(412, 413, 415),
        },
      },
    },
    async (req) => {
      const key = keyOfPath(req.params['*'], req.query.keyEncoding);
      const q = req.query;
      let value: Buffer;
      let options: { ttlMs?: number; ifAbsent?: boolean; ifVersion?: number };
      if (Buffer.isBuffer(req.body)) {
        value = req.body;
        options = q;
      } else {
        if (q.ttlMs !== undefined || q.ifAbsent !== undefined || q.ifVersion !== undefined) {
          throw new RedraftError(
            'BAD_REQUEST',
            'with a JSON body, ttlMs, ifAbsent and ifVersion go in the body',
          );
        }
        value = Buffer.from(req.body.value, 'base64');
        options = req.body;
      }
      return ops.put({
        db: q.db,
        key,
        value,
        ttlMs: options.ttlMs ?? 0,
        condition: writeCondition(options.ifAbsent, options.ifVersion),
      });
    },
  );

  app.delete<{ Params: KeyParams; Querystring: DeleteQuery }>(
    '/v1/kv/*',
    {
      schema: {
        summary: 'Delete a key',
        tags: ['kv'],
        params: KEY_PARAMS,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...KEY_QUERY_PROPERTIES,
            ifVersion: { ...INDEX, description: 'Delete only if the key has this version.' },
          },
        },
        response: {
          200: {
            description: 'Done (also when the key did not exist: see `deleted`)',
            type: 'object',
            required: ['deleted', 'index'],
            properties: { deleted: { type: 'boolean' }, index: INDEX },
          },
          ...errorResponses(412),
        },
      },
    },
    async (req) =>
      ops.delete({
        db: req.query.db,
        key: keyOfPath(req.params['*'], req.query.keyEncoding),
        ifVersion: req.query.ifVersion,
      }),
  );

  app.get<{ Querystring: RangeQuery }>(
    '/v1/kv',
    {
      schema: {
        summary: 'List keys by prefix, one page at a time',
        description:
          'Keys in ascending byte order. Pass `nextPageToken` back as `pageToken` for the next page; it is empty on the last page. A key present during the whole listing is returned exactly once.',
        tags: ['kv'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            db: DB,
            prefix: { type: 'string', default: '', description: 'Empty: every key.' },
            keyEncoding: KEY_ENCODING,
            limit: PAGE_LIMIT,
            pageToken: { type: 'string', maxLength: 2048 },
            consistency: CONSISTENCY,
            keysOnly: { type: 'boolean', description: 'Leave the values out.' },
          },
        },
        response: {
          200: {
            description: 'One page',
            type: 'object',
            required: ['kvs', 'nextPageToken', 'appliedIndex'],
            properties: {
              kvs: { type: 'array', items: KEY_VALUE },
              nextPageToken: { type: 'string' },
              appliedIndex: INDEX,
            },
          },
          ...errorResponses(),
        },
      },
    },
    async (req) => {
      const q = req.query;
      const r = await ops.range({
        db: q.db,
        prefix: q.prefix === '' ? Buffer.alloc(0) : keyOfPath(q.prefix, q.keyEncoding),
        limit: q.limit,
        pageToken: q.pageToken,
        consistency: q.consistency,
        keysOnly: q.keysOnly,
      });
      return {
        kvs: r.records.map(keyValueJson),
        nextPageToken: r.nextPageToken,
        appliedIndex: r.appliedIndex,
      };
    },
  );

  app.post<{ Body: TxnJson }>(
    '/v1/txn',
    {
      schema: {
        summary: 'Compare, then write and read atomically',
        description:
          'If every comparison holds, `success` runs, else `failure`: comparisons and operations are one atomic step (one log entry). Operations see the writes before them.',
        tags: ['kv'],
        body: TXN_BODY,
        response: {
          200: {
            description: 'The branch that ran and its results',
            type: 'object',
            required: ['succeeded', 'responses', 'index'],
            properties: {
              succeeded: { type: 'boolean' },
              responses: { type: 'array', items: RESPONSE_OP },
              index: INDEX,
            },
          },
          ...errorResponses(409, 413, 415),
        },
      },
    },
    async (req) => {
      const b = req.body;
      const r = await ops.txn({
        db: b.db,
        compare: b.compare.map((c) => ({
          key: bytes(c.key),
          op: COMPARE_OPS[c.op],
          target:
            c.value !== undefined
              ? { kind: 'value', value: bytes(c.value) }
              : c.version !== undefined
                ? { kind: 'version', version: c.version }
                : { kind: 'exists', exists: c.exists === true },
        })),
        success: b.success.map(opOf),
        failure: b.failure.map(opOf),
      });
      return { succeeded: r.succeeded, responses: r.results.map(opResultJson), index: r.index };
    },
  );

  app.get<{ Params: KeyParams; Querystring: ProveQuery }>(
    '/v1/prove/*',
    {
      schema: {
        summary: "A Merkle proof of a key's value or absence",
        description:
          '`proof` is an ICS-23 CommitmentProof (existence or non-existence), as RESP PROVE returns it. 501 when this node does not serve proofs.',
        tags: ['kv'],
        params: KEY_PARAMS,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...KEY_QUERY_PROPERTIES, tag: { type: 'string' } },
        },
        response: {
          200: {
            description: 'The proof',
            type: 'object',
            required: ['found', 'root', 'index', 'proof'],
            properties: {
              found: { type: 'boolean' },
              value: BASE64,
              root: BASE64,
              index: INDEX,
              proof: BASE64,
            },
          },
          ...errorResponses(501),
        },
      },
    },
    async (req) => {
      const p = await ops.prove(
        req.query.db,
        keyOfPath(req.params['*'], req.query.keyEncoding),
        req.query.tag,
      );
      return {
        found: p.found,
        ...(p.value === undefined ? {} : { value: p.value.toString('base64') }),
        root: p.root.toString('base64'),
        index: p.index,
        proof: p.proof.toString('base64'),
      };
    },
  );
}

const COMPARE_OPS: Readonly<Record<CompareJson['op'], CompareOp>> = {
  equal: 'equal',
  notEqual: 'not-equal',
  less: 'less',
  greater: 'greater',
};

/** A key from a path segment or query parameter, as `keyEncoding` says it is written. */
export function keyOfPath(text: string, encoding: KeyEncoding): Buffer {
  if (encoding === 'utf8') return Buffer.from(text, 'utf8');
  if (!/^[A-Za-z0-9_-]+$/.test(text)) {
    throw new RedraftError('BAD_REQUEST', 'the key is not base64url (A-Z a-z 0-9 - _, no padding)');
  }
  return Buffer.from(text, 'base64url');
}

function bytes(base64: string): Buffer {
  return Buffer.from(base64, 'base64');
}

function writeCondition(
  ifAbsent: boolean | undefined,
  ifVersion: number | undefined,
): WriteCondition {
  if (ifAbsent === true && ifVersion !== undefined) {
    throw new RedraftError('BAD_REQUEST', 'ifAbsent and ifVersion exclude each other');
  }
  if (ifAbsent === true) return { kind: 'absent' };
  if (ifVersion !== undefined) return { kind: 'version', version: ifVersion };
  return { kind: 'none' };
}

function wantsJson(req: FastifyRequest, format: 'raw' | 'json' | undefined): boolean {
  if (format !== undefined) return format === 'json';
  const accept = req.headers.accept ?? '';
  return accept.includes(JSON_TYPE) && !accept.includes(RAW);
}

function opOf(op: OpJson): TxnOp {
  if (op.put !== undefined) {
    return {
      kind: 'put',
      key: bytes(op.put.key),
      value: bytes(op.put.value),
      ttlMs: op.put.ttlMs ?? 0,
    };
  }
  if (op.delete !== undefined) return { kind: 'delete', key: bytes(op.delete.key) };
  return { kind: 'get', key: bytes(op.get!.key) };
}

function opResultJson(r: TxnOpResult): unknown {
  switch (r.kind) {
    case 'put':
      return { put: { version: r.version } };
    case 'delete':
      return { delete: { deleted: r.deleted } };
    case 'get':
      return {
        get: {
          found: r.record !== undefined,
          ...(r.record === undefined ? {} : { kv: keyValueJson(r.record) }),
        },
      };
  }
}

export function keyValueJson(r: KeyRecord): Record<string, unknown> {
  return {
    key: r.key.toString('base64'),
    ...(r.value === undefined ? {} : { value: r.value.toString('base64') }),
    version: r.version,
    expireAtMs: r.expireAtMs,
    type: r.type,
  };
}

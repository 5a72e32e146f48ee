import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { RedraftError, ShuttingDownError } from '../../errors.js';
import type { MemberInfo } from '../../fsm/entry-codec.js';
import type { OpenStreams } from '../open-streams.js';
import { asRedraftError, type KvOperations } from '../kv-operations.js';
import type { WatchEvent } from '../model.js';
import type { WatchBatch, WatchStream } from '../watch-stream.js';
import { errorBody } from './error-body.js';
import { keyOfPath, keyValueJson } from './kv-routes.js';
import { DB, INDEX, KEY_ENCODING, errorResponses } from './schemas.js';

interface WatchQuery {
  readonly db: number;
  readonly prefix: string;
  readonly keyEncoding: 'utf8' | 'base64url';
  readonly startIndex: number;
}

/** A comment line now and then keeps proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;
/** What an EventSource waits before reconnecting (it then sends Last-Event-ID). */
const RETRY_MS = 1_000;

/**
 * `GET /v1/watch`: committed changes as Server-Sent Events. Each `message` event carries the
 * changes of one or more whole log indexes and has `id` = the last index it covers, so an
 * EventSource that reconnects with `Last-Event-ID` resumes exactly where it stopped. The
 * stream opens with a `created` event (its id: where the watch starts) and ends with an
 * `error` event in the one error shape (e.g. COMPACTED, SHUTTING_DOWN) when it fails.
 */
export function registerWatchRoute(
  app: FastifyInstance,
  ops: KvOperations,
  streams: OpenStreams,
  leader: () => MemberInfo | undefined,
): void {
  app.get<{ Querystring: WatchQuery }>(
    '/v1/watch',
    {
      schema: {
        summary: 'Stream committed changes (Server-Sent Events)',
        description:
          'Starts at `startIndex` (0: from now on), or after the index in `Last-Event-ID` when reconnecting. A start older than the history this node keeps answers 410 COMPACTED with `oldestIndex`.',
        tags: ['kv'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            db: DB,
            prefix: { type: 'string', default: '' },
            keyEncoding: KEY_ENCODING,
            startIndex: { ...INDEX, default: 0 },
          },
        },
        headers: {
          type: 'object',
          properties: {
            'last-event-id': {
              type: 'string',
              description: 'The id of the last event received: resume after it.',
            },
          },
        },
        response: {
          200: {
            description: 'An event stream',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...errorResponses(410),
        },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const startIndex = resumeIndex(req.headers['last-event-id'], q.startIndex);
      const stream = ops.watch({
        db: q.db,
        prefix: q.prefix === '' ? Buffer.alloc(0) : keyOfPath(q.prefix, q.keyEncoding),
        startIndex,
      });
      void reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      await pump(res, stream, streams, leader);
    },
  );
}

function resumeIndex(lastEventId: string | string[] | undefined, startIndex: number): number {
  if (lastEventId === undefined) return startIndex;
  const text = Array.isArray(lastEventId) ? lastEventId[0] : lastEventId;
  if (text === undefined || !/^\d{1,15}$/.test(text)) {
    throw new RedraftError('BAD_REQUEST', 'Last-Event-ID must be a log index');
  }
  return Number(text) + 1;
}

async function pump(
  res: ServerResponse,
  stream: WatchStream,
  streams: OpenStreams,
  leader: () => MemberInfo | undefined,
): Promise<void> {
  const abort = new AbortController();
  const gone = (): void => {
    abort.abort();
  };
  res.on('close', gone);
  const release = streams.add(() => {
    abort.abort(new ShuttingDownError());
  });
  const keepalive = setInterval(() => {
    res.write(': keepalive\n\n');
  }, KEEPALIVE_MS);
  keepalive.unref();
  try {
    const start = stream.startPosition;
    res.write(
      `retry: ${RETRY_MS}\nid: ${start}\nevent: created\ndata: ${JSON.stringify({ index: start })}\n\n`,
    );
    for await (const batch of stream.batches(abort.signal)) {
      if (!res.write(message(batch))) await drained(res, abort.signal);
    }
    // The gateway is closing: tell the client to resume (elsewhere), not that it is done.
    const reason: unknown = abort.signal.reason;
    if (reason instanceof ShuttingDownError) res.write(errorEvent(reason, leader()));
  } catch (err) {
    if (!res.destroyed) res.write(errorEvent(asRedraftError(err), leader()));
  } finally {
    clearInterval(keepalive);
    release();
    res.off('close', gone);
    res.end();
  }
}

function message(batch: WatchBatch): string {
  const data = JSON.stringify({ index: batch.position, events: batch.events.map(eventJson) });
  return `id: ${batch.position}\ndata: ${data}\n\n`;
}

function eventJson(e: WatchEvent): unknown {
  return e.type === 'delete'
    ? {
        type: 'delete',
        index: e.index,
        kv: { key: e.record.key.toString('base64'), version: e.index },
      }
    : { type: 'put', index: e.index, kv: keyValueJson(e.record) };
}

function errorEvent(err: RedraftError, leader: MemberInfo | undefined): string {
  return `event: error\ndata: ${JSON.stringify(errorBody(err, leader))}\n\n`;
}

function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

import type * as grpc from '@grpc/grpc-js';
import type { ReadConsistency } from '../../node/raft-node.js';
import type { KvOperations } from '../kv-operations.js';
import type {
  Compare,
  CompareOp,
  KeyRecord,
  TxnOp,
  TxnOpResult,
  WatchEvent,
  WriteCondition,
} from '../model.js';
import type { WatchBatch, WatchStream } from '../watch-stream.js';
import { RedraftError, ShuttingDownError } from '../../errors.js';
import type { Compare__Output } from './generated/redraft/v1/Compare.js';
import type { Consistency__Output } from './generated/redraft/v1/Consistency.js';
import type { Event } from './generated/redraft/v1/Event.js';
import type { KeyValue } from './generated/redraft/v1/KeyValue.js';
import type { KVHandlers } from './generated/redraft/v1/KV.js';
import type { RequestOp__Output } from './generated/redraft/v1/RequestOp.js';
import type { ResponseOp } from './generated/redraft/v1/ResponseOp.js';
import type { WatchRequest__Output } from './generated/redraft/v1/WatchRequest.js';
import type { WatchResponse } from './generated/redraft/v1/WatchResponse.js';
import type { OpenStreams } from '../open-streams.js';
import type { CallErrors } from './call-errors.js';

/**
 * The `redraft.v1.KV` service: proto messages in, {@link KvOperations} calls, proto messages
 * out. Validation beyond the proto's types happens in KvOperations, shared with REST.
 */
export function kvHandlers(
  ops: KvOperations,
  errors: CallErrors,
  streams: OpenStreams,
): KVHandlers {
  return {
    Get: errors.unary(async (req) => {
      const r = await ops.get({
        db: req.db,
        key: req.key,
        consistency: consistencyOf(req.consistency),
      });
      return {
        found: r.record !== undefined,
        kv: r.record === undefined ? null : keyValue(r.record),
        appliedIndex: r.appliedIndex,
      };
    }),

    Put: errors.unary(async (req) => {
      const condition: WriteCondition =
        req.condition === 'ifAbsent' && req.ifAbsent === true
          ? { kind: 'absent' }
          : req.condition === 'ifVersion'
            ? { kind: 'version', version: req.ifVersion ?? 0 }
            : { kind: 'none' };
      return ops.put({ db: req.db, key: req.key, value: req.value, ttlMs: req.ttlMs, condition });
    }),

    Delete: errors.unary(async (req) =>
      ops.delete({
        db: req.db,
        key: req.key,
        ifVersion: req.condition === 'ifVersion' ? req.ifVersion : undefined,
      }),
    ),

    Range: errors.unary(async (req) => {
      const r = await ops.range({
        db: req.db,
        prefix: req.prefix,
        limit: req.limit === 0 ? undefined : req.limit,
        pageToken: req.pageToken,
        consistency: consistencyOf(req.consistency),
        keysOnly: req.keysOnly,
      });
      return {
        kvs: r.records.map(keyValue),
        nextPageToken: r.nextPageToken,
        appliedIndex: r.appliedIndex,
      };
    }),

    Txn: errors.unary(async (req) => {
      const r = await ops.txn({
        db: req.db,
        compare: req.compare.map(compareOf),
        success: req.success.map(opOf),
        failure: req.failure.map(opOf),
      });
      return { succeeded: r.succeeded, responses: r.results.map(responseOp), index: r.index };
    }),

    Watch: (call) => {
      let stream: WatchStream;
      try {
        stream = ops.watch(watchRequest(call.request));
      } catch (err) {
        call.emit('error', errors.status(err));
        return;
      }
      void pumpWatch(call, stream, errors, streams);
    },

    Prove: errors.unary(async (req) => {
      const p = await ops.prove(req.db, req.key, req.tag);
      return {
        found: p.found,
        value: p.value ?? Buffer.alloc(0),
        root: p.root,
        index: p.index,
        proof: p.proof,
      };
    }),
  };
}

/**
 * Writes the watch's batches to the call as they come, waiting for the call to drain when
 * its buffer is full, until the client cancels or the gateway closes. Ends the call with
 * the error (e.g. COMPACTED) when the stream fails.
 */
async function pumpWatch(
  call: grpc.ServerWritableStream<WatchRequest__Output, WatchResponse>,
  stream: WatchStream,
  errors: CallErrors,
  streams: OpenStreams,
): Promise<void> {
  const abort = new AbortController();
  const cancelled = (): void => {
    abort.abort();
  };
  call.on('cancelled', cancelled);
  const release = streams.add(() => {
    abort.abort(new ShuttingDownError());
  });
  try {
    call.write({ created: true, index: stream.startPosition, events: [] });
    for await (const batch of stream.batches(abort.signal)) {
      if (!call.write(watchResponse(batch))) await drained(call, abort.signal);
    }
    // The gateway is closing: tell the client to resume (elsewhere), not that it is done.
    const reason: unknown = abort.signal.reason;
    if (reason instanceof ShuttingDownError && !call.cancelled) {
      call.emit('error', errors.status(reason));
    }
  } catch (err) {
    if (!call.cancelled) call.emit('error', errors.status(err));
  } finally {
    release();
    call.off('cancelled', cancelled);
  }
}

function drained(call: grpc.ServerWritableStream<unknown, unknown>, signal: AbortSignal) {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    call.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

function watchRequest(req: WatchRequest__Output): {
  db: number;
  prefix: Buffer;
  startIndex: number;
} {
  return { db: req.db, prefix: req.prefix, startIndex: req.startIndex };
}

function watchResponse(batch: WatchBatch): WatchResponse {
  return { created: false, index: batch.position, events: batch.events.map(event) };
}

function event(e: WatchEvent): Event {
  return e.type === 'delete'
    ? {
        type: 'EVENT_TYPE_DELETE',
        index: e.index,
        kv: { key: e.record.key, version: e.record.version, type: 'VALUE_TYPE_UNSPECIFIED' },
      }
    : { type: 'EVENT_TYPE_PUT', index: e.index, kv: keyValue(e.record) };
}

function keyValue(r: KeyRecord): KeyValue {
  return {
    key: r.key,
    value: r.value ?? Buffer.alloc(0),
    version: r.version,
    expireAtMs: r.expireAtMs,
    type: r.type === 'string' ? 'VALUE_TYPE_STRING' : 'VALUE_TYPE_HASH',
  };
}

function consistencyOf(c: Consistency__Output): ReadConsistency | undefined {
  switch (c) {
    case 'CONSISTENCY_LINEARIZABLE':
      return 'linearizable';
    case 'CONSISTENCY_LEASE':
      return 'lease';
    case 'CONSISTENCY_STALE':
      return 'stale';
    case 'CONSISTENCY_UNSPECIFIED':
      return undefined;
  }
}

const COMPARE_OPS: Readonly<Record<Compare__Output['op'], CompareOp>> = {
  COMPARE_OP_EQUAL: 'equal',
  COMPARE_OP_NOT_EQUAL: 'not-equal',
  COMPARE_OP_LESS: 'less',
  COMPARE_OP_GREATER: 'greater',
};

function compareOf(c: Compare__Output): Compare {
  const op = COMPARE_OPS[c.op];
  switch (c.target) {
    case 'value':
      return { key: c.key, op, target: { kind: 'value', value: c.value ?? Buffer.alloc(0) } };
    case 'version':
      return { key: c.key, op, target: { kind: 'version', version: c.version ?? 0 } };
    case 'exists':
      return { key: c.key, op, target: { kind: 'exists', exists: c.exists ?? false } };
    case undefined:
      throw new RedraftError('BAD_REQUEST', 'a comparison needs a value, version or exists');
  }
}

function opOf(op: RequestOp__Output): TxnOp {
  switch (op.op) {
    case 'put':
      return { kind: 'put', key: op.put!.key, value: op.put!.value, ttlMs: op.put!.ttlMs };
    case 'delete':
      return { kind: 'delete', key: op.delete!.key };
    case 'get':
      return { kind: 'get', key: op.get!.key };
    case undefined:
      throw new RedraftError('BAD_REQUEST', 'an operation needs one of put, delete or get');
  }
}

function responseOp(r: TxnOpResult): ResponseOp {
  switch (r.kind) {
    case 'put':
      return { put: { version: r.version } };
    case 'delete':
      return { delete: { deleted: r.deleted } };
    case 'get':
      return {
        get: {
          found: r.record !== undefined,
          kv: r.record === undefined ? null : keyValue(r.record),
        },
      };
  }
}

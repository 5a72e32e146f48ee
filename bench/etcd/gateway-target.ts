/**
 * The load generator's driver for etcd's JSON gateway (grpc-gateway in front of the same KV
 * service): POST /v3/kv/put and /v3/kv/range with base64 keys and values, over keep-alive
 * HTTP/1.1 connections. HTTP/1.1 cannot multiplex, so a client's batch of more than one request
 * goes out on that many keep-alive connections of the client's own agent, one request each:
 * the nearest this API comes to a pipeline.
 */
import { Agent, request } from 'node:http';
import {
  BATCH_OK,
  type BatchOutcome,
  type KvConnection,
  type KvTarget,
  type Operation,
} from '../load.js';

/** A request unanswered for this long fails, so that a stalled cluster cannot hang the run. */
const REQUEST_TIMEOUT_MS = 10_000;

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(`HTTP ${status}: ${body.slice(0, 200)}`);
    this.name = 'GatewayError';
  }
}

/**
 * POSTs `body` (JSON text) to `path` on 127.0.0.1:`port` and calls `done` with the parsed
 * reply, or with an error for a transport failure, a timeout or a status other than 200.
 */
export function postJson(
  port: number,
  path: string,
  body: string,
  agent: Agent | undefined,
  done: (err: Error | null, reply?: unknown) => void,
): void {
  let settled = false;
  const finish = (err: Error | null, reply?: unknown): void => {
    if (settled) return;
    settled = true;
    done(err, reply);
  };
  const req = request(
    {
      host: '127.0.0.1',
      port,
      path,
      method: 'POST',
      ...(agent === undefined ? {} : { agent }),
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    },
    (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('error', (err) => finish(err));
      res.on('end', () => {
        if (res.statusCode !== 200) {
          finish(new GatewayError(res.statusCode ?? 0, text));
          return;
        }
        try {
          finish(null, JSON.parse(text));
        } catch (err) {
          finish(err instanceof Error ? err : new Error(String(err)));
        }
      });
    },
  );
  req.setTimeout(REQUEST_TIMEOUT_MS, () => {
    req.destroy(new Error(`no answer from ${path} within ${REQUEST_TIMEOUT_MS / 1000} s`));
  });
  req.on('error', (err) => finish(err));
  req.end(body);
}

/** {@link postJson} as a promise, without a shared agent: for occasional requests. */
export function postJsonOnce(port: number, path: string, body: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    postJson(port, path, JSON.stringify(body), undefined, (err, reply) =>
      err === null ? resolve(reply) : reject(err),
    );
  });
}

/** The part of a /v3/kv/range reply this driver reads: `kvs` is absent when nothing matched. */
interface RangeReply {
  readonly kvs?: readonly unknown[];
}

export interface EtcdGatewayTargetOptions {
  readonly name: string;
  /** The member's client port (the gateway shares it with gRPC). */
  readonly port: number;
  /** Key names by index (see keyspace.ts). */
  readonly keys: readonly string[];
  readonly value: Buffer;
  readonly serverPids: readonly (number | undefined)[];
  /** Range with "serializable": true. */
  readonly serializable?: boolean;
}

class EtcdGatewayConnection implements KvConnection {
  private readonly agent: Agent;

  constructor(
    private readonly port: number,
    private readonly putBodies: readonly string[],
    private readonly rangeBodies: readonly string[],
    depth: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: depth });
  }

  run(op: Operation, keys: readonly number[]): Promise<BatchOutcome> {
    return new Promise((resolve) => {
      let pending = keys.length;
      let failed = 0;
      let misses = 0;
      let error: Error | undefined;
      const settle = (err: Error | null, reply?: unknown): void => {
        if (err !== null) {
          failed++;
          error ??= err;
        } else if (op === 'get' && ((reply as RangeReply).kvs?.length ?? 0) === 0) {
          misses++;
        }
        if (--pending > 0) return;
        if (failed === 0 && misses === 0) resolve(BATCH_OK);
        else resolve(error === undefined ? { failed, misses } : { failed, misses, error });
      };
      for (const k of keys) {
        if (op === 'set') postJson(this.port, '/v3/kv/put', this.putBodies[k]!, this.agent, settle);
        else postJson(this.port, '/v3/kv/range', this.rangeBodies[k]!, this.agent, settle);
      }
    });
  }

  close(): Promise<void> {
    this.agent.destroy();
    return Promise.resolve();
  }
}

export function etcdGatewayTarget(options: EtcdGatewayTargetOptions): KvTarget {
  const value = options.value.toString('base64');
  const encoded = options.keys.map((k) => Buffer.from(k).toString('base64'));
  // Built once: the same key always sends the same body.
  const putBodies = encoded.map((k) => `{"key":"${k}","value":"${value}"}`);
  const serializable = options.serializable === true ? ',"serializable":true' : '';
  const rangeBodies = encoded.map((k) => `{"key":"${k}"${serializable}}`);
  return {
    name: options.name,
    serverPids: options.serverPids,
    // Each client's agent keeps as many connections as its largest batch has requests.
    connect(depth: number): Promise<KvConnection> {
      return Promise.resolve(
        new EtcdGatewayConnection(options.port, putBodies, rangeBodies, depth),
      );
    },
  };
}

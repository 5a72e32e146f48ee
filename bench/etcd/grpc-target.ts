/**
 * The load generator's driver for etcd's gRPC API: KV.Put and KV.Range through @grpc/grpc-js
 * with the codec of kv-codec.ts. Each client is its own channel, so its own HTTP/2 connection
 * (grpc-js would otherwise share one connection between channels to the same address); a
 * batch of more than one request is that many concurrent calls on the connection, HTTP/2's
 * counterpart of a RESP pipeline.
 */
import { Client, credentials, type ServiceError } from '@grpc/grpc-js';
import {
  BATCH_OK,
  type BatchOutcome,
  type KvConnection,
  type KvTarget,
  type Operation,
} from '../load.js';
import {
  PUT_METHOD,
  RANGE_METHOD,
  decodePutResponse,
  decodeRangeResponse,
  encodePutRequest,
  encodeRangeRequest,
  type PutRequest,
  type PutResponse,
  type RangeRequest,
  type RangeResponse,
} from './kv-codec.js';

export interface EtcdGrpcTargetOptions {
  readonly name: string;
  /** host:port of the member's client URL. */
  readonly address: string;
  /** Key names by index (see keyspace.ts). */
  readonly keys: readonly string[];
  readonly value: Buffer;
  readonly serverPids: readonly (number | undefined)[];
  /** Range with serializable = true: the member answers from its own state. */
  readonly serializable?: boolean;
}

/** A call unanswered for this long fails, so that a stalled cluster cannot hang the run. */
const CALL_TIMEOUT_MS = 10_000;

/** One gRPC channel to one etcd member, with promise-returning Put and Range. */
export class EtcdKvClient {
  private readonly client: Client;

  constructor(address: string) {
    this.client = new Client(address, credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
    });
  }

  /** Resolves once the channel is connected. */
  ready(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.waitForReady(Date.now() + timeoutMs, (err) => {
        if (err === undefined) resolve();
        else reject(err);
      });
    });
  }

  putWith(request: PutRequest, done: (err: ServiceError | null, res?: PutResponse) => void): void {
    this.client.makeUnaryRequest(
      PUT_METHOD,
      encodePutRequest,
      decodePutResponse,
      request,
      { deadline: Date.now() + CALL_TIMEOUT_MS },
      done,
    );
  }

  rangeWith(
    request: RangeRequest,
    done: (err: ServiceError | null, res?: RangeResponse) => void,
  ): void {
    this.client.makeUnaryRequest(
      RANGE_METHOD,
      encodeRangeRequest,
      decodeRangeResponse,
      request,
      { deadline: Date.now() + CALL_TIMEOUT_MS },
      done,
    );
  }

  put(request: PutRequest): Promise<PutResponse> {
    return new Promise((resolve, reject) => {
      this.putWith(request, (err, res) => (err === null ? resolve(res!) : reject(err)));
    });
  }

  range(request: RangeRequest): Promise<RangeResponse> {
    return new Promise((resolve, reject) => {
      this.rangeWith(request, (err, res) => (err === null ? resolve(res!) : reject(err)));
    });
  }

  close(): void {
    this.client.close();
  }
}

class EtcdGrpcConnection implements KvConnection {
  /** Requests by key index, built once: the same key always sends the same message. */
  constructor(
    private readonly client: EtcdKvClient,
    private readonly puts: readonly PutRequest[],
    private readonly ranges: readonly RangeRequest[],
  ) {}

  run(op: Operation, keys: readonly number[]): Promise<BatchOutcome> {
    return new Promise((resolve) => {
      let pending = keys.length;
      let failed = 0;
      let misses = 0;
      let error: Error | undefined;
      const settle = (err: ServiceError | null, missed: boolean): void => {
        if (err !== null) {
          failed++;
          error ??= err;
        } else if (missed) {
          misses++;
        }
        if (--pending > 0) return;
        if (failed === 0 && misses === 0) resolve(BATCH_OK);
        else resolve(error === undefined ? { failed, misses } : { failed, misses, error });
      };
      for (const k of keys) {
        if (op === 'set') this.client.putWith(this.puts[k]!, (err) => settle(err, false));
        else
          this.client.rangeWith(this.ranges[k]!, (err, res) =>
            settle(err, res !== undefined && res.kvs.length === 0),
          );
      }
    });
  }

  close(): Promise<void> {
    this.client.close();
    return Promise.resolve();
  }
}

export function etcdGrpcTarget(options: EtcdGrpcTargetOptions): KvTarget {
  const puts = options.keys.map((k) => ({ key: Buffer.from(k), value: options.value }));
  const ranges = options.keys.map((k) => ({
    key: Buffer.from(k),
    serializable: options.serializable === true,
  }));
  return {
    name: options.name,
    serverPids: options.serverPids,
    async connect(): Promise<KvConnection> {
      const client = new EtcdKvClient(options.address);
      try {
        await client.ready(10_000);
      } catch (err) {
        client.close();
        throw err;
      }
      return new EtcdGrpcConnection(client, puts, ranges);
    },
  };
}

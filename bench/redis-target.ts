/**
 * The load generator's driver for RESP servers (Redraft and redis-server), through ioredis:
 * one connection per client, a batch of more than one request sent as one pipeline.
 */
import { Redis } from 'ioredis';
import {
  BATCH_OK,
  type BatchOutcome,
  type KvConnection,
  type KvTarget,
  type Operation,
} from './load.js';

export type ReadConsistency = 'linearizable' | 'lease' | 'stale';

export interface RedisTargetOptions {
  readonly name: string;
  readonly port: number;
  /** Key names by index (see keyspace.ts). */
  readonly keys: readonly string[];
  readonly value: Buffer;
  /**
   * When given, SETs write these in turn instead of `value` (each connection from its own
   * position), so that nearly every write changes its key's value.
   */
  readonly values?: readonly Buffer[];
  readonly serverPids: readonly (number | undefined)[];
  /** Redraft only: sent as `READCONSISTENCY <mode>` on each connection before its first read. */
  readonly readConsistency?: ReadConsistency;
}

/** A request unanswered for this long fails, so that a stalled server cannot hang the run. */
const COMMAND_TIMEOUT_MS = 10_000;

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

class RedisConnection implements KvConnection {
  /** Where in `options.values` the next SET's value is. */
  private nextValue = 0;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisTargetOptions,
  ) {}

  private value(): Buffer {
    const { values, value } = this.options;
    if (values === undefined || values.length === 0) return value;
    const v = values[this.nextValue]!;
    this.nextValue = (this.nextValue + 1) % values.length;
    return v;
  }

  async run(op: Operation, keys: readonly number[]): Promise<BatchOutcome> {
    const names = this.options.keys;
    if (keys.length === 1) {
      const name = names[keys[0]!]!;
      try {
        if (op === 'set') {
          await this.redis.set(name, this.value());
          return BATCH_OK;
        }
        return (await this.redis.getBuffer(name)) === null ? { failed: 0, misses: 1 } : BATCH_OK;
      } catch (err) {
        return { failed: 1, misses: 0, error: asError(err) };
      }
    }
    const pipeline = this.redis.pipeline();
    for (const k of keys) {
      if (op === 'set') pipeline.set(names[k]!, this.value());
      else pipeline.getBuffer(names[k]!);
    }
    try {
      const replies = (await pipeline.exec()) ?? [];
      let failed = keys.length - replies.length;
      let misses = 0;
      let error: Error | undefined;
      for (const [err, reply] of replies) {
        if (err !== null) {
          failed++;
          error ??= err;
        } else if (reply === null) {
          misses++;
        }
      }
      if (failed === 0 && misses === 0) return BATCH_OK;
      return error === undefined ? { failed, misses } : { failed, misses, error };
    } catch (err) {
      return { failed: keys.length, misses: 0, error: asError(err) };
    }
  }

  close(): Promise<void> {
    this.redis.disconnect();
    return Promise.resolve();
  }
}

export function redisTarget(options: RedisTargetOptions): KvTarget {
  return {
    name: options.name,
    serverPids: options.serverPids,
    async connect(): Promise<KvConnection> {
      const redis = new Redis({
        host: '127.0.0.1',
        port: options.port,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        enableOfflineQueue: false,
        retryStrategy: () => null,
        commandTimeout: COMMAND_TIMEOUT_MS,
      });
      await redis.connect();
      if (options.readConsistency !== undefined) {
        const reply = await redis.call('READCONSISTENCY', options.readConsistency);
        if (reply !== 'OK') {
          redis.disconnect();
          throw new Error(`READCONSISTENCY ${options.readConsistency}: ${String(reply)}`);
        }
      }
      return new RedisConnection(redis, options);
    },
  };
}

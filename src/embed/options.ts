/**
 * The tuning shared by `startNode` and `startCluster`, and the checks every option goes
 * through before anything is opened or bound: a mistake is reported by name, as an
 * {@link InvalidOptionsError}, instead of surfacing later as a node that never elects.
 */
import type { Logger } from 'pino';
import type { Codec } from './codec.js';
import { InvalidOptionsError } from './errors.js';
import type { AnyStateMachine } from './state-machine.js';

const MiB = 1024 * 1024;

/**
 * The largest command the peer transport can carry: one entry must fit in one 64 MiB gRPC
 * message together with the Raft message around it.
 */
export const MAX_COMMAND_BYTES_LIMIT = 63 * MiB;

/** Timing, snapshot and size settings of a node (all optional). */
export interface RaftTuning {
  /** Milliseconds one Raft tick stands for. Default 100 for a node, 50 in a test cluster. */
  readonly tickMs?: number;
  /**
   * Ticks without a heartbeat before a follower campaigns (randomized up to twice this).
   * Default 10. Must exceed `heartbeatTicks`.
   */
  readonly electionTicks?: number;
  /** Ticks between the leader's heartbeats. Default 1. */
  readonly heartbeatTicks?: number;
  /** Commands applied between two snapshots (each followed by log compaction). Default 100000. */
  readonly snapshotEntries?: number;
  /** How long a linearizable or lease read may wait. Default three election timeouts. */
  readonly requestTimeoutMs?: number;
  /** The largest encoded command `propose` accepts. Default 32 MiB, at most 63 MiB. */
  readonly maxCommandBytes?: number;
  /**
   * fsync the log before acknowledging (default true). Turning it off trades durability for
   * speed: a machine crash may lose acknowledged commands.
   */
  readonly sync?: boolean;
}

/** {@link RaftTuning} with every default filled in and every value checked. */
export interface ResolvedTuning {
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly snapshotEntries: number;
  readonly requestTimeoutMs: number;
  readonly maxCommandBytes: number;
  readonly sync: boolean;
}

/** Throws {@link InvalidOptionsError} with `message`. */
export function fail(message: string): never {
  throw new InvalidOptionsError(message);
}

/** Checks that option `name` is an object (not null). */
export function requireObject(name: string, value: unknown): void {
  if (typeof value !== 'object' || value === null) fail(`${name} must be an object`);
}

/** Checks that option `name` is a safe integer in [min, max] and returns it. */
export function requireInteger(
  name: string,
  value: unknown,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `${min}..${max}`;
    fail(`${name} must be an integer ${range}, got ${describeValue(value)}`);
  }
  return value;
}

/** A node id: a positive integer (0 means "no node" inside Raft). */
export function requireNodeId(name: string, value: unknown): number {
  return requireInteger(name, value, 1);
}

/** `host:port`; port 0 (pick a free port) only where `allowPortZero`. */
export function requireAddress(name: string, value: unknown, allowPortZero: boolean): string {
  if (typeof value !== 'string')
    fail(`${name} must be a "host:port" string, got ${describeValue(value)}`);
  const colon = value.lastIndexOf(':');
  const host = value.slice(0, colon);
  const port = value.slice(colon + 1);
  const portNumber = Number(port);
  if (
    colon <= 0 ||
    !/^\d{1,5}$/.test(port) ||
    portNumber > 65535 ||
    (portNumber === 0 && !allowPortZero) ||
    /\s/.test(host)
  ) {
    fail(`${name} must be "host:port" with a port 1..65535, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Checks that option `name` is a non-empty string and returns it. */
export function requireString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    fail(`${name} must be a non-empty string, got ${describeValue(value)}`);
  }
  return value;
}

/** Checks that option `name` has the methods the node calls on a state machine. */
export function requireStateMachine(name: string, value: unknown): AnyStateMachine {
  requireObject(name, value);
  for (const method of ['apply', 'snapshot', 'restore'] as const) {
    if (typeof (value as Record<string, unknown>)[method] !== 'function') {
      fail(`${name} must have a method ${method}()`);
    }
  }
  return value as AnyStateMachine;
}

/** Checks that option `name` has the methods the node calls on a codec. */
export function requireCodec(name: string, value: unknown): Codec<unknown> {
  requireObject(name, value);
  for (const method of ['encode', 'decode'] as const) {
    if (typeof (value as Record<string, unknown>)[method] !== 'function') {
      fail(`${name} must have a method ${method}()`);
    }
  }
  return value as Codec<unknown>;
}

/** A pino logger, or undefined for none. */
export function optionalLogger(value: unknown): Logger | undefined {
  if (value === undefined) return undefined;
  requireObject('logger', value);
  if (typeof (value as Record<string, unknown>).child !== 'function') {
    fail('logger must be a pino logger (it has no child() method)');
  }
  return value as Logger;
}

/** Checks `tuning` and fills in the defaults (`defaultTickMs` for an unset `tickMs`). */
export function resolveTuning(tuning: RaftTuning, defaultTickMs: number): ResolvedTuning {
  const tickMs = requireInteger('tickMs', tuning.tickMs ?? defaultTickMs, 1, 60_000);
  const electionTicks = requireInteger('electionTicks', tuning.electionTicks ?? 10, 2, 10_000);
  const heartbeatTicks = requireInteger('heartbeatTicks', tuning.heartbeatTicks ?? 1, 1, 10_000);
  if (heartbeatTicks >= electionTicks) {
    fail(
      `heartbeatTicks (${heartbeatTicks}) must be below electionTicks (${electionTicks}): followers would campaign between heartbeats`,
    );
  }
  const snapshotEntries = requireInteger('snapshotEntries', tuning.snapshotEntries ?? 100_000, 1);
  const requestTimeoutMs = requireInteger(
    'requestTimeoutMs',
    tuning.requestTimeoutMs ?? tickMs * electionTicks * 3,
    1,
  );
  const maxCommandBytes = requireInteger(
    'maxCommandBytes',
    tuning.maxCommandBytes ?? 32 * MiB,
    1,
    MAX_COMMAND_BYTES_LIMIT,
  );
  const sync = tuning.sync ?? true;
  if (typeof sync !== 'boolean') fail(`sync must be a boolean, got ${describeValue(sync)}`);
  return {
    tickMs,
    electionTicks,
    heartbeatTicks,
    snapshotEntries,
    requestTimeoutMs,
    maxCommandBytes,
    sync,
  };
}

/** A short description of an option's value for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

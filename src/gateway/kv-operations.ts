import { RedraftError } from '../errors.js';
import type { QueuedCommand, WatchedKey } from '../fsm/entry-codec.js';
import { DATABASES } from '../fsm/kv-state-machine.js';
import { keyBytes, keyOf, type Keyspace, type StoredEntry } from '../fsm/keyspace.js';
import type { Result } from '../fsm/result.js';
import type { ChangeFeed } from '../node/change-feed.js';
import type { KvService } from '../node/kv-service.js';
import type { ReadConsistency } from '../node/raft-node.js';
import type {
  Compare,
  DeleteRequest,
  DeleteResult,
  GetRequest,
  GetResult,
  KeyRecord,
  ProveFunction,
  ProveResult,
  PutRequest,
  PutResult,
  RangeRequest,
  RangeResult,
  TxnOp,
  TxnRequest,
  TxnResult,
  WatchRequest,
} from './model.js';
import { decodePageToken, encodePageToken, selectPage } from './range-page.js';
import {
  compareHolds,
  deleteCommand,
  indexCommand,
  opCommand,
  opResult,
  printable,
  resultNumber,
  setCommand,
  transactionResults,
  type ComparedKey,
} from './txn.js';
import { WatchStream } from './watch-stream.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 10_000;
/** A page ends early once its values pass this many bytes (it always holds one key). */
const PAGE_BYTES = 4 * 1024 * 1024;
/** A TTL beyond a century is surely a mistake (and would overflow Redis's expiry arithmetic). */
export const MAX_TTL_MS = 100 * 365 * 24 * 3600 * 1000;
export const MAX_COMPARES = 128;
export const MAX_TXN_OPS = 1024;
/** Reads-then-proposals a transaction tries before giving up under contention. */
const TXN_ATTEMPTS = 16;
/** Bytes an entry spends besides its keys and values (headers, command names, arguments). */
const ENTRY_OVERHEAD = 64;

export interface KvOperationsOptions {
  readonly kv: KvService;
  readonly feed: ChangeFeed;
  /** Consistency of reads that do not choose one (the node's --read-consistency). */
  readonly defaultConsistency: ReadConsistency;
  readonly prove?: ProveFunction | undefined;
}

/**
 * The operations of the gRPC KV service and the REST /v1/kv routes, over the same
 * {@link KvService} RESP uses: writes go through the Raft log (a follower forwards them to the
 * leader), reads are served from local state at the consistency asked for. Every write is
 * one transaction entry that ends with `__index`, so the caller learns the index its write
 * applied at — the key's new version. Failures throw {@link RedraftError}.
 */
export class KvOperations {
  private readonly kv: KvService;
  private readonly feed: ChangeFeed;
  private readonly defaultConsistency: ReadConsistency;
  private readonly prover: ProveFunction | undefined;

  constructor(options: KvOperationsOptions) {
    this.kv = options.kv;
    this.feed = options.feed;
    this.defaultConsistency = options.defaultConsistency;
    this.prover = options.prove;
  }

  async get(req: GetRequest): Promise<GetResult> {
    checkDb(req.db);
    return this.kv.readWith(req.consistency ?? this.defaultConsistency, (fsm, now) => ({
      record: toRecord(req.key, fsm.dbs[req.db]!.get(keyOf(req.key), now), true),
      appliedIndex: this.kv.node.applied,
    }));
  }

  async put(req: PutRequest): Promise<PutResult> {
    checkDb(req.db);
    checkTtl(req.ttlMs);
    this.checkSize(req.key.length + req.value.length);
    const c = req.condition;
    const watches: WatchedKey[] =
      c.kind === 'version' ? [{ db: req.db, key: req.key, version: checkVersion(c.version) }] : [];
    const commands = [
      setCommand(req.db, req.key, req.value, req.ttlMs, c.kind === 'absent'),
      indexCommand(req.db),
    ];
    const results = await this.propose(watches, commands, () =>
      conditionFailed(req.key, c.kind === 'version' ? c.version : undefined),
    );
    if (results[0] === null) throw conditionFailed(req.key, undefined);
    return { version: resultNumber(results[1]) };
  }

  async delete(req: DeleteRequest): Promise<DeleteResult> {
    checkDb(req.db);
    this.checkSize(req.key.length);
    const watches: WatchedKey[] =
      req.ifVersion === undefined
        ? []
        : [{ db: req.db, key: req.key, version: checkVersion(req.ifVersion) }];
    const results = await this.propose(
      watches,
      [deleteCommand(req.db, req.key), indexCommand(req.db)],
      () => conditionFailed(req.key, req.ifVersion),
    );
    return { deleted: resultNumber(results[0]) > 0, index: resultNumber(results[1]) };
  }

  async range(req: RangeRequest): Promise<RangeResult> {
    checkDb(req.db);
    const limit = req.limit ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      throw new RedraftError('BAD_REQUEST', `limit must be between 1 and ${MAX_PAGE_SIZE}`);
    }
    const prefix = keyOf(req.prefix);
    const after = decodePageToken(req.pageToken ?? '', req.db, prefix);
    const withValues = req.keysOnly !== true;
    return this.kv.readWith(req.consistency ?? this.defaultConsistency, (fsm, now) => {
      const db = fsm.dbs[req.db]!;
      const page = selectPage(db.entries, prefix, after, limit, now);
      const records: KeyRecord[] = [];
      let bytes = 0;
      for (const key of page.keys) {
        if (records.length > 0 && bytes >= PAGE_BYTES) break;
        const record = toRecord(keyBytes(key), db.entries.get(key), withValues)!;
        bytes += record.key.length + (record.value?.length ?? 0);
        records.push(record);
      }
      const cut = records.length < page.keys.length;
      const last = records[records.length - 1];
      return {
        records,
        nextPageToken:
          (page.more || cut) && last !== undefined ? encodePageToken(req.db, keyOf(last.key)) : '',
        appliedIndex: this.kv.node.applied,
      };
    });
  }

  async txn(req: TxnRequest): Promise<TxnResult> {
    checkDb(req.db);
    checkTxnShape(req);
    this.checkSize(txnBytes(req));
    for (let attempt = 0; attempt < TXN_ATTEMPTS; attempt++) {
      // Linearizable whatever the node's default: a stale read would only make the
      // proposal abort, but a comparison must not be judged on data the cluster has
      // overwritten already when it fails (the failure branch runs on that judgement).
      const seen =
        req.compare.length === 0
          ? []
          : await this.kv.readWith('linearizable', (fsm, now) =>
              req.compare.map((c) => readCompared(fsm.dbs[req.db]!, c.key, now)),
            );
      const succeeded = req.compare.every((c, i) => compareHolds(c, seen[i]!));
      const ops = succeeded ? req.success : req.failure;
      const watches = guardVersions(req.db, req.compare, seen);
      const commands = ops.map((op) => opCommand(req.db, op));
      commands.push(indexCommand(req.db));
      const result = await this.kv.transaction(watches, commands);
      if (result === null) continue; // a compared key changed meanwhile: judge again
      const results = transactionResults(result, commands.length);
      const index = resultNumber(results[results.length - 1]);
      return { succeeded, results: ops.map((op, i) => opResult(op, results[i], index)), index };
    }
    throw new RedraftError(
      'CONTENDED',
      `the compared keys kept changing; the transaction was not applied after ${TXN_ATTEMPTS} attempts`,
    );
  }

  /** A stream of the committed changes the request asks for; see {@link WatchStream}. */
  watch(req: WatchRequest): WatchStream {
    checkDb(req.db);
    if (!Number.isSafeInteger(req.startIndex) || req.startIndex < 0) {
      throw new RedraftError('BAD_REQUEST', 'start index must be a non-negative integer');
    }
    return new WatchStream(this.feed.open(req.startIndex), {
      db: req.db,
      prefix: keyOf(req.prefix),
    });
  }

  async prove(db: number, key: Buffer, tag: string | undefined): Promise<ProveResult> {
    checkDb(db);
    if (this.prover === undefined) {
      throw new RedraftError('NOT_IMPLEMENTED', 'this node does not serve Merkle proofs');
    }
    const p = await this.prover(db, key, tag === '' ? undefined : tag);
    return {
      found: p.value !== null,
      value: p.value ?? undefined,
      root: p.root,
      index: p.index,
      proof: Buffer.from(p.proof.buffer, p.proof.byteOffset, p.proof.byteLength),
    };
  }

  /**
   * Proposes one gateway transaction; `aborted` makes the error for a WATCH guard that
   * failed (the entry applied as nil).
   */
  private async propose(
    watches: readonly WatchedKey[],
    commands: readonly QueuedCommand[],
    aborted: () => RedraftError,
  ): Promise<readonly Result[]> {
    const result = await this.kv.transaction(watches, commands);
    if (result === null) throw aborted();
    return transactionResults(result, commands.length);
  }

  private checkSize(bytes: number): void {
    const limit = this.kv.maxEntryBytes;
    if (bytes + ENTRY_OVERHEAD > limit) {
      throw new RedraftError(
        'TOO_LARGE',
        `a write of ${bytes} bytes exceeds the ${limit}-byte limit of one replicated entry`,
      );
    }
  }
}

export function checkDb(db: number): void {
  if (!Number.isInteger(db) || db < 0 || db >= DATABASES) {
    throw new RedraftError('BAD_REQUEST', `db must be between 0 and ${DATABASES - 1}`);
  }
}

function checkTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 0 || ttlMs > MAX_TTL_MS) {
    throw new RedraftError('BAD_REQUEST', `ttl must be between 0 and ${MAX_TTL_MS} ms`);
  }
}

function checkVersion(version: number): number {
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new RedraftError('BAD_REQUEST', 'a version is a non-negative integer');
  }
  return version;
}

function checkTxnShape(req: TxnRequest): void {
  if (req.compare.length > MAX_COMPARES) {
    throw new RedraftError('BAD_REQUEST', `a transaction compares at most ${MAX_COMPARES} keys`);
  }
  if (req.success.length > MAX_TXN_OPS || req.failure.length > MAX_TXN_OPS) {
    throw new RedraftError('BAD_REQUEST', `a transaction branch has at most ${MAX_TXN_OPS} ops`);
  }
  for (const c of req.compare) {
    if (c.target.kind === 'version') checkVersion(c.target.version);
  }
  for (const op of [...req.success, ...req.failure]) checkOp(op);
}

/** The key and value bytes a transaction's entry carries at most (either branch may run). */
function txnBytes(req: TxnRequest): number {
  const opBytes = (ops: readonly TxnOp[]): number =>
    ops.reduce((n, op) => n + op.key.length + (op.kind === 'put' ? op.value.length : 0), 0);
  const compared = req.compare.reduce((n, c) => n + c.key.length, 0);
  return compared + Math.max(opBytes(req.success), opBytes(req.failure));
}

function checkOp(op: TxnOp): void {
  if (op.kind === 'put') checkTtl(op.ttlMs);
}

/** One guard per compared key, at the version the comparison was judged on. */
function guardVersions(
  db: number,
  compares: readonly Compare[],
  seen: readonly ComparedKey[],
): WatchedKey[] {
  const byKey = new Map<string, WatchedKey>();
  compares.forEach((c, i) => {
    byKey.set(keyOf(c.key), { db, key: c.key, version: seen[i]!.version });
  });
  return [...byKey.values()];
}

function readCompared(db: Keyspace, key: Buffer, now: number): ComparedKey {
  const k = keyOf(key);
  return { entry: db.get(k, now), version: db.versionOf(k, now) };
}

function toRecord(
  key: Buffer,
  entry: StoredEntry | undefined,
  withValue: boolean,
): KeyRecord | undefined {
  if (entry === undefined) return undefined;
  return {
    key,
    type: entry.value.type,
    value: withValue && entry.value.type === 'string' ? entry.value.value : undefined,
    version: entry.version,
    expireAtMs: entry.expireAt,
  };
}

function conditionFailed(key: Buffer, expectedVersion: number | undefined): RedraftError {
  return new RedraftError(
    'CONDITION_FAILED',
    expectedVersion === undefined
      ? `key ${printable(key)} already exists`
      : `key ${printable(key)} is not at version ${expectedVersion}`,
  );
}

/** Turns whatever a KvService call threw into a RedraftError (the gateways' one error type). */
export function asRedraftError(err: unknown): RedraftError {
  if (err instanceof RedraftError) return err;
  if (err instanceof Error && err.name === 'MalformedEntryError') {
    return new RedraftError('BAD_REQUEST', err.message);
  }
  return new RedraftError('INTERNAL', err instanceof Error ? err.message : String(err));
}

/**
 * etcd's KV.Put and KV.Range messages <-> protobuf bytes, with the schema in kv.proto (loaded
 * with protobufjs when this module loads). 64-bit fields come out as bigint: cluster and member
 * ids use all 64 bits.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** kv.proto beside this module's source, reached from the compiled file (dist/bench/etcd). */
const KV_PROTO_PATH: string = (() => {
  const candidates = ['../../../bench/etcd/kv.proto', './kv.proto'].map((rel) =>
    fileURLToPath(new URL(rel, import.meta.url)),
  );
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) throw new Error(`kv.proto not found at ${candidates.join(' or ')}`);
  return found;
})();

const root = new protobuf.Root().loadSync(KV_PROTO_PATH, { keepCase: false });
root.resolveAll();
const type = (name: string): protobuf.Type => root.lookupType(`etcdserverpb.${name}`);
const PutRequestType = type('PutRequest');
const PutResponseType = type('PutResponse');
const RangeRequestType = type('RangeRequest');
const RangeResponseType = type('RangeResponse');

export const PUT_METHOD = '/etcdserverpb.KV/Put';
export const RANGE_METHOD = '/etcdserverpb.KV/Range';

export interface ResponseHeader {
  readonly clusterId: bigint;
  readonly memberId: bigint;
  readonly revision: bigint;
  readonly raftTerm: bigint;
}

export interface KeyValue {
  readonly key: Buffer;
  readonly createRevision: bigint;
  readonly modRevision: bigint;
  readonly version: bigint;
  readonly value: Buffer;
  readonly lease: bigint;
}

export interface PutRequest {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  /** Ask for the previous key-value pair in the response. */
  readonly prevKv?: boolean;
}

export interface PutResponse {
  readonly header: ResponseHeader | undefined;
  readonly prevKv: KeyValue | undefined;
}

export interface RangeRequest {
  readonly key: Uint8Array;
  /** Served by the member from its own state, without confirming leadership (may be stale). */
  readonly serializable?: boolean;
}

export interface RangeResponse {
  readonly header: ResponseHeader | undefined;
  readonly kvs: readonly KeyValue[];
  readonly more: boolean;
  readonly count: bigint;
}

/** protobufjs gives int64 fields as Long (long.js is installed) or, without it, as number. */
type Int64 = number | { toString(): string };

interface DecodedHeader {
  clusterId: Int64;
  memberId: Int64;
  revision: Int64;
  raftTerm: Int64;
}

interface DecodedKeyValue {
  key: Uint8Array;
  createRevision: Int64;
  modRevision: Int64;
  version: Int64;
  value: Uint8Array;
  lease: Int64;
}

const big = (v: Int64): bigint => BigInt(v.toString());

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function header(h: DecodedHeader | null | undefined): ResponseHeader | undefined {
  if (h === null || h === undefined) return undefined;
  return {
    clusterId: big(h.clusterId),
    memberId: big(h.memberId),
    revision: big(h.revision),
    raftTerm: big(h.raftTerm),
  };
}

function keyValue(kv: DecodedKeyValue): KeyValue {
  return {
    key: asBuffer(kv.key),
    createRevision: big(kv.createRevision),
    modRevision: big(kv.modRevision),
    version: big(kv.version),
    value: asBuffer(kv.value),
    lease: big(kv.lease),
  };
}

function encode(t: protobuf.Type, message: object): Buffer {
  const bytes = t.encode(message).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// protobufjs writes a field that is present even when it holds proto3's default; the flags are
// passed on only when set, so that the bytes are the canonical proto3 encoding etcd's own
// clients send.

export function encodePutRequest(request: PutRequest): Buffer {
  return encode(
    PutRequestType,
    request.prevKv === true
      ? { key: request.key, value: request.value, prevKv: true }
      : { key: request.key, value: request.value },
  );
}

export function encodeRangeRequest(request: RangeRequest): Buffer {
  return encode(
    RangeRequestType,
    request.serializable === true ? { key: request.key, serializable: true } : { key: request.key },
  );
}

export function decodePutResponse(bytes: Uint8Array): PutResponse {
  const m = PutResponseType.decode(bytes) as unknown as {
    header?: DecodedHeader | null;
    prevKv?: DecodedKeyValue | null;
  };
  return {
    header: header(m.header),
    prevKv: m.prevKv === null || m.prevKv === undefined ? undefined : keyValue(m.prevKv),
  };
}

export function decodeRangeResponse(bytes: Uint8Array): RangeResponse {
  const m = RangeResponseType.decode(bytes) as unknown as {
    header?: DecodedHeader | null;
    kvs: DecodedKeyValue[];
    more: boolean;
    count: Int64;
  };
  return {
    header: header(m.header),
    kvs: m.kvs.map(keyValue),
    more: m.more,
    count: big(m.count),
  };
}

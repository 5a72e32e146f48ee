import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as ClusterProto } from './generated/cluster.js';
import type { ProtoGrpcType as KvProto } from './generated/kv.js';
import type { ClusterDefinition } from './generated/redraft/v1/Cluster.js';
import type { KVDefinition } from './generated/redraft/v1/KV.js';

/** The repository's proto/ folder (shipped with the package: package.json "files"). */
export const PROTO_ROOT = fileURLToPath(new URL('../../../../proto/', import.meta.url));

export const KV_PROTO = 'redraft/v1/kv.proto';
export const CLUSTER_PROTO = 'redraft/v1/cluster.proto';
/** For reflection only (see the file's header); the health service itself comes from grpc-health-check. */
export const HEALTH_PROTO = 'grpc/health/v1/health.proto';

/**
 * How messages map to JavaScript, on the server and in tests' client stubs alike; the types
 * in ./generated were written with the same choices (`npm run proto:gen`). 64-bit integers
 * are numbers: indexes, versions and TTLs stay far below 2^53.
 */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

export interface GatewayProtos {
  readonly kv: KVDefinition;
  readonly cluster: ClusterDefinition;
  /** Every service this server offers, health included, for reflection. */
  readonly reflected: protoLoader.PackageDefinition;
}

export function loadGatewayProtos(): GatewayProtos {
  const api = protoLoader.loadSync([KV_PROTO, CLUSTER_PROTO], PROTO_LOADER_OPTIONS);
  const kv = api['redraft.v1.KV'] as unknown as KVDefinition;
  const cluster = api['redraft.v1.Cluster'] as unknown as ClusterDefinition;
  // Reflection describes the files as written (snake_case field names), whatever names the
  // handlers see; both describe the same wire format.
  const asWritten = { ...PROTO_LOADER_OPTIONS, keepCase: true };
  const reflected = protoLoader.loadSync([KV_PROTO, CLUSTER_PROTO, HEALTH_PROTO], asWritten);
  return { kv, cluster, reflected };
}

export type { ClusterProto, KvProto };

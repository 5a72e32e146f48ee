import type { Logger } from 'pino';
import type { ClusterAdmin } from '../node/cluster-admin.js';
import { ChangeFeed } from '../node/change-feed.js';
import type { KvService } from '../node/kv-service.js';
import type { ReadConsistency } from '../node/raft-node.js';
import type { TlsMaterial } from '../security/tls-material.js';
import { GrpcGateway } from './grpc/grpc-gateway.js';
import { raftHealth, type HealthProbe, type MetricsSource } from './health.js';
import { HttpGateway } from './http/http-gateway.js';
import { KvOperations } from './kv-operations.js';
import type { ProveFunction } from './model.js';

export interface GatewaysOptions {
  readonly kv: KvService;
  readonly logger: Logger;
  readonly http: { readonly host: string; readonly port: number };
  readonly grpc: { readonly host: string; readonly port: number };
  /** The node's --read-consistency: reads that do not choose one get it. */
  readonly defaultConsistency: ReadConsistency;
  /** The client ports' certificate (plaintext without); its CA makes client certificates required. */
  readonly tls?: TlsMaterial | undefined;
  /** Bearer token both gateways require ('': none). */
  readonly authToken: string;
  readonly version: string;
  /** Cluster administration (RAFT commands' implementation); absent: 501 / UNIMPLEMENTED. */
  readonly admin?: ClusterAdmin | undefined;
  /** Merkle proofs; absent: 501 / UNIMPLEMENTED. */
  readonly prove?: ProveFunction | undefined;
  /** Prometheus exposition for /metrics; absent: 501. */
  readonly metrics?: MetricsSource | undefined;
  /** Liveness and readiness; absent: derived from the Raft node ({@link raftHealth}). */
  readonly health?: HealthProbe | undefined;
}

/** The REST and gRPC gateways of one member, listening. */
export interface Gateways {
  readonly httpPort: number;
  readonly grpcPort: number;
  /** Closes both servers (ending watch streams) and the change feed. */
  close(): Promise<void>;
}

/**
 * Starts the REST and gRPC gateways over `kv`, sharing one change feed for watches. Close
 * them before the node stops: a request in flight then still reaches a running node.
 */
export async function startGateways(options: GatewaysOptions): Promise<Gateways> {
  const kv = options.kv;
  const feed = new ChangeFeed(kv.fsm, () => kv.node.applied);
  const ops = new KvOperations({
    kv,
    feed,
    defaultConsistency: options.defaultConsistency,
    prove: options.prove,
  });
  const health = options.health ?? raftHealth(kv);
  const shared = {
    ops,
    kv,
    admin: options.admin,
    health,
    tls: options.tls,
    authToken: options.authToken,
  };
  const grpc = new GrpcGateway({ ...shared, logger: options.logger });
  const http = new HttpGateway({
    ...shared,
    metrics: options.metrics,
    logger: options.logger,
    version: options.version,
  });
  try {
    const [httpPort, grpcPort] = await Promise.all([
      http.listen(options.http.host, options.http.port),
      grpc.listen(options.grpc.host, options.grpc.port),
    ]);
    return {
      httpPort,
      grpcPort,
      close: async () => {
        await Promise.all([http.close(), grpc.close()]);
        feed.close();
      },
    };
  } catch (err) {
    await Promise.allSettled([http.close(), grpc.close()]);
    feed.close();
    throw err;
  }
}

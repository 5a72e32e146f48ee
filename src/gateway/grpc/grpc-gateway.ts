import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import type { Logger } from 'pino';
import type { ClusterAdmin } from '../../node/cluster-admin.js';
import type { KvService } from '../../node/kv-service.js';
import { BearerToken, UNAUTHENTICATED_MESSAGE } from '../auth.js';
import { leaderHint, type HealthProbe } from '../health.js';
import type { KvOperations } from '../kv-operations.js';
import type { TlsMaterial } from '../../security/tls-material.js';
import { OpenStreams } from '../open-streams.js';
import { CallErrors } from './call-errors.js';
import { clusterHandlers } from './cluster-handlers.js';
import { kvHandlers } from './kv-handlers.js';
import { loadGatewayProtos } from './proto.js';
import { ERROR_CODE_KEY } from './status.js';

export interface GrpcGatewayOptions {
  readonly ops: KvOperations;
  readonly kv: KvService;
  /** Cluster administration; without it the Cluster service answers UNIMPLEMENTED. */
  readonly admin?: ClusterAdmin | undefined;
  /** What the standard health service reports (SERVING while ready). */
  readonly health: HealthProbe;
  readonly logger: Logger;
  readonly tls?: TlsMaterial | undefined;
  /** Callers must send `authorization: Bearer <token>`; '' or undefined: no token needed. */
  readonly authToken?: string | undefined;
}

/** Services a caller reaches without the token: orchestrators probe health without secrets. */
const OPEN_SERVICE_PREFIXES = ['/grpc.health.v1.Health/'];
/** The health service answers for the server as a whole ('') and for each API service. */
const HEALTH_SERVICES = ['', 'redraft.v1.KV', 'redraft.v1.Cluster'];
/** How often the health service's status follows the probe. */
const HEALTH_REFRESH_MS = 500;
/** Calls still running this long after close() are cancelled. */
const SHUTDOWN_GRACE_MS = 2_000;
/** Room beside the largest entry for a message's other fields. */
const MESSAGE_SLACK_BYTES = 1024 * 1024;

/**
 * The gRPC API of a member: `redraft.v1.KV`, `redraft.v1.Cluster`, the standard health
 * service and server reflection (so `grpcurl` needs no proto files), with optional TLS
 * (mutual when a client CA is given) and bearer-token authentication.
 */
export class GrpcGateway {
  private readonly server: grpc.Server;
  private readonly streams = new OpenStreams();
  private readonly healthService = new HealthImplementation(
    Object.fromEntries(HEALTH_SERVICES.map((s) => [s, 'NOT_SERVING'])),
  );
  private healthTimer: NodeJS.Timeout | undefined;
  private stopStateListener: (() => void) | undefined;
  private servingStatus: ServingStatus = 'NOT_SERVING';

  constructor(private readonly options: GrpcGatewayOptions) {
    const token =
      options.authToken === undefined || options.authToken === ''
        ? undefined
        : new BearerToken(options.authToken);
    const maxMessage = options.kv.maxEntryBytes + MESSAGE_SLACK_BYTES;
    this.server = new grpc.Server({
      'grpc.max_receive_message_length': maxMessage,
      // A range page holds up to ~4 MiB of values plus one value of any size.
      'grpc.max_send_message_length': maxMessage + 4 * 1024 * 1024,
      // Watches are long-lived: keep idle connections through proxies and notice dead peers.
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      interceptors: token === undefined ? [] : [authInterceptor(token)],
    });
    const protos = loadGatewayProtos();
    const errors = new CallErrors(
      () => leaderHint(options.kv),
      options.logger.child({ component: 'grpc' }),
    );
    this.server.addService(protos.kv, kvHandlers(options.ops, errors, this.streams));
    this.server.addService(protos.cluster, clusterHandlers(options.admin, errors));
    this.healthService.addToServer(this.server);
    new ReflectionService(protos.reflected).addToServer(this.server);
  }

  /** Listens on host:port (port 0 picks one); resolves with the bound port. */
  async listen(host: string, port: number): Promise<number> {
    const tls = this.options.tls;
    const credentials =
      tls === undefined
        ? grpc.ServerCredentials.createInsecure()
        : grpc.ServerCredentials.createSsl(
            tls.ca ?? null,
            [{ cert_chain: tls.cert, private_key: tls.key }],
            tls.ca !== undefined,
          );
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const bound = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(address, credentials, (err, p) => {
        if (err === null) resolve(p);
        else reject(new Error(`cannot listen for gRPC on ${address}: ${err.message}`));
      });
    });
    this.refreshHealth();
    this.stopStateListener = this.options.kv.node.onStateChange(() => {
      this.refreshHealth();
    });
    this.healthTimer = setInterval(() => {
      this.refreshHealth();
    }, HEALTH_REFRESH_MS);
    this.healthTimer.unref();
    return bound;
  }

  /**
   * Stops accepting calls, ends the watch streams (UNAVAILABLE: resume elsewhere) and waits
   * briefly for unary calls in flight before cancelling them.
   */
  async close(): Promise<void> {
    clearInterval(this.healthTimer);
    this.stopStateListener?.();
    this.setServing('NOT_SERVING');
    this.streams.stopAll();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, SHUTDOWN_GRACE_MS);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private refreshHealth(): void {
    let ready = false;
    try {
      ready = this.options.health.ready().ready;
    } catch {
      // A probe that throws says "not ready".
    }
    this.setServing(ready ? 'SERVING' : 'NOT_SERVING');
  }

  private setServing(status: ServingStatus): void {
    if (status === this.servingStatus) return;
    this.servingStatus = status;
    for (const service of HEALTH_SERVICES) {
      this.healthService.setStatus(service, status);
    }
  }
}

/** Refuses calls without the bearer token before they reach a handler. */
function authInterceptor(token: BearerToken): grpc.ServerInterceptor {
  return (method, call) => {
    if (OPEN_SERVICE_PREFIXES.some((p) => method.path.startsWith(p))) {
      return new grpc.ServerInterceptingCall(call);
    }
    return new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, forward) => {
            const header = metadata.get('authorization')[0];
            if (token.admits(typeof header === 'string' ? header : undefined)) {
              forward(metadata);
              return;
            }
            const trailer = new grpc.Metadata();
            trailer.set(ERROR_CODE_KEY, 'UNAUTHENTICATED');
            call.sendStatus({
              code: grpc.status.UNAUTHENTICATED,
              details: UNAUTHENTICATED_MESSAGE,
              metadata: trailer,
            });
          },
        });
      },
    });
  };
}

import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import {
  LogController,
  fastify,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifySchema,
} from 'fastify';
import type { Logger } from 'pino';
import { RedraftError } from '../../errors.js';
import type { ClusterAdmin } from '../../node/cluster-admin.js';
import type { KvService } from '../../node/kv-service.js';
import { BearerToken, UNAUTHENTICATED_MESSAGE } from '../auth.js';
import { leaderHint, type HealthProbe, type MetricsSource } from '../health.js';
import type { KvOperations } from '../kv-operations.js';
import { OpenStreams } from '../open-streams.js';
import type { TlsMaterial } from '../../security/tls-material.js';
import { registerClusterRoutes } from './cluster-routes.js';
import { fromFastifyError, sendError } from './error-body.js';
import { registerKvRoutes } from './kv-routes.js';
import { OPEN_PATHS, registerProbeRoutes } from './probe-routes.js';
import { coerceQueryAndParams } from './query-coercion.js';
import { RAW_BODY_OPENAPI } from './schemas.js';
import { registerWatchRoute } from './watch-route.js';

export interface HttpGatewayOptions {
  readonly ops: KvOperations;
  readonly kv: KvService;
  /** Cluster administration; without it /v1/cluster/... answers 501. */
  readonly admin?: ClusterAdmin | undefined;
  readonly health: HealthProbe;
  /** Prometheus exposition for /metrics; without it /metrics answers 501. */
  readonly metrics?: MetricsSource | undefined;
  readonly logger: Logger;
  readonly tls?: TlsMaterial | undefined;
  /** Callers must send `authorization: Bearer <token>`; '' or undefined: no token needed. */
  readonly authToken?: string | undefined;
  /** Package version for the OpenAPI document. */
  readonly version?: string | undefined;
}

export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PATH = '/docs';

const RAW_TYPE = 'application/octet-stream';
/** JSON bodies carry values as base64: a third larger than the raw bytes, plus the fields. */
const JSON_BODY_SLACK = 64 * 1024;

/**
 * The REST API of a member on fastify: `/v1/kv/...`, `/v1/txn`, `/v1/watch` (SSE),
 * `/v1/prove/...`, `/v1/cluster/...`, the probes and metrics, an OpenAPI document generated
 * from the route schemas at /openapi.json and a docs page at /docs.
 */
export class HttpGateway {
  private readonly app: FastifyInstance;
  private readonly streams = new OpenStreams();
  private readonly ready: Promise<void>;
  private readonly documentedRoutes: { method: string; url: string }[] = [];

  constructor(options: HttpGatewayOptions) {
    const tls = options.tls;
    const rawLimit = options.kv.maxEntryBytes;
    const logger: FastifyBaseLogger = options.logger.child({ component: 'http' });
    this.app = fastify({
      loggerInstance: logger,
      // Nothing logged per request (only INTERNAL errors, by the error handler).
      logController: new LogController({ disableRequestLogging: true }),
      bodyLimit: Math.ceil((rawLimit * 4) / 3) + JSON_BODY_SLACK,
      // Coercion happens for query strings and path parameters only (query-coercion.ts).
      ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
      // The https server is a node server like the http one; fastify's types tie the
      // instance to one of them, so the https one is typed as the other.
      serverFactory: (handler) =>
        tls === undefined
          ? createHttpServer(handler)
          : (createHttpsServer(
              {
                cert: tls.cert,
                key: tls.key,
                ca: tls.ca,
                requestCert: tls.ca !== undefined,
                rejectUnauthorized: tls.ca !== undefined,
              },
              handler,
            ) as unknown as Server),
    });
    this.ready = this.build(options, rawLimit);
  }

  private async build(options: HttpGatewayOptions, rawLimit: number): Promise<void> {
    const app = this.app;
    const leader = (): ReturnType<typeof leaderHint> => leaderHint(options.kv);
    coerceQueryAndParams(app);
    app.addHook('onRoute', (route) => {
      const hidden = route.schema?.hide === true;
      for (const method of [route.method].flat()) {
        if (!hidden && method !== 'HEAD') this.documentedRoutes.push({ method, url: route.url });
      }
    });

    app.removeAllContentTypeParsers();
    app.addContentTypeParser(
      'application/json',
      { parseAs: 'string' },
      app.getDefaultJsonParser('error', 'error'),
    );
    app.addContentTypeParser(
      'application/octet-stream',
      { parseAs: 'buffer', bodyLimit: rawLimit },
      (_req, body, done) => {
        done(null, body);
      },
    );

    app.setErrorHandler((err, _req, reply) => {
      const e = fromFastifyError(err);
      if (e.code === 'INTERNAL') app.log.error({ err }, 'REST request failed');
      return sendError(reply, e, leader());
    });
    app.setNotFoundHandler((req, reply) =>
      sendError(
        reply,
        new RedraftError('NOT_FOUND', `no route ${req.method} ${req.url}`),
        leader(),
      ),
    );

    const token =
      options.authToken === undefined || options.authToken === ''
        ? undefined
        : new BearerToken(options.authToken);
    if (token !== undefined) {
      app.addHook('onRequest', async (req, reply) => {
        if (isOpenPath(req.url) || token.admits(req.headers.authorization)) return;
        return sendError(
          reply,
          new RedraftError('UNAUTHENTICATED', UNAUTHENTICATED_MESSAGE),
          undefined,
        );
      });
    }

    await app.register(fastifySwagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'Redraft REST API',
          description:
            'A Raft-replicated key-value store. Every member serves every call; followers forward writes to the leader. Errors share one shape: `{ code, message, leader?, oldestIndex? }`.',
          version: options.version ?? '0.0.0',
        },
        tags: [
          { name: 'kv', description: 'Keys, values, transactions, watches, proofs' },
          { name: 'cluster', description: 'Membership and leadership' },
          { name: 'operations', description: 'Probes and metrics (no token needed)' },
        ],
        components: {
          securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
        },
        security: token === undefined ? [] : [{ bearer: [] }],
      },
      transform: ({ schema, url }) => ({ schema: documented(schema), url: documentedUrl(url) }),
    });
    await app.register(fastifySwaggerUi, { routePrefix: DOCS_PATH });

    registerKvRoutes(app, options.ops);
    registerWatchRoute(app, options.ops, this.streams, leader);
    registerClusterRoutes(app, options.admin);
    registerProbeRoutes(app, options.health, options.metrics);
    app.get(OPENAPI_PATH, { schema: { hide: true } }, () => app.swagger());
  }

  /** Every route the OpenAPI document should describe (all but the docs' own). */
  async routes(): Promise<readonly { method: string; url: string }[]> {
    await this.ready;
    return this.documentedRoutes;
  }

  /** Listens on host:port (port 0 picks one); resolves with the bound port. */
  async listen(host: string, port: number): Promise<number> {
    await this.ready;
    await this.app.listen({ host, port });
    const address = this.app.server.address();
    return typeof address === 'object' && address !== null ? address.port : port;
  }

  /** The fastify instance, for in-process requests (tests use `inject`). */
  async instance(): Promise<FastifyInstance> {
    await this.ready;
    await this.app.ready();
    return this.app;
  }

  /** Ends the watch streams (an `error` event: SHUTTING_DOWN), then closes the server. */
  async close(): Promise<void> {
    this.streams.stopAll();
    await this.ready.catch(() => undefined);
    await this.app.close();
  }
}

/** Fastify names a wildcard parameter `*`; the document calls it `key`. */
function documentedUrl(url: string): string {
  return url.endsWith('/*') ? `${url.slice(0, -1)}{key}` : url;
}

/**
 * The route schema as the document shows it: the wildcard parameter named `key`, and raw
 * bodies as binary strings (validation cannot say that of a Buffer; see RAW_BODY).
 */
function documented(schema: FastifySchema): FastifySchema {
  // Typed as present, but routes without a schema (the docs page's own) come through too.
  if ((schema as FastifySchema | undefined) === undefined) return schema;
  const out: Record<string, unknown> = { ...schema };
  const params = schema.params as { properties?: Record<string, unknown> } | undefined;
  if (params?.properties?.['*'] !== undefined) {
    out.params = { ...params, required: ['key'], properties: { key: params.properties['*'] } };
  }
  const content = (schema.body as { content?: Record<string, { schema: unknown }> } | undefined)
    ?.content;
  if (content?.[RAW_TYPE] !== undefined) {
    out.body = { content: { ...content, [RAW_TYPE]: { schema: RAW_BODY_OPENAPI } } };
  }
  return out;
}

function isOpenPath(url: string): boolean {
  const path = url.split('?', 1)[0]!;
  return (
    OPEN_PATHS.includes(path) ||
    path === OPENAPI_PATH ||
    path === DOCS_PATH ||
    path.startsWith(`${DOCS_PATH}/`)
  );
}

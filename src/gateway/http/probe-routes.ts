import type { FastifyInstance } from 'fastify';
import { RedraftError } from '../../errors.js';
import type { HealthProbe, MetricsSource } from '../health.js';
import { errorResponses } from './schemas.js';

/** Routes that answer without the bearer token: orchestrators and scrapers hold no secret. */
export const OPEN_PATHS: readonly string[] = ['/livez', '/readyz', '/metrics'];

/**
 * `/livez`, `/readyz` and `/metrics`. Readiness 503 uses the one error shape with code
 * NOT_READY and the reason as message; metrics answer 501 when no metrics are wired in.
 */
export function registerProbeRoutes(
  app: FastifyInstance,
  health: HealthProbe,
  metrics: MetricsSource | undefined,
): void {
  const tags = ['operations'];
  const ok = {
    description: 'OK',
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string' }, reason: { type: 'string' } },
  } as const;

  app.get(
    '/livez',
    {
      schema: {
        summary: 'Liveness',
        tags,
        security: [],
        response: { 200: ok, ...errorResponses() },
      },
    },
    () => {
      if (!health.live()) throw new RedraftError('NOT_READY', 'this node is not live');
      return { status: 'live' };
    },
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: a leader is known and this node applied what it knows committed',
        tags,
        security: [],
        response: { 200: ok, ...errorResponses() },
      },
    },
    () => {
      const r = health.ready();
      if (!r.ready) throw new RedraftError('NOT_READY', r.reason);
      return { status: 'ready', reason: r.reason };
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        tags,
        security: [],
        response: {
          200: {
            description: 'Prometheus text exposition',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
          ...errorResponses(501),
        },
      },
    },
    async (_req, reply) => {
      if (metrics === undefined) {
        throw new RedraftError('NOT_IMPLEMENTED', 'metrics are not available on this node');
      }
      const m = await metrics();
      return reply.type(m.contentType).send(m.body);
    },
  );
}

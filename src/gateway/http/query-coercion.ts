import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';

/**
 * Query strings and path parameters arrive as text; JSON bodies do not. The validator runs
 * with type coercion off, so that a JSON body with `"ttlMs": "5"` or `"ifAbsent": 1` is
 * refused rather than silently reinterpreted; this hook converts the query string and path
 * parameters instead, by the types their schemas declare, before validation. A value that
 * does not look like its type is left as text, and validation then names it.
 */
export function coerceQueryAndParams(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const query = typesOf(route.schema?.querystring);
    const params = typesOf(route.schema?.params);
    if (query === undefined && params === undefined) return;
    const coerce = (req: FastifyRequest, _reply: FastifyReply, done: () => void): void => {
      if (query !== undefined) convert(req.query, query);
      if (params !== undefined) convert(req.params, params);
      done();
    };
    const existing = route.preValidation;
    route.preValidation =
      existing === undefined
        ? coerce
        : [coerce, ...(Array.isArray(existing) ? existing : [existing])];
  });
}

type Scalar = 'integer' | 'number' | 'boolean';

function typesOf(schema: unknown): Map<string, Scalar> | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties;
  if (properties === undefined) return undefined;
  const out = new Map<string, Scalar>();
  for (const [name, p] of Object.entries(properties)) {
    if (p.type === 'integer' || p.type === 'number' || p.type === 'boolean') out.set(name, p.type);
  }
  return out.size === 0 ? undefined : out;
}

const INTEGER = /^-?\d{1,16}$/;
const NUMBER = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function convert(target: unknown, types: Map<string, Scalar>): void {
  if (typeof target !== 'object' || target === null) return;
  const fields = target as Record<string, unknown>;
  for (const [name, type] of types) {
    const v = fields[name];
    if (typeof v !== 'string') continue;
    if (type === 'boolean') {
      if (v === 'true') fields[name] = true;
      else if (v === 'false') fields[name] = false;
    } else if ((type === 'integer' ? INTEGER : NUMBER).test(v)) {
      fields[name] = Number(v);
    }
  }
}

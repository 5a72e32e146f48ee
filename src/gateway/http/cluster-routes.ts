import type { FastifyInstance } from 'fastify';
import { RedraftError } from '../../errors.js';
import type { ClusterAdmin, MemberStatus } from '../../node/cluster-admin.js';
import { INDEX, errorResponses } from './schemas.js';

const ADDRESS = {
  type: 'string',
  minLength: 3,
  maxLength: 300,
  pattern: '^\\S+:\\d{1,5}$',
} as const;

const MEMBER = {
  type: 'object',
  required: ['id', 'role', 'isLeader', 'peerAddr', 'respAddr', 'httpAddr', 'grpcAddr'],
  properties: {
    id: { type: 'integer' },
    role: { type: 'string', enum: ['voter', 'learner'] },
    isLeader: { type: 'boolean' },
    peerAddr: { type: 'string' },
    respAddr: { type: 'string' },
    httpAddr: { type: 'string' },
    grpcAddr: { type: 'string' },
    matchIndex: {
      ...INDEX,
      description: "Highest index known replicated to it (the leader's view), when known.",
    },
  },
} as const;

const MEMBER_ID_PARAMS = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'integer', minimum: 1 } },
} as const;

const EMPTY = { description: 'Done', type: 'object', properties: {} } as const;

interface AddMemberBody {
  readonly id?: number;
  readonly peerAddr: string;
  readonly respAddr: string;
  readonly httpAddr: string;
  readonly grpcAddr: string;
}

/**
 * `/v1/cluster/...`: membership and leadership through the shared {@link ClusterAdmin}.
 * Without one, every route answers 501 NOT_IMPLEMENTED.
 */
export function registerClusterRoutes(app: FastifyInstance, admin: ClusterAdmin | undefined): void {
  const need = (): ClusterAdmin => {
    if (admin === undefined) {
      throw new RedraftError('NOT_IMPLEMENTED', 'cluster administration is not available');
    }
    return admin;
  };
  const tags = ['cluster'];

  app.get(
    '/v1/cluster/status',
    {
      schema: {
        summary: "This member's view of the cluster",
        tags,
        response: {
          200: {
            description: 'Status',
            type: 'object',
            required: ['id', 'role', 'term', 'leader', 'commitIndex', 'appliedIndex', 'members'],
            properties: {
              id: { type: 'integer' },
              role: { type: 'string', enum: ['leader', 'follower', 'candidate', 'pre-candidate'] },
              term: INDEX,
              leader: { type: 'integer', description: '0 while no leader is known.' },
              commitIndex: INDEX,
              appliedIndex: INDEX,
              members: { type: 'array', items: MEMBER },
            },
          },
          ...errorResponses(501),
        },
      },
    },
    () => need().status(),
  );

  app.get(
    '/v1/cluster/members',
    {
      schema: {
        summary: 'The members',
        tags,
        response: {
          200: {
            description: 'Members',
            type: 'object',
            required: ['members'],
            properties: { members: { type: 'array', items: MEMBER } },
          },
          ...errorResponses(501),
        },
      },
    },
    () => ({ members: need().members() }),
  );

  app.post<{ Body: AddMemberBody }>(
    '/v1/cluster/members',
    {
      schema: {
        summary: 'Add a member as a learner',
        description:
          'Answers once the change is committed. `id` 0 or absent: the leader picks one.',
        tags,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['peerAddr', 'respAddr', 'httpAddr', 'grpcAddr'],
          properties: {
            id: { type: 'integer', minimum: 0, default: 0 },
            peerAddr: ADDRESS,
            respAddr: ADDRESS,
            httpAddr: ADDRESS,
            grpcAddr: ADDRESS,
          },
        },
        response: {
          201: {
            description: 'Added',
            type: 'object',
            required: ['member'],
            properties: { member: MEMBER },
          },
          ...errorResponses(409, 501),
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const member: MemberStatus = await need().addLearner(b.id ?? 0, {
        peerAddr: b.peerAddr,
        respAddr: b.respAddr,
        httpAddr: b.httpAddr,
        grpcAddr: b.grpcAddr,
      });
      return reply.code(201).send({ member });
    },
  );

  app.post<{ Params: { id: number } }>(
    '/v1/cluster/members/:id/promote',
    {
      schema: {
        summary: 'Promote a learner to voter',
        description: 'Answers once the change is committed.',
        tags,
        params: MEMBER_ID_PARAMS,
        response: { 200: EMPTY, ...errorResponses(404, 501) },
      },
    },
    async (req) => {
      await need().promote(req.params.id);
      return {};
    },
  );

  app.delete<{ Params: { id: number } }>(
    '/v1/cluster/members/:id',
    {
      schema: {
        summary: 'Remove a member',
        description: 'Answers once the change is committed.',
        tags,
        params: MEMBER_ID_PARAMS,
        response: { 200: EMPTY, ...errorResponses(404, 501) },
      },
    },
    async (req) => {
      await need().remove(req.params.id);
      return {};
    },
  );

  app.post<{ Body: { to?: number } | undefined }>(
    '/v1/cluster/transfer-leader',
    {
      schema: {
        summary: 'Hand leadership to a voter',
        description: '`to` 0 or absent: the most up-to-date voter. Answers with the new leader.',
        tags,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { to: { type: 'integer', minimum: 0, default: 0 } },
        },
        response: {
          200: {
            description: 'The new leader',
            type: 'object',
            required: ['leader'],
            properties: { leader: { type: 'integer' } },
          },
          ...errorResponses(501),
        },
      },
    },
    async (req) => ({ leader: await need().transferLeader(req.body?.to ?? 0) }),
  );

  app.post(
    '/v1/cluster/snapshot',
    {
      schema: {
        summary: "Snapshot this member's state now and compact its log",
        tags,
        response: {
          200: {
            description: 'The snapshot taken',
            type: 'object',
            required: ['index', 'term', 'bytes'],
            properties: { index: INDEX, term: INDEX, bytes: INDEX },
          },
          ...errorResponses(501),
        },
      },
    },
    async () => need().snapshot(),
  );
}

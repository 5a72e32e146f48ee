/**
 * The REST gateway in-process over one real member: the routes' semantics, every kind of bad
 * input answered with the one error shape (and the node serving on afterwards), the OpenAPI
 * document against the routes, the bearer token, the probes, and the /v1/cluster routes'
 * mapping onto a ClusterAdmin test double. Forwarding between members: cluster-rest.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { ERROR_REGISTRY, RedraftError } from '../../src/errors.js';
import { raftHealth, type HealthProbe } from '../../src/gateway/health.js';
import { HttpGateway, OPENAPI_PATH } from '../../src/gateway/http/http-gateway.js';
import { KvOperations } from '../../src/gateway/kv-operations.js';
import { ChangeFeed } from '../../src/node/change-feed.js';
import type {
  ClusterAdmin,
  ClusterStatus,
  MemberAddresses,
  MemberStatus,
} from '../../src/node/cluster-admin.js';
import { startSingleNode, type SingleNode } from './fixtures/single-node.js';

const MAX_ENTRY = 64 * 1024;

interface Gateway {
  readonly app: FastifyInstance;
  readonly gateway: HttpGateway;
}

async function gatewayOver(
  node: SingleNode,
  extra: {
    admin?: ClusterAdmin;
    authToken?: string;
    health?: HealthProbe;
    metrics?: () => Promise<{ contentType: string; body: string }>;
  } = {},
): Promise<Gateway> {
  const feed = new ChangeFeed(node.fsm, () => node.kv.node.applied);
  const ops = new KvOperations({ kv: node.kv, feed, defaultConsistency: 'linearizable' });
  const gateway = new HttpGateway({
    ops,
    kv: node.kv,
    health: extra.health ?? raftHealth(node.kv),
    logger: pino({ level: 'silent' }),
    admin: extra.admin,
    authToken: extra.authToken,
    metrics: extra.metrics,
  });
  return { app: await gateway.instance(), gateway };
}

/** Asserts the one error shape, the registry's status for its code, and returns the body. */
function assertError(
  res: LightMyRequestResponse,
  code: keyof typeof ERROR_REGISTRY,
): { message: string } {
  const body = res.json<{ code: string; message: string }>();
  assert.equal(body.code, code, `expected ${code}, got ${res.statusCode} ${res.body}`);
  assert.equal(res.statusCode, ERROR_REGISTRY[code].http);
  assert.equal(typeof body.message, 'string');
  assert.ok(body.message.length > 0);
  for (const k of Object.keys(body))
    assert.ok(['code', 'message', 'leader', 'oldestIndex'].includes(k), k);
  return body;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const raw = { 'content-type': 'application/octet-stream' };

describe('REST gateway (one member, in-process)', () => {
  let node: SingleNode;
  let gw: Gateway;
  before(async () => {
    node = await startSingleNode({ maxEntryBytes: MAX_ENTRY });
    gw = await gatewayOver(node);
  });
  after(async () => {
    await gw.gateway.close();
    await node.stop();
  });

  it('stores a raw body and reads the raw bytes back, with its version', async () => {
    const value = Buffer.from([0, 1, 2, 13, 10, 255, 254]);
    const put = await gw.app.inject({
      method: 'PUT',
      url: '/v1/kv/bin/a%20b',
      headers: raw,
      payload: value,
    });
    assert.equal(put.statusCode, 200, put.body);
    const { version } = put.json<{ version: number }>();
    assert.ok(version > 0);
    const get = await gw.app.inject({ method: 'GET', url: '/v1/kv/bin/a%20b' });
    assert.equal(get.statusCode, 200);
    assert.equal(get.headers['content-type'], 'application/octet-stream');
    assert.deepEqual(get.rawPayload, value);
    assert.equal(get.headers.etag, `"${version}"`);
    assert.equal(get.headers['x-redraft-version'], String(version));
    // The same key through the RESP path's command layer: one keyspace.
    assert.deepEqual(
      await node.kv.read(0, [Buffer.from('GET'), Buffer.from('bin/a b')], 'stale'),
      value,
    );
  });

  it('JSON with base64 as the alternative, chosen by Accept or format=json', async () => {
    const put = await gw.app.inject({
      method: 'PUT',
      url: '/v1/kv/j1?db=2',
      payload: { value: b64('héllo'), ttlMs: 60_000 },
    });
    assert.equal(put.statusCode, 200, put.body);
    for (const req of [
      { url: '/v1/kv/j1?db=2&format=json' },
      { url: '/v1/kv/j1?db=2', headers: { accept: 'application/json' } },
    ]) {
      const get = await gw.app.inject({ method: 'GET', ...req });
      assert.equal(get.statusCode, 200);
      const body = get.json<{ key: string; value: string; type: string; expireAtMs: number }>();
      assert.equal(Buffer.from(body.value, 'base64').toString(), 'héllo');
      assert.equal(Buffer.from(body.key, 'base64').toString(), 'j1');
      assert.equal(body.type, 'string');
      assert.ok(body.expireAtMs > Date.now());
    }
    assertError(await gw.app.inject({ method: 'GET', url: '/v1/kv/j1' }), 'NOT_FOUND'); // db 0
  });

  it('binary keys by base64url, and keys with slashes in the path', async () => {
    const key = Buffer.from([0xff, 0x00, 0x2f]);
    const put = await gw.app.inject({
      method: 'PUT',
      url: `/v1/kv/${key.toString('base64url')}?keyEncoding=base64url`,
      headers: raw,
      payload: 'v',
    });
    assert.equal(put.statusCode, 200, put.body);
    assert.deepEqual(await node.kv.read(0, [Buffer.from('GET'), key], 'stale'), Buffer.from('v'));
  });

  it('conditional writes: ifAbsent, ifVersion, and 412 when the condition fails', async () => {
    const first = await gw.app.inject({
      method: 'PUT',
      url: '/v1/kv/c1?ifAbsent=true',
      headers: raw,
      payload: '1',
    });
    assert.equal(first.statusCode, 200);
    const v1 = first.json<{ version: number }>().version;
    assertError(
      await gw.app.inject({
        method: 'PUT',
        url: '/v1/kv/c1?ifAbsent=true',
        headers: raw,
        payload: '2',
      }),
      'CONDITION_FAILED',
    );
    assertError(
      await gw.app.inject({
        method: 'PUT',
        url: `/v1/kv/c1?ifVersion=${v1 + 1000}`,
        headers: raw,
        payload: '2',
      }),
      'CONDITION_FAILED',
    );
    const second = await gw.app.inject({
      method: 'PUT',
      url: '/v1/kv/c1',
      payload: { value: b64('2'), ifVersion: v1 },
    });
    assert.equal(second.statusCode, 200, second.body);
    const del = await gw.app.inject({ method: 'DELETE', url: `/v1/kv/c1?ifVersion=${v1}` });
    assertError(del, 'CONDITION_FAILED');
    const gone = await gw.app.inject({ method: 'DELETE', url: '/v1/kv/c1' });
    assert.deepEqual(Object.keys(gone.json<object>()).sort(), ['deleted', 'index']);
    assert.equal(gone.json<{ deleted: boolean }>().deleted, true);
    assertError(await gw.app.inject({ method: 'GET', url: '/v1/kv/c1' }), 'NOT_FOUND');
  });

  it('a hash is not raw bytes: 409 WRONG_TYPE, but JSON describes it', async () => {
    await node.kv.write(
      0,
      ['HSET', 'h1', 'f', 'v'].map((s) => Buffer.from(s)),
    );
    assertError(await gw.app.inject({ method: 'GET', url: '/v1/kv/h1' }), 'WRONG_TYPE');
    const json = await gw.app.inject({ method: 'GET', url: '/v1/kv/h1?format=json' });
    assert.equal(json.json<{ type: string }>().type, 'hash');
  });

  it('a transaction compares and runs one branch; its reads see its writes', async () => {
    const txn = (body: unknown): Promise<LightMyRequestResponse> =>
      gw.app.inject({ method: 'POST', url: '/v1/txn', payload: body as object });
    const created = await txn({
      compare: [{ key: b64('t:x'), exists: false }],
      success: [{ put: { key: b64('t:x'), value: b64('1') } }, { get: { key: b64('t:x') } }],
      failure: [{ get: { key: b64('t:x') } }],
    });
    assert.equal(created.statusCode, 200, created.body);
    const r1 = created.json<{
      succeeded: boolean;
      index: number;
      responses: {
        put?: { version: number };
        get?: { found: boolean; kv: { value: string; version: number } };
      }[];
    }>();
    assert.equal(r1.succeeded, true);
    assert.equal(r1.responses[0]!.put!.version, r1.index);
    assert.equal(Buffer.from(r1.responses[1]!.get!.kv.value, 'base64').toString(), '1');
    assert.equal(r1.responses[1]!.get!.kv.version, r1.index);
    const again = await txn({
      compare: [{ key: b64('t:x'), exists: false }],
      success: [{ put: { key: b64('t:x'), value: b64('2') } }],
      failure: [{ get: { key: b64('t:x') } }, { delete: { key: b64('t:x') } }],
    });
    const r2 = again.json<{
      succeeded: boolean;
      responses: { get?: { found: boolean }; delete?: { deleted: boolean } }[];
    }>();
    assert.equal(r2.succeeded, false);
    assert.equal(r2.responses[0]!.get!.found, true);
    assert.equal(r2.responses[1]!.delete!.deleted, true);
    const byValue = await txn({
      compare: [{ key: b64('t:none'), op: 'notEqual', value: b64('a') }],
      success: [{ put: { key: b64('t:none'), value: b64('a') } }],
    });
    assert.equal(byValue.json<{ succeeded: boolean }>().succeeded, true);
  });

  it('lists by prefix in byte order, one page at a time', async () => {
    for (let i = 0; i < 25; i++) {
      const res = await gw.app.inject({
        method: 'PUT',
        url: `/v1/kv/p:${String(i).padStart(2, '0')}`,
        headers: raw,
        payload: `v${i}`,
      });
      assert.equal(res.statusCode, 200);
    }
    const seen: string[] = [];
    let token = '';
    for (let pages = 1; ; pages++) {
      const res = await gw.app.inject({
        method: 'GET',
        url: `/v1/kv?prefix=p:&limit=10&pageToken=${token}`,
      });
      assert.equal(res.statusCode, 200, res.body);
      const page = res.json<{ kvs: { key: string; value: string }[]; nextPageToken: string }>();
      seen.push(...page.kvs.map((kv) => Buffer.from(kv.key, 'base64').toString()));
      token = page.nextPageToken;
      if (token === '') {
        assert.equal(pages, 3);
        break;
      }
    }
    assert.deepEqual(
      seen,
      Array.from({ length: 25 }, (_, i) => `p:${String(i).padStart(2, '0')}`),
    );
    const keysOnly = await gw.app.inject({ method: 'GET', url: '/v1/kv?prefix=p:0&keysOnly=true' });
    const kvs = keysOnly.json<{ kvs: { value?: string }[] }>().kvs;
    assert.equal(kvs.length, 10);
    assert.ok(kvs.every((kv) => kv.value === undefined));
  });

  it('bad input gets the one error shape and the node keeps serving', async () => {
    const cases: [InjectOptions, keyof typeof ERROR_REGISTRY][] = [
      // wrong types in a JSON body are refused, not coerced
      [
        { method: 'PUT', url: '/v1/kv/b1', payload: { value: b64('x'), ttlMs: '5' } },
        'BAD_REQUEST',
      ],
      [
        { method: 'PUT', url: '/v1/kv/b1', payload: { value: b64('x'), ifAbsent: 1 } },
        'BAD_REQUEST',
      ],
      [{ method: 'PUT', url: '/v1/kv/b1', payload: { value: 5 } }, 'BAD_REQUEST'],
      [
        { method: 'PUT', url: '/v1/kv/b1', payload: { value: b64('x'), extra: true } },
        'BAD_REQUEST',
      ],
      [
        {
          method: 'PUT',
          url: '/v1/kv/b1',
          payload: { value: b64('x'), ifAbsent: true, ifVersion: 3 },
        },
        'BAD_REQUEST',
      ],
      [{ method: 'PUT', url: '/v1/kv/b1?ttlMs=5', payload: { value: b64('x') } }, 'BAD_REQUEST'],
      // invalid base64
      [{ method: 'PUT', url: '/v1/kv/b1', payload: { value: 'not base64!' } }, 'BAD_REQUEST'],
      [{ method: 'PUT', url: '/v1/kv/b1', payload: { value: 'abc' } }, 'BAD_REQUEST'],
      [
        { method: 'POST', url: '/v1/txn', payload: { success: [{ get: { key: '%%%' } }] } },
        'BAD_REQUEST',
      ],
      [{ method: 'GET', url: '/v1/kv/@@?keyEncoding=base64url' }, 'BAD_REQUEST'],
      // wrong types and ranges in the query string
      [{ method: 'PUT', url: '/v1/kv/b1?ttlMs=soon', headers: raw, payload: 'x' }, 'BAD_REQUEST'],
      [{ method: 'GET', url: '/v1/kv/b1?db=16' }, 'BAD_REQUEST'],
      [{ method: 'GET', url: '/v1/kv/b1?db=-1' }, 'BAD_REQUEST'],
      [{ method: 'GET', url: '/v1/kv/b1?consistency=eventual' }, 'BAD_REQUEST'],
      [{ method: 'GET', url: '/v1/kv?limit=0' }, 'BAD_REQUEST'],
      [{ method: 'GET', url: '/v1/kv?limit=100000' }, 'BAD_REQUEST'],
      [{ method: 'GET', url: '/v1/kv?pageToken=garbage' }, 'BAD_REQUEST'],
      [{ method: 'GET', url: '/v1/kv/b1?unknown=1' }, 'BAD_REQUEST'],
      [
        { method: 'GET', url: '/v1/watch', headers: { 'last-event-id': 'yesterday' } },
        'BAD_REQUEST',
      ],
      // malformed transactions
      [
        { method: 'POST', url: '/v1/txn', payload: { compare: [{ key: b64('k') }] } },
        'BAD_REQUEST',
      ],
      [
        {
          method: 'POST',
          url: '/v1/txn',
          payload: { compare: [{ key: b64('k'), version: 1, exists: true }] },
        },
        'BAD_REQUEST',
      ],
      [
        {
          method: 'POST',
          url: '/v1/txn',
          payload: { compare: [{ key: b64('k'), op: 'less', exists: true }] },
        },
        'BAD_REQUEST',
      ],
      [
        {
          method: 'POST',
          url: '/v1/txn',
          payload: { success: [{ get: { key: b64('k') }, delete: { key: b64('k') } }] },
        },
        'BAD_REQUEST',
      ],
      [{ method: 'POST', url: '/v1/txn', payload: { success: [{}] } }, 'BAD_REQUEST'],
      // not JSON, wrong media type, empty key
      [
        {
          method: 'POST',
          url: '/v1/txn',
          headers: { 'content-type': 'application/json' },
          payload: '{"compare": [',
        },
        'BAD_REQUEST',
      ],
      [
        {
          method: 'PUT',
          url: '/v1/kv/b1',
          headers: { 'content-type': 'text/plain' },
          payload: 'x',
        },
        'UNSUPPORTED_MEDIA_TYPE',
      ],
      [{ method: 'PUT', url: '/v1/kv/', headers: raw, payload: 'x' }, 'BAD_REQUEST'],
      // oversized values, raw and as JSON
      [
        { method: 'PUT', url: '/v1/kv/big', headers: raw, payload: Buffer.alloc(MAX_ENTRY + 1) },
        'TOO_LARGE',
      ],
      [
        { method: 'PUT', url: '/v1/kv/big', headers: raw, payload: Buffer.alloc(MAX_ENTRY - 10) },
        'TOO_LARGE',
      ],
      [
        {
          method: 'PUT',
          url: '/v1/kv/big',
          payload: { value: Buffer.alloc(MAX_ENTRY).toString('base64') },
        },
        'TOO_LARGE',
      ],
      // unknown routes and methods
      [{ method: 'GET', url: '/v2/kv/x' }, 'NOT_FOUND'],
      [{ method: 'PATCH', url: '/v1/kv/x' }, 'NOT_FOUND'],
      [{ method: 'GET', url: '/v1/prove/x' }, 'NOT_IMPLEMENTED'],
    ];
    for (const [req, code] of cases) {
      const res = await gw.app.inject(req);
      assert.doesNotThrow(
        () => assertError(res, code),
        `${JSON.stringify(req).slice(0, 200)} -> ${res.statusCode} ${res.body.slice(0, 300)}`,
      );
    }
    assertError(await gw.app.inject({ method: 'GET', url: '/v1/kv/b1' }), 'NOT_FOUND'); // nothing was written
    const ok = await gw.app.inject({
      method: 'PUT',
      url: '/v1/kv/b1',
      headers: raw,
      payload: 'fine',
    });
    assert.equal(ok.statusCode, 200);
  });

  it('serves an OpenAPI document that parses and describes every route, and a docs page', async () => {
    const res = await gw.app.inject({ method: 'GET', url: OPENAPI_PATH });
    assert.equal(res.statusCode, 200);
    const doc = JSON.parse(res.body) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    assert.match(doc.openapi, /^3\./);
    const routes = await gw.gateway.routes();
    assert.ok(routes.length >= 14, `only ${routes.length} routes`);
    for (const { method, url } of routes) {
      if (url === OPENAPI_PATH) continue;
      const path = url.replace(/\/\*$/, '/{key}').replace(/:(\w+)/g, '{$1}');
      const op = doc.paths[path]?.[method.toLowerCase()];
      assert.ok(op !== undefined, `${method} ${url} is not in the OpenAPI document`);
      assert.ok(
        op.responses['200'] ?? op.responses['201'],
        `${method} ${url}: no success response`,
      );
    }
    const put = doc.paths['/v1/kv/{key}']!.put as unknown as {
      requestBody: { content: Record<string, { schema: { format?: string } }> };
    };
    assert.equal(put.requestBody.content['application/octet-stream']!.schema.format, 'binary');
    const docs = await gw.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(docs.statusCode, 200);
    assert.match(docs.headers['content-type'] as string, /text\/html/);
  });

  it('/livez and /readyz from the Raft node when no probe is wired; /metrics 501 without metrics', async () => {
    const live = await gw.app.inject({ method: 'GET', url: '/livez' });
    assert.equal(live.statusCode, 200);
    const ready = await gw.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200, ready.body);
    assert.match(ready.json<{ reason: string }>().reason, /leader 1/);
    assertError(await gw.app.inject({ method: 'GET', url: '/metrics' }), 'NOT_IMPLEMENTED');
  });
});

describe('REST gateway with probes, metrics and a token', () => {
  let node: SingleNode;
  let gw: Gateway;
  let ready = { ready: false, reason: 'catching up' };
  before(async () => {
    node = await startSingleNode();
    gw = await gatewayOver(node, {
      authToken: 's3cret',
      health: { live: () => true, ready: () => ready },
      metrics: () =>
        Promise.resolve({
          contentType: 'text/plain; version=0.0.4; charset=utf-8',
          body: 'redraft_up 1\n',
        }),
    });
  });
  after(async () => {
    await gw.gateway.close();
    await node.stop();
  });

  it('refuses a missing or wrong token with 401, and admits the right one', async () => {
    const missing = await gw.app.inject({ method: 'GET', url: '/v1/kv/x' });
    assertError(missing, 'UNAUTHENTICATED');
    assert.equal(missing.headers['www-authenticate'], 'Bearer');
    assertError(
      await gw.app.inject({
        method: 'GET',
        url: '/v1/kv/x',
        headers: { authorization: 'Bearer wrong' },
      }),
      'UNAUTHENTICATED',
    );
    assertError(
      await gw.app.inject({ method: 'GET', url: '/v1/kv/x', headers: { authorization: 's3cret' } }),
      'UNAUTHENTICATED',
    );
    assertError(
      await gw.app.inject({ method: 'GET', url: '/v1/cluster/status' }),
      'UNAUTHENTICATED',
    );
    const ok = await gw.app.inject({
      method: 'GET',
      url: '/v1/kv/x',
      headers: { authorization: 'Bearer s3cret' },
    });
    assertError(ok, 'NOT_FOUND'); // admitted: the key just does not exist
  });

  it('keeps the probes, metrics and the API document open', async () => {
    assert.equal((await gw.app.inject({ method: 'GET', url: '/livez' })).statusCode, 200);
    const notReady = await gw.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(assertError(notReady, 'NOT_READY').message, 'catching up');
    ready = { ready: true, reason: 'fine' };
    assert.equal((await gw.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
    const metrics = await gw.app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(metrics.statusCode, 200);
    assert.equal(metrics.body, 'redraft_up 1\n');
    assert.match(metrics.headers['content-type'] as string, /version=0\.0\.4/);
    assert.equal((await gw.app.inject({ method: 'GET', url: OPENAPI_PATH })).statusCode, 200);
  });
});

/** A ClusterAdmin test double: records calls, answers canned values or a given failure. */
class AdminDouble implements ClusterAdmin {
  readonly calls: string[] = [];
  failWith: RedraftError | undefined;
  private readonly self: MemberStatus = {
    id: 1,
    role: 'voter',
    isLeader: true,
    peerAddr: '10.0.0.1:7001',
    respAddr: '10.0.0.1:6379',
    httpAddr: '10.0.0.1:8080',
    grpcAddr: '10.0.0.1:9090',
    matchIndex: 42,
  };

  private check(call: string): void {
    this.calls.push(call);
    if (this.failWith !== undefined) throw this.failWith;
  }

  status(): ClusterStatus {
    this.check('status');
    return {
      id: 1,
      role: 'leader',
      term: 3,
      leader: 1,
      commitIndex: 42,
      appliedIndex: 41,
      members: [this.self],
    };
  }
  members(): readonly MemberStatus[] {
    this.check('members');
    return [this.self];
  }
  addLearner(id: number, a: MemberAddresses): Promise<MemberStatus> {
    this.check(`addLearner ${id} ${a.peerAddr} ${a.respAddr} ${a.httpAddr} ${a.grpcAddr}`);
    return Promise.resolve({ ...a, id: id === 0 ? 4 : id, role: 'learner', isLeader: false });
  }
  promote(id: number): Promise<void> {
    this.check(`promote ${id}`);
    return Promise.resolve();
  }
  remove(id: number): Promise<void> {
    this.check(`remove ${id}`);
    return Promise.resolve();
  }
  transferLeader(to: number): Promise<number> {
    this.check(`transferLeader ${to}`);
    return Promise.resolve(to === 0 ? 2 : to);
  }
  snapshot(): Promise<{ index: number; term: number; bytes: number }> {
    this.check('snapshot');
    return Promise.resolve({ index: 41, term: 3, bytes: 1234 });
  }
}

describe('REST /v1/cluster routes over a ClusterAdmin', () => {
  let node: SingleNode;
  let gw: Gateway;
  let bare: Gateway;
  const admin = new AdminDouble();
  before(async () => {
    node = await startSingleNode();
    gw = await gatewayOver(node, { admin });
    bare = await gatewayOver(node);
  });
  after(async () => {
    await gw.gateway.close();
    await bare.gateway.close();
    await node.stop();
  });

  it('maps every route onto the admin interface', async () => {
    const status = await gw.app.inject({ method: 'GET', url: '/v1/cluster/status' });
    assert.equal(status.statusCode, 200);
    assert.deepEqual(status.json<{ members: MemberStatus[] }>().members[0]!.matchIndex, 42);
    assert.equal(status.json<{ role: string }>().role, 'leader');
    const members = await gw.app.inject({ method: 'GET', url: '/v1/cluster/members' });
    assert.equal(members.json<{ members: unknown[] }>().members.length, 1);
    const added = await gw.app.inject({
      method: 'POST',
      url: '/v1/cluster/members',
      payload: { peerAddr: 'h:7004', respAddr: 'h:6382', httpAddr: 'h:8083', grpcAddr: 'h:9093' },
    });
    assert.equal(added.statusCode, 201, added.body);
    assert.equal(added.json<{ member: MemberStatus }>().member.role, 'learner');
    assert.equal(
      (await gw.app.inject({ method: 'POST', url: '/v1/cluster/members/4/promote' })).statusCode,
      200,
    );
    assert.equal(
      (await gw.app.inject({ method: 'DELETE', url: '/v1/cluster/members/4' })).statusCode,
      200,
    );
    const moved = await gw.app.inject({
      method: 'POST',
      url: '/v1/cluster/transfer-leader',
      payload: { to: 3 },
    });
    assert.equal(moved.json<{ leader: number }>().leader, 3);
    const snap = await gw.app.inject({ method: 'POST', url: '/v1/cluster/snapshot' });
    assert.deepEqual(snap.json(), { index: 41, term: 3, bytes: 1234 });
    assert.deepEqual(admin.calls, [
      'status',
      'members',
      'addLearner 0 h:7004 h:6382 h:8083 h:9093',
      'promote 4',
      'remove 4',
      'transferLeader 3',
      'snapshot',
    ]);
  });

  it("reports the admin's failures and bad input in the one error shape", async () => {
    admin.failWith = new RedraftError('NOT_FOUND', 'no member 9');
    assertError(
      await gw.app.inject({ method: 'POST', url: '/v1/cluster/members/9/promote' }),
      'NOT_FOUND',
    );
    admin.failWith = undefined;
    assertError(
      await gw.app.inject({ method: 'POST', url: '/v1/cluster/members/zero/promote' }),
      'BAD_REQUEST',
    );
    assertError(
      await gw.app.inject({ method: 'DELETE', url: '/v1/cluster/members/0' }),
      'BAD_REQUEST',
    );
    assertError(
      await gw.app.inject({
        method: 'POST',
        url: '/v1/cluster/members',
        payload: { peerAddr: 'no port' },
      }),
      'BAD_REQUEST',
    );
    assertError(
      await bare.app.inject({ method: 'GET', url: '/v1/cluster/status' }),
      'NOT_IMPLEMENTED',
    );
  });
});

/**
 * The REST API against a real 3-member cluster with fetch: raw and JSON values through
 * followers, paging, transactions, the Server-Sent-Events watch resumed with Last-Event-ID on
 * another member, bad input over the wire (one error shape, naming the leader), and the API
 * document.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_REGISTRY } from '../../src/errors.js';
import type { Member } from '../e2e/harness/index.js';
import { gatewayCluster, httpUrl } from './fixtures/gateway-cluster.js';

const MAX_ENTRY = 64 * 1024;
const RAW = { 'content-type': 'application/octet-stream' };
const b64 = (s: string): string => Buffer.from(s).toString('base64');

interface ErrorBody {
  code: keyof typeof ERROR_REGISTRY;
  message: string;
  leader?: { id: number; httpAddr: string };
}

async function expectError(res: Response, code: keyof typeof ERROR_REGISTRY): Promise<ErrorBody> {
  const text = await res.text();
  const body = JSON.parse(text) as ErrorBody;
  assert.equal(body.code, code, `${res.status} ${text}`);
  assert.equal(res.status, ERROR_REGISTRY[code].http);
  assert.ok(body.message.length > 0);
  return body;
}

interface SseEvent {
  readonly event: string;
  readonly id: string | undefined;
  readonly data: string;
}

/** Reads Server-Sent Events from a fetch response as they arrive. */
class SseReader {
  private buffer = '';
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();

  constructor(res: Response) {
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    this.reader = res.body!.getReader();
  }

  async next(): Promise<SseEvent> {
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        if (block.split('\n').every((l) => l.startsWith(':'))) continue; // keepalive comment
        let event = 'message';
        let id: string | undefined;
        const data: string[] = [];
        for (const line of block.split('\n')) {
          const [field, ...rest] = line.split(':');
          const value = rest.join(':').replace(/^ /, '');
          if (field === 'event') event = value;
          else if (field === 'id') id = value;
          else if (field === 'data') data.push(value);
        }
        return { event, id, data: data.join('\n') };
      }
      const { value, done } = await this.reader.read();
      if (done) throw new Error('event stream ended');
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }
}

interface ChangeMessage {
  index: number;
  events: { type: string; index: number; kv: { key: string; value?: string } }[];
}

describe('REST against a 3-member cluster (followers forward)', () => {
  const running = gatewayCluster({
    name: 'rest-forward',
    extraArgs: ['--max-entry-bytes', String(MAX_ENTRY)],
  });

  const url = (m: Member, path: string): string => httpUrl(m, path);

  it(
    'a raw PUT through a follower is read back as raw bytes from every member',
    { timeout: 30_000 },
    async () => {
      const { cluster, followers } = running();
      const value = Buffer.from([0, 255, 13, 10, 1]);
      const put = await fetch(url(followers[0]!, '/v1/kv/files/a.bin'), {
        method: 'PUT',
        headers: RAW,
        body: value,
      });
      assert.equal(put.status, 200, await put.clone().text());
      const { version } = (await put.json()) as { version: number };
      for (const m of cluster.members) {
        const get = await fetch(url(m, '/v1/kv/files/a.bin'));
        assert.equal(get.status, 200);
        assert.equal(get.headers.get('content-type'), 'application/octet-stream');
        assert.deepEqual(Buffer.from(await get.arrayBuffer()), value);
        assert.equal(get.headers.get('etag'), `"${version}"`);
        const json = await fetch(url(m, '/v1/kv/files/a.bin'), {
          headers: { accept: 'application/json' },
        });
        assert.equal(((await json.json()) as { value: string }).value, value.toString('base64'));
      }
      const del = await fetch(url(followers[1]!, '/v1/kv/files/a.bin'), { method: 'DELETE' });
      assert.equal(((await del.json()) as { deleted: boolean }).deleted, true);
      await expectError(await fetch(url(followers[0]!, '/v1/kv/files/a.bin')), 'NOT_FOUND');
    },
  );

  it('pages and transacts through a follower', { timeout: 30_000 }, async () => {
    const { leader, followers } = running();
    const f = followers[0]!;
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        fetch(url(leader, `/v1/kv/page:${String(i).padStart(2, '0')}`), {
          method: 'PUT',
          headers: RAW,
          body: `v${i}`,
        }).then((r) => r.arrayBuffer()),
      ),
    );
    const keys: string[] = [];
    let token = '';
    do {
      const res = await fetch(url(f, `/v1/kv?prefix=page:&limit=10&pageToken=${token}`));
      const page = (await res.json()) as { kvs: { key: string }[]; nextPageToken: string };
      keys.push(...page.kvs.map((kv) => Buffer.from(kv.key, 'base64').toString()));
      token = page.nextPageToken;
    } while (token !== '');
    assert.deepEqual(
      keys,
      Array.from({ length: 30 }, (_, i) => `page:${String(i).padStart(2, '0')}`),
    );

    const txn = await fetch(url(f, '/v1/txn'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        compare: [{ key: b64('page:00'), value: b64('v0') }],
        success: [
          { delete: { key: b64('page:00') } },
          { put: { key: b64('page:moved'), value: b64('v0') } },
        ],
      }),
    });
    const r = (await txn.json()) as {
      succeeded: boolean;
      responses: { delete?: { deleted: boolean } }[];
    };
    assert.equal(r.succeeded, true);
    assert.equal(r.responses[0]?.delete?.deleted, true);
  });

  it(
    'a Server-Sent-Events watch resumes with Last-Event-ID on another member',
    { timeout: 30_000 },
    async () => {
      const { leader, followers } = running();
      const put = (key: string, value: string): Promise<unknown> =>
        fetch(url(leader, `/v1/kv/${key}`), { method: 'PUT', headers: RAW, body: value }).then(
          (r) => r.arrayBuffer(),
        );

      const first = new AbortController();
      const stream = new SseReader(
        await fetch(url(followers[0]!, '/v1/watch?prefix=sse:'), { signal: first.signal }),
      );
      const created = await stream.next();
      assert.equal(created.event, 'created');
      for (let i = 1; i <= 3; i++) await put(`sse:${i}`, `v${i}`);
      const got: string[] = [];
      let lastId = '';
      while (got.length < 3) {
        const e = await stream.next();
        assert.equal(e.event, 'message');
        const msg = JSON.parse(e.data) as ChangeMessage;
        assert.equal(e.id, String(msg.index));
        lastId = e.id!;
        got.push(
          ...msg.events.map(
            (ev) =>
              `${Buffer.from(ev.kv.key, 'base64').toString()}=${Buffer.from(ev.kv.value ?? '', 'base64').toString()}`,
          ),
        );
      }
      assert.deepEqual(got, ['sse:1=v1', 'sse:2=v2', 'sse:3=v3']);
      first.abort();

      for (let i = 4; i <= 6; i++) await put(`sse:${i}`, `v${i}`);
      const second = new AbortController();
      const resumed = new SseReader(
        await fetch(url(followers[1]!, '/v1/watch?prefix=sse:'), {
          headers: { 'last-event-id': lastId },
          signal: second.signal,
        }),
      );
      assert.equal((await resumed.next()).event, 'created');
      const missed: string[] = [];
      while (missed.length < 3) {
        const msg = JSON.parse((await resumed.next()).data) as ChangeMessage;
        missed.push(...msg.events.map((ev) => Buffer.from(ev.kv.key, 'base64').toString()));
      }
      second.abort();
      assert.deepEqual(missed, ['sse:4', 'sse:5', 'sse:6']);
    },
  );

  it(
    'bad input over the wire: the one error shape, naming the leader, and the cluster serves on',
    { timeout: 30_000 },
    async () => {
      const { leader, followers } = running();
      const f = followers[0]!;
      const json = (body: string): RequestInit => ({
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body,
      });
      const cases: [string, RequestInit, keyof typeof ERROR_REGISTRY][] = [
        ['/v1/kv/bad', json('{"value": 12}'), 'BAD_REQUEST'],
        ['/v1/kv/bad', json('{"value": "aGk=", "ttlMs": "10"}'), 'BAD_REQUEST'],
        ['/v1/kv/bad', json('{"value": "***"}'), 'BAD_REQUEST'],
        ['/v1/kv/bad', json('{"value": '), 'BAD_REQUEST'],
        ['/v1/kv/bad?db=abc', { method: 'PUT', headers: RAW, body: 'x' }, 'BAD_REQUEST'],
        [
          '/v1/kv/bad',
          { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: 'x' },
          'UNSUPPORTED_MEDIA_TYPE',
        ],
        [
          '/v1/kv/bad',
          { method: 'PUT', headers: RAW, body: Buffer.alloc(MAX_ENTRY * 2) },
          'TOO_LARGE',
        ],
        ['/v1/nothing/here', { method: 'GET' }, 'NOT_FOUND'],
      ];
      for (const [path, init, code] of cases) {
        const res = await fetch(url(f, path), init);
        const body = await expectError(res, code);
        assert.equal(
          body.leader?.httpAddr,
          `127.0.0.1:${leader.ports.http}`,
          `${path} ${JSON.stringify(body)}`,
        );
        assert.equal(res.headers.get('x-redraft-leader'), `127.0.0.1:${leader.ports.http}`);
      }
      await expectError(await fetch(url(f, '/v1/kv/bad')), 'NOT_FOUND');
      const ok = await fetch(url(f, '/v1/kv/bad'), { method: 'PUT', headers: RAW, body: 'fine' });
      assert.equal(ok.status, 200);
    },
  );

  it('serves the OpenAPI document and the docs page', { timeout: 20_000 }, async () => {
    const { followers } = running();
    const doc = (await (await fetch(url(followers[0]!, '/openapi.json'))).json()) as {
      paths: Record<string, unknown>;
    };
    for (const path of [
      '/v1/kv/{key}',
      '/v1/kv',
      '/v1/txn',
      '/v1/watch',
      '/v1/cluster/members',
      '/readyz',
    ]) {
      assert.ok(path in doc.paths, path);
    }
    const docs = await fetch(url(followers[0]!, '/docs/'));
    assert.equal(docs.status, 200);
    assert.match(await docs.text(), /swagger/i);
  });
});

/**
 * TLS (with client certificates) and the bearer token on the REST and gRPC ports of a real
 * 3-member cluster: refused without credentials, served with them; the probes and the gRPC
 * health service open without the token.
 */
import assert from 'node:assert/strict';
import { get as httpGet } from 'node:http';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { TestCluster, type Member } from '../e2e/harness/index.js';
import { makeTestPki, type TestPki } from './fixtures/certs.js';
import { bytes, connect, failure } from './fixtures/grpc-client.js';
import { grpcAddr, httpsGet } from './fixtures/gateway-cluster.js';

const TOKEN = 'test-token-7f3a';

describe('TLS and the bearer token on the gateways', () => {
  let pki: TestPki;
  let cluster: TestCluster;
  let failed = false;
  const https = (m: Member, path: string): string => `https://127.0.0.1:${m.ports.http}${path}`;
  const withCert = (): { ca: Buffer; cert: Buffer; key: Buffer } => ({
    ca: pki.caCert,
    cert: pki.clientCert,
    key: pki.clientKey,
  });

  before(async () => {
    pki = makeTestPki();
    cluster = await TestCluster.start({
      name: 'gateway-security',
      extraArgs: [
        ...['--tls-cert', pki.serverCertPath, '--tls-key', pki.serverKeyPath],
        ...['--tls-ca', pki.caCertPath, '--auth-token', TOKEN],
      ],
    });
    // Readiness over HTTPS with a client certificate and no token: the probe is open.
    await cluster.waitFor(
      'every member ready over HTTPS',
      async () => {
        const statuses = await Promise.all(
          cluster.members.map((m) =>
            httpsGet(https(m, '/readyz'), withCert()).then(
              (r) => r.status,
              () => 0,
            ),
          ),
        );
        return statuses.every((s) => s === 200) ? true : undefined;
      },
      30_000,
      100,
    );
  });
  after(async () => {
    await cluster.stop({ keep: failed });
    pki.remove();
  });

  const track = async (fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      failed = true;
      throw err;
    }
  };

  it(
    'REST: plaintext and unknown client certificates are refused at the TLS layer',
    { timeout: 20_000 },
    () =>
      track(async () => {
        const m = cluster.member(1);
        await assert.rejects(
          new Promise((resolve, reject) => {
            httpGet(`http://127.0.0.1:${m.ports.http}/livez`, { timeout: 2000 }, resolve).on(
              'error',
              reject,
            );
          }),
        );
        await assert.rejects(httpsGet(https(m, '/livez'), { ca: pki.caCert }));
        await assert.rejects(
          httpsGet(https(m, '/livez'), {
            ca: pki.caCert,
            cert: pki.strangerCert,
            key: pki.strangerKey,
          }),
        );
      }),
  );

  it(
    'REST: 401 without the token or with a wrong one; served with it; probes open',
    { timeout: 20_000 },
    () =>
      track(async () => {
        const m = cluster.member(2);
        const refused: Record<string, string>[] = [
          {},
          { authorization: 'Bearer nope' },
          { authorization: TOKEN },
        ];
        for (const headers of refused) {
          const r = await httpsGet(https(m, '/v1/kv/secret'), withCert(), headers);
          assert.equal(r.status, 401, r.body);
          assert.equal((JSON.parse(r.body) as { code: string }).code, 'UNAUTHENTICATED');
        }
        const authorized = { authorization: `Bearer ${TOKEN}` };
        const missing = await httpsGet(https(m, '/v1/kv/secret'), withCert(), authorized);
        assert.equal(missing.status, 404, missing.body);
        for (const path of ['/livez', '/readyz']) {
          assert.equal((await httpsGet(https(m, path), withCert())).status, 200, path);
        }
        const metrics = await httpsGet(https(m, '/metrics'), withCert());
        assert.equal(metrics.status, 200);
        assert.match(metrics.body, /^redraft_raft_term \d+$/m);
      }),
  );

  it(
    'gRPC: refused without TLS, without a trusted client certificate, and without the token',
    { timeout: 30_000 },
    () =>
      track(async () => {
        const address = grpcAddr(cluster.member(3));
        const attempts: [string, grpc.ChannelCredentials, string | undefined, grpc.status][] = [
          ['plaintext', grpc.credentials.createInsecure(), TOKEN, grpc.status.UNAVAILABLE],
          [
            'no client certificate',
            grpc.credentials.createSsl(pki.caCert),
            TOKEN,
            grpc.status.UNAVAILABLE,
          ],
          [
            'untrusted client certificate',
            grpc.credentials.createSsl(pki.caCert, pki.strangerKey, pki.strangerCert),
            TOKEN,
            grpc.status.UNAVAILABLE,
          ],
          [
            'no token',
            grpc.credentials.createSsl(pki.caCert, pki.clientKey, pki.clientCert),
            undefined,
            grpc.status.UNAUTHENTICATED,
          ],
          [
            'wrong token',
            grpc.credentials.createSsl(pki.caCert, pki.clientKey, pki.clientCert),
            'nope',
            grpc.status.UNAUTHENTICATED,
          ],
        ];
        for (const [what, credentials, token, code] of attempts) {
          const c = connect(address, { credentials, ...(token === undefined ? {} : { token }) });
          try {
            await assert.rejects(
              c.kv.put({ key: bytes('g'), value: bytes('v') }, { deadline: Date.now() + 5000 }),
              (err: unknown) => {
                const f = failure(err);
                assert.equal(f.code, code, `${what}: ${f.details}`);
                if (code === grpc.status.UNAUTHENTICATED)
                  assert.equal(f.redraft, 'UNAUTHENTICATED');
                return true;
              },
            );
          } finally {
            c.close();
          }
        }
      }),
  );

  it(
    'gRPC: served with TLS and the token; health answers without the token',
    { timeout: 30_000 },
    () =>
      track(async () => {
        const credentials = grpc.credentials.createSsl(pki.caCert, pki.clientKey, pki.clientCert);
        const c = connect(grpcAddr(cluster.member(3)), { credentials, token: TOKEN });
        try {
          const put = await c.kv.put({ key: bytes('g'), value: bytes('over tls') });
          assert.ok(put.version > 0);
          const got = await c.kv.get({ key: bytes('g') });
          assert.equal(got.kv?.value.toString(), 'over tls');
        } finally {
          c.close();
        }
        const rest = await httpsGet(https(cluster.member(1), '/v1/kv/g'), withCert(), {
          authorization: `Bearer ${TOKEN}`,
        });
        assert.equal(rest.body, 'over tls');

        const health = new grpc.Client(grpcAddr(cluster.member(1)), credentials);
        try {
          const res = await new Promise<Buffer>((resolve, reject) => {
            health.makeUnaryRequest(
              '/grpc.health.v1.Health/Check',
              (b: Buffer) => b,
              (b: Buffer) => b,
              Buffer.alloc(0),
              (err, r) => {
                if (err !== null || r === undefined) reject(err ?? new Error('no response'));
                else resolve(r);
              },
            );
          });
          assert.deepEqual(res, Buffer.from([0x08, 0x01]), 'SERVING');
        } finally {
          health.close();
        }
      }),
  );
});

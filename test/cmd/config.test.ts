import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, envName, parseServerConfig } from '../../cmd/config.js';

const base = [
  '--id',
  '1',
  '--initial-cluster',
  '1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003',
];

describe('redraft server configuration', () => {
  it('parses flags with their defaults', () => {
    const c = parseServerConfig([...base, '--resp-addr', '127.0.0.1:7379'], {});
    assert.equal(c.id, 1);
    assert.equal(c.respAddr, '127.0.0.1:7379');
    assert.equal(c.advertiseRespAddr, '127.0.0.1:7379');
    assert.equal(c.initialCluster.get(2), '127.0.0.1:7002');
    assert.equal(c.sync, true);
    assert.equal(c.readConsistency, 'linearizable');
    assert.equal(c.routing, 'forward');
    assert.deepEqual([c.slowlogLogSlowerThan, c.slowlogMaxLen], [10_000, 128]);
  });

  it("takes Redis's slow log settings, -1 turning it off", () => {
    const c = parseServerConfig(
      [...base, '--slowlog-log-slower-than=-1', '--slowlog-max-len', '0'],
      {},
    );
    assert.deepEqual([c.slowlogLogSlowerThan, c.slowlogMaxLen], [-1, 0]);
    assert.throws(
      () => parseServerConfig([...base, '--slowlog-log-slower-than=-2'], {}),
      /--slowlog-log-slower-than must be at least -1/,
    );
    assert.throws(
      () => parseServerConfig([...base, '--slowlog-log-slower-than', '1.5'], {}),
      /--slowlog-log-slower-than must be a whole number/,
    );
  });

  it('takes every flag from REDRAFT_* variables, flags winning', () => {
    assert.equal(envName('dataDir'), 'REDRAFT_DATA_DIR');
    const env = {
      REDRAFT_ID: '2',
      REDRAFT_INITIAL_CLUSTER: '1=a:1,2=b:2,3=c:3',
      REDRAFT_DATA_DIR: '/tmp/x',
      REDRAFT_SYNC: 'false',
    };
    const c = parseServerConfig([], env);
    assert.equal(c.id, 2);
    assert.equal(c.dataDir, '/tmp/x');
    assert.equal(c.sync, false);
    assert.equal(parseServerConfig(['--data-dir', '/tmp/y'], env).dataDir, '/tmp/y');
    assert.equal(parseServerConfig(['--sync'], env).sync, true);
  });

  it('binds every port to 127.0.0.1 by default, and takes TLS settings from the environment', () => {
    const c = parseServerConfig(base, {
      REDRAFT_PEER_TLS_CERT: 'm.pem',
      REDRAFT_PEER_TLS_KEY: 'm.key',
      REDRAFT_PEER_TLS_CA: 'ca.pem',
    });
    for (const addr of [c.peerAddr, c.respAddr, c.httpAddr, c.grpcAddr]) {
      assert.match(addr, /^127\.0\.0\.1:/);
    }
    assert.deepEqual(
      [c.peerTlsCert, c.peerTlsKey, c.peerTlsCa, c.tlsCert],
      ['m.pem', 'm.key', 'ca.pem', ''],
    );
  });

  it('reads a JSON config file below flags and environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'redraft-config-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ id: 3, initialCluster: '3=h:1', tickMs: 20 }));
    const c = parseServerConfig(['--config', file], {});
    assert.equal(c.id, 3);
    assert.equal(c.tickMs, 20);
    writeFileSync(file, JSON.stringify({ id: 3, bogus: 1 }));
    assert.throws(() => parseServerConfig(['--config', file], {}), /unknown setting "bogus"/);
  });

  for (const [why, argv, message] of [
    ['missing id', ['--initial-cluster', '1=a:1'], /--id is required/],
    ['no cluster', ['--id', '1'], /--initial-cluster or --join/],
    ['both', [...base, '--join', 'a:1'], /mutually exclusive/],
    ['bad entry', ['--id', '1', '--initial-cluster', '1=nohost'], /host:port/],
    ['duplicate id', ['--id', '1', '--initial-cluster', '1=a:1,1=b:2'], /twice/],
    ['not a member', ['--id', '9', '--initial-cluster', '1=a:1'], /does not include/],
    ['unknown flag', [...base, '--frobnicate'], /Unknown option/],
    ['bad number', [...base, '--tick-ms', 'fast'], /whole number/],
    ['bad port', [...base, '--resp-addr', 'h:99999'], /host:port/],
    [
      'bad consistency',
      [...base, '--read-consistency', 'eventual'],
      /linearizable, lease or stale/,
    ],
    ['ticks', [...base, '--heartbeat-ticks', '10', '--election-ticks', '10'], /smaller/],
    ['a TLS key without its certificate', [...base, '--tls-key', 'k.pem'], /together/],
    ['a client CA without TLS', [...base, '--tls-ca', 'ca.pem'], /--tls-ca needs/],
    [
      'peer TLS without its CA',
      [...base, '--peer-tls-cert', 'c.pem', '--peer-tls-key', 'k.pem'],
      /mutual TLS between members/,
    ],
  ] as const) {
    it(`refuses ${why} with a clear message`, () => {
      assert.throws(
        () => parseServerConfig(argv, {}),
        (err: unknown) => err instanceof ConfigError && message.test(err.message),
      );
    });
  }
});

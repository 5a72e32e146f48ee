/**
 * ioredis against real 3-node clusters: as a plain client connected to a follower (which
 * forwards writes to the leader), and as `Cluster` against members in redirect mode (which
 * answer MOVED and describe one shard led by the Raft leader). Both keep serving through a
 * kill -9 of the leader without acknowledging a write that was lost.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { waitFor } from '../harness/index.js';
import {
  describeFailover,
  sharedCluster,
  writeThroughLeaderKill,
  type RunningCluster,
} from './fixture.js';

/** A client that reports errors instead of retrying behind the test's back. */
function plainClient(port: number, db = 0): Redis {
  return new Redis({
    host: '127.0.0.1',
    port,
    db,
    commandTimeout: 5000,
    maxRetriesPerRequest: 0,
    // Connection errors surface as rejected commands; unhandled 'error' events would be noise.
  }).on('error', () => undefined);
}

/** The follower a normal-mode client talks to. */
function followerOf(c: RunningCluster): number {
  return c.followers[0]!.ports.resp;
}

describe('ioredis, normal mode, connected to a follower', () => {
  const running = sharedCluster('ioredis-normal', 'forward');

  it('strings: SET options, counters, ranges, binary values', { timeout: 20_000 }, async () => {
    const client = plainClient(followerOf(running()));
    try {
      assert.equal(await client.set('s:greeting', 'hello'), 'OK');
      assert.equal(await client.get('s:greeting'), 'hello');
      assert.equal(await client.set('s:greeting', 'other', 'NX'), null);
      assert.equal(await client.set('s:greeting', 'hi', 'XX', 'GET'), 'hello');
      assert.equal(await client.append('s:greeting', ' there'), 8);
      assert.equal(await client.getrange('s:greeting', -5, -1), 'there');
      assert.equal(await client.setrange('s:greeting', 0, 'HI'), 8);
      assert.equal(await client.strlen('s:greeting'), 8);
      assert.equal(await client.incr('s:n'), 1);
      assert.equal(await client.incrby('s:n', 41), 42);
      assert.equal(await client.decrby('s:n', 2), 40);
      assert.equal(await client.incrbyfloat('s:f', '2.5'), '2.5');
      await assert.rejects(client.incr('s:greeting'), /not an integer/);
      assert.equal(await client.mset('s:a', '1', 's:b', '2'), 'OK');
      assert.deepEqual(await client.mget('s:a', 's:b', 's:missing'), ['1', '2', null]);
      assert.equal(await client.getdel('s:a'), '1');
      assert.equal(await client.get('s:a'), null);
      // Every byte value survives the round trip, CR LF and NUL included.
      const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      assert.equal(await client.set(Buffer.from([0, 13, 10, 255]), binary), 'OK');
      assert.deepEqual(await client.getBuffer(Buffer.from([0, 13, 10, 255])), binary);
    } finally {
      client.disconnect();
    }
  });

  it('hashes', { timeout: 20_000 }, async () => {
    const client = plainClient(followerOf(running()));
    try {
      assert.equal(await client.hset('h:user', { name: 'ada', born: '1815' }), 2);
      assert.equal(await client.hset('h:user', 'name', 'Ada'), 0);
      assert.deepEqual(await client.hgetall('h:user'), { name: 'Ada', born: '1815' });
      assert.equal(await client.hincrby('h:user', 'born', 1), 1816);
      assert.equal(await client.hincrbyfloat('h:user', 'score', '1.5'), '1.5');
      assert.deepEqual(await client.hmget('h:user', 'name', 'nope'), ['Ada', null]);
      assert.equal(await client.hexists('h:user', 'score'), 1);
      assert.equal(await client.hdel('h:user', 'score', 'nope'), 1);
      assert.equal(await client.hlen('h:user'), 2);
      assert.deepEqual((await client.hkeys('h:user')).sort(), ['born', 'name']);
      const [cursor, flat] = await client.hscan('h:user', 0, 'COUNT', 100);
      assert.equal(cursor, '0');
      assert.deepEqual(flat.length, 4);
      await assert.rejects(client.get('h:user'), /WRONGTYPE/);
    } finally {
      client.disconnect();
    }
  });

  it('TTLs: EX/PX, TTL, PERSIST, and keys that expire', { timeout: 20_000 }, async () => {
    const client = plainClient(followerOf(running()));
    try {
      assert.equal(await client.set('t:long', 'v', 'EX', 100), 'OK');
      const ttl = await client.ttl('t:long');
      assert.ok(ttl > 90 && ttl <= 100, `TTL ${ttl}`);
      const pttl = await client.pttl('t:long');
      assert.ok(pttl > 90_000 && pttl <= 100_000, `PTTL ${pttl}`);
      assert.equal(await client.persist('t:long'), 1);
      assert.equal(await client.ttl('t:long'), -1);
      assert.equal(await client.ttl('t:missing'), -2);
      assert.equal(await client.set('t:short', 'v', 'PX', 150), 'OK');
      assert.equal(await client.set('t:short2', 'v'), 'OK');
      assert.equal(await client.pexpire('t:short2', 150), 1);
      // Expiry is judged by the clock at read time; poll until both are gone.
      await waitFor(
        'the short-lived keys to expire',
        async () => ((await client.exists('t:short', 't:short2')) === 0 ? true : undefined),
        { timeoutMs: 5000, intervalMs: 25 },
      );
      assert.equal(await client.get('t:short'), null);
      assert.equal(await client.get('t:long'), 'v');
    } finally {
      client.disconnect();
    }
  });

  it(
    'MULTI/EXEC with WATCH, DISCARD and errors inside a transaction',
    { timeout: 20_000 },
    async () => {
      const port = followerOf(running());
      const client = plainClient(port);
      const other = plainClient(port);
      try {
        assert.equal(await client.set('x:watched', '0'), 'OK');
        assert.equal(await client.watch('x:watched'), 'OK');
        assert.deepEqual(
          await client.multi().set('x:watched', '1').incr('x:count').get('x:watched').exec(),
          [
            [null, 'OK'],
            [null, 1],
            [null, '1'],
          ],
        );

        // Another connection changes the watched key: EXEC runs nothing and answers nil.
        assert.equal(await client.watch('x:watched'), 'OK');
        assert.equal(await other.set('x:watched', 'theirs'), 'OK');
        assert.equal(await client.multi().set('x:watched', 'mine').incr('x:count').exec(), null);
        assert.equal(await client.get('x:watched'), 'theirs');
        assert.equal(await client.get('x:count'), '1');

        // A command failing at run time fails alone; the others are applied.
        const results = await client.multi().set('x:s', 'text').incr('x:s').incr('x:count').exec();
        assert.ok(results !== null);
        assert.deepEqual(results[0], [null, 'OK']);
        assert.match(String(results[1]![0]), /not an integer/);
        assert.deepEqual(results[2], [null, 2]);

        // DISCARD drops the queue (MULTI sent at once, not as a pipeline, to queue by hand).
        assert.equal(await client.multi({ pipeline: false }), 'OK');
        assert.equal(await client.set('x:discarded', '1'), 'QUEUED');
        assert.equal(await client.discard(), 'OK');
        assert.equal(await client.get('x:discarded'), null);
      } finally {
        client.disconnect();
        other.disconnect();
      }
    },
  );

  it('a pipeline of 1000 commands answers in order', { timeout: 30_000 }, async () => {
    const client = plainClient(followerOf(running()));
    try {
      // Mostly writes, with a read every 50 commands of the key the last SET wrote. Each
      // switch between reads and writes waits for the commands before it (read-your-writes
      // within a pipeline), so a read-heavy alternation would measure consensus rounds.
      const pipeline = client.pipeline();
      for (let i = 0; i < 1000; i++) {
        if (i % 50 === 49) pipeline.get(`p:${i - 2}`);
        else if (i % 2 === 0) pipeline.incr('p:counter');
        else pipeline.set(`p:${i}`, `value-${i}`);
      }
      const results = await pipeline.exec();
      assert.ok(results !== null);
      assert.equal(results.length, 1000);
      let counter = 0;
      results.forEach(([err, value], i) => {
        assert.equal(err, null, `command ${i}`);
        if (i % 50 === 49) assert.equal(value, `value-${i - 2}`, `GET at ${i}`);
        else if (i % 2 === 0) assert.equal(value, ++counter, `INCR at ${i}`);
        else assert.equal(value, 'OK', `SET at ${i}`);
      });
    } finally {
      client.disconnect();
    }
  });

  it('SELECT keeps databases apart', { timeout: 20_000 }, async () => {
    const port = followerOf(running());
    const db0 = plainClient(port);
    const db3 = plainClient(port, 3);
    try {
      assert.equal(await db3.set('db:key', 'in-3'), 'OK');
      assert.equal(await db0.get('db:key'), null);
      assert.equal(await db0.select(3), 'OK');
      assert.equal(await db0.get('db:key'), 'in-3');
      await assert.rejects(db0.select(16), /DB index is out of range/);
    } finally {
      db0.disconnect();
      db3.disconnect();
    }
  });

  it('LEADER names the leader and its addresses', { timeout: 20_000 }, async () => {
    const { leader, followers } = running();
    const client = plainClient(followers[0]!.ports.resp);
    try {
      const reply = (await client.call('LEADER')) as unknown[];
      assert.equal(reply.length, 4);
      assert.equal(reply[0], leader.id);
      assert.equal(reply[1], leader.respAddr);
      assert.equal(reply[2], `127.0.0.1:${leader.ports.http}`);
      assert.equal(reply[3], `127.0.0.1:${leader.ports.grpc}`);
    } finally {
      client.disconnect();
    }
  });

  it('keeps writing through a kill -9 of the leader', { timeout: 60_000 }, async () => {
    const { cluster, followers } = running();
    const client = plainClient(followers[0]!.ports.resp);
    try {
      const report = await writeThroughLeaderKill({
        cluster,
        tag: 'fo-ioredis',
        loops: 4,
        write: (k, v) => client.set(k, v),
      });
      process.stderr.write(describeFailover('ioredis via a follower', report));
      assert.deepEqual(report.problems, []);
      assert.ok(report.electedAfterMs < 10_000, `election took ${report.electedAfterMs} ms`);
      assert.ok(
        report.resumedAfterMs - report.electedAfterMs < 5000,
        `writes resumed ${report.resumedAfterMs - report.electedAfterMs} ms after the election`,
      );
    } finally {
      client.disconnect();
    }
  });
});

describe('ioredis Cluster, members in redirect mode', () => {
  const running = sharedCluster('ioredis-cluster', 'redirect');

  function clusterClient(c: RunningCluster): Cluster {
    return new Cluster(
      c.cluster.members.map((m) => ({ host: '127.0.0.1', port: m.ports.resp })),
      {
        // Retry quickly while a failover is under way; give up on a write after 5 s.
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
        retryDelayOnTryAgain: 100,
        redisOptions: { commandTimeout: 5000 },
      },
    ).on('error', () => undefined);
  }

  it('follows MOVED to the leader and sees one shard', { timeout: 20_000 }, async () => {
    const { leader, followers } = running();
    // A follower answers a write with MOVED to the leader's address.
    const moved = await followers[0]!.command(['SET', 'k', 'v']);
    assert.ok(moved.kind === 'error', `a follower answered ${JSON.stringify(moved)}`);
    assert.match(moved.message, new RegExp(`^MOVED \\d+ ${leader.respAddr}$`));

    const client = clusterClient(running());
    try {
      for (let i = 0; i < 50; i++) assert.equal(await client.set(`c:${i}`, `v${i}`), 'OK');
      for (let i = 0; i < 50; i++) assert.equal(await client.get(`c:${i}`), `v${i}`);
      const masters = client.nodes('master');
      assert.equal(masters.length, 1);
      assert.equal(
        `${masters[0]!.options.host ?? ''}:${masters[0]!.options.port ?? 0}`,
        leader.respAddr,
      );
      // Keys of one hash slot: a pipeline and a transaction.
      const results = await client
        .pipeline()
        .set('{tag}a', '1')
        .incr('{tag}b')
        .get('{tag}a')
        .exec();
      assert.deepEqual(results, [
        [null, 'OK'],
        [null, 1],
        [null, '1'],
      ]);
      assert.deepEqual(await client.multi().incr('{tag}b').get('{tag}b').exec(), [
        [null, 2],
        [null, '2'],
      ]);
    } finally {
      client.disconnect();
    }
  });

  it('keeps writing through a kill -9 of the leader', { timeout: 60_000 }, async () => {
    const c = running();
    const client = clusterClient(c);
    try {
      const report = await writeThroughLeaderKill({
        cluster: c.cluster,
        tag: 'fo-ioredis-cluster',
        loops: 4,
        write: (k, v) => client.set(k, v),
      });
      process.stderr.write(describeFailover('ioredis Cluster', report));
      assert.deepEqual(report.problems, []);
      assert.ok(report.electedAfterMs < 10_000, `election took ${report.electedAfterMs} ms`);
      assert.ok(
        report.resumedAfterMs - report.electedAfterMs < 5000,
        `writes resumed ${report.resumedAfterMs - report.electedAfterMs} ms after the election`,
      );
    } finally {
      client.disconnect();
    }
  });
});

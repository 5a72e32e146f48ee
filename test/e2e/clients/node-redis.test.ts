/**
 * node-redis (v4) against real 3-node clusters: as a plain client connected to a follower, and
 * as `createCluster` against members in redirect mode; plus RESP3, which node-redis 4 cannot
 * speak (its `RESP: 3` option arrived in v5), through a raw HELLO 3 exchange.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { MultiErrorReply, WatchError, commandOptions, createClient, createCluster } from 'redis';
import { ReplyParser, encodeCommand } from '../../../src/resp/reply-parser.js';
import type { Reply } from '../../../src/resp/encoder.js';
import { waitFor } from '../harness/index.js';
import {
  describeFailover,
  sharedCluster,
  withTimeout,
  writeThroughLeaderKill,
  type RunningCluster,
} from './fixture.js';

type Client = ReturnType<typeof createClient>;

async function plainClient(port: number, database = 0): Promise<Client> {
  const client = createClient({ url: `redis://127.0.0.1:${port}`, database });
  // node-redis emits reconnect errors as events; the test sees failures as rejected commands.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

function followerPort(c: RunningCluster): number {
  return c.followers[0]!.ports.resp;
}

describe('node-redis, normal mode, connected to a follower', () => {
  const running = sharedCluster('node-redis-normal', 'forward');

  it('strings: SET options, counters, ranges, binary values', { timeout: 20_000 }, async () => {
    const client = await plainClient(followerPort(running()));
    try {
      assert.equal(await client.set('s:greeting', 'hello'), 'OK');
      assert.equal(await client.get('s:greeting'), 'hello');
      assert.equal(await client.set('s:greeting', 'other', { NX: true }), null);
      assert.equal(await client.set('s:greeting', 'hi', { XX: true, GET: true }), 'hello');
      assert.equal(await client.append('s:greeting', ' there'), 8);
      assert.equal(await client.getRange('s:greeting', -5, -1), 'there');
      assert.equal(await client.setRange('s:greeting', 0, 'HI'), 8);
      assert.equal(await client.strLen('s:greeting'), 8);
      assert.equal(await client.incr('s:n'), 1);
      assert.equal(await client.incrBy('s:n', 41), 42);
      assert.equal(await client.decrBy('s:n', 2), 40);
      assert.equal(await client.incrByFloat('s:f', 0.1), '0.1');
      // Redis adds in 80-bit long double: 0.1 + 0.2 prints as 0.3, not 0.30000000000000004.
      assert.equal(await client.incrByFloat('s:f', 0.2), '0.3');
      await assert.rejects(client.incr('s:greeting'), /not an integer/);
      assert.equal(await client.mSet({ 's:a': '1', 's:b': '2' }), 'OK');
      assert.deepEqual(await client.mGet(['s:a', 's:b', 's:missing']), ['1', '2', null]);
      assert.equal(await client.getDel('s:a'), '1');
      const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const key = Buffer.from([0, 13, 10, 255]);
      assert.equal(await client.set(key, binary), 'OK');
      assert.deepEqual(await client.get(commandOptions({ returnBuffers: true }), key), binary);
    } finally {
      await client.disconnect();
    }
  });

  it('hashes', { timeout: 20_000 }, async () => {
    const client = await plainClient(followerPort(running()));
    try {
      assert.equal(await client.hSet('h:user', { name: 'ada', born: '1815' }), 2);
      assert.equal(await client.hSet('h:user', 'name', 'Ada'), 0);
      assert.deepEqual({ ...(await client.hGetAll('h:user')) }, { name: 'Ada', born: '1815' });
      assert.equal(await client.hIncrBy('h:user', 'born', 1), 1816);
      assert.equal(await client.hIncrByFloat('h:user', 'score', 1.5), '1.5');
      assert.deepEqual(await client.hmGet('h:user', ['name', 'nope']), ['Ada', null]);
      assert.equal(await client.hExists('h:user', 'score'), true);
      assert.equal(await client.hDel('h:user', ['score', 'nope']), 1);
      assert.equal(await client.hLen('h:user'), 2);
      const scanned = await client.hScan('h:user', 0, { COUNT: 100 });
      assert.equal(scanned.cursor, 0);
      assert.deepEqual(scanned.tuples.map((x) => x.field).sort(), ['born', 'name']);
      await assert.rejects(client.get('h:user'), /WRONGTYPE/);
    } finally {
      await client.disconnect();
    }
  });

  it('TTLs: EX/PX, TTL, PERSIST, and keys that expire', { timeout: 20_000 }, async () => {
    const client = await plainClient(followerPort(running()));
    try {
      assert.equal(await client.set('t:long', 'v', { EX: 100 }), 'OK');
      const ttl = await client.ttl('t:long');
      assert.ok(ttl > 90 && ttl <= 100, `TTL ${ttl}`);
      const pttl = await client.pTTL('t:long');
      assert.ok(pttl > 90_000 && pttl <= 100_000, `PTTL ${pttl}`);
      assert.equal(await client.persist('t:long'), true);
      assert.equal(await client.ttl('t:long'), -1);
      assert.equal(await client.set('t:short', 'v', { PX: 150 }), 'OK');
      assert.equal(await client.set('t:short2', 'v'), 'OK');
      assert.equal(await client.pExpire('t:short2', 150), true);
      await waitFor(
        'the short-lived keys to expire',
        async () => ((await client.exists(['t:short', 't:short2'])) === 0 ? true : undefined),
        { timeoutMs: 5000, intervalMs: 25 },
      );
      assert.equal(await client.get('t:long'), 'v');
    } finally {
      await client.disconnect();
    }
  });

  it('MULTI/EXEC with WATCH on an isolated connection', { timeout: 20_000 }, async () => {
    const client = await plainClient(followerPort(running()));
    try {
      assert.equal(await client.set('x:watched', '0'), 'OK');
      const applied = await client.executeIsolated(async (isolated) => {
        await isolated.watch('x:watched');
        return isolated.multi().set('x:watched', '1').incr('x:count').get('x:watched').exec();
      });
      assert.deepEqual(applied, ['OK', 1, '1']);

      // Another connection changes the watched key in between: EXEC aborts (WatchError).
      await assert.rejects(
        client.executeIsolated(async (isolated) => {
          await isolated.watch('x:watched');
          await client.set('x:watched', 'theirs');
          return isolated.multi().set('x:watched', 'mine').incr('x:count').exec();
        }),
        WatchError,
      );
      assert.equal(await client.get('x:watched'), 'theirs');
      assert.equal(await client.get('x:count'), '1');

      // A run-time error fails its command alone; node-redis 4 rejects EXEC with every reply.
      const failed = await client
        .multi()
        .set('x:s', 'text')
        .incr('x:s')
        .incr('x:count')
        .exec()
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      assert.ok(failed instanceof MultiErrorReply, `EXEC answered ${String(failed)}`);
      assert.deepEqual(failed.errorIndexes, [1]);
      assert.equal(failed.replies[0], 'OK');
      assert.match(String(failed.replies[1]), /not an integer/);
      assert.equal(failed.replies[2], 2);
    } finally {
      await client.disconnect();
    }
  });

  it(
    '1000 commands issued at once are pipelined and answered in order',
    { timeout: 30_000 },
    async () => {
      const client = await plainClient(followerPort(running()));
      try {
        // node-redis writes every command issued in one tick as one pipeline. Mostly writes,
        // with a read every 50 commands of the key the last SET wrote (each switch between
        // reads and writes costs a consensus round: see the ioredis test).
        const replies = await Promise.all(
          Array.from({ length: 1000 }, (_, i): Promise<unknown> => {
            if (i % 50 === 49) return client.get(`p:${i - 2}`);
            if (i % 2 === 0) return client.incr('p:counter');
            return client.set(`p:${i}`, `value-${i}`);
          }),
        );
        let counter = 0;
        replies.forEach((value, i) => {
          if (i % 50 === 49) assert.equal(value, `value-${i - 2}`, `GET at ${i}`);
          else if (i % 2 === 0) assert.equal(value, ++counter, `INCR at ${i}`);
          else assert.equal(value, 'OK', `SET at ${i}`);
        });
        // The explicit form: MULTI-less pipeline.
        const batch = client.multi();
        for (let i = 0; i < 100; i++) batch.incr('p:batch');
        const counts = await batch.execAsPipeline();
        assert.deepEqual(
          counts,
          Array.from({ length: 100 }, (_, i) => i + 1),
        );
      } finally {
        await client.disconnect();
      }
    },
  );

  it('SELECT keeps databases apart', { timeout: 20_000 }, async () => {
    const port = followerPort(running());
    const db0 = await plainClient(port);
    const db3 = await plainClient(port, 3);
    try {
      assert.equal(await db3.set('db:key', 'in-3'), 'OK');
      assert.equal(await db0.get('db:key'), null);
      await db0.select(3);
      assert.equal(await db0.get('db:key'), 'in-3');
      await assert.rejects(db0.select(16), /DB index is out of range/);
    } finally {
      await db0.disconnect();
      await db3.disconnect();
    }
  });

  it('LEADER names the leader and its addresses', { timeout: 20_000 }, async () => {
    const { leader, followers } = running();
    const client = await plainClient(followers[0]!.ports.resp);
    try {
      const reply = await client.sendCommand(['LEADER']);
      assert.deepEqual(reply, [
        leader.id,
        leader.respAddr,
        `127.0.0.1:${leader.ports.http}`,
        `127.0.0.1:${leader.ports.grpc}`,
      ]);
    } finally {
      await client.disconnect();
    }
  });

  it('RESP3 through a raw HELLO 3 exchange', { timeout: 20_000 }, async () => {
    const raw = await RawConnection.open(followerPort(running()));
    try {
      const hello = await raw.send(['HELLO', '3']);
      assert.equal(hello.bytes[0], 0x25 /* % */, 'HELLO 3 answers a map');
      assert.equal(hello.reply.kind, 'map');
      const fields = mapOf(hello.reply);
      assert.equal(fields.get('proto'), '3');
      assert.equal(fields.get('server'), 'redis');

      assert.equal((await raw.send(['GET', 'r3:missing'])).text, '_\r\n', 'a RESP3 null');
      assert.equal((await raw.send(['SET', 'r3:k', 'v'])).text, '+OK\r\n');
      assert.equal((await raw.send(['INCRBYFLOAT', 'r3:f', '1.5'])).text, '$3\r\n1.5\r\n');
      const config = await raw.send(['CONFIG', 'GET', 'databases']);
      assert.equal(config.text, '%1\r\n$9\r\ndatabases\r\n$2\r\n16\r\n');
      const transaction = await raw.send(['MULTI']);
      assert.equal(transaction.text, '+OK\r\n');
      assert.equal((await raw.send(['GET', 'r3:missing'])).text, '+QUEUED\r\n');
      assert.equal((await raw.send(['EXEC'])).text, '*1\r\n_\r\n');
      // HGETALL is a map, HRANDFIELD ... WITHVALUES a list of pairs, in EXEC's reply too.
      assert.equal((await raw.send(['HSET', 'r3:h', 'a', '1'])).text, ':1\r\n');
      const map = '%1\r\n$1\r\na\r\n$1\r\n1\r\n';
      assert.equal((await raw.send(['HGETALL', 'r3:h'])).text, map);
      const pairs = '*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n';
      assert.equal((await raw.send(['HRANDFIELD', 'r3:h', '5', 'WITHVALUES'])).text, pairs);
      await raw.send(['MULTI']);
      await raw.send(['HGETALL', 'r3:h']);
      assert.equal((await raw.send(['EXEC'])).text, `*1\r\n${map}`);

      // Back to RESP2 on the same connection.
      assert.equal((await raw.send(['HELLO', '2'])).bytes[0], 0x2a /* * */);
      assert.equal((await raw.send(['GET', 'r3:missing'])).text, '$-1\r\n');
    } finally {
      raw.close();
    }
  });

  it('keeps writing through a kill -9 of the leader', { timeout: 60_000 }, async () => {
    const { cluster, followers } = running();
    const client = await plainClient(followers[0]!.ports.resp);
    try {
      const report = await writeThroughLeaderKill({
        cluster,
        tag: 'fo-node-redis',
        loops: 4,
        write: (k, v) => client.set(k, v),
      });
      process.stderr.write(describeFailover('node-redis via a follower', report));
      assert.deepEqual(report.problems, []);
      assert.ok(report.electedAfterMs < 10_000, `election took ${report.electedAfterMs} ms`);
      assert.ok(
        report.resumedAfterMs - report.electedAfterMs < 5000,
        `writes resumed ${report.resumedAfterMs - report.electedAfterMs} ms after the election`,
      );
    } finally {
      await client.disconnect();
    }
  });
});

describe('node-redis createCluster, members in redirect mode', () => {
  const running = sharedCluster('node-redis-cluster', 'redirect');

  function clusterClient(c: RunningCluster): ReturnType<typeof createCluster> {
    const client = createCluster({
      rootNodes: c.cluster.members.map((m) => ({ url: `redis://127.0.0.1:${m.ports.resp}` })),
      // Reconnect quickly to a member that went away (see the failover test).
      defaults: { socket: { reconnectStrategy: (retries: number) => Math.min(50 * retries, 200) } },
    });
    client.on('error', () => undefined);
    return client;
  }

  it('follows MOVED to the leader and sees one shard', { timeout: 20_000 }, async () => {
    const { leader } = running();
    const client = clusterClient(running());
    await client.connect();
    try {
      for (let i = 0; i < 50; i++) assert.equal(await client.set(`c:${i}`, `v${i}`), 'OK');
      for (let i = 0; i < 50; i++) assert.equal(await client.get(`c:${i}`), `v${i}`);
      assert.equal(client.masters.length, 1);
      assert.equal(client.masters[0]!.address, leader.respAddr);
      const replies = await client.multi().set('{tag}a', '1').incr('{tag}b').get('{tag}a').exec();
      assert.deepEqual(replies, ['OK', 1, '1']);
    } finally {
      await client.disconnect();
    }
  });

  it(
    'keeps writing through a kill -9 of the leader that a supervisor restarts',
    { timeout: 60_000 },
    async () => {
      const c = running();
      const client = clusterClient(c);
      await client.connect();
      try {
        const report = await writeThroughLeaderKill({
          cluster: c.cluster,
          tag: 'fo-node-redis-cluster',
          loops: 4,
          write: (k, v) => client.set(k, v),
          // node-redis 4 refreshes its slot map only when a node answers MOVED or ASK
          // (redis/node-redis#2806): a dead leader answers nothing, so the client keeps
          // reconnecting to it. Restarting the member, as Kubernetes or systemd would, gives it a
          // node that answers MOVED with the new leader's address.
          afterKill: (killed) => {
            killed.start();
          },
        });
        process.stderr.write(describeFailover('node-redis cluster', report));
        assert.deepEqual(report.problems, []);
        assert.ok(report.electedAfterMs < 10_000, `election took ${report.electedAfterMs} ms`);
        assert.ok(
          report.resumedAfterMs - report.electedAfterMs < 5000,
          `writes resumed ${report.resumedAfterMs - report.electedAfterMs} ms after the election`,
        );
      } finally {
        await withTimeout(client.disconnect(), 5000, 'disconnect').catch(() => undefined);
      }
    },
  );
});

function mapOf(reply: Reply): Map<string, string> {
  const out = new Map<string, string>();
  if (reply.kind !== 'map') return out;
  for (let i = 0; i + 1 < reply.items.length; i += 2) {
    out.set(scalar(reply.items[i]!), scalar(reply.items[i + 1]!));
  }
  return out;
}

function scalar(r: Reply): string {
  switch (r.kind) {
    case 'bulk':
    case 'verbatim':
      return Buffer.from(r.value).toString('utf8');
    case 'simple':
      return r.value;
    case 'integer':
      return String(r.value);
    default:
      return r.kind;
  }
}

/**
 * One request at a time over a socket, keeping the exact bytes of each reply: the RESP3 checks
 * are about the wire format (`_` versus `$-1`), which a parsed reply does not show.
 */
class RawConnection {
  private readonly parser = new ReplyParser();
  private bytes: Buffer[] = [];
  private waiter: ((r: { reply: Reply; bytes: Buffer }) => void) | undefined;
  private failure: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.bytes.push(Buffer.from(chunk));
      const replies = this.parser.feed(chunk);
      const reply = replies[0];
      if (reply !== undefined && this.waiter !== undefined) {
        const all = Buffer.concat(this.bytes);
        this.bytes = [];
        const w = this.waiter;
        this.waiter = undefined;
        w({ reply, bytes: all });
      }
    });
    socket.on('error', (err) => {
      this.failure = err;
    });
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        resolve(new RawConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  async send(argv: readonly string[]): Promise<{ reply: Reply; bytes: Buffer; text: string }> {
    if (this.failure !== undefined) throw this.failure;
    const answer = new Promise<{ reply: Reply; bytes: Buffer }>((resolve) => {
      this.waiter = resolve;
    });
    this.socket.write(encodeCommand(argv));
    const r = await withTimeout(answer, 5000, argv.join(' '));
    return { ...r, text: r.bytes.toString('latin1') };
  }

  close(): void {
    this.socket.destroy();
  }
}

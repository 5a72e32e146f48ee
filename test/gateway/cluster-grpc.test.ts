/**
 * The gRPC API against real 3-member clusters, through client stubs generated from
 * proto/redraft/v1: writes through followers, reads at every consistency, range paging,
 * transaction atomicity under concurrent writers on every member, watches resumed after a
 * disconnect (on another member), COMPACTED after a restart from a snapshot, and in redirect
 * mode NOT_LEADER naming the leader's gRPC address.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { WatchResponse__Output } from '../../src/gateway/grpc/generated/redraft/v1/WatchResponse.js';
import { replyText, type Member } from '../e2e/harness/index.js';
import { bytes, connect, failure, type Clients } from './fixtures/grpc-client.js';
import { gatewayCluster, grpcAddr, waitReady } from './fixtures/gateway-cluster.js';

function clientsOf(members: readonly Member[]): Clients[] {
  return members.map((m) => connect(grpcAddr(m)));
}

function closeAll(clients: readonly Clients[]): void {
  for (const c of clients) c.close();
}

/** A watch stream and the responses it has received so far. */
class WatchCollector {
  readonly responses: WatchResponse__Output[] = [];
  readonly call: grpc.ClientReadableStream<WatchResponse__Output>;
  error: grpc.ServiceError | undefined;

  constructor(clients: Clients, req: { prefix: string; startIndex?: number }) {
    this.call = clients.kvStub.watch({
      prefix: bytes(req.prefix),
      startIndex: req.startIndex ?? 0,
    });
    this.call.on('data', (r: WatchResponse__Output) => this.responses.push(r));
    this.call.on('error', (err: grpc.ServiceError) => {
      this.error = err;
    });
  }

  get events(): { type: string; key: string; value: string; index: number }[] {
    return this.responses.flatMap((r) =>
      r.events.map((e) => ({
        type: e.type,
        key: e.kv?.key.toString() ?? '',
        value: e.kv?.value.toString() ?? '',
        index: e.index,
      })),
    );
  }

  /** The index to resume from after the last response received. */
  get resumeFrom(): number {
    return (this.responses[this.responses.length - 1]?.index ?? 0) + 1;
  }

  async until(what: string, done: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (this.error !== undefined) throw this.error;
      if (Date.now() > deadline) throw new Error(`watch: no ${what} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  cancel(): void {
    this.call.cancel();
  }
}

describe('gRPC against a 3-member cluster (followers forward)', () => {
  const running = gatewayCluster({ name: 'grpc-forward', snapshotEntries: 200 });

  it(
    'writes through a follower; every member reads it at every consistency',
    { timeout: 30_000 },
    async () => {
      const { cluster, followers } = running();
      const clients = clientsOf(cluster.members);
      try {
        const writer = clientsOf([followers[0]!])[0]!;
        const put = await writer.kv.put({ key: bytes('greeting'), value: bytes('hello') });
        writer.close();
        assert.ok(put.version > 0);
        for (const c of clients) {
          for (const consistency of [
            'CONSISTENCY_LINEARIZABLE',
            'CONSISTENCY_LEASE',
            'CONSISTENCY_UNSPECIFIED',
          ] as const) {
            const got = await c.kv.get({ key: bytes('greeting'), consistency });
            assert.equal(got.found, true, consistency);
            assert.equal(got.kv?.value.toString(), 'hello');
            assert.equal(got.kv.version, put.version);
            assert.ok(got.appliedIndex >= put.version);
          }
          await cluster.waitFor(
            'a stale read to catch up',
            async () =>
              (await c.kv.get({ key: bytes('greeting'), consistency: 'CONSISTENCY_STALE' })).found
                ? true
                : undefined,
            5000,
          );
        }
        // One keyspace: RESP sees what gRPC wrote.
        assert.equal(replyText(await cluster.member(1).command(['GET', 'greeting'])), 'hello');
        const deleted = await clients[2]!.kv.delete({ key: bytes('greeting') });
        assert.equal(deleted.deleted, true);
        assert.equal((await clients[0]!.kv.get({ key: bytes('greeting') })).found, false);
      } finally {
        closeAll(clients);
      }
    },
  );

  it(
    'pages through a prefix from a follower in byte order, each key present throughout exactly once',
    { timeout: 60_000 },
    async () => {
      const { leader, followers } = running();
      const [writer, reader] = clientsOf([leader, followers[1]!]);
      try {
        const keys = Array.from({ length: 250 }, (_, i) => `r:${String(i).padStart(3, '0')}`);
        for (let i = 0; i < keys.length; i += 50) {
          await Promise.all(
            keys
              .slice(i, i + 50)
              .map((k) => writer!.kv.put({ key: bytes(k), value: bytes(`v${k}`) })),
          );
        }
        const seen: string[] = [];
        let pageToken = '';
        let pages = 0;
        do {
          const page = await reader!.kv.range({ prefix: bytes('r:'), limit: 100, pageToken });
          pages++;
          seen.push(...page.kvs.map((kv) => kv.key.toString()));
          for (const kv of page.kvs) assert.equal(kv.value.toString(), `v${kv.key.toString()}`);
          pageToken = page.nextPageToken;
          // Churn between pages: keys that come and go must not disturb the ones that stay.
          await writer!.kv.put({ key: bytes(`r:${pages}-new`), value: bytes('x') });
          await writer!.kv.delete({ key: bytes(`r:${pages}-new`) });
        } while (pageToken !== '');
        assert.equal(pages, 3);
        assert.deepEqual(seen, keys);
        const keysOnly = await reader!.kv.range({ prefix: bytes('r:24'), keysOnly: true });
        assert.deepEqual(
          keysOnly.kvs.map((kv) => [kv.key.toString(), kv.value.length]),
          keys.filter((k) => k.startsWith('r:24')).map((k) => [k, 0]),
        );
      } finally {
        writer!.close();
        reader!.close();
      }
    },
  );

  it(
    'transactions are atomic: compare-and-set increments from every member lose nothing',
    { timeout: 90_000 },
    async () => {
      const { cluster } = running();
      const clients = clientsOf(cluster.members);
      const counter = bytes('txn:counter');
      const perClient = 12;
      try {
        let conflicts = 0;
        const increment = async (c: Clients): Promise<void> => {
          for (;;) {
            const cur = await c.kv.get({ key: counter });
            const value = cur.found ? Number(cur.kv!.value.toString()) : 0;
            const r = await c.kv.txn({
              compare: [
                cur.found
                  ? { key: counter, version: cur.kv!.version }
                  : { key: counter, exists: false },
              ],
              success: [
                { put: { key: counter, value: bytes(String(value + 1)) } },
                { get: { key: counter } },
              ],
            });
            if (r.succeeded) {
              assert.equal(r.responses[1]?.get?.kv?.value.toString(), String(value + 1));
              assert.equal(r.responses[0]?.put?.version, r.index);
              return;
            }
            conflicts++;
          }
        };
        await Promise.all(
          clients.map(async (c) => {
            for (let i = 0; i < perClient; i++) await increment(c);
          }),
        );
        const final = await clients[0]!.kv.get({ key: counter });
        assert.equal(final.kv?.value.toString(), String(perClient * clients.length));
        // The writers did race (otherwise this proved little); every race was caught.
        process.stderr.write(
          `txn: ${conflicts} compare failures among ${perClient * clients.length} increments\n`,
        );

        // Two keys moved together: the sum stays constant under concurrent transfers.
        await clients[0]!.kv.txn({
          success: [
            { put: { key: bytes('acct:a'), value: bytes('100') } },
            { put: { key: bytes('acct:b'), value: bytes('0') } },
          ],
        });
        const transfer = async (c: Clients, times: number): Promise<void> => {
          for (let done = 0; done < times;) {
            const [a, b] = await Promise.all([
              c.kv.get({ key: bytes('acct:a') }),
              c.kv.get({ key: bytes('acct:b') }),
            ]);
            const r = await c.kv.txn({
              compare: [
                { key: bytes('acct:a'), value: a.kv!.value },
                { key: bytes('acct:b'), value: b.kv!.value },
              ],
              success: [
                {
                  put: {
                    key: bytes('acct:a'),
                    value: bytes(String(Number(a.kv!.value.toString()) - 1)),
                  },
                },
                {
                  put: {
                    key: bytes('acct:b'),
                    value: bytes(String(Number(b.kv!.value.toString()) + 1)),
                  },
                },
              ],
            });
            if (r.succeeded) done++;
          }
        };
        await Promise.all(clients.map((c) => transfer(c, 5)));
        const [a, b] = await Promise.all([
          clients[1]!.kv.get({ key: bytes('acct:a') }),
          clients[2]!.kv.get({ key: bytes('acct:b') }),
        ]);
        assert.equal(a.kv?.value.toString(), '85');
        assert.equal(b.kv?.value.toString(), '15');
        assert.equal(a.kv.version, b.kv.version, 'both keys were written by one entry');
      } finally {
        closeAll(clients);
      }
    },
  );

  it(
    'a watch resumes after a disconnect, on another member, with nothing missed or repeated',
    { timeout: 60_000 },
    async () => {
      const { leader, followers } = running();
      const [writer, first, second] = clientsOf([leader, followers[0]!, followers[1]!]);
      try {
        const watch = new WatchCollector(first!, { prefix: 'w:' });
        await watch.until('created', () => watch.responses[0]?.created === true);
        for (let i = 1; i <= 5; i++)
          await writer!.kv.put({ key: bytes(`w:${i}`), value: bytes(`v${i}`) });
        await writer!.kv.put({ key: bytes('other'), value: bytes('ignored') });
        await writer!.kv.delete({ key: bytes('w:1') });
        await watch.until('6 events', () => watch.events.length >= 6);
        watch.cancel();
        assert.deepEqual(
          watch.events.map((e) => `${e.type} ${e.key} ${e.value}`),
          [...[1, 2, 3, 4, 5].map((i) => `EVENT_TYPE_PUT w:${i} v${i}`), 'EVENT_TYPE_DELETE w:1 '],
        );
        const resumeFrom = watch.resumeFrom;

        // Written while nobody watches.
        for (let i = 6; i <= 9; i++)
          await writer!.kv.put({ key: bytes(`w:${i}`), value: bytes(`v${i}`) });
        await writer!.kv.txn({
          success: [
            { put: { key: bytes('w:10'), value: bytes('a') } },
            { put: { key: bytes('w:11'), value: bytes('b') } },
          ],
        });

        const resumed = new WatchCollector(second!, { prefix: 'w:', startIndex: resumeFrom });
        await resumed.until('6 missed events', () => resumed.events.length >= 6);
        resumed.cancel();
        assert.deepEqual(
          resumed.events.map((e) => `${e.key} ${e.value}`),
          ['w:6 v6', 'w:7 v7', 'w:8 v8', 'w:9 v9', 'w:10 a', 'w:11 b'],
        );
        const [e10, e11] = resumed.events.slice(4);
        assert.equal(e10!.index, e11!.index, "one transaction's changes share its index");
        assert.ok(resumed.events.every((e, i, all) => i === 0 || e.index >= all[i - 1]!.index));
        assert.ok(resumed.events[0]!.index > watch.events[watch.events.length - 1]!.index);
      } finally {
        writer!.close();
        first!.close();
        second!.close();
      }
    },
  );

  it("a follower's errors name the leader's gRPC address", { timeout: 20_000 }, async () => {
    const { leader, followers } = running();
    const [c] = clientsOf([followers[0]!]);
    try {
      await assert.rejects(c!.kv.get({ db: 99, key: bytes('k') }), (err: unknown) => {
        const f = failure(err);
        assert.equal(f.code, grpc.status.INVALID_ARGUMENT);
        assert.equal(f.redraft, 'BAD_REQUEST');
        assert.equal(f.leader, grpcAddr(leader));
        return true;
      });
    } finally {
      c!.close();
    }
  });

  it(
    "a watch from before a restarted member's snapshot fails with OUT_OF_RANGE naming the oldest index",
    { timeout: 90_000 },
    async () => {
      const { cluster, leader, followers } = running();
      const victim = followers[0]!;
      const [writer] = clientsOf([leader]);
      try {
        // Past --snapshot-entries, so the member restarts from a snapshot, not from index 1.
        for (let i = 0; i < 250; i += 50) {
          await Promise.all(
            Array.from({ length: 50 }, (_, j) =>
              writer!.kv.put({ key: bytes(`s:${i + j}`), value: bytes('v') }),
            ),
          );
        }
        const { applied } = await cluster.waitForApplied(victim, (await leader.raftInfo()).commit);
        assert.ok(applied > 200);
        await victim.stop('SIGTERM');
        victim.start();
        await waitReady(cluster, victim);
        const [c] = clientsOf([victim]);
        try {
          const watch = new WatchCollector(c!, { prefix: '', startIndex: 1 });
          await watch.until('an error', () => watch.error !== undefined).catch(() => undefined);
          const f = failure(watch.error);
          assert.equal(f.code, grpc.status.OUT_OF_RANGE, f.details);
          assert.equal(f.redraft, 'COMPACTED');
          const oldest = Number(watch.error!.metadata.get('x-redraft-oldest-index')[0]);
          assert.ok(oldest > 1, `oldest index ${oldest}`);
          assert.match(f.details, new RegExp(`index ${oldest}`));
          // From the oldest index on, it works.
          const ok = new WatchCollector(c!, { prefix: 's:', startIndex: oldest });
          await ok.until('created', () => ok.responses[0]?.created === true);
          ok.cancel();
        } finally {
          c!.close();
        }
      } finally {
        writer!.close();
      }
    },
  );
});

describe('gRPC against a cluster in redirect mode', () => {
  const running = gatewayCluster({ name: 'grpc-redirect', extraArgs: ['--routing', 'redirect'] });

  it(
    "a follower refuses a write with NOT_LEADER and the leader's address; there it succeeds",
    { timeout: 30_000 },
    async () => {
      const { leader, followers } = running();
      const [follower] = clientsOf([followers[0]!]);
      let leaderAddress = '';
      try {
        await assert.rejects(
          follower!.kv.put({ key: bytes('k'), value: bytes('v') }),
          (err: unknown) => {
            const f = failure(err);
            assert.equal(f.code, grpc.status.FAILED_PRECONDITION, f.details);
            assert.equal(f.redraft, 'NOT_LEADER');
            leaderAddress = f.leader;
            return true;
          },
        );
      } finally {
        follower!.close();
      }
      assert.equal(leaderAddress, grpcAddr(leader));
      const [there] = clientsOf([leader]);
      try {
        const put = await there!.kv.put({ key: bytes('k'), value: bytes('v') });
        assert.ok(put.version > 0);
      } finally {
        there!.close();
      }
    },
  );
});

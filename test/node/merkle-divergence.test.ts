/**
 * The checkpoint alarm on real RaftNodes and KvServices (in one process, over an in-memory
 * network): a member whose state was damaged behind the log's back finds at the next
 * checkpoint that its root differs from the leader's, says so, and refuses reads, while the
 * others keep serving.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { RedraftError } from '../../src/errors.js';
import { MerkleService } from '../../src/node/merkle-service.js';
import { waitFor } from '../e2e/harness/wait.js';
import { InProcessCluster } from './harness/in-process-cluster.js';

const get = (key: string): Buffer[] => [Buffer.from('GET'), Buffer.from(key)];

describe('the Merkle checkpoint alarm', () => {
  let cluster: InProcessCluster | undefined;
  const stops: (() => void)[] = [];
  after(async () => {
    for (const stop of stops) stop();
    await cluster?.stop();
  });

  it('a member whose root differs from the leader raises it and refuses reads; the others serve', async () => {
    cluster = await InProcessCluster.start(3);
    const leader = await cluster.leader();
    const [damaged, healthy] = cluster.running().filter((m) => m !== leader) as [
      NonNullable<typeof leader>,
      NonNullable<typeof leader>,
    ];
    const logged: { level: number; msg: string; index?: number }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done): void {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (line !== '') logged.push(JSON.parse(line) as (typeof logged)[number]);
        }
        done();
      },
    });
    const services = new Map(
      cluster.running().map((m) => {
        const service = new MerkleService(m.kv, {
          checkpointMs: 20,
          maxTags: 4,
          logger: m === damaged ? pino({ level: 'info' }, sink) : pino({ level: 'silent' }),
        });
        stops.push(service.start());
        return [m.id, service] as const;
      }),
    );

    await cluster.write('k', 50);
    // Every replica checkpoints and confirms the same roots while nothing is wrong.
    await waitFor(
      'a confirmed checkpoint everywhere',
      () =>
        cluster!
          .running()
          .every((m) => m.fsm.merkle!.status().confirmedIndex > 0 && !m.fsm.merkle!.checkpointDue)
          ? true
          : undefined,
      { timeoutMs: 10_000 },
    );
    assert.equal(damaged.fsm.merkle!.divergence, undefined);

    // Damage one follower's state without a log entry (a bug, a bad disk, a tampered file).
    damaged.fsm.dbs[0]!.set('k3', {
      value: { type: 'string', value: Buffer.from('not what the log says') },
      expireAt: 0,
      version: 0,
    });
    // The change makes the leader's timer propose; the damage shows in the next checkpoint
    // that carries the leader's root for an index the damaged member recorded too.
    await cluster.write('more', 5);
    const divergence = await waitFor(
      'the damaged member to raise the alarm',
      () => damaged.fsm.merkle!.divergence,
      { timeoutMs: 10_000 },
    );
    assert.notDeepEqual(divergence.localRoot, divergence.leaderRoot);
    assert.equal(leader.fsm.merkle!.divergence, undefined);
    assert.equal(healthy.fsm.merkle!.divergence, undefined);
    const alarm = logged.find((l) => l.level === 50 && /differs from the leader's/.test(l.msg));
    assert.ok(alarm !== undefined, JSON.stringify(logged));
    assert.equal(alarm.index, divergence.index);
    assert.equal(services.get(damaged.id)!.status().divergence?.index, divergence.index);

    // It refuses reads of every kind, with the stable code; the others serve them.
    const refused = (err: unknown): boolean =>
      err instanceof RedraftError &&
      err.code === 'STATE_DIVERGED' &&
      err.mapping.resp === 'DIVERGED' &&
      /differs from the leader's/.test(err.message);
    await assert.rejects(damaged.kv.read(0, get('k1'), 'linearizable'), refused);
    await assert.rejects(damaged.kv.read(0, get('k1'), 'stale'), refused);
    await assert.rejects(damaged.kv.prove(0, Buffer.from('k1')), refused);
    await assert.rejects(
      damaged.kv.readWith('linearizable', () => 1),
      refused,
    );
    for (const m of [leader, healthy]) {
      assert.deepEqual(await m.kv.read(0, get('k3'), 'linearizable'), Buffer.from('3'));
      const p = await m.kv.prove(0, Buffer.from('k3'));
      assert.ok(p.value !== null);
    }
  });
});

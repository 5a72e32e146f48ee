import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KvStateMachine } from '../../src/fsm/kv-state-machine.js';
import type { StoredEntry } from '../../src/fsm/keyspace.js';
import { FsmDriver } from './state-machine-harness.js';

/** Everything a database holds, in a form deepEqual compares whatever the Map's order. */
function contents(fsm: KvStateMachine): unknown[] {
  const show = (e: StoredEntry): unknown => ({
    expireAt: e.expireAt,
    version: e.version,
    value:
      e.value.type === 'string'
        ? { encoding: e.value.encoding, bytes: e.value.value.toString('hex') }
        : {
            hashtable: e.value.hashtable === true,
            fields: [...e.value.fields].sort().map(([f, v]) => [f, v.toString('hex')]),
          },
  });
  return fsm.dbs.map((db) => ({
    entries: [...db.entries].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, e]) => [k, show(e)]),
    tombstones: [...db.tombstones].sort(([a], [b]) => (a < b ? -1 : 1)),
  }));
}

describe('snapshot images', () => {
  it('hold every key, value, expiry and tombstone, across chunk boundaries and copy paths', async () => {
    const d = new FsmDriver();
    // Keys and values on both sides of the 64 bytes up to which they are copied by a loop,
    // in three databases; more than 1 MiB in all, and one value larger than a whole chunk.
    for (let i = 0; i < 8000; i++) {
      d.runIn(i % 3, 'SET', `k${i}:`.repeat(1 + (i % 30)), 'v'.repeat(i % 150));
    }
    for (let i = 0; i < 200; i++) {
      d.runIn(1, 'HSET', `h${i}`, 'f', 'x'.repeat(i % 90), `field:${'y'.repeat(i % 80)}`, 'w');
    }
    for (let i = 0; i < 300; i++) d.runIn(0, 'DEL', `k${i * 3}:`.repeat(1 + ((i * 3) % 30)));
    for (let i = 0; i < 100; i++)
      d.runIn(2, 'EXPIRE', `k${i * 3 + 2}:`.repeat(1 + ((i * 3 + 2) % 30)), '500');
    d.run('APPEND', 'k3:'.repeat(4), 'tail');
    d.run('INCRBYFLOAT', 'float', '2.5');
    // A hash Redis converted to a hashtable, small again: it stays a hashtable.
    d.run('HSET', 'converted', 'f', 'x', 'g', 'y'.repeat(65));
    d.run('HDEL', 'converted', 'g');
    const huge = 3 * 1024 * 1024 + 5;
    d.run('SET', 'huge', Buffer.alloc(huge, 7));

    const image = d.fsm.snapshot().serialize();
    assert.ok(image.length > huge + 1024 * 1024, 'the other keys fill more than a chunk');
    const deferred = await d.fsm.snapshot().serializeDeferred!();
    assert.deepEqual(
      Buffer.from(deferred),
      Buffer.from(image),
      'written in slices, the same bytes',
    );

    const copy = new KvStateMachine();
    copy.restore(image);
    assert.deepEqual(contents(copy), contents(d.fsm));
    assert.deepEqual(copy.merkle!.root().root, d.fsm.merkle!.root().root);
  });

  it('refuse a hashtable hash (type 4) in a version 4 image, which cannot hold one', () => {
    const d = new FsmDriver();
    d.run('HSET', 'converted', 'g', 'y'.repeat(65));
    const forged = Buffer.from(d.fsm.snapshot().serialize());
    assert.equal(forged[4], 5);
    forged[4] = 4;
    assert.throws(() => {
      new KvStateMachine().restore(forged);
    }, /invalid state machine snapshot/);
  });
});

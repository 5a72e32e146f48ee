import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChangeQueue, QUEUE_CAPACITY, sameString } from '../../src/fsm/merkle-change-queue.js';
import { stringValue, type StoredEntry } from '../../src/fsm/keyspace.js';

const str = (bytes: string, expireAt = 0, version = 1): StoredEntry => ({
  value: stringValue(Buffer.from(bytes)),
  expireAt,
  version,
});

const hash = (fields: Record<string, string>): StoredEntry => ({
  value: {
    type: 'hash',
    fields: new Map(Object.entries(fields).map(([k, v]) => [k, Buffer.from(v)])),
  },
  expireAt: 0,
  version: 1,
});

type Marked = [db: number, key: string, entry: StoredEntry | undefined];

function queueInto(marked: Marked[]): ChangeQueue {
  return new ChangeQueue((db, key, entry) => marked.push([db, key, entry]));
}

describe('the Merkle change queue', () => {
  it('tells of exactly the writes that change what a root covers, in apply order', () => {
    const marked: Marked[] = [];
    const q = queueInto(marked);
    const created = str('v');
    const changed = str('w');
    const longSame = str('x'.repeat(300));
    const h = hash({ f: '1' });
    q.push(0, 'new', created, undefined);
    q.push(0, 'same', str('abc'), str('abc'));
    q.push(3, 'changed', changed, str('abd'));
    q.push(0, 'longer', str('abcd'), str('abc'));
    q.push(0, 'expiry', str('abc', 5), str('abc'));
    q.push(0, 'long-same', longSame, str('x'.repeat(300)));
    q.push(1, 'deleted', undefined, str('abc'));
    q.push(0, 'hash', h, h);
    q.push(0, 'was-hash', str('abc'), hash({ f: '1' }));
    assert.equal(marked.length, 0, 'nothing is decided before a drain');
    assert.equal(q.size, 9);
    q.drain();
    assert.equal(q.size, 0);
    assert.deepEqual(
      marked.map(([db, key]) => `${db}/${key}`),
      ['0/new', '3/changed', '0/longer', '0/expiry', '1/deleted', '0/hash', '0/was-hash'],
    );
    assert.equal(marked[0]![2], created);
    assert.equal(marked[1]![2], changed);
    assert.equal(marked[4]![2], undefined);
    q.drain();
    assert.equal(marked.length, 7, 'a drain decides each write once');
  });

  it('decides a full queue by itself, and keeps queueing after', () => {
    const marked: Marked[] = [];
    const q = queueInto(marked);
    for (let i = 0; i < QUEUE_CAPACITY - 1; i++) q.push(0, `k${i}`, str(`v${i}`), undefined);
    assert.equal(marked.length, 0);
    q.push(0, 'last', str('v'), undefined);
    assert.equal(marked.length, QUEUE_CAPACITY);
    assert.equal(q.size, 0);
    q.push(0, 'after', str('v'), str('u'));
    assert.equal(q.size, 1);
    q.drain();
    assert.deepEqual(marked.at(-1)!.slice(0, 2), [0, 'after']);
  });

  it('compares strings by bytes and expiry, never hashes', () => {
    assert.equal(sameString(str('abc'), str('abc')), true);
    assert.equal(sameString(str(''), str('')), true);
    assert.equal(sameString(str('abc'), str('abd')), false);
    assert.equal(sameString(str('abc', 10), str('abc', 11)), false);
    assert.equal(sameString(str('y'.repeat(1000)), str('y'.repeat(1000))), true);
    assert.equal(sameString(str('y'.repeat(999) + 'z'), str('y'.repeat(1000))), false);
    const h = hash({ f: '1' });
    assert.equal(sameString(h, h), false);
    // Equal fingerprints do not decide equality: the bytes do. Two values that differ only in
    // the middle of a long string share a fingerprint (it reads 32 bytes from each end).
    const a = str('p'.repeat(40) + 'A' + 'p'.repeat(40));
    const b = str('p'.repeat(40) + 'B' + 'p'.repeat(40));
    assert.equal(
      (a.value as { fingerprint?: number }).fingerprint,
      (b.value as { fingerprint?: number }).fingerprint,
    );
    assert.equal(sameString(a, b), false);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Inflights } from '../../../src/raft/inflights.js';

describe('Inflights', () => {
  it('is full once maxCount messages are outstanding', () => {
    const inf = new Inflights(3, 0);
    inf.add(1, 10);
    inf.add(2, 10);
    assert.equal(inf.full(), false);
    inf.add(3, 10);
    assert.equal(inf.full(), true);
    assert.equal(inf.size(), 3);
    assert.throws(() => inf.add(4, 10), /full/);
  });

  it('is full once the byte budget is reached, even below maxCount', () => {
    const inf = new Inflights(100, 100);
    inf.add(1, 60);
    assert.equal(inf.full(), false);
    inf.add(2, 40);
    assert.equal(inf.full(), true);
    assert.equal(inf.inflightBytes(), 100);
  });

  it('a zero byte limit means no byte limit', () => {
    const inf = new Inflights(2, 0);
    inf.add(1, 1_000_000_000);
    assert.equal(inf.full(), false);
  });

  it('freeLE frees every message up to an index, and their bytes', () => {
    const inf = new Inflights(10, 0);
    for (let i = 1; i <= 5; i++) inf.add(i * 10, i);
    inf.freeLE(25); // frees the messages ending at 10 and 20
    assert.equal(inf.size(), 3);
    assert.equal(inf.inflightBytes(), 3 + 4 + 5);
    inf.freeLE(5); // below the oldest: nothing to free
    assert.equal(inf.size(), 3);
    inf.freeLE(50);
    assert.equal(inf.size(), 0);
    assert.equal(inf.inflightBytes(), 0);
  });

  it('wraps around its ring buffer without losing order', () => {
    const inf = new Inflights(4, 0);
    let next = 1;
    // Keep the window at 3-4 messages while the ring start walks around several times.
    for (let round = 0; round < 10; round++) {
      while (!inf.full()) inf.add(next++, 1);
      inf.freeLE(next - 3); // keep the two newest
      assert.equal(inf.size(), 2);
    }
    // The two left are the newest: freeing below them frees nothing, freeing them empties it.
    inf.freeLE(next - 3);
    assert.equal(inf.size(), 2);
    inf.freeLE(next - 2);
    assert.equal(inf.size(), 1);
    inf.freeLE(next - 1);
    assert.equal(inf.size(), 0);
  });

  it('freeFirstOne frees only the oldest message', () => {
    const inf = new Inflights(3, 0);
    inf.freeFirstOne(); // empty: nothing to do
    inf.add(4, 1);
    inf.add(7, 2);
    inf.add(9, 4);
    inf.freeFirstOne();
    assert.equal(inf.size(), 2);
    assert.equal(inf.inflightBytes(), 6);
    assert.equal(inf.full(), false);
  });

  it('reset empties it', () => {
    const inf = new Inflights(2, 10);
    inf.add(1, 10);
    assert.equal(inf.full(), true);
    inf.reset();
    assert.equal(inf.full(), false);
    assert.equal(inf.size(), 0);
    assert.equal(inf.inflightBytes(), 0);
  });

  it('clone is independent of the original', () => {
    const inf = new Inflights(3, 0);
    inf.add(1, 1);
    const c = inf.clone();
    c.add(2, 1);
    assert.equal(inf.size(), 1);
    assert.equal(c.size(), 2);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stringValue, type StoredEntry } from '../../src/fsm/keyspace.js';
import { ChangeLog } from '../../src/fsm/merkle-change-log.js';
import { RootJob, partBitsFor } from '../../src/fsm/merkle-root-job.js';
import { buildTree } from '../../src/fsm/merkle-values.js';
import { SparseMerkleTree } from '../../src/merkle/index.js';

const entry = (value: string): StoredEntry => ({
  value: stringValue(Buffer.from(value)),
  expireAt: 0,
  version: 1,
});

/** Two databases of `n` keys each, key `k<i>` holding `<tag><i>`. */
function state(n: number, tag: string): Map<string, StoredEntry>[] {
  return [0, 1].map((db) => {
    const m = new Map<string, StoredEntry>();
    for (let i = 0; i < n; i++) m.set(`k${i}`, entry(`${tag}${db}-${i}`));
    return m;
  });
}

/** For logs of strings only: freeze reads the current entries only for hashes. */
const noEntries = (): undefined => undefined;

const hex = (root: Uint8Array): string => Buffer.from(root).toString('hex');

describe('RootJob', () => {
  it('splits the key-hash space into more parts as more keys changed', () => {
    assert.equal(partBitsFor(0), 8);
    assert.equal(partBitsFor(64 * 256), 8);
    assert.equal(partBitsFor(64 * 256 + 1), 9);
    assert.equal(partBitsFor(1_000_000), 14);
    assert.equal(partBitsFor(100_000_000), 16);
  });

  it('a step past its deadline still moves on; the root is the state at the index', () => {
    // 20,200 changes make 512 parts; 81,000 make 2,048.
    for (const n of [12_000, 50_000]) {
      const before = state(n, 'v');
      const tree = buildTree(before);
      tree.root();
      const after = state(n, 'v');
      const log = new ChangeLog();
      for (let db = 0; db < 2; db++) {
        for (let i = 0; i < n; i++) {
          const key = `k${i}`;
          if (i % 10 === 3) {
            after[db]!.delete(key);
            log.push(db, key, undefined);
          } else if (i % 10 !== 7) {
            const e = entry(`w${db}-${i}`);
            after[db]!.set(key, e);
            log.push(db, key, e);
          }
        }
        for (let i = n; i < n + 500; i++) {
          const e = entry(`new${i}`);
          after[db]!.set(`k${i}`, e);
          log.push(db, `k${i}`, e);
        }
      }
      const changes = log.length;
      const job = new RootJob(42, tree, log.freeze(noEntries));
      const parts = 2 ** partBitsFor(changes);
      let steps = 1;
      // Every step is already late: each must still do some work, and stop after it.
      while (!job.step(Number.POSITIVE_INFINITY, 0)) steps++;
      assert.ok(steps >= parts, `${steps} steps for ${parts} parts`);
      assert.ok(steps <= parts + Math.ceil(changes / 63) + 1, `${steps} steps`);
      const expected = hex(buildTree(after).root());
      assert.equal(hex(job.root!), expected);
      assert.equal(hex(tree.root()), expected);
    }
  });

  it('a budget in keys bounds a step as before', () => {
    const before = state(2_000, 'v');
    const tree = buildTree(before);
    tree.root();
    const log = new ChangeLog();
    for (let i = 0; i < 2_000; i++) {
      const e = entry(`x${i}`);
      log.push(0, `k${i}`, e);
      before[0]!.set(`k${i}`, e);
    }
    const job = new RootJob(7, tree, log.freeze(noEntries));
    let steps = 1;
    while (!job.step(100)) steps++;
    // 2,000 keys hashed at 100 a step, then 256 parts of ~8 keys, about 11 parts a step.
    assert.ok(steps >= 35, `${steps} steps`);
    assert.equal(hex(job.finish()), hex(buildTree(before).root()));
  });

  it('a key logged more than once takes its last change, in whatever part and order', () => {
    const before = state(3_000, 'v');
    const tree = buildTree(before);
    tree.root();
    const after = state(3_000, 'v');
    const log = new ChangeLog();
    // Every key of database 1 changed three times, the rounds interleaved with each other
    // and with database 0's changes, so no repeat is the change just before it.
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3_000; i++) {
        const key = `k${i}`;
        const last = round === 2;
        if (i % 7 === 0) {
          // Deleted, set again, deleted for good; or set, deleted, set again.
          const deleted = i % 2 === 0 ? round !== 1 : round === 1;
          const e = entry(`r${round}-${i}`);
          log.push(1, key, deleted ? undefined : e);
          if (last) {
            if (deleted) after[1]!.delete(key);
            else after[1]!.set(key, e);
          }
        } else {
          const e = entry(`r${round}-${i}`);
          log.push(1, key, e);
          if (last) after[1]!.set(key, e);
        }
        if (round === 0 && i % 5 === 0) {
          const e = entry(`d0-${i}`);
          log.push(0, key, e);
          after[0]!.set(key, e);
        }
      }
    }
    // The same key twice in a row takes one slot.
    const e = entry('twice');
    log.push(0, 'k1', entry('once'));
    log.push(0, 'k1', e);
    after[0]!.set('k1', e);
    assert.equal(log.length, 3 * 3_000 + 600 + 1);
    const job = new RootJob(9, tree, log.freeze(noEntries));
    assert.equal(hex(job.finish()), hex(buildTree(after).root()));
  });

  it('a hash logged many times is encoded once, as it is when the log is frozen', () => {
    const fields = new Map([['f', Buffer.from('1')]]);
    const h: StoredEntry = { value: { type: 'hash', fields }, expireAt: 0, version: 1 };
    const log = new ChangeLog();
    for (let i = 0; i < 50; i++) {
      log.push(0, 'h', h);
      log.push(0, `s${i}`, entry(`s${i}`));
    }
    fields.set('g', Buffer.from('2'));
    log.freeze((db, key) => (db === 0 && key === 'h' ? h : undefined));
    // Changed after the freeze: the root is of the state the freeze saw.
    fields.set('f', Buffer.from('changed later'));
    const expected = [new Map<string, StoredEntry>(), new Map<string, StoredEntry>()];
    expected[0]!.set('h', {
      value: {
        type: 'hash',
        fields: new Map([
          ['f', Buffer.from('1')],
          ['g', Buffer.from('2')],
        ]),
      },
      expireAt: 0,
      version: 1,
    });
    for (let i = 0; i < 50; i++) expected[0]!.set(`s${i}`, entry(`s${i}`));
    const frozenBytes = new Set<Uint8Array>();
    for (let slot = 0; slot < log.length; slot++) {
      const s = log.state(slot);
      if (log.key(slot) === 'h') {
        assert.ok(s instanceof Uint8Array);
        frozenBytes.add(s);
      }
    }
    assert.equal(frozenBytes.size, 1);
    const job = new RootJob(3, new SparseMerkleTree(), log);
    assert.equal(hex(job.finish()), hex(buildTree(expected).root()));
  });

  it('a hash superseded by a later change is not encoded: its fields may be gone', () => {
    // HSET h f v, SET s x, HDEL h f: the hash entry logged first has no fields left when the
    // log is frozen, and the key is deleted.
    const fields = new Map([['f', Buffer.from('v')]]);
    const h: StoredEntry = { value: { type: 'hash', fields }, expireAt: 0, version: 1 };
    const log = new ChangeLog();
    log.push(15, 'h', h);
    log.push(0, 's', entry('x'));
    fields.delete('f');
    log.push(15, 'h', undefined);
    log.freeze(() => undefined);
    const expected = [new Map([['s', entry('x')]])];
    const job = new RootJob(3, new SparseMerkleTree(), log);
    assert.equal(hex(job.finish()), hex(buildTree(expected).root()));
  });

  it('hashes one part of a 16-bit prefix, and the root agrees', () => {
    const tree = new SparseMerkleTree();
    for (let i = 0; i < 3_000; i++) tree.set(Buffer.from(`key${i}`), Buffer.from(`value${i}`));
    for (let prefix = 0; prefix < 1 << 16; prefix += 4099) tree.hashPrefix(prefix, 16);
    const copy = new SparseMerkleTree();
    for (let i = 0; i < 3_000; i++) copy.set(Buffer.from(`key${i}`), Buffer.from(`value${i}`));
    assert.equal(hex(tree.root()), hex(copy.root()));
  });
});

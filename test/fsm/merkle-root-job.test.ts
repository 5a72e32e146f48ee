import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stringValue, type StoredEntry } from '../../src/fsm/keyspace.js';
import { RootJob, partBitsFor, type FrozenState } from '../../src/fsm/merkle-root-job.js';
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
      const frozen = [0, 1].map(() => new Map<string, FrozenState>());
      let changes = 0;
      for (let db = 0; db < 2; db++) {
        for (let i = 0; i < n; i++) {
          const key = `k${i}`;
          if (i % 10 === 3) {
            after[db]!.delete(key);
            frozen[db]!.set(key, undefined);
          } else if (i % 10 !== 7) {
            const e = entry(`w${db}-${i}`);
            after[db]!.set(key, e);
            frozen[db]!.set(key, e);
          } else continue;
          changes++;
        }
        for (let i = n; i < n + 500; i++) {
          const e = entry(`new${i}`);
          after[db]!.set(`k${i}`, e);
          frozen[db]!.set(`k${i}`, e);
          changes++;
        }
      }
      const job = new RootJob(42, tree, frozen);
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
    const frozen = [0, 1].map(() => new Map<string, FrozenState>());
    for (let i = 0; i < 2_000; i++) frozen[0]!.set(`k${i}`, entry(`x${i}`));
    before[0] = new Map([...frozen[0]!].map(([k, e]) => [k, e as StoredEntry]));
    const job = new RootJob(7, tree, frozen);
    let steps = 1;
    while (!job.step(100)) steps++;
    // 2,000 keys hashed at 100 a step, then 256 parts of ~8 keys, about 11 parts a step.
    assert.ok(steps >= 35, `${steps} steps`);
    assert.equal(hex(job.finish()), hex(buildTree(before).root()));
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

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SparseMerkleTree, proveKey } from '../../src/merkle/index.js';
import { sortByKeyHash } from '../../src/merkle/sparse-merkle-tree.js';
import { NUM_RUNS, hex, keyArb, refRoot, valueArb } from './helpers.js';

describe('SparseMerkleTree.builder (bulk construction)', () => {
  it('builds the tree sequential sets build: same root, proofs, and later writes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(keyArb, valueArb), { maxLength: 120 }),
        fc.array(fc.tuple(keyArb, valueArb, fc.boolean()), { maxLength: 20 }),
        (entries, later) => {
          const sequential = new SparseMerkleTree();
          const builder = SparseMerkleTree.builder();
          for (const [k, v] of entries) {
            sequential.set(k, v);
            builder.add(k, v);
          }
          const built = builder.finish();
          assert.equal(built.size, sequential.size);
          assert.equal(hex(built.root()), hex(sequential.root()));
          const last = new Map(entries.map(([k, v]) => [hex(k), v]));
          assert.equal(hex(built.root()), hex(refRoot(last)));
          for (const [k] of entries.slice(0, 5)) {
            assert.equal(hex(proveKey(built, k).proof), hex(proveKey(sequential, k).proof));
          }
          // The built tree is an ordinary live tree: writes and deletes behave alike.
          for (const [k, v, del] of later) {
            if (del) {
              assert.equal(built.delete(k), sequential.delete(k));
            } else {
              built.set(k, v);
              sequential.set(k, v);
            }
            assert.equal(hex(built.root()), hex(sequential.root()));
          }
        },
      ),
      { numRuns: NUM_RUNS * 3 },
    );
  });

  it('refuses what set refuses, and a second finish', () => {
    const b = SparseMerkleTree.builder();
    assert.throws(() => b.add(new Uint8Array(0), Uint8Array.of(1)), RangeError);
    assert.throws(() => b.add(Uint8Array.of(1), new Uint8Array(0)), RangeError);
    assert.equal(hex(b.finish().root()), '00'.repeat(32));
    assert.throws(() => b.finish(), /twice/);
    assert.throws(() => b.add(Uint8Array.of(1), Uint8Array.of(1)), /after finish/);
  });
});

describe('sortByKeyHash', () => {
  const hashArb = (prefix: string): fc.Arbitrary<string> =>
    fc
      .uint8Array({ minLength: 32 - prefix.length, maxLength: 32 - prefix.length })
      .map((b) => prefix + Buffer.from(b).toString('latin1'));
  const byHash = (a: { keyHash: string }, b: { keyHash: string }): number =>
    a.keyHash < b.keyHash ? -1 : a.keyHash > b.keyHash ? 1 : 0;

  it('sorts like a stable comparison sort, evenly spread hashes or not', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('', '\x07'),
        // A common second byte too: every item lands in one bucket (the comparison fallback).
        fc.boolean(),
        fc.integer({ min: 0, max: 3000 }),
        fc.integer(),
        (first, crowded, n, seed) => {
          const prefix = first + (crowded ? '\x42' : '');
          const hashes = fc.sample(hashArb(prefix), { numRuns: n, seed });
          // Duplicates, to see that equal hashes keep their order.
          const items = [...hashes, ...hashes.slice(0, n >> 3)].map((keyHash, i) => ({
            keyHash,
            i,
          }));
          const expected = [...items].sort(byHash);
          assert.deepEqual(sortByKeyHash(items, first.length), expected);
        },
      ),
      { numRuns: Math.max(20, NUM_RUNS / 5) },
    );
  });
});

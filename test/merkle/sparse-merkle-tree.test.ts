import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SparseMerkleTree, type SmtView } from '../../src/merkle/index.js';
import { NO_HEAD, keyHashOf, sameValue } from '../../src/merkle/sparse-merkle-tree.js';
import {
  NUM_RUNS,
  ZERO32,
  hex,
  keyArb,
  keyWithPrefix,
  mapArb,
  refInner,
  refLeaf,
  refRoot,
  sha,
  unhex,
  utf8,
  valueArb,
} from './helpers.js';

function treeOf(map: ReadonlyMap<string, Uint8Array>): SparseMerkleTree {
  const t = new SparseMerkleTree();
  for (const [k, v] of map) t.set(unhex(k), v);
  return t;
}

function contentsOf(view: SmtView): Map<string, string> {
  return new Map([...view.entries()].map(([k, v]) => [hex(k), hex(v)]));
}

describe('SparseMerkleTree: known answers', () => {
  it('the empty map has the all-zero root', () => {
    const t = new SparseMerkleTree();
    assert.equal(t.size, 0);
    assert.deepEqual(Buffer.from(t.root()), ZERO32);
    assert.equal(t.rootHex(), '00'.repeat(32));
  });

  it('a one-key map has that leaf as its root, SHA-256(0x00 || SHA-256(k) || SHA-256(v))', () => {
    const t = new SparseMerkleTree();
    t.set(utf8('hello'), utf8('world'));
    const expected = sha(Buffer.of(0), sha(utf8('hello')), sha(utf8('world')));
    assert.equal(hex(t.root()), hex(expected));
    // Pinned, so a change to the hashing cannot slip through both this file and helpers.ts.
    assert.equal(
      hex(expected),
      hex(
        sha(
          Buffer.concat([
            Buffer.of(0),
            unhex('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824'),
            unhex('486ea46224d1bb4fb680f34f7c9ad96a8f24ec88be73ea8e5a6c65260e9cb8a7'),
          ]),
        ),
      ),
    );
  });

  it('two keys whose paths part at the first bit: root = inner(left leaf, right leaf)', () => {
    const a = keyWithPrefix('0');
    const b = keyWithPrefix('1');
    const t = new SparseMerkleTree();
    t.set(b, utf8('vb'));
    t.set(a, utf8('va'));
    assert.equal(hex(t.root()), hex(refInner(refLeaf(a, utf8('va')), refLeaf(b, utf8('vb')))));
  });

  it('two keys sharing three path bits hang under a chain with empty siblings', () => {
    const a = keyWithPrefix('0000');
    const b = keyWithPrefix('0001');
    const t = new SparseMerkleTree();
    t.set(a, utf8('1'));
    t.set(b, utf8('2'));
    const n3 = refInner(refLeaf(a, utf8('1')), refLeaf(b, utf8('2')));
    const root = refInner(refInner(refInner(n3, ZERO32), ZERO32), ZERO32);
    assert.equal(hex(t.root()), hex(root));
  });

  it('deleting restores the compressed shape: a lone leaf moves back up', () => {
    const a = keyWithPrefix('0000');
    const b = keyWithPrefix('0001');
    const c = keyWithPrefix('1');
    const t = new SparseMerkleTree();
    for (const k of [a, b, c]) t.set(k, k);
    assert.equal(t.delete(b), true);
    assert.equal(hex(t.root()), hex(refInner(refLeaf(a, a), refLeaf(c, c))));
    assert.equal(t.delete(c), true);
    assert.equal(hex(t.root()), hex(refLeaf(a, a)));
    assert.equal(t.delete(a), true);
    assert.deepEqual(Buffer.from(t.root()), ZERO32);
    assert.equal(t.size, 0);
    assert.equal(t.delete(a), false);
  });

  it('overwriting a value changes the root, writing it back restores it', () => {
    const t = new SparseMerkleTree();
    t.set(utf8('k1'), utf8('v1'));
    t.set(utf8('k2'), utf8('v2'));
    const before = hex(t.root());
    t.set(utf8('k1'), utf8('other'));
    assert.notEqual(hex(t.root()), before);
    assert.equal(t.size, 2);
    t.set(utf8('k1'), utf8('v1'));
    assert.equal(hex(t.root()), before);
  });

  it('applySorted keeps the leaf, path and cached hashes of a key set to the bytes it holds', () => {
    const t = new SparseMerkleTree();
    t.set(utf8('k'), utf8('v'));
    t.set(utf8('other'), utf8('x'));
    t.root();
    const top = t.rootNode;
    const h = keyHashOf(utf8('k'));
    t.applySorted([{ keyHash: h, key: utf8('k'), value: utf8('v'), head: NO_HEAD }]);
    assert.equal(t.rootNode, top);
    assert.equal(t.stale, false);
    t.applySorted([{ keyHash: h, key: utf8('k'), value: utf8('w'), head: NO_HEAD }]);
    assert.equal(t.stale, true);
    assert.deepEqual(t.get(utf8('k')), utf8('w'));
    t.applySorted([{ keyHash: h, key: utf8('k'), value: undefined, head: NO_HEAD }]);
    assert.equal(t.size, 1);
    assert.equal(hex(t.root()), hex(refRoot(new Map([[hex(utf8('other')), utf8('x')]]))));
  });

  it('keeps a value in two parts, hashed and read as the joined bytes', () => {
    const whole = new SparseMerkleTree();
    whole.set(utf8('k'), utf8('header:body'));
    whole.set(utf8('other'), utf8('x'));
    const split = new SparseMerkleTree();
    split.set(utf8('other'), utf8('x'));
    const h = keyHashOf(utf8('k'));
    split.applySorted([{ keyHash: h, key: utf8('k'), value: utf8('body'), head: utf8('header:') }]);
    assert.equal(hex(split.root()), hex(whole.root()));
    assert.deepEqual(split.get(utf8('k')), utf8('header:body'));
    assert.deepEqual(
      [...split.entries()].map(([k, v]) => [Buffer.from(k).toString(), Buffer.from(v).toString()]),
      [...whole.entries()].map(([k, v]) => [Buffer.from(k).toString(), Buffer.from(v).toString()]),
    );
    // The same bytes split another way are the same value: the leaf and its hash stay.
    const top = split.rootNode;
    split.applySorted([{ keyHash: h, key: utf8('k'), value: utf8('header:body'), head: NO_HEAD }]);
    assert.equal(split.rootNode, top);
    assert.equal(split.stale, false);
    split.applySorted([{ keyHash: h, key: utf8('k'), value: utf8('ody'), head: utf8('header:b') }]);
    assert.equal(split.stale, false);
    // A value longer than the joining area is hashed as well.
    const long = Buffer.alloc(10_000, 7);
    whole.set(utf8('k'), long);
    split.applySorted([
      { keyHash: h, key: utf8('k'), value: long.subarray(3), head: long.subarray(0, 3) },
    ]);
    assert.equal(hex(split.root()), hex(whole.root()));
  });

  it('sameValue compares the joined bytes however they are split', () => {
    const parts = (s: string, cut: number) => [utf8(s.slice(0, cut)), utf8(s.slice(cut))] as const;
    assert.equal(sameValue(...parts('abcdef', 2), ...parts('abcdef', 2)), true);
    assert.equal(sameValue(...parts('abcdef', 0), ...parts('abcdef', 4)), true);
    assert.equal(sameValue(...parts('abcdef', 2), ...parts('abcdeg', 2)), false);
    assert.equal(sameValue(...parts('abcdef', 2), ...parts('abXdef', 3)), false);
    assert.equal(sameValue(...parts('abc', 1), ...parts('abcd', 1)), false);
  });

  it('applySorted reads a change key only for a key new to the tree', () => {
    const t = new SparseMerkleTree();
    t.set(utf8('k'), utf8('v'));
    const version = t.snapshot();
    let reads = 0;
    const change = (key: string, value: string) => ({
      keyHash: keyHashOf(utf8(key)),
      value: utf8(value),
      head: NO_HEAD,
      get key(): Uint8Array {
        reads++;
        return utf8(key);
      },
    });
    // A frozen leaf is copied with its own key; then the copy is changed in place.
    t.applySorted([change('k', 'w')]);
    t.applySorted([change('k', 'x')]);
    assert.equal(reads, 0);
    t.applySorted([change('new', 'n')]);
    assert.equal(reads, 1);
    assert.deepEqual([...t.entries()].map(([k]) => Buffer.from(k).toString()).sort(), ['k', 'new']);
    assert.deepEqual(version.get(utf8('k')), utf8('v'));
  });

  it('warmPaths only reads: any tree, any key hashes, present or not', () => {
    const hashes = (keys: string[]) => keys.map((k) => ({ keyHash: keyHashOf(utf8(k)) }));
    const empty = new SparseMerkleTree();
    assert.equal(typeof empty.warmPaths(hashes(['a'])), 'number');
    assert.equal(typeof empty.warmPaths([]), 'number');
    const t = new SparseMerkleTree();
    for (let i = 0; i < 200; i++) t.set(utf8(`k${i}`), utf8(`v${i}`));
    const root = hex(t.root());
    const version = t.snapshot();
    t.set(utf8('k0'), utf8('changed'));
    const live = hex(t.root());
    t.warmPaths(hashes(['k0', 'k1', 'absent', 'k199', 'k0']));
    assert.equal(hex(t.root()), live);
    assert.equal(hex(version.root()), root);
    assert.equal(t.size, 200);
    assert.equal(t.stale, false);
  });

  it('refuses empty keys and values (an ICS-23 leaf op cannot prove them)', () => {
    const t = new SparseMerkleTree();
    assert.throws(() => t.set(new Uint8Array(0), utf8('v')), RangeError);
    assert.throws(() => t.set(utf8('k'), new Uint8Array(0)), RangeError);
    assert.equal(t.size, 0);
    assert.equal(t.get(new Uint8Array(0)), undefined);
  });
});

type Op = { kind: 'set'; key: Uint8Array; value: Uint8Array } | { kind: 'del'; key: Uint8Array };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('set' as const), key: keyArb, value: valueArb }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('del' as const), key: keyArb }) },
);
// Draw keys from a small pool too, so that overwrites and deletes of present keys are common.
const pooledOps = fc.array(keyArb, { minLength: 1, maxLength: 12 }).chain((pool) =>
  fc.array(
    fc.oneof(
      fc.record({
        kind: fc.constant('set' as const),
        key: fc.constantFrom(...pool),
        value: valueArb,
      }),
      fc.record({ kind: fc.constant('del' as const), key: fc.constantFrom(...pool) }),
      opArb,
    ),
    { maxLength: 60 },
  ),
);

function apply(t: SparseMerkleTree, model: Map<string, Uint8Array>, op: Op): void {
  if (op.kind === 'set') {
    t.set(op.key, op.value);
    model.set(hex(op.key), op.value);
  } else {
    assert.equal(t.delete(op.key), model.delete(hex(op.key)));
  }
}

describe('SparseMerkleTree: properties', () => {
  it('matches the reference root, size, contents and order after any sequence of writes', () => {
    fc.assert(
      fc.property(pooledOps, fc.array(fc.nat(), { maxLength: 5 }), (ops, rootAt) => {
        const t = new SparseMerkleTree();
        const model = new Map<string, Uint8Array>();
        const checkpoints = new Set(rootAt.map((i) => i % (ops.length + 1)));
        ops.forEach((op, i) => {
          // Computing roots midway caches hashes: later writes must invalidate them properly.
          if (checkpoints.has(i)) assert.equal(hex(t.root()), hex(refRoot(model)));
          apply(t, model, op);
        });
        assert.equal(hex(t.root()), hex(refRoot(model)));
        assert.equal(t.size, model.size);
        for (const [k, v] of model) assert.deepEqual(t.get(unhex(k)), v);
        const keys = [...t.entries()].map(([k]) => hex(sha(k)));
        assert.deepEqual(keys, [...keys].sort());
        assert.deepEqual(contentsOf(t), new Map([...model].map(([k, v]) => [k, hex(v)])));
      }),
      { numRuns: NUM_RUNS * 3 },
    );
  });

  it('applySorted leaves the tree that set and delete one by one leave, versions untouched', () => {
    // Each batch holds each key's last op, in key-hash order.
    const batchOf = (ops: readonly Op[]) =>
      [...new Map(ops.map((op) => [hex(op.key), op])).values()]
        .map((op) => {
          // Values go in as two parts, split in the middle (see SmtLeaf): the tree must hash
          // and compare them as the joined bytes, which refRoot and `sequential` hold whole.
          const cut = op.kind === 'set' ? op.value.length >> 1 : 0;
          return {
            keyHash: keyHashOf(op.key),
            key: op.key,
            value: op.kind === 'set' ? op.value.subarray(cut) : undefined,
            head: op.kind === 'set' ? op.value.subarray(0, cut) : NO_HEAD,
          };
        })
        .sort((a, b) => (a.keyHash < b.keyHash ? -1 : a.keyHash > b.keyHash ? 1 : 0));
    fc.assert(
      fc.property(
        mapArb(30),
        fc.array(pooledOps, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        fc.boolean(),
        (initial, batches, hashFirst, takeVersion) => {
          const t = treeOf(initial);
          const sequential = treeOf(initial);
          const model = new Map(initial);
          if (hashFirst) t.root();
          const before = takeVersion ? t.snapshot() : undefined;
          for (const ops of batches) {
            // Hashes cached between batches must be dropped where a later batch changes things,
            // whether the nodes are changed in place (this epoch) or copied (a version's).
            t.applySorted(batchOf(ops));
            for (const op of ops) apply(sequential, model, op);
            assert.equal(hex(t.root()), hex(refRoot(model)));
            assert.equal(t.size, model.size);
            assert.deepEqual(contentsOf(t), new Map([...model].map(([k, v]) => [k, hex(v)])));
          }
          // The same shape as writes one at a time: both take the same later writes alike.
          const m1 = new Map(model);
          const m2 = new Map(model);
          for (const op of batches[0]!.slice(0, 5)) {
            apply(t, m1, op);
            apply(sequential, m2, op);
            assert.equal(hex(t.root()), hex(sequential.root()));
          }
          if (before !== undefined) {
            assert.equal(hex(before.root()), hex(refRoot(initial)));
            assert.deepEqual(
              contentsOf(before),
              new Map([...initial].map(([k, v]) => [k, hex(v)])),
            );
          }
        },
      ),
      { numRuns: NUM_RUNS * 3 },
    );
  });

  it('the root does not depend on insertion order, nor on delete and re-insert history', () => {
    fc.assert(
      fc.property(
        mapArb(40).chain((m) =>
          fc.tuple(
            fc.constant(m),
            fc.shuffledSubarray([...m.keys()], { minLength: m.size, maxLength: m.size }),
          ),
        ),
        fc.array(fc.tuple(keyArb, valueArb), { maxLength: 20 }),
        ([map, order], noise) => {
          const a = treeOf(map);
          const b = new SparseMerkleTree();
          // Noise first: unrelated keys written, some overwritten, then all removed again.
          for (const [k, v] of noise) b.set(k, v);
          for (const k of order) b.set(unhex(k), map.get(k)!);
          for (const [k] of noise) if (!map.has(hex(k))) b.delete(k);
          for (const [k] of noise) if (map.has(hex(k))) b.set(k, map.get(hex(k))!);
          assert.equal(b.size, map.size);
          assert.equal(hex(b.root()), hex(a.root()));
          assert.equal(hex(a.root()), hex(refRoot(map)));
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('a snapshot keeps its contents and root while the live tree moves on', () => {
    fc.assert(
      fc.property(
        mapArb(30),
        pooledOps,
        pooledOps,
        fc.boolean(),
        (initial, ops1, ops2, hashFirst) => {
          const t = treeOf(initial);
          const model = new Map(initial);
          if (hashFirst) t.root();
          const v1 = t.snapshot();
          const model1 = new Map(model);
          for (const op of ops1) apply(t, model, op);
          if (hashFirst) t.root();
          const v2 = t.snapshot();
          const model2 = new Map(model);
          for (const op of ops2) apply(t, model, op);
          for (const [view, m] of [
            [v1, model1],
            [v2, model2],
            [t, model],
          ] as const) {
            assert.equal(hex(view.root()), hex(refRoot(m)));
            assert.equal(view.size, m.size);
            for (const [k, v] of m) assert.deepEqual(view.get(unhex(k)), v);
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SparseMerkleTree, diffVersions, type SmtView } from '../../src/merkle/index.js';
import { NUM_RUNS, hex, keyArb, mapArb, unhex, valueArb } from './helpers.js';

function contentsOf(view: SmtView): Map<string, string> {
  return new Map([...view.entries()].map(([k, v]) => [hex(k), hex(v)]));
}

/** Applies `from -> to` changes to a copy of `from`'s contents. */
function applied(from: SmtView, to: SmtView): Map<string, string> {
  const out = contentsOf(from);
  for (const c of diffVersions(from, to)) {
    if (c.value === undefined) out.delete(hex(c.key));
    else out.set(hex(c.key), hex(c.value));
  }
  return out;
}

const opsArb = fc.array(
  fc.oneof(
    fc.tuple(fc.constant('set' as const), keyArb, valueArb),
    fc.tuple(fc.constant('del' as const), keyArb, valueArb),
  ),
  { maxLength: 40 },
);

describe('diffVersions', () => {
  it('between a version and later writes to the same tree: exactly the keys that changed', () => {
    fc.assert(
      fc.property(mapArb(60), opsArb, (initial, ops) => {
        const t = new SparseMerkleTree();
        for (const [k, v] of initial) t.set(unhex(k), v);
        const before = t.snapshot();
        for (const [op, k, v] of ops) {
          if (op === 'set') t.set(k, v);
          else t.delete(k);
        }
        const after = t.snapshot();
        assert.deepEqual(applied(before, after), contentsOf(after));
        assert.deepEqual(applied(after, before), contentsOf(before));
        // Only changed keys are listed, each once, in ascending key-hash order.
        const changes = diffVersions(before, after);
        const beforeContents = contentsOf(before);
        for (const c of changes) {
          assert.notEqual(
            beforeContents.get(hex(c.key)),
            c.value === undefined ? undefined : hex(c.value),
          );
        }
        assert.equal(new Set(changes.map((c) => hex(c.key))).size, changes.length);
      }),
      { numRuns: NUM_RUNS * 3 },
    );
  });

  it('between unrelated trees (no shared nodes) it still gives the exact difference', () => {
    fc.assert(
      fc.property(mapArb(40), mapArb(40), (a, b) => {
        const ta = new SparseMerkleTree();
        const tb = new SparseMerkleTree();
        for (const [k, v] of a) ta.set(unhex(k), v);
        for (const [k, v] of b) tb.set(unhex(k), v);
        assert.deepEqual(applied(ta, tb), contentsOf(tb));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('a tree started from a version shares it and leaves it untouched', () => {
    const t = new SparseMerkleTree();
    for (let i = 0; i < 200; i++) t.set(Buffer.from(`k${i}`), Buffer.from(`v${i}`));
    const base = t.snapshot();
    const rootBefore = hex(base.root());
    const work = SparseMerkleTree.fromVersion(base);
    work.set(Buffer.from('k7'), Buffer.from('changed'));
    work.delete(Buffer.from('k8'));
    work.set(Buffer.from('new'), Buffer.from('x'));
    assert.equal(hex(base.root()), rootBefore);
    assert.equal(base.size, 200);
    assert.equal(work.size, 200);
    const changes = diffVersions(base, work).map((c): [string, string | null] => [
      Buffer.from(c.key).toString(),
      c.value === undefined ? null : Buffer.from(c.value).toString(),
    ]);
    assert.deepEqual(
      new Map(changes),
      new Map([
        ['k7', 'changed'],
        ['k8', null],
        ['new', 'x'],
      ]),
    );
    // The original tree, still live, is independent of the derived one too.
    t.set(Buffer.from('k9'), Buffer.from('live'));
    assert.equal(Buffer.from(work.get(Buffer.from('k9'))!).toString(), 'v9');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  SparseMerkleTree,
  decodeCommitmentProof,
  encodeCommitmentProof,
  proveKey,
  verifyMembership,
  verifyNonMembership,
  type CommitmentProof,
  type ExistenceProof,
  type InnerOp,
  type VerifyResult,
} from '../../src/merkle/index.js';
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
  sha as hashKey,
  unhex,
  utf8,
  valueArb,
} from './helpers.js';
import { SMT_VECTORS } from './ics23-vectors.js';

function treeOf(map: ReadonlyMap<string, Uint8Array>): SparseMerkleTree {
  const t = new SparseMerkleTree();
  for (const [k, v] of map) t.set(unhex(k), v);
  return t;
}

function assertValid(r: VerifyResult, what: string): void {
  assert.deepEqual(r, { valid: true }, what);
}

function assertInvalid(r: VerifyResult, what: string, reason?: RegExp): void {
  if (r.valid) assert.fail(`${what}: expected invalid`);
  if (reason !== undefined) assert.match(r.reason, reason, what);
}

/** Calls the verifier and fails the test if it throws (it never may). */
function noThrow(f: () => VerifyResult): VerifyResult {
  try {
    return f();
  } catch (e) {
    assert.fail(`verifier threw: ${String(e)}`);
  }
}

function existOf(proof: Uint8Array): ExistenceProof {
  const cp = decodeCommitmentProof(proof);
  assert.equal(cp.kind, 'exist');
  return cp.exist;
}

describe('proofs: existence and non-existence round trips', () => {
  it('every present key proves present, every absent key proves absent', () => {
    fc.assert(
      fc.property(mapArb(60), fc.array(keyArb, { maxLength: 10 }), (map, probes) => {
        const t = treeOf(map);
        const root = t.root();
        assert.equal(hex(root), hex(refRoot(map)));
        for (const [k, v] of map) {
          const p = proveKey(t, unhex(k));
          assert.ok(p.exists);
          assert.deepEqual(p.value, v);
          assert.deepEqual(p.root, root);
          assertValid(verifyMembership(root, unhex(k), v, p.proof), `membership of ${k}`);
          // An existence proof is not a non-existence proof.
          assertInvalid(verifyNonMembership(root, unhex(k), p.proof), 'exist used as nonexist');
        }
        for (const key of probes) {
          if (map.has(hex(key))) continue;
          const p = proveKey(t, key);
          assert.equal(p.exists, false);
          assertValid(verifyNonMembership(root, key, p.proof), `non-membership of ${hex(key)}`);
          assertInvalid(verifyMembership(root, key, utf8('x'), p.proof), 'nonexist used as exist');
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('a proof does not verify for another value, another key or another root', () => {
    fc.assert(
      fc.property(
        mapArb(30).filter((m) => m.size > 0),
        keyArb,
        valueArb,
        fc.nat(),
        (map, otherKey, otherValue, pick) => {
          const t = treeOf(map);
          const root = t.root();
          const keys = [...map.keys()];
          const k = unhex(keys[pick % keys.length]!);
          const v = map.get(hex(k))!;
          const { proof } = proveKey(t, k);
          if (hex(otherValue) !== hex(v)) {
            assertInvalid(
              verifyMembership(root, k, otherValue, proof),
              'other value',
              /another value/,
            );
          }
          if (hex(otherKey) !== hex(k)) {
            assertInvalid(verifyMembership(root, otherKey, v, proof), 'other key', /another key/);
          }
          const flipped = Buffer.from(root);
          flipped[pick % 32]! ^= 1 << (pick % 8);
          assertInvalid(verifyMembership(flipped, k, v, proof), 'other root', /root/);

          // The same for absence: another key, another root.
          if (!map.has(hex(otherKey))) {
            const absent = proveKey(t, otherKey);
            assertValid(verifyNonMembership(root, otherKey, absent.proof), 'absent');
            assertInvalid(
              verifyNonMembership(flipped, otherKey, absent.proof),
              'nonexist other root',
            );
            assertInvalid(verifyNonMembership(root, k, absent.proof), 'nonexist for a present key');
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('changing, dropping or adding any byte of a proof makes it invalid, and nothing throws', () => {
    fc.assert(
      fc.property(mapArb(12), keyArb, fc.integer({ min: 1, max: 255 }), (map, probe, xor) => {
        const t = treeOf(map);
        const root = t.root();
        const cases: { proof: Uint8Array; check: (p: Uint8Array) => VerifyResult }[] = [];
        const probeProof = proveKey(t, probe);
        cases.push({
          proof: probeProof.proof,
          check: probeProof.exists
            ? (p) => verifyMembership(root, probe, probeProof.value, p)
            : (p) => verifyNonMembership(root, probe, p),
        });
        const first = [...map][0];
        if (first !== undefined) {
          const [k, v] = first;
          cases.push({
            proof: proveKey(t, unhex(k)).proof,
            check: (p) => verifyMembership(root, unhex(k), v, p),
          });
        }
        for (const { proof, check } of cases) {
          assertValid(check(proof), 'untampered');
          for (let i = 0; i < proof.length; i++) {
            const bad = Buffer.from(proof);
            bad[i]! ^= xor;
            assertInvalid(
              noThrow(() => check(bad)),
              `byte ${i} ^ ${xor}`,
            );
          }
          for (const cut of [0, 1, proof.length >> 1, proof.length - 1]) {
            if (cut < proof.length)
              assertInvalid(
                noThrow(() => check(proof.subarray(0, cut))),
                `cut at ${cut}`,
              );
          }
          assertInvalid(
            noThrow(() => check(Buffer.concat([proof, Buffer.of(0)]))),
            'trailing zero',
          );
          assertInvalid(
            noThrow(() => check(Buffer.concat([proof, Buffer.of(0x2a, 0)]))),
            'trailing field',
          );
        }
      }),
      { numRuns: Math.max(10, NUM_RUNS >> 2) },
    );
  });

  it('random bytes and wrong argument types are refused, never thrown', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (junk, root) => {
          assertInvalid(
            noThrow(() => verifyMembership(root, utf8('k'), utf8('v'), junk)),
            'junk',
          );
          assertInvalid(
            noThrow(() => verifyNonMembership(root, utf8('k'), junk)),
            'junk',
          );
        },
      ),
      { numRuns: NUM_RUNS * 5 },
    );
    const t = treeOf(new Map([[hex(utf8('k')), utf8('v')]]));
    const { proof } = proveKey(t, utf8('k'));
    const bad: unknown[] = [undefined, null, 'string', 42, {}, [], new Uint8Array(31)];
    for (const b of bad) {
      const asBytes = b as Uint8Array;
      assertInvalid(
        noThrow(() => verifyMembership(asBytes, utf8('k'), utf8('v'), proof)),
        `root ${String(b)}`,
      );
      assertInvalid(
        noThrow(() => verifyMembership(t.root(), asBytes, utf8('v'), proof)),
        `key ${String(b)}`,
      );
      assertInvalid(
        noThrow(() => verifyMembership(t.root(), utf8('k'), asBytes, proof)),
        `value ${String(b)}`,
      );
      assertInvalid(
        noThrow(() => verifyNonMembership(t.root(), utf8('x'), asBytes)),
        `proof ${String(b)}`,
      );
    }
  });

  it('proves against a retained version while the live tree moves on', () => {
    const t = new SparseMerkleTree();
    for (let i = 0; i < 200; i++) t.set(utf8(`key${i}`), utf8(`v${i}`));
    const v1 = t.snapshot();
    const root1 = v1.root();
    for (let i = 0; i < 200; i += 2) t.set(utf8(`key${i}`), utf8(`changed${i}`));
    for (let i = 1; i < 200; i += 4) t.delete(utf8(`key${i}`));
    const root2 = t.root();
    for (let i = 0; i < 200; i++) {
      const key = utf8(`key${i}`);
      const old = proveKey(v1, key);
      assert.ok(old.exists);
      assertValid(verifyMembership(root1, key, utf8(`v${i}`), old.proof), `v1 key${i}`);
      assertInvalid(
        verifyMembership(root2, key, utf8(`v${i}`), old.proof),
        `v1 proof at live root`,
      );
      const now = proveKey(t, key);
      if (i % 4 === 1) assertValid(verifyNonMembership(root2, key, now.proof), `deleted key${i}`);
      else {
        const want = i % 2 === 0 ? `changed${i}` : `v${i}`;
        assertValid(verifyMembership(root2, key, utf8(want), now.proof), `live key${i}`);
      }
    }
  });
});

describe('proofs: edge cases of non-existence', () => {
  it('the empty map: a proof without neighbours, valid only against the empty root', () => {
    const t = new SparseMerkleTree();
    const p = proveKey(t, utf8('anything'));
    assert.equal(p.exists, false);
    assert.deepEqual(Buffer.from(p.root), ZERO32);
    assertValid(verifyNonMembership(ZERO32, utf8('anything'), p.proof), 'empty');
    assertInvalid(
      verifyNonMembership(refLeaf(utf8('a'), utf8('b')), utf8('anything'), p.proof),
      'non-empty root',
    );
  });

  it('one key: absent keys on either side have a single neighbour with an empty path', () => {
    const only = keyWithPrefix('1', 'only');
    const below = keyWithPrefix('0', 'below');
    const t = new SparseMerkleTree();
    t.set(only, utf8('v'));
    const root = t.root();
    assert.equal(hex(root), hex(refLeaf(only, utf8('v'))));
    for (const k of [below, keyWithPrefix('1', 'x')]) {
      const p = proveKey(t, k);
      assert.equal(p.exists, false);
      const cp = decodeCommitmentProof(p.proof);
      assert.equal(cp.kind, 'nonexist');
      assert.equal((cp.nonexist.left ?? cp.nonexist.right)?.path.length, 0);
      assertValid(verifyNonMembership(root, k, p.proof), hex(k));
    }
  });

  it('leftmost and rightmost absent keys, and keys falling between deep neighbours', () => {
    const keys = ['0000', '0001', '01', '10', '1110', '1111'].map((bits, i) =>
      keyWithPrefix(bits, `n${i}`),
    );
    const t = new SparseMerkleTree();
    for (const k of keys) t.set(k, k);
    const root = t.root();
    const probes = [
      '00000',
      '00001',
      '0001',
      '001',
      '0100',
      '011',
      '100',
      '110',
      '11100',
      '11110',
      '11111',
    ];
    for (const [i, bits] of probes.entries()) {
      const k = keyWithPrefix(bits, `probe${i}-`);
      const p = proveKey(t, k);
      assert.equal(p.exists, false);
      assertValid(verifyNonMembership(root, k, p.proof), `probe ${bits}`);
    }
  });

  it('refuses a non-existence proof whose neighbours are valid but not adjacent', () => {
    const keys = ['00', '01', '10', '11'].map((bits, i) => keyWithPrefix(bits, `adj${i}`));
    const t = new SparseMerkleTree();
    for (const k of keys) t.set(k, k);
    const root = t.root();
    const leftOf = (k: Uint8Array): ExistenceProof => existOf(proveKey(t, k).proof);
    // Neighbours are ordered by SHA-256(key). Find a probe between the first two leaves, then
    // "prove" its absence with the first and the third (skipping the second).
    const sorted = [...keys].sort((a, b) => Buffer.compare(hashKey(a), hashKey(b)));
    let probe = utf8('');
    for (let i = 0; ; i++) {
      probe = utf8(`between${i}`);
      const h = hashKey(probe);
      if (Buffer.compare(h, hashKey(sorted[0]!)) > 0 && Buffer.compare(h, hashKey(sorted[1]!)) < 0)
        break;
    }
    assertValid(verifyNonMembership(root, probe, proveKey(t, probe).proof), 'honest');
    const lower = sorted.slice(0, 1);
    const upper = sorted.slice(1);
    const forged: CommitmentProof = {
      kind: 'nonexist',
      nonexist: { key: probe, left: leftOf(lower.at(-1)!), right: leftOf(upper[1]!) },
    };
    assertInvalid(
      verifyNonMembership(root, probe, encodeCommitmentProof(forged)),
      'skipping',
      /adjacent/,
    );
    // Dropping a neighbour: the other one is not at the edge of the tree.
    const noLeft: CommitmentProof = {
      kind: 'nonexist',
      nonexist: { key: probe, left: undefined, right: leftOf(upper[0]!) },
    };
    assertInvalid(
      verifyNonMembership(root, probe, encodeCommitmentProof(noLeft)),
      'no left',
      /leftmost/,
    );
    // Swapping the neighbours.
    const swapped: CommitmentProof = {
      kind: 'nonexist',
      nonexist: { key: probe, left: leftOf(upper[0]!), right: leftOf(lower.at(-1)!) },
    };
    assertInvalid(verifyNonMembership(root, probe, encodeCommitmentProof(swapped)), 'swapped');
  });
});

describe('verifier: strict SmtSpec checks that generic ICS-23 does not make', () => {
  // A one-key tree whose "proof" we rebuild by hand with variations that compute the claimed
  // root correctly, so that only the spec checks can refuse them.
  const key = utf8('strict');
  const value = utf8('value');
  const leaf = refLeaf(key, value);
  const baseLeafOp = {
    hash: 1,
    prehashKey: 1,
    prehashValue: 1,
    length: 0,
    prefix: Uint8Array.of(0),
  };

  function exist(path: InnerOp[], leafOp = baseLeafOp): Uint8Array {
    return encodeCommitmentProof({ kind: 'exist', exist: { key, value, leaf: leafOp, path } });
  }

  it('accepts the honest one-key proof', () => {
    assertValid(verifyMembership(leaf, key, value, exist([])), 'honest');
  });

  it('refuses a leaf prefix that merely starts with 00', () => {
    const op = { ...baseLeafOp, prefix: Uint8Array.of(0, 7) };
    const root = hashKey(Uint8Array.of(0, 7), hashKey(key), hashKey(value));
    assertInvalid(verifyMembership(root, key, value, exist([], op)), 'long prefix', /prefix/);
  });

  it('refuses other leaf hash, prehash and length ops', () => {
    for (const op of [
      { ...baseLeafOp, hash: 2 },
      { ...baseLeafOp, prehashKey: 0 },
      { ...baseLeafOp, prehashValue: 0 },
      { ...baseLeafOp, length: 1 },
    ]) {
      assertInvalid(verifyMembership(leaf, key, value, exist([], op)), JSON.stringify(op));
    }
  });

  it('refuses inner prefixes other than 01 and oddly split siblings', () => {
    const sib = hashKey(utf8('sibling'));
    const side = (hashKey(key)[0]! >> 7) & 1;
    // Honest one step: our leaf on its own side, sibling on the other.
    const honestOp: InnerOp =
      side === 0
        ? { hash: 1, prefix: Uint8Array.of(1), suffix: sib }
        : { hash: 1, prefix: Buffer.concat([Buffer.of(1), sib]), suffix: new Uint8Array(0) };
    const root = side === 0 ? refInner(leaf, sib) : refInner(sib, leaf);
    assertValid(verifyMembership(root, key, value, exist([honestOp])), 'honest step');

    const pre = (p: Uint8Array, s: Uint8Array): InnerOp => ({ hash: 1, prefix: p, suffix: s });
    const all = Buffer.concat([Buffer.of(1), side === 0 ? Buffer.alloc(0) : sib]);
    const tail = side === 0 ? sib : Buffer.alloc(0);
    // Move 16 bytes of the sibling between prefix and suffix: the same preimage, so the same
    // root; ICS-23's generic checks allow it when the suffix length is a multiple of 32 only,
    // ours never.
    const variants: InnerOp[] = [
      pre(Buffer.concat([Buffer.of(1), sib.subarray(0, 16)]), sib.subarray(16)),
      { ...honestOp, hash: 2 },
      pre(Buffer.concat([Buffer.of(2), all.subarray(1)]), tail),
    ];
    for (const op of variants) {
      assertInvalid(verifyMembership(root, key, value, exist([op])), 'variant');
    }
  });

  it('refuses a path that turns against the bits of SHA-256(key)', () => {
    const sib = hashKey(utf8('sibling'));
    const side = (hashKey(key)[0]! >> 7) & 1;
    // The opposite turn, with a root computed to match it.
    const op: InnerOp =
      side === 1
        ? { hash: 1, prefix: Uint8Array.of(1), suffix: sib }
        : { hash: 1, prefix: Buffer.concat([Buffer.of(1), sib]), suffix: new Uint8Array(0) };
    const root = side === 1 ? refInner(leaf, sib) : refInner(sib, leaf);
    assertInvalid(verifyMembership(root, key, value, exist([op])), 'wrong turn', /wrong way/);
  });

  it('refuses an empty sibling right above the leaf (never in a compressed tree)', () => {
    const side = (hashKey(key)[0]! >> 7) & 1;
    const op: InnerOp =
      side === 0
        ? { hash: 1, prefix: Uint8Array.of(1), suffix: ZERO32 }
        : { hash: 1, prefix: Buffer.concat([Buffer.of(1), ZERO32]), suffix: new Uint8Array(0) };
    const root = side === 0 ? refInner(leaf, ZERO32) : refInner(ZERO32, leaf);
    assertInvalid(
      verifyMembership(root, key, value, exist([op])),
      'empty sibling',
      /empty sibling/,
    );
  });

  it('refuses paths deeper than 256', () => {
    const op: InnerOp = { hash: 1, prefix: Uint8Array.of(1), suffix: ZERO32 };
    const bytes = exist(new Array<InnerOp>(257).fill(op));
    assertInvalid(verifyMembership(leaf, key, value, bytes), 'deep', /256/);
  });

  it('refuses non-canonical, unknown and unsupported encodings', () => {
    const honest = Buffer.from(exist([]));
    const cases: [string, Buffer, RegExp][] = [
      [
        'unknown field at the end',
        Buffer.concat([honest, Buffer.of(0x30, 0x01)]),
        /unknown field 6/,
      ],
      ['batch proof', Buffer.of(0x1a, 0x00), /batch proofs are not supported/],
      ['exclusion proof', Buffer.of(0x2a, 0x00), /exclusion proofs are not supported/],
      [
        'two members of the oneof',
        Buffer.concat([honest, Buffer.of(0x12, 0x00)]),
        /oneof set twice/,
      ],
      ['empty CommitmentProof', Buffer.alloc(0), /got empty/],
      // exist { key "strict" ... } with the key's length as a two-byte varint.
      [
        'non-minimal varint',
        Buffer.concat([
          Buffer.of(honest[0]!, honest[1]! + 1, 0x0a, 0x86, 0x00),
          honest.subarray(4),
        ]),
        /canonical/,
      ],
      ['truncated', honest.subarray(0, honest.length - 1), /overruns/],
      ['wrong wire type', Buffer.of(0x08, 0x01), /wire type/],
    ];
    for (const [what, bytes, reason] of cases) {
      assertInvalid(
        noThrow(() => verifyMembership(leaf, key, value, bytes)),
        what,
        reason,
      );
    }
    // An explicit zero enum is legal protobuf but not canonical: refused.
    const withZeroLength = encodeWithExplicitZero(key, value);
    assertInvalid(
      verifyMembership(leaf, key, value, withZeroLength),
      'explicit zero enum',
      /canonical/,
    );
  });

  it('accepts cosmos/ics23 SmtSpec vectors produced by celestiaorg/smt, and refuses them tampered', () => {
    for (const v of SMT_VECTORS) {
      const root = unhex(v.root);
      const key = unhex(v.key);
      const proof = unhex(v.proof);
      const check = (r: Uint8Array, k: Uint8Array, p: Uint8Array): VerifyResult =>
        v.value === '' ? verifyNonMembership(r, k, p) : verifyMembership(r, k, unhex(v.value), p);
      assertValid(check(root, key, proof), v.name);
      const badRoot = Buffer.from(root);
      badRoot[0]! ^= 1;
      assertInvalid(check(badRoot, key, proof), `${v.name} other root`);
      assertInvalid(check(root, utf8('not the key'), proof), `${v.name} other key`);
      for (let i = 0; i < proof.length; i += 7) {
        const bad = Buffer.from(proof);
        bad[i]! ^= 0x10;
        assertInvalid(
          noThrow(() => check(root, key, bad)),
          `${v.name} byte ${i}`,
        );
      }
    }
  });
});

/** exist{key, value, leaf{hash, prehash_key, prehash_value, length: 0 written out, prefix}} */
function encodeWithExplicitZero(key: Uint8Array, value: Uint8Array): Buffer {
  const leaf = Buffer.of(0x08, 1, 0x10, 1, 0x18, 1, 0x20, 0, 0x2a, 1, 0);
  const body = Buffer.concat([
    Buffer.of(0x0a, key.length),
    key,
    Buffer.of(0x12, value.length),
    value,
    Buffer.of(0x1a, leaf.length),
    leaf,
  ]);
  return Buffer.concat([Buffer.of(0x0a, body.length), body]);
}

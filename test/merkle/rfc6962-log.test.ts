import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  MerkleLog,
  RFC6962_EMPTY_ROOT_HEX,
  rfc6962LeafHash,
  rfc6962NodeHash,
  verifyConsistency,
  verifyInclusion,
  type VerifyResult,
} from '../../src/merkle/index.js';
import { NUM_RUNS, hex, sha, unhex } from './helpers.js';

// The Certificate Transparency reference inputs and tree heads (as published in
// transparency-dev/merkle proof/verify_test.go and certificate-transparency's tests).
const CT_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(unhex);

const CT_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

/** (1-based leaf, tree size, audit path) from transparency-dev/merkle. */
const CT_INCLUSION: [number, number, string[]][] = [
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [3, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [
    2,
    5,
    [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];

/** (size1, size2, consistency proof) from transparency-dev/merkle. */
const CT_CONSISTENCY: [number, number, string[]][] = [
  [1, 1, []],
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [
    2,
    5,
    [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
  [
    6,
    7,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
];

/** MTH straight from RFC 6962 §2.1, with createHash: the reference the log is checked against. */
function refMth(leaves: Uint8Array[]): Buffer {
  if (leaves.length === 0) return sha();
  if (leaves.length === 1) return sha(Buffer.of(0), leaves[0]!);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha(Buffer.of(1), refMth(leaves.slice(0, k)), refMth(leaves.slice(k)));
}

function logOf(leaves: Uint8Array[]): MerkleLog {
  const log = new MerkleLog();
  for (const l of leaves) log.append(l);
  return log;
}

const SOME_HASH = unhex('abacaba000000000000000000000000000000000000000000060061e00123456');

function invalid(r: VerifyResult): boolean {
  return !r.valid;
}

/** The corruptions transparency-dev/merkle applies to every good inclusion proof. */
function inclusionProbes(
  index: number,
  size: number,
  proof: Uint8Array[],
  root: Uint8Array,
  leaf: Uint8Array,
) {
  const probes: [string, () => VerifyResult][] = [
    ['index - 1', () => verifyInclusion(leaf, index - 1, size, proof, root)],
    ['index + 1', () => verifyInclusion(leaf, index + 1, size, proof, root)],
    ['index ^ 2', () => verifyInclusion(leaf, index ^ 2, size, proof, root)],
    ['size * 2', () => verifyInclusion(leaf, index, size * 2, proof, root)],
    ['size / 2', () => verifyInclusion(leaf, index, Math.floor(size / 2), proof, root)],
    ['wrong leaf', () => verifyInclusion(sha(Buffer.from('WrongLeaf')), index, size, proof, root)],
    ['empty root', () => verifyInclusion(leaf, index, size, proof, unhex(RFC6962_EMPTY_ROOT_HEX))],
    ['random root', () => verifyInclusion(leaf, index, size, proof, SOME_HASH)],
    ['trailing root', () => verifyInclusion(leaf, index, size, [...proof, root], root)],
    ['preceding root', () => verifyInclusion(leaf, index, size, [root, ...proof], root)],
    [
      'trailing garbage',
      () => verifyInclusion(leaf, index, size, [...proof, new Uint8Array(0)], root),
    ],
  ];
  for (let i = 0; i < proof.length; i++) {
    const bad = proof.map((p) => Buffer.from(p));
    bad[i]![0]! ^= 8;
    probes.push([`flip proof[${i}]`, () => verifyInclusion(leaf, index, size, bad, root)]);
  }
  if (proof.length > 0)
    probes.push(['removed', () => verifyInclusion(leaf, index, size, proof.slice(0, -1), root)]);
  if (proof.length > 1) {
    probes.push([
      'inserted',
      () => verifyInclusion(leaf, index, size, [proof[0]!, SOME_HASH, ...proof.slice(1)], root),
    ]);
  }
  return probes;
}

/** The corruptions transparency-dev/merkle applies to every good, non-trivial consistency proof. */
function consistencyProbes(
  m: number,
  n: number,
  r1: Uint8Array,
  r2: Uint8Array,
  proof: Uint8Array[],
) {
  const wrong = sha(Buffer.from('WrongRoot'));
  const probes: [string, () => VerifyResult][] = [
    ['m - 1', () => verifyConsistency(m - 1, n, r1, r2, proof)],
    ['m + 1', () => verifyConsistency(m + 1, n, r1, r2, proof)],
    ['m ^ 2', () => verifyConsistency(m ^ 2, n, r1, r2, proof)],
    ['n * 2', () => verifyConsistency(m, n * 2, r1, r2, proof)],
    ['n / 2', () => verifyConsistency(m, Math.floor(n / 2), r1, r2, proof)],
    ['wrong root1', () => verifyConsistency(m, n, wrong, r2, proof)],
    ['wrong root2', () => verifyConsistency(m, n, r1, wrong, proof)],
    ['swapped roots', () => verifyConsistency(m, n, r2, r1, proof)],
    ['empty proof', () => verifyConsistency(m, n, r1, r2, [])],
    ['trailing root1', () => verifyConsistency(m, n, r1, r2, [...proof, r1])],
    ['trailing root2', () => verifyConsistency(m, n, r1, r2, [...proof, r2])],
    ['preceding root1', () => verifyConsistency(m, n, r1, r2, [r1, ...proof])],
    ['preceding root2', () => verifyConsistency(m, n, r1, r2, [r2, ...proof])],
    ['preceding proof[0]', () => verifyConsistency(m, n, r1, r2, [proof[0]!, ...proof])],
    ['truncated', () => verifyConsistency(m, n, r1, r2, proof.slice(0, -1))],
  ];
  for (let i = 0; i < proof.length; i++) {
    const bad = proof.map((p) => Buffer.from(p));
    bad[i]![0]! ^= 16;
    probes.push([`flip proof[${i}]`, () => verifyConsistency(m, n, r1, r2, bad)]);
  }
  return probes;
}

describe('RFC 6962 log: reference vectors', () => {
  it('reproduces the CT tree heads for the first 0..8 reference leaves', () => {
    const log = new MerkleLog();
    assert.equal(hex(log.root()), CT_ROOTS[0]);
    assert.equal(RFC6962_EMPTY_ROOT_HEX, CT_ROOTS[0]);
    CT_LEAVES.forEach((leaf, i) => {
      assert.equal(log.append(leaf), i);
      assert.equal(hex(log.root()), CT_ROOTS[i + 1], `size ${i + 1}`);
    });
    for (let n = 0; n <= 8; n++)
      assert.equal(hex(log.root(n)), CT_ROOTS[n], `root(${n}) of the full log`);
    assert.equal(hex(rfc6962LeafHash(new Uint8Array(0))), CT_ROOTS[1]);
    assert.equal(
      hex(rfc6962NodeHash(rfc6962LeafHash(CT_LEAVES[0]!), rfc6962LeafHash(CT_LEAVES[1]!))),
      CT_ROOTS[2],
    );
  });

  it('produces and verifies the published inclusion proofs', () => {
    const log = logOf(CT_LEAVES);
    for (const [leaf, size, path] of CT_INCLUSION) {
      const proof = log.inclusionProof(leaf - 1, size);
      assert.deepEqual(proof.map(hex), path, `leaf ${leaf} in ${size}`);
      const root = unhex(CT_ROOTS[size]!);
      const leafHash = rfc6962LeafHash(CT_LEAVES[leaf - 1]!);
      assert.deepEqual(verifyInclusion(leafHash, leaf - 1, size, path.map(unhex), root), {
        valid: true,
      });
      for (const [what, probe] of inclusionProbes(
        leaf - 1,
        size,
        path.map(unhex),
        root,
        leafHash,
      )) {
        assert.ok(invalid(probe()), `${what} for leaf ${leaf} in ${size}`);
      }
    }
  });

  it('produces and verifies the published consistency proofs', () => {
    const log = logOf(CT_LEAVES);
    for (const [m, n, path] of CT_CONSISTENCY) {
      assert.deepEqual(log.consistencyProof(m, n).map(hex), path, `${m} -> ${n}`);
      const r1 = unhex(CT_ROOTS[m]!);
      const r2 = unhex(CT_ROOTS[n]!);
      assert.deepEqual(
        verifyConsistency(m, n, r1, r2, path.map(unhex)),
        { valid: true },
        `${m} -> ${n}`,
      );
      if (path.length === 0) continue;
      for (const [what, probe] of consistencyProbes(m, n, r1, r2, path.map(unhex))) {
        assert.ok(invalid(probe()), `${what} for ${m} -> ${n}`);
      }
    }
  });

  it('handles the trivial consistency cases as transparency-dev/merkle does', () => {
    const r1 = sha(Buffer.from("don't care 1"));
    const r2 = sha(Buffer.from("don't care 2"));
    const empty = unhex(RFC6962_EMPTY_ROOT_HEX);
    const cases: [number, number, Uint8Array, Uint8Array, Uint8Array[], boolean][] = [
      [0, 0, r1, r2, [], false],
      [1, 1, r1, r2, [], false],
      [0, 0, r1, r1, [], true],
      [0, 1, r1, r2, [], true],
      [1, 1, r2, r2, [], true],
      [1, 0, r1, r2, [], false],
      [2, 1, r1, r2, [], false],
      [1, 2, r1, r2, [], false],
      [0, 0, empty, r2, [], false],
      [1, 1, empty, r2, [], false],
      [0, 0, empty, empty, [empty], false],
      [0, 1, empty, empty, [empty], false],
      [1, 1, empty, empty, [empty], false],
    ];
    for (const [m, n, a, b, proof, ok] of cases) {
      assert.equal(verifyConsistency(m, n, a, b, proof).valid, ok, `${m} -> ${n}`);
    }
    // Inclusion in trees that cannot hold the index.
    for (const [i, n] of [
      [0, 0],
      [1, 0],
      [2, 1],
    ] as const) {
      assert.equal(
        verifyInclusion(SOME_HASH, i, n, [], unhex(RFC6962_EMPTY_ROOT_HEX)).valid,
        false,
      );
    }
    const single = rfc6962LeafHash(Buffer.from('data'));
    assert.deepEqual(verifyInclusion(single, 0, 1, [], single), { valid: true });
  });
});

describe('RFC 6962 log: every size up to 64', () => {
  const leaves = Array.from({ length: 64 }, (_, i) => Buffer.from(`checkpoint ${i}`));
  const log = logOf(leaves);
  const roots = Array.from({ length: 65 }, (_, n) => log.root(n));

  it('root(n) is MTH of the first n leaves', () => {
    for (let n = 0; n <= 64; n++)
      assert.equal(hex(roots[n]!), hex(refMth(leaves.slice(0, n))), `n=${n}`);
    // A log rebuilt from its leaf hashes is the same log.
    const again = MerkleLog.fromLeafHashes(Array.from({ length: 64 }, (_, i) => log.leafHash(i)));
    assert.equal(hex(again.root()), hex(log.root()));
  });

  it('every inclusion proof for every i < n <= 64 verifies, and its corruptions do not', () => {
    for (let n = 1; n <= 64; n++) {
      for (let i = 0; i < n; i++) {
        const proof = log.inclusionProof(i, n);
        const leaf = log.leafHash(i);
        assert.deepEqual(
          verifyInclusion(leaf, i, n, proof, roots[n]!),
          { valid: true },
          `${i} in ${n}`,
        );
        if (n <= 24 || i % 7 === 0) {
          for (const [what, probe] of inclusionProbes(i, n, proof, roots[n]!, leaf)) {
            assert.ok(invalid(probe()), `${what}: ${i} in ${n}`);
          }
        }
      }
    }
  });

  it('every consistency proof for every m <= n <= 64 verifies, and its corruptions do not', () => {
    for (let n = 0; n <= 64; n++) {
      for (let m = 0; m <= n; m++) {
        const proof = log.consistencyProof(m, n);
        assert.deepEqual(
          verifyConsistency(m, n, roots[m]!, roots[n]!, proof),
          { valid: true },
          `${m} -> ${n}`,
        );
        if (proof.length === 0) continue;
        for (const [what, probe] of consistencyProbes(m, n, roots[m]!, roots[n]!, proof)) {
          assert.ok(invalid(probe()), `${what}: ${m} -> ${n}`);
        }
      }
    }
  });

  it('verifiers answer garbage with invalid, never an exception', () => {
    const anyArg = fc.oneof(
      fc.integer({ min: -5, max: 100 }),
      fc.double(),
      fc.constant(2 ** 60),
      fc.constant(undefined),
      fc.uint8Array({ maxLength: 40 }),
      fc.array(fc.uint8Array({ minLength: 31, maxLength: 33 }), { maxLength: 8 }),
    );
    fc.assert(
      fc.property(anyArg, anyArg, anyArg, anyArg, anyArg, (a, b, c, d, e) => {
        const args = [a, b, c, d, e] as unknown[];
        const r1 = (verifyInclusion as (...x: unknown[]) => VerifyResult)(...args);
        const r2 = (verifyConsistency as (...x: unknown[]) => VerifyResult)(...args);
        assert.equal(typeof r1.valid, 'boolean');
        assert.equal(typeof r2.valid, 'boolean');
      }),
      { numRuns: NUM_RUNS * 10 },
    );
  });

  it('refuses impossible requests', () => {
    assert.throws(() => log.root(65), RangeError);
    assert.throws(() => log.inclusionProof(64, 64), RangeError);
    assert.throws(() => log.consistencyProof(10, 9), RangeError);
    assert.throws(() => log.appendLeafHash(new Uint8Array(31)), RangeError);
  });
});

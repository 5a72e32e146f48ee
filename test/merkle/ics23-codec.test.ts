import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import {
  HashOp,
  Ics23DecodeError,
  LengthOp,
  decodeCommitmentProof,
  encodeCommitmentProof,
  type CommitmentProof,
  type ExistenceProof,
  type InnerOp,
  type LeafOp,
  type NonExistenceProof,
} from '../../src/merkle/index.js';
import { NUM_RUNS } from './helpers.js';

// dist/test/merkle/ -> the repository's proto/ folder.
const PROTO_PATH = fileURLToPath(new URL('../../../proto/ics23.proto', import.meta.url));
const root = new protobuf.Root().loadSync(PROTO_PATH, { keepCase: false });
root.resolveAll();
const CommitmentProofType = root.lookupType('cosmos.ics23.v1.CommitmentProof');

const enumArb = fc.integer({ min: 0, max: 8 });
const bytesArb = fc.uint8Array({ maxLength: 40 });
const leafArb: fc.Arbitrary<LeafOp> = fc.record({
  hash: enumArb,
  prehashKey: enumArb,
  prehashValue: enumArb,
  length: enumArb,
  prefix: bytesArb,
});
const innerArb: fc.Arbitrary<InnerOp> = fc.record({
  hash: enumArb,
  prefix: bytesArb,
  suffix: bytesArb,
});
const existArb: fc.Arbitrary<ExistenceProof> = fc.record({
  key: bytesArb,
  value: bytesArb,
  leaf: fc.option(leafArb, { nil: undefined }),
  path: fc.array(innerArb, { maxLength: 6 }),
});
const nonExistArb: fc.Arbitrary<NonExistenceProof> = fc.record({
  key: bytesArb,
  left: fc.option(existArb, { nil: undefined }),
  right: fc.option(existArb, { nil: undefined }),
});
const proofArb: fc.Arbitrary<CommitmentProof> = fc.oneof(
  existArb.map((exist) => ({ kind: 'exist' as const, exist })),
  nonExistArb.map((nonexist) => ({ kind: 'nonexist' as const, nonexist })),
  fc.constant({ kind: 'empty' as const }),
);

/** Our structure -> a protobufjs plain object, leaving proto3 defaults out (as canonical form does). */
function plain(p: CommitmentProof): Record<string, unknown> {
  const put = (
    o: Record<string, unknown>,
    k: string,
    v: number | Uint8Array | undefined | object,
  ): void => {
    if (v === undefined) return;
    if (typeof v === 'number' && v === 0) return;
    if (v instanceof Uint8Array && v.length === 0) return;
    o[k] = v;
  };
  const leaf = (op: LeafOp): object => {
    const o: Record<string, unknown> = {};
    put(o, 'hash', op.hash);
    put(o, 'prehashKey', op.prehashKey);
    put(o, 'prehashValue', op.prehashValue);
    put(o, 'length', op.length);
    put(o, 'prefix', op.prefix);
    return o;
  };
  const inner = (op: InnerOp): object => {
    const o: Record<string, unknown> = {};
    put(o, 'hash', op.hash);
    put(o, 'prefix', op.prefix);
    put(o, 'suffix', op.suffix);
    return o;
  };
  const exist = (e: ExistenceProof): object => {
    const o: Record<string, unknown> = {};
    put(o, 'key', e.key);
    put(o, 'value', e.value);
    if (e.leaf !== undefined) o.leaf = leaf(e.leaf);
    if (e.path.length > 0) o.path = e.path.map(inner);
    return o;
  };
  if (p.kind === 'exist') return { exist: exist(p.exist) };
  if (p.kind === 'nonexist') {
    const o: Record<string, unknown> = {};
    put(o, 'key', p.nonexist.key);
    if (p.nonexist.left !== undefined) o.left = exist(p.nonexist.left);
    if (p.nonexist.right !== undefined) o.right = exist(p.nonexist.right);
    return { nonexist: o };
  }
  return {};
}

const toObjectOptions: protobuf.IConversionOptions = {
  bytes: Array,
  enums: Number,
  defaults: false,
  oneofs: false,
};

describe('ics23 codec agrees with protobufjs on proto/ics23.proto', () => {
  it('encodes byte for byte as protobufjs does', () => {
    fc.assert(
      fc.property(proofArb, (p) => {
        const ours = Buffer.from(encodeCommitmentProof(p));
        const theirs = Buffer.from(
          CommitmentProofType.encode(CommitmentProofType.fromObject(plain(p))).finish(),
        );
        assert.equal(ours.toString('hex'), theirs.toString('hex'));
      }),
      { numRuns: NUM_RUNS * 3 },
    );
  });

  it('decodes what protobufjs encodes, and protobufjs decodes what we encode', () => {
    fc.assert(
      fc.property(proofArb, (p) => {
        const bytes = encodeCommitmentProof(p);
        const back = decodeCommitmentProof(bytes);
        assert.deepEqual(
          CommitmentProofType.toObject(
            CommitmentProofType.fromObject(plain(back)),
            toObjectOptions,
          ),
          CommitmentProofType.toObject(CommitmentProofType.decode(bytes), toObjectOptions),
        );
        assert.deepEqual(Buffer.from(encodeCommitmentProof(back)), Buffer.from(bytes));
      }),
      { numRuns: NUM_RUNS * 3 },
    );
  });

  it('uses the field numbers and enum values of upstream cosmos/ics23 proofs.proto', () => {
    // Facts from cosmos/ics23 proto/cosmos/ics23/v1/proofs.proto.
    const fields: Record<string, Record<string, number>> = {
      ExistenceProof: { key: 1, value: 2, leaf: 3, path: 4 },
      NonExistenceProof: { key: 1, left: 2, right: 3 },
      CommitmentProof: { exist: 1, nonexist: 2 },
      LeafOp: { hash: 1, prehashKey: 2, prehashValue: 3, length: 4, prefix: 5 },
      InnerOp: { hash: 1, prefix: 2, suffix: 3 },
    };
    for (const [type, want] of Object.entries(fields)) {
      const t = root.lookupType(`cosmos.ics23.v1.${type}`);
      assert.deepEqual(
        Object.fromEntries(Object.entries(t.fields).map(([n, f]) => [n, f.id])),
        want,
        type,
      );
    }
    assert.deepEqual(
      { ...root.lookupEnum('cosmos.ics23.v1.HashOp').values },
      {
        NO_HASH: 0,
        SHA256: 1,
        SHA512: 2,
        KECCAK: 3,
        RIPEMD160: 4,
        BITCOIN: 5,
        SHA512_256: 6,
      },
    );
    assert.deepEqual(
      { ...root.lookupEnum('cosmos.ics23.v1.LengthOp').values },
      {
        NO_PREFIX: 0,
        VAR_PROTO: 1,
        VAR_RLP: 2,
        FIXED32_BIG: 3,
        FIXED32_LITTLE: 4,
        FIXED64_BIG: 5,
        FIXED64_LITTLE: 6,
        REQUIRE_32_BYTES: 7,
        REQUIRE_64_BYTES: 8,
      },
    );
    // And src/merkle/spec.ts says the same.
    assert.deepEqual({ ...HashOp }, { ...root.lookupEnum('cosmos.ics23.v1.HashOp').values });
    assert.deepEqual({ ...LengthOp }, { ...root.lookupEnum('cosmos.ics23.v1.LengthOp').values });
  });

  it('refuses what protobufjs would accept but is not canonical', () => {
    // A LeafOp with hash = 0 written out explicitly: legal protobuf, not canonical.
    const explicitZero = Buffer.of(0x0a, 0x04, 0x1a, 0x02, 0x08, 0x00);
    assert.doesNotThrow(() => CommitmentProofType.decode(explicitZero));
    assert.throws(() => decodeCommitmentProof(explicitZero), Ics23DecodeError);
    // Fields out of order (value before key).
    const outOfOrder = Buffer.of(0x0a, 0x06, 0x12, 0x01, 0x76, 0x0a, 0x01, 0x6b);
    assert.doesNotThrow(() => CommitmentProofType.decode(outOfOrder));
    assert.throws(() => decodeCommitmentProof(outOfOrder), /canonical/);
    // Unknown field inside ExistenceProof (protobufjs skips it).
    const unknown = Buffer.of(0x0a, 0x02, 0x28, 0x01);
    assert.doesNotThrow(() => CommitmentProofType.decode(unknown));
    assert.throws(() => decodeCommitmentProof(unknown), /unknown field 5/);
    // A singular field twice (protobuf: last one wins).
    const twice = Buffer.of(0x0a, 0x06, 0x0a, 0x01, 0x61, 0x0a, 0x01, 0x62);
    assert.doesNotThrow(() => CommitmentProofType.decode(twice));
    assert.throws(() => decodeCommitmentProof(twice), /repeated/);
  });

  it('never throws anything but Ics23DecodeError on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (junk) => {
        try {
          decodeCommitmentProof(junk);
        } catch (e) {
          assert.ok(e instanceof Ics23DecodeError, String(e));
        }
      }),
      { numRuns: NUM_RUNS * 20 },
    );
  });
});

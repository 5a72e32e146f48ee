/**
 * The pinned ICS-23 proof spec for Redraft's sparse Merkle tree: cosmos/ics23's `SmtSpec`,
 * field for field (go/proof.go in cosmos/ics23 v0.11). Enum values are the wire values of
 * proto/ics23.proto, which match upstream's proofs.proto.
 *
 * The verifier does not read these objects at run time (a caller could not corrupt it by
 * mutating them anyway: they are deep-frozen); they document the contract and let tools print
 * or compare the spec.
 */

/** ICS-23 HashOp wire values. */
export const HashOp = Object.freeze({
  NO_HASH: 0,
  SHA256: 1,
  SHA512: 2,
  KECCAK: 3,
  RIPEMD160: 4,
  BITCOIN: 5,
  SHA512_256: 6,
} as const);

/** ICS-23 LengthOp wire values. */
export const LengthOp = Object.freeze({
  NO_PREFIX: 0,
  VAR_PROTO: 1,
  VAR_RLP: 2,
  FIXED32_BIG: 3,
  FIXED32_LITTLE: 4,
  FIXED64_BIG: 5,
  FIXED64_LITTLE: 6,
  REQUIRE_32_BYTES: 7,
  REQUIRE_64_BYTES: 8,
} as const);

export interface SmtProofSpec {
  readonly leafSpec: {
    readonly hash: number;
    readonly prehashKey: number;
    readonly prehashValue: number;
    readonly length: number;
    readonly prefix: readonly number[];
  };
  readonly innerSpec: {
    readonly childOrder: readonly number[];
    readonly childSize: number;
    readonly minPrefixLength: number;
    readonly maxPrefixLength: number;
    readonly emptyChild: readonly number[];
    readonly hash: number;
  };
  readonly maxDepth: number;
  readonly minDepth: number;
  readonly prehashKeyBeforeComparison: boolean;
}

/** ICS-23 `SmtSpec`. Byte fields are plain number arrays so the whole object can be frozen. */
export const SMT_SPEC: SmtProofSpec = Object.freeze({
  leafSpec: Object.freeze({
    hash: HashOp.SHA256,
    prehashKey: HashOp.SHA256,
    prehashValue: HashOp.SHA256,
    length: LengthOp.NO_PREFIX,
    prefix: Object.freeze([0x00]),
  }),
  innerSpec: Object.freeze({
    childOrder: Object.freeze([0, 1]),
    childSize: 32,
    minPrefixLength: 1,
    maxPrefixLength: 1,
    emptyChild: Object.freeze(new Array<number>(32).fill(0)),
    hash: HashOp.SHA256,
  }),
  maxDepth: 256,
  minDepth: 0,
  prehashKeyBeforeComparison: true,
});

/** Leaf preimage prefix: leaf = SHA-256(0x00 || SHA-256(key) || SHA-256(value)). */
export const SMT_LEAF_PREFIX = 0x00;
/** Inner preimage prefix: inner = SHA-256(0x01 || left || right). */
export const SMT_INNER_PREFIX = 0x01;
/** Paths are SHA-256(key): 256 bits, so no proof has more than 256 inner steps. */
export const SMT_MAX_DEPTH = 256;
/** Root of the empty map (the empty subtree hash, 32 zero bytes), in hex. */
export const SMT_EMPTY_ROOT_HEX: string = '00'.repeat(32);

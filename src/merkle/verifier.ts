/**
 * The offline verifier: given a trusted root, a key, a claimed value (or absence) and the proof
 * bytes `PROVE` returned, says valid or invalid and why. It depends on nothing but node:crypto
 * and this folder, so a client can run it without any server code.
 *
 * It implements the ICS-23 verification algorithm (VerifyMembership / VerifyNonMembership with
 * a spec) for Redraft's pinned SmtSpec, and is stricter than the generic algorithm wherever the
 * generic one leaves room that SmtSpec trees never use, because loose spec checks are where
 * ICS-23 verifiers have been broken before:
 *
 * - bytes: only the canonical protobuf encoding of an `exist` or `nonexist` CommitmentProof is
 *   accepted (no unknown or repeated fields, no other proof kinds, nothing trailing);
 * - leaf op: exactly hash SHA256, prehash_key SHA256, prehash_value SHA256, length NO_PREFIX,
 *   prefix 0x00 (ICS-23 only requires the prefix to *start* with the spec's);
 * - inner ops: hash SHA256 and exactly one of two shapes, prefix 0x01 with a 32-byte suffix (we
 *   are the left child) or prefix 0x01 || 32 bytes with an empty suffix (the right child);
 *   ICS-23 accepts any prefix of 1..33 bytes not starting with 0x00 and any suffix that is a
 *   multiple of 32 bytes;
 * - depth: at most 256 inner ops, and the turn taken at each depth must be that bit of
 *   SHA-256(key), the leaf's position in the tree (ICS-23 does not look);
 * - compression: the deepest sibling is never empty (an inner node with a single leaf below it
 *   does not exist in a compressed tree);
 * - non-existence: SHA-256(left key) < SHA-256(key) < SHA-256(right key), the neighbours are
 *   adjacent leaves (or the only one is leftmost/rightmost), NonExistenceProof.key names the key
 *   asked about (raw, or its SHA-256 as celestiaorg/smt writes it), and a proof without
 *   neighbours is accepted only against the empty root (ICS-23 cannot prove absence from an
 *   empty tree at all).
 *
 * Nothing in here throws on bad input: every failure, including malformed bytes and wrongly
 * typed arguments from JavaScript callers, comes back as `{ valid: false, reason }`.
 */
import {
  decodeCommitmentProof,
  Ics23DecodeError,
  type ExistenceProof,
  type InnerOp,
  type LeafOp,
} from './ics23-codec.js';
import {
  EMPTY_HASH,
  HASH_SIZE,
  bitAt,
  bytesEqual,
  sha256Latin1,
  smtInnerHash,
  smtLeafHash,
  toLatin1,
} from './hash.js';
import { HashOp, LengthOp, SMT_INNER_PREFIX, SMT_LEAF_PREFIX, SMT_MAX_DEPTH } from './spec.js';
import type { VerifyResult } from './verify-result.js';

export type { VerifyResult } from './verify-result.js';
export { HashOp, LengthOp, SMT_SPEC, SMT_MAX_DEPTH, SMT_EMPTY_ROOT_HEX } from './spec.js';

/** Thrown inside this module only; turned into `{ valid: false, reason }` at the boundary. */
class Invalid extends Error {}

const VALID: VerifyResult = Object.freeze({ valid: true });

function guard(run: () => void): VerifyResult {
  try {
    run();
    return VALID;
  } catch (e) {
    if (e instanceof Invalid) return { valid: false, reason: e.message };
    if (e instanceof Ics23DecodeError)
      return { valid: false, reason: `undecodable proof: ${e.message}` };
    // A bug or an exotic input we did not foresee: still an answer, never an exception.
    return {
      valid: false,
      reason: `verifier error: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
}

function requireBytes(name: string, v: unknown): asserts v is Uint8Array {
  if (!(v instanceof Uint8Array)) throw new Invalid(`${name} must be a Uint8Array`);
}

function requireRoot(root: unknown): asserts root is Uint8Array {
  requireBytes('root', root);
  if (root.length !== HASH_SIZE)
    throw new Invalid(`root must be ${HASH_SIZE} bytes, got ${root.length}`);
}

function checkLeafOp(where: string, op: LeafOp | undefined): void {
  if (op === undefined) throw new Invalid(`${where}: leaf op missing`);
  if (op.hash !== HashOp.SHA256)
    throw new Invalid(`${where}: leaf hash op ${op.hash}, SmtSpec wants SHA256`);
  if (op.prehashKey !== HashOp.SHA256) {
    throw new Invalid(`${where}: leaf prehash_key ${op.prehashKey}, SmtSpec wants SHA256`);
  }
  if (op.prehashValue !== HashOp.SHA256) {
    throw new Invalid(`${where}: leaf prehash_value ${op.prehashValue}, SmtSpec wants SHA256`);
  }
  if (op.length !== LengthOp.NO_PREFIX) {
    throw new Invalid(`${where}: leaf length op ${op.length}, SmtSpec wants NO_PREFIX`);
  }
  if (op.prefix.length !== 1 || op.prefix[0] !== SMT_LEAF_PREFIX) {
    throw new Invalid(`${where}: leaf prefix must be exactly 00`);
  }
}

/** 0: this step's child is the left one (sibling in the suffix); 1: the right one. */
function innerSide(where: string, i: number, op: InnerOp): 0 | 1 {
  if (op.hash !== HashOp.SHA256)
    throw new Invalid(`${where}: inner op ${i} hash op ${op.hash}, SmtSpec wants SHA256`);
  if (
    op.prefix.length === 1 &&
    op.prefix[0] === SMT_INNER_PREFIX &&
    op.suffix.length === HASH_SIZE
  ) {
    return 0;
  }
  if (
    op.prefix.length === 1 + HASH_SIZE &&
    op.prefix[0] === SMT_INNER_PREFIX &&
    op.suffix.length === 0
  ) {
    return 1;
  }
  throw new Invalid(
    `${where}: inner op ${i} is not an SmtSpec inner node (prefix ${op.prefix.length} bytes, suffix ${op.suffix.length} bytes)`,
  );
}

function siblingOf(op: InnerOp, side: 0 | 1): string {
  return toLatin1(side === 0 ? op.suffix : op.prefix.subarray(1));
}

/**
 * Checks an ExistenceProof against the pinned spec and `root`, with the key and value it carries.
 * Returns SHA-256(key) as a latin1 string and the turn taken at each step (leaf-first).
 */
function checkExistence(
  where: string,
  p: ExistenceProof,
  rootLatin1: string,
): { keyHash: string; sides: (0 | 1)[] } {
  checkLeafOp(where, p.leaf);
  // ICS-23's leaf op refuses empty input: such an entry cannot be in the tree.
  if (p.key.length === 0) throw new Invalid(`${where}: empty key`);
  if (p.value.length === 0) throw new Invalid(`${where}: empty value`);
  const depth = p.path.length;
  if (depth > SMT_MAX_DEPTH)
    throw new Invalid(`${where}: ${depth} inner ops, more than ${SMT_MAX_DEPTH}`);

  const keyHash = sha256Latin1(p.key);
  const sides: (0 | 1)[] = [];
  let h = smtLeafHash(keyHash, p.value);
  for (let i = 0; i < depth; i++) {
    const op = p.path[i]!;
    const side = innerSide(where, i, op);
    // path[i] joins the node at depth (depth - 1 - i) to its child: the turn must be that bit.
    if (side !== bitAt(keyHash, depth - 1 - i)) {
      throw new Invalid(`${where}: inner op ${i} turns the wrong way for SHA-256(key)`);
    }
    const sibling = siblingOf(op, side);
    if (i === 0 && sibling === EMPTY_HASH) {
      throw new Invalid(`${where}: leaf has an empty sibling (not a compressed SMT path)`);
    }
    h = side === 0 ? smtInnerHash(h, sibling) : smtInnerHash(sibling, h);
    sides.push(side);
  }
  if (h !== rootLatin1)
    throw new Invalid(`${where}: computed root does not match the trusted root`);
  return { keyHash, sides };
}

/**
 * Every step turns towards the far edge, or turns the other way only past an empty sibling:
 * the leaf is the leftmost (edge 0) or rightmost (edge 1) leaf of the subtree the steps span.
 */
function isEdgePath(path: readonly InnerOp[], sides: readonly (0 | 1)[], edge: 0 | 1): boolean {
  for (let i = 0; i < path.length; i++) {
    const side = sides[i]!;
    if (side !== edge && siblingOf(path[i]!, side) !== EMPTY_HASH) return false;
  }
  return true;
}

function sameOp(a: InnerOp, b: InnerOp): boolean {
  return bytesEqual(a.prefix, b.prefix) && bytesEqual(a.suffix, b.suffix);
}

/**
 * True if the `left` and `right` leaves are adjacent: strip the steps the two paths share from
 * the root down, check they part at one node (left goes left, right goes right), and that below
 * it the left leaf is the rightmost of its side and the right leaf the leftmost of its side.
 */
function areNeighbours(
  left: readonly InnerOp[],
  leftSides: readonly (0 | 1)[],
  right: readonly InnerOp[],
  rightSides: readonly (0 | 1)[],
): boolean {
  let l = left.length - 1;
  let r = right.length - 1;
  while (l >= 0 && r >= 0 && sameOp(left[l]!, right[r]!)) {
    l--;
    r--;
  }
  if (l < 0 || r < 0) return false;
  if (leftSides[l] !== 0 || rightSides[r] !== 1) return false;
  return (
    isEdgePath(left.slice(0, l), leftSides.slice(0, l), 1) &&
    isEdgePath(right.slice(0, r), rightSides.slice(0, r), 0)
  );
}

/**
 * Valid iff `proof` (CommitmentProof bytes) proves that `key` maps to `value` in the map whose
 * root is `root` (32 bytes).
 */
export function verifyMembership(
  root: Uint8Array,
  key: Uint8Array,
  value: Uint8Array,
  proof: Uint8Array,
): VerifyResult {
  return guard(() => {
    requireRoot(root);
    requireBytes('key', key);
    requireBytes('value', value);
    requireBytes('proof', proof);
    const cp = decodeCommitmentProof(proof);
    if (cp.kind !== 'exist') throw new Invalid(`expected an existence proof, got ${cp.kind}`);
    const ep = cp.exist;
    if (!bytesEqual(ep.key, key)) throw new Invalid('the proof is for another key');
    if (!bytesEqual(ep.value, value)) throw new Invalid('the proof is for another value');
    checkExistence('existence proof', ep, toLatin1(root));
  });
}

/**
 * Valid iff `proof` (CommitmentProof bytes) proves that `key` is absent from the map whose root
 * is `root` (32 bytes).
 */
export function verifyNonMembership(
  root: Uint8Array,
  key: Uint8Array,
  proof: Uint8Array,
): VerifyResult {
  return guard(() => {
    requireRoot(root);
    requireBytes('key', key);
    requireBytes('proof', proof);
    const cp = decodeCommitmentProof(proof);
    if (cp.kind !== 'nonexist') throw new Invalid(`expected a non-existence proof, got ${cp.kind}`);
    const np = cp.nonexist;
    const keyHash = sha256Latin1(key);
    if (!bytesEqual(np.key, key) && toLatin1(np.key) !== keyHash) {
      throw new Invalid('the proof is for another key');
    }
    const rootLatin1 = toLatin1(root);

    if (np.left === undefined && np.right === undefined) {
      if (rootLatin1 === EMPTY_HASH) return; // Nothing is in the empty map.
      throw new Invalid('no neighbours, and the root is not the empty root');
    }
    const left =
      np.left === undefined ? undefined : checkExistence('left neighbour', np.left, rootLatin1);
    const right =
      np.right === undefined ? undefined : checkExistence('right neighbour', np.right, rootLatin1);

    if (left !== undefined && !(left.keyHash < keyHash)) {
      throw new Invalid('the left neighbour is not below the key (by SHA-256 order)');
    }
    if (right !== undefined && !(keyHash < right.keyHash)) {
      throw new Invalid('the right neighbour is not above the key (by SHA-256 order)');
    }
    if (left === undefined) {
      if (!isEdgePath(np.right!.path, right!.sides, 0)) {
        throw new Invalid('no left neighbour, but the right one is not the leftmost leaf');
      }
    } else if (right === undefined) {
      if (!isEdgePath(np.left!.path, left.sides, 1)) {
        throw new Invalid('no right neighbour, but the left one is not the rightmost leaf');
      }
    } else if (!areNeighbours(np.left!.path, left.sides, np.right!.path, right.sides)) {
      throw new Invalid('the two neighbours are not adjacent leaves');
    }
  });
}

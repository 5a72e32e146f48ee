/**
 * ICS-23 proofs out of the sparse Merkle tree: a CommitmentProof holding an ExistenceProof for a
 * present key, or a NonExistenceProof with the key's neighbours for an absent one, as protobuf
 * bytes any ICS-23 verifier configured with SmtSpec accepts.
 *
 * Neighbours are by SHA-256(key) order (SmtSpec sets prehash_key_before_comparison): the left
 * neighbour is the leaf with the greatest key hash below the absent key's hash, the right one the
 * least above it. In the tree they are adjacent leaves, so the left one's path below the point
 * where the two paths part only ever turns right (or left past an empty sibling), and the right
 * one's only turns left: exactly what ICS-23's IsLeftNeighbor checks. An absent key at either end
 * has only one neighbour. An empty map has none, which ICS-23 cannot express (its verifier wants
 * at least one neighbour); we still emit a NonExistenceProof with neither, and our verifier
 * accepts it against the empty root only.
 *
 * NonExistenceProof.key carries the raw key asked about (upstream calls the field informational;
 * its SMT vectors carry the key's hash there instead, which our verifier also accepts).
 */
import {
  encodeCommitmentProof,
  type ExistenceProof,
  type InnerOp,
  type LeafOp,
} from './ics23-codec.js';
import { bitAt, fromLatin1 } from './hash.js';
import { HashOp, LengthOp, SMT_INNER_PREFIX, SMT_LEAF_PREFIX } from './spec.js';
import { SmtLeaf, keyHashOf, nodeHash, type SmtNode, type SmtView } from './sparse-merkle-tree.js';

/** What `proveKey` returns: the proof bytes plus what they prove, at `root`. */
export type KeyProof =
  | {
      readonly exists: true;
      readonly value: Uint8Array;
      readonly root: Uint8Array;
      /** CommitmentProof { exist } */
      readonly proof: Uint8Array;
    }
  | {
      readonly exists: false;
      readonly root: Uint8Array;
      /** CommitmentProof { nonexist } */
      readonly proof: Uint8Array;
    };

const SMT_LEAF_OP: LeafOp = {
  hash: HashOp.SHA256,
  prehashKey: HashOp.SHA256,
  prehashValue: HashOp.SHA256,
  length: LengthOp.NO_PREFIX,
  prefix: Uint8Array.of(SMT_LEAF_PREFIX),
};

const LEFT_CHILD_PREFIX = Uint8Array.of(SMT_INNER_PREFIX);
const NO_SUFFIX = new Uint8Array(0);

/** The existence proof of a leaf that is in the tree rooted at `root`. */
function leafProof(root: SmtNode | null, leaf: SmtLeaf): ExistenceProof {
  // Walk down collecting siblings root-first; ICS-23 wants the path leaf-first.
  const steps: InnerOp[] = [];
  let node = root;
  for (let depth = 0; node !== leaf; depth++) {
    if (node === null || node instanceof SmtLeaf) {
      throw new Error('SMT invariant broken: leaf not on its own path');
    }
    const side = bitAt(leaf.keyHash, depth);
    if (side === 0) {
      // We are the left child: H(0x01 || us || right sibling).
      steps.push({
        hash: HashOp.SHA256,
        prefix: LEFT_CHILD_PREFIX,
        suffix: fromLatin1(nodeHash(node.right)),
      });
      node = node.left;
    } else {
      // We are the right child: H(0x01 || left sibling || us).
      const prefix = new Uint8Array(33);
      prefix[0] = SMT_INNER_PREFIX;
      prefix.set(fromLatin1(nodeHash(node.left)), 1);
      steps.push({ hash: HashOp.SHA256, prefix, suffix: NO_SUFFIX });
      node = node.right;
    }
  }
  steps.reverse();
  return { key: leaf.key, value: leaf.value, leaf: SMT_LEAF_OP, path: steps };
}

function leftmostLeaf(node: SmtNode): SmtLeaf {
  let n = node;
  while (!(n instanceof SmtLeaf)) n = n.left ?? n.right!;
  return n;
}

function rightmostLeaf(node: SmtNode): SmtLeaf {
  let n = node;
  while (!(n instanceof SmtLeaf)) n = n.right ?? n.left!;
  return n;
}

/** The leaves with the nearest key hashes below and above `keyHash`, which is absent. */
function neighbours(
  root: SmtNode | null,
  keyHash: string,
): { left: SmtLeaf | undefined; right: SmtLeaf | undefined } {
  // The last subtree we passed on our left holds the greatest smaller hashes, the last one on our
  // right the least greater ones, unless the leaf we end on is itself one of the neighbours
  // (it is closer than any subtree passed above it).
  let leftTree: SmtNode | null = null;
  let rightTree: SmtNode | null = null;
  let node = root;
  let depth = 0;
  while (node !== null && !(node instanceof SmtLeaf)) {
    if (bitAt(keyHash, depth) === 0) {
      if (node.right !== null) rightTree = node.right;
      node = node.left;
    } else {
      if (node.left !== null) leftTree = node.left;
      node = node.right;
    }
    depth++;
  }
  let left = leftTree === null ? undefined : rightmostLeaf(leftTree);
  let right = rightTree === null ? undefined : leftmostLeaf(rightTree);
  if (node !== null) {
    if (node.keyHash < keyHash) left = node;
    else right = node;
  }
  return { left, right };
}

/**
 * Proves `key` present or absent in `view` (the live tree or a version), at `view.root()`.
 * Computes any hashes the tree has not computed yet.
 */
export function proveKey(view: SmtView, key: Uint8Array): KeyProof {
  if (!(key instanceof Uint8Array)) throw new TypeError('key must be a Uint8Array');
  const rootNode = view.rootNode;
  const root = fromLatin1(nodeHash(rootNode));
  const keyHash = keyHashOf(key);

  let node = rootNode;
  for (let depth = 0; node !== null && !(node instanceof SmtLeaf); depth++) {
    node = bitAt(keyHash, depth) === 0 ? node.left : node.right;
  }
  if (node !== null && node.keyHash === keyHash) {
    const exist = leafProof(rootNode, node);
    return {
      exists: true,
      value: node.value,
      root,
      proof: encodeCommitmentProof({ kind: 'exist', exist }),
    };
  }

  const { left, right } = neighbours(rootNode, keyHash);
  const nonexist = {
    key,
    left: left === undefined ? undefined : leafProof(rootNode, left),
    right: right === undefined ? undefined : leafProof(rootNode, right),
  };
  return { exists: false, root, proof: encodeCommitmentProof({ kind: 'nonexist', nonexist }) };
}

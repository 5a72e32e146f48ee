/**
 * The difference between two versions of a sparse Merkle tree, in time proportional to what
 * differs: subtrees the two share (the same node, or the same hash) are skipped whole. Versions
 * taken from one tree share every node neither changed, so the diff between a tag and the live
 * state costs about the writes made since the tag, not the size of the map.
 */
import {
  SmtInner,
  SmtLeaf,
  sameHash,
  sameValue,
  type SmtNode,
  type SmtView,
} from './sparse-merkle-tree.js';

/** A key whose value differs: its value in the target version, or undefined if absent there. */
export interface SmtChange {
  readonly key: Uint8Array;
  readonly value: Uint8Array | undefined;
}

function collectLeaves(node: SmtNode | null, out: SmtLeaf[]): void {
  if (node === null) return;
  if (node instanceof SmtLeaf) {
    out.push(node);
    return;
  }
  collectLeaves(node.left, out);
  collectLeaves(node.right, out);
}

/** Both subtrees sit at the same position; at least one is a leaf or empty. */
function diffLeaves(from: SmtNode | null, to: SmtNode | null, out: SmtChange[]): void {
  const a: SmtLeaf[] = [];
  const b: SmtLeaf[] = [];
  collectLeaves(from, a);
  collectLeaves(to, b);
  // Both lists are in ascending key-hash order (left before right at every level).
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x.keyHash < y.keyHash)) {
      out.push({ key: x!.key, value: undefined });
      i++;
    } else if (x === undefined || y.keyHash < x.keyHash) {
      out.push({ key: y.key, value: y.value });
      j++;
    } else {
      if (x !== y && !sameValue(x.head, x.body, y.head, y.body)) {
        out.push({ key: y.key, value: y.value });
      }
      i++;
      j++;
    }
  }
}

function diffNodes(from: SmtNode | null, to: SmtNode | null, out: SmtChange[]): void {
  if (from === to) return;
  if (from !== null && to !== null && sameHash(from, to)) return;
  if (from instanceof SmtInner && to instanceof SmtInner) {
    // Inner nodes at one position split on the same bit of the key hash in both versions.
    diffNodes(from.left, to.left, out);
    diffNodes(from.right, to.right, out);
    return;
  }
  diffLeaves(from, to, out);
}

/**
 * The changes that turn `from` into `to`, in ascending SHA-256(key) order. Hashes whatever the
 * two versions have not hashed yet where they differ.
 */
export function diffVersions(from: SmtView, to: SmtView): SmtChange[] {
  const out: SmtChange[] = [];
  diffNodes(from.rootNode, to.rootNode, out);
  return out;
}

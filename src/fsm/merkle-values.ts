/**
 * How the key space maps onto the sparse Merkle tree: tree key = database byte || key bytes,
 * tree value = the canonical encoding of the Redis value (src/merkle/redis-value.ts, which the
 * offline verifier shares).
 */
import {
  SparseMerkleTree,
  decodeRedisValue,
  encodeSortedHashValue,
  encodeStringValue,
  stringValueHead,
} from '../merkle/index.js';
import { NO_HEAD } from '../merkle/sparse-merkle-tree.js';
import { PREIMAGE_CAPACITY, sha256Scratch } from '../merkle/sha256.js';
import { stringValue, type StoredEntry } from './keyspace.js';

/** The tree key of a key held as a latin1 string (the key space's representation). */
export function treeKeyOf(db: number, key: string): Buffer {
  return writeTreeKey(Buffer.allocUnsafe(1 + key.length), db, key);
}

/**
 * SHA-256 of the tree key of a key held as a latin1 string, without making the tree key: the
 * returned bytes are the scratch area's digest, valid until the next hash (copy them).
 */
export function treeKeyDigest(db: number, key: string): Buffer {
  if (1 + key.length > PREIMAGE_CAPACITY) sha256Scratch.hashToDigest(treeKeyOf(db, key));
  else {
    writeTreeKey(sha256Scratch.preimage, db, key);
    sha256Scratch.digestPreimage(1 + key.length);
  }
  return sha256Scratch.digest;
}

/** Writes the tree key of `key` at the start of `out`; returns `out`. */
function writeTreeKey(out: Buffer, db: number, key: string): Buffer {
  out[0] = db;
  // Most keys are short: a JIT-compiled copy beats a call into C++ for them.
  if (key.length <= 64) for (let i = 0; i < key.length; i++) out[1 + i] = key.charCodeAt(i);
  else out.write(key, 1, 'latin1');
  return out;
}

/** The canonical value bytes of a stored entry (src/merkle/redis-value.ts). */
export function canonicalValue(entry: StoredEntry): Uint8Array {
  const v = entry.value;
  if (v.type === 'string') return encodeStringValue(v.value, entry.expireAt);
  // Field names are latin1 strings: code-unit order is byte order.
  const names = [...v.fields.keys()].sort();
  return encodeSortedHashValue(
    names.map((name) => [Buffer.from(name, 'latin1'), v.fields.get(name)!] as const),
    entry.expireAt,
  );
}

/**
 * The canonical value bytes of a stored entry in the two parts the tree keeps (SmtLeaf), with
 * canonicalBody: a string's header (shared by every string without expiry), or nothing for a
 * hash, whose bytes are encoded whole.
 */
export function canonicalHead(entry: StoredEntry): Uint8Array {
  return entry.value.type === 'string' ? stringValueHead(entry.expireAt) : NO_HEAD;
}

/** The rest, after canonicalHead: a string's own Buffer (not a copy), a hash's encoding. */
export function canonicalBody(entry: StoredEntry): Uint8Array {
  const v = entry.value;
  return v.type === 'string' ? v.value : canonicalValue(entry);
}

/** The stored entry canonical value bytes describe, as written by the entry at `version`. */
export function storedEntryOf(bytes: Uint8Array, version: number): StoredEntry {
  const v = decodeRedisValue(bytes);
  if (v.type === 'string') {
    return {
      value: stringValue(Buffer.from(v.value)),
      expireAt: v.expireAt,
      version,
    };
  }
  const fields = new Map<string, Buffer>();
  for (const [name, value] of v.fields) {
    fields.set(Buffer.from(name).toString('latin1'), Buffer.from(value));
  }
  return { value: { type: 'hash', fields }, expireAt: v.expireAt, version };
}

/** A tree holding every key of `dbs` (a full rebuild), hashes not yet computed. */
export function buildTree(dbs: readonly ReadonlyMap<string, StoredEntry>[]): SparseMerkleTree {
  const builder = SparseMerkleTree.builder();
  dbs.forEach((entries, db) => {
    for (const [key, entry] of entries) {
      builder.add(treeKeyOf(db, key), canonicalBody(entry), canonicalHead(entry));
    }
  });
  return builder.finish();
}

/**
 * SHA-256 primitives shared by the sparse Merkle tree, the proof builder, the verifier and the
 * RFC 6962 log.
 *
 * Key hashes, and the hashes the verifier and the RFC 6962 log work with, are 32-character
 * latin1 strings rather than Uint8Arrays: a one-byte V8 string of 32 characters costs ~48 bytes,
 * a Buffer ~150 once its ArrayBuffer is counted, and with a million keys that difference is
 * hundreds of megabytes. Latin1 strings also compare (`<`, `===`) in byte order, which is
 * exactly the order of the hashed keys. Byte arrays appear only at the edges (roots, proofs).
 * The tree's nodes keep their own hashes as words inside the node (sparse-merkle-tree.ts).
 *
 * The digests come from sha256.ts: the native module when it was built (about three times
 * cheaper for the small inputs hashed here), else node:crypto.
 */
import { nodeCryptoLatin1, sha256Backend, sha256Scratch } from './sha256.js';

/** Length in bytes of every hash in this module. */
export const HASH_SIZE = 32;

/** The empty subtree's hash in the SMT (ICS-23 SmtSpec `empty_child`), as a latin1 string. */
export const EMPTY_HASH: string = '\0'.repeat(HASH_SIZE);

const { digest, preimage } = sha256Scratch;

/** SHA-256 of `data`, as a 32-character latin1 string. */
export const sha256Latin1: (data: Uint8Array) => string =
  sha256Backend.name === 'native'
    ? (data) => {
        sha256Scratch.hashToDigest(data);
        return digest.toString('latin1', 0, HASH_SIZE);
      }
    : nodeCryptoLatin1;

/** SHA-256 of `data`, as bytes. */
export function sha256(data: Uint8Array): Buffer {
  return Buffer.from(sha256Latin1(data), 'latin1');
}

/** SHA-256(prefix || a || b) for a one-byte prefix and two 32-byte latin1 hashes. */
export function hashPair(prefix: number, a: string, b: string): string {
  preimage[0] = prefix;
  // A JIT-compiled copy: about a third cheaper than two Buffer#write calls into C++.
  for (let i = 0; i < HASH_SIZE; i++) {
    preimage[1 + i] = a.charCodeAt(i);
    preimage[1 + HASH_SIZE + i] = b.charCodeAt(i);
  }
  sha256Scratch.digestPreimage(1 + 2 * HASH_SIZE);
  return digest.toString('latin1', 0, HASH_SIZE);
}

/** ICS-23 SmtSpec leaf: SHA-256(0x00 || SHA-256(key) || SHA-256(value)), from the key's hash. */
export function smtLeafHash(keyHash: string, value: Uint8Array): string {
  return hashPair(0x00, keyHash, sha256Latin1(value));
}

/** ICS-23 SmtSpec inner node: SHA-256(0x01 || left || right). */
export function smtInnerHash(left: string, right: string): string {
  return hashPair(0x01, left, right);
}

/** Bit `depth` of a 32-character latin1 hash, most significant bit of byte 0 first. */
export function bitAt(hash: string, depth: number): number {
  return (hash.charCodeAt(depth >>> 3) >>> (7 - (depth & 7))) & 1;
}

/** Bytes -> latin1 string (one character per byte). */
export function toLatin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** latin1 string -> a fresh byte array. */
export function fromLatin1(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/** Constant-time-irrelevant byte equality (everything compared here is public). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Byte-wise lexicographic comparison: negative, zero or positive. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * SHA-256 into a scratch area, for the hot paths of the Merkle tree: native/sha256.c where it
 * was built (`npm run build` builds it when a C compiler and Node's headers are there), else
 * node:crypto. Both give the same bytes; only the cost differs.
 *
 * Why a scratch area rather than `crypto.hash`: a tree root hashes a few 65-byte preimages per
 * changed key, and `crypto.hash` costs ~345 ns for one, ~300 of them outside SHA-256 itself
 * (OpenSSL's EVP set-up, a JS string for the result, the garbage that string becomes). The
 * native module hashes into memory it shares with JavaScript, ~120 ns, and the tree reads the
 * digest's words straight out of `digestWords`.
 *
 * Layout of the one scratch area: the digest in [0, 32), the preimage after it. Every call
 * overwrites the digest; a caller copies what it keeps before the next hash. Everything here
 * is synchronous, so no other hashing can come in between.
 *
 * The native module is checked against node:crypto when it loads; any difference, or a
 * module that fails to load, means node:crypto is used and `sha256Backend.reason` says why.
 * REDRAFT_SHA256=node-crypto chooses node:crypto regardless.
 */
import * as crypto from 'node:crypto';
import { createRequire } from 'node:module';

/** Bytes of a digest. */
const DIGEST_BYTES = 32;
/** Room for a preimage: a tree node's 65 bytes, or a tree key of up to this size less one. */
export const PREIMAGE_CAPACITY = 1024;
/** Room for `hashJoinedIntoPreimage` to join two parts in; longer ones are joined in a new array. */
const JOIN_CAPACITY = 4096;
/** Up to this many bytes, a part is copied by a loop the JIT compiles inline, not a builtin call. */
const SHORT_COPY = 64;

/** What native/sha256.c exports. */
interface NativeSha256 {
  bind(scratch: Uint8Array): void;
  /** SHA-256 of scratch[32, 32 + length) into scratch[0, 32). */
  digestPreimage(length: number): void;
  /** SHA-256 of `data` into scratch[at, at + 32). */
  digestData(data: Uint8Array, at: number): void;
}

/** SHA-256 into a scratch area: see the module comment. */
export class Sha256Scratch {
  /** The last digest. */
  readonly digest: Buffer;
  /** The last digest as eight 32-bit words in the platform's byte order. */
  readonly digestWords: Int32Array;
  /** Where callers lay out a preimage for `digestPreimage`. */
  readonly preimage: Buffer;
  private readonly scratch: Buffer;
  /** Views of the preimage's first bytes, made once per length (node:crypto takes a view). */
  private readonly preimageViews: Buffer[] = [];
  /** Where `hashJoinedIntoPreimage` joins its two parts, and its views, made once per length. */
  private readonly join = Buffer.from(new ArrayBuffer(JOIN_CAPACITY));
  private readonly joinViews: Buffer[] = [];

  /** With `native`, binds it to this scratch area: make one such instance per thread. */
  constructor(private readonly native: NativeSha256 | undefined) {
    // A fresh ArrayBuffer (not the Buffer pool's), so that the digest is 4-byte aligned.
    const buffer = new ArrayBuffer(DIGEST_BYTES + PREIMAGE_CAPACITY);
    this.scratch = Buffer.from(buffer);
    this.digest = Buffer.from(buffer, 0, DIGEST_BYTES);
    this.digestWords = new Int32Array(buffer, 0, DIGEST_BYTES / 4);
    this.preimage = Buffer.from(buffer, DIGEST_BYTES, PREIMAGE_CAPACITY);
    native?.bind(this.scratch);
  }

  /** SHA-256 of preimage[0, length) into the digest. */
  digestPreimage(length: number): void {
    if (this.native !== undefined) this.native.digestPreimage(length);
    else this.digestWithNodeCrypto(this.preimageOf(length), 0);
  }

  /** SHA-256 of `data` into the digest. */
  hashToDigest(data: Uint8Array): void {
    if (this.native !== undefined) this.native.digestData(data, 0);
    else this.digestWithNodeCrypto(data, 0);
  }

  /** SHA-256 of `data` into preimage[offset, offset + 32), leaving the digest as it was. */
  hashIntoPreimage(data: Uint8Array, offset: number): void {
    if (this.native !== undefined) this.native.digestData(data, DIGEST_BYTES + offset);
    else this.digestWithNodeCrypto(data, DIGEST_BYTES + offset);
  }

  /**
   * SHA-256 of `head || body` into preimage[offset, offset + 32), leaving the digest as it was:
   * what `hashIntoPreimage` of the joined bytes does, without a new array for every value
   * (see SmtLeaf: a leaf may keep its value in two parts).
   */
  hashJoinedIntoPreimage(head: Uint8Array, body: Uint8Array, offset: number): void {
    const length = head.length + body.length;
    if (length > JOIN_CAPACITY) {
      this.hashIntoPreimage(Buffer.concat([head, body]), offset);
      return;
    }
    const join = this.join;
    copyInto(join, 0, head);
    copyInto(join, head.length, body);
    this.hashIntoPreimage((this.joinViews[length] ??= join.subarray(0, length)), offset);
  }

  private preimageOf(length: number): Buffer {
    return (this.preimageViews[length] ??= this.preimage.subarray(0, length));
  }

  private digestWithNodeCrypto(data: Uint8Array, at: number): void {
    // A latin1 string and a copy loop: cheaper than a Buffer result, which is an allocation.
    const digest = nodeCryptoLatin1(data);
    const scratch = this.scratch;
    for (let i = 0; i < DIGEST_BYTES; i++) scratch[at + i] = digest.charCodeAt(i);
  }
}

/** Copies `part` to out[at...]: short parts by a loop, longer ones by TypedArray#set. */
function copyInto(out: Uint8Array, at: number, part: Uint8Array): void {
  if (part.length > SHORT_COPY) out.set(part, at);
  else for (let i = 0; i < part.length; i++) out[at + i] = part[i]!;
}

// 'binary' is Node's other name for latin1 (the only one @types/node allows for crypto.hash).
const oneShot: ((algorithm: string, data: Uint8Array, encoding: 'binary') => string) | undefined =
  typeof crypto.hash === 'function' ? crypto.hash : undefined;

/** SHA-256 by node:crypto, as a 32-character latin1 string. */
export function nodeCryptoLatin1(data: Uint8Array): string {
  if (oneShot !== undefined) return oneShot('sha256', data, 'binary');
  return crypto.createHash('sha256').update(data).digest('binary');
}

function nodeCryptoDigest(data: Uint8Array): Buffer {
  return Buffer.from(nodeCryptoLatin1(data), 'latin1');
}

/** Which implementation `sha256Scratch` uses, and why. */
export interface Sha256Backend {
  readonly name: 'native' | 'node:crypto';
  /** Why node:crypto, when it is. */
  readonly reason?: string;
}

/** Whether `scratch` digests like node:crypto, over inputs of one and two blocks and none. */
function agreesWithNodeCrypto(scratch: Sha256Scratch): boolean {
  const inputs = [
    Buffer.alloc(0),
    Buffer.from('abc'),
    Buffer.alloc(65, 0xa5),
    Buffer.alloc(200, 7),
  ];
  for (const input of inputs) {
    const expected = nodeCryptoDigest(input);
    scratch.hashToDigest(input);
    if (!scratch.digest.equals(expected)) return false;
    input.copy(scratch.preimage);
    scratch.digestPreimage(input.length);
    if (!scratch.digest.equals(expected)) return false;
    scratch.hashIntoPreimage(input, 7);
    if (!scratch.preimage.subarray(7, 7 + DIGEST_BYTES).equals(expected)) return false;
  }
  return true;
}

function load(): { scratch: Sha256Scratch; backend: Sha256Backend } {
  const fallback = (reason: string) => ({
    scratch: new Sha256Scratch(undefined),
    backend: { name: 'node:crypto', reason } as const,
  });
  if (process.env.REDRAFT_SHA256 === 'node-crypto') return fallback('REDRAFT_SHA256=node-crypto');
  let native: NativeSha256;
  try {
    // dist/src/merkle/sha256.js -> dist/native/sha256.node (scripts/build-native.mjs).
    native = createRequire(import.meta.url)('../../native/sha256.node') as NativeSha256;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fallback(code === 'MODULE_NOT_FOUND' ? 'not built' : String(err));
  }
  const scratch = new Sha256Scratch(native);
  if (!agreesWithNodeCrypto(scratch)) return fallback('native digests differ from node:crypto');
  return { scratch, backend: { name: 'native' } };
}

const loaded = load();

/** The process's scratch area (the main thread's; a worker loads this module anew). */
export const sha256Scratch: Sha256Scratch = loaded.scratch;
export const sha256Backend: Sha256Backend = loaded.backend;

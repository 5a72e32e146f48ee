/**
 * ICS-23 proof messages <-> protobuf bytes, for the subset of cosmos/ics23's proofs.proto that
 * proto/ics23.proto declares (CommitmentProof with `exist` or `nonexist`, ExistenceProof,
 * NonExistenceProof, LeafOp, InnerOp). Field numbers and enum values are upstream's, so any
 * ICS-23 implementation decodes what this writes; test/merkle checks both directions against
 * protobufjs loading proto/ics23.proto.
 *
 * Why hand-written rather than protobufjs: the verifier must be strict about the bytes it
 * accepts, and must never throw. The decoder here refuses unknown fields, wrong wire types,
 * repeated singular fields and the upstream proof kinds we do not produce (batch, compressed,
 * exclusion), and `decodeCommitmentProof` then re-encodes the result and demands the same
 * bytes back: there is exactly one accepted encoding of each proof (proto3 canonical form: fields
 * in number order, zero enums and empty bytes omitted, minimal varints), which is also the one
 * Go's gogoproto produces. Anything else could carry meaning one decoder sees and another does
 * not. It is also several times faster than reflection-based decoding for proofs this small.
 */
import { bytesEqual } from './hash.js';

export interface LeafOp {
  readonly hash: number;
  readonly prehashKey: number;
  readonly prehashValue: number;
  readonly length: number;
  readonly prefix: Uint8Array;
}

export interface InnerOp {
  readonly hash: number;
  readonly prefix: Uint8Array;
  readonly suffix: Uint8Array;
}

export interface ExistenceProof {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  /** Absent when the message has no `leaf` field (an invalid proof, but a decodable one). */
  readonly leaf: LeafOp | undefined;
  /** Leaf to root. */
  readonly path: readonly InnerOp[];
}

export interface NonExistenceProof {
  readonly key: Uint8Array;
  readonly left: ExistenceProof | undefined;
  readonly right: ExistenceProof | undefined;
}

export type CommitmentProof =
  | { readonly kind: 'exist'; readonly exist: ExistenceProof }
  | { readonly kind: 'nonexist'; readonly nonexist: NonExistenceProof }
  /** No member of the oneof is set. */
  | { readonly kind: 'empty' };

/** Decoding refused the bytes; `message` says why. */
export class Ics23DecodeError extends Error {
  override readonly name = 'Ics23DecodeError';
}

/**
 * The decoder refuses more inner ops than this in one ExistenceProof. A path over SHA-256 keys
 * never has more than 256 steps, and the bound keeps adversarial input from costing much.
 */
export const MAX_DECODED_PATH = 256;

const WIRE_VARINT = 0;
const WIRE_LEN = 2;
const EMPTY: Uint8Array = new Uint8Array(0);

// ---------------------------------------------------------------------------------------------
// Encoding

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function bytesFieldSize(b: Uint8Array): number {
  return b.length === 0 ? 0 : 1 + varintSize(b.length) + b.length;
}

function enumFieldSize(v: number): number {
  return v === 0 ? 0 : 1 + varintSize(v);
}

function messageFieldSize(inner: number): number {
  return 1 + varintSize(inner) + inner;
}

function leafSize(op: LeafOp): number {
  return (
    enumFieldSize(op.hash) +
    enumFieldSize(op.prehashKey) +
    enumFieldSize(op.prehashValue) +
    enumFieldSize(op.length) +
    bytesFieldSize(op.prefix)
  );
}

function innerSize(op: InnerOp): number {
  return enumFieldSize(op.hash) + bytesFieldSize(op.prefix) + bytesFieldSize(op.suffix);
}

function existSize(p: ExistenceProof): number {
  let size = bytesFieldSize(p.key) + bytesFieldSize(p.value);
  if (p.leaf !== undefined) size += messageFieldSize(leafSize(p.leaf));
  for (const op of p.path) size += messageFieldSize(innerSize(op));
  return size;
}

function nonExistSize(p: NonExistenceProof): number {
  let size = bytesFieldSize(p.key);
  if (p.left !== undefined) size += messageFieldSize(existSize(p.left));
  if (p.right !== undefined) size += messageFieldSize(existSize(p.right));
  return size;
}

class Writer {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  varint(n: number): void {
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.pos++] = n;
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  enumField(field: number, v: number): void {
    if (v === 0) return;
    this.tag(field, WIRE_VARINT);
    this.varint(v);
  }

  bytesField(field: number, b: Uint8Array): void {
    if (b.length === 0) return;
    this.tag(field, WIRE_LEN);
    this.varint(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  leaf(field: number, op: LeafOp): void {
    this.tag(field, WIRE_LEN);
    this.varint(leafSize(op));
    this.enumField(1, op.hash);
    this.enumField(2, op.prehashKey);
    this.enumField(3, op.prehashValue);
    this.enumField(4, op.length);
    this.bytesField(5, op.prefix);
  }

  inner(field: number, op: InnerOp): void {
    this.tag(field, WIRE_LEN);
    this.varint(innerSize(op));
    this.enumField(1, op.hash);
    this.bytesField(2, op.prefix);
    this.bytesField(3, op.suffix);
  }

  existBody(p: ExistenceProof): void {
    this.bytesField(1, p.key);
    this.bytesField(2, p.value);
    if (p.leaf !== undefined) this.leaf(3, p.leaf);
    for (const op of p.path) this.inner(4, op);
  }

  exist(field: number, p: ExistenceProof): void {
    this.tag(field, WIRE_LEN);
    this.varint(existSize(p));
    this.existBody(p);
  }

  nonExist(field: number, p: NonExistenceProof): void {
    this.tag(field, WIRE_LEN);
    this.varint(nonExistSize(p));
    this.bytesField(1, p.key);
    if (p.left !== undefined) this.exist(2, p.left);
    if (p.right !== undefined) this.exist(3, p.right);
  }
}

/** CommitmentProof -> canonical protobuf bytes. */
export function encodeCommitmentProof(proof: CommitmentProof): Uint8Array {
  let size = 0;
  if (proof.kind === 'exist') size = messageFieldSize(existSize(proof.exist));
  else if (proof.kind === 'nonexist') size = messageFieldSize(nonExistSize(proof.nonexist));
  const w = new Writer(new Uint8Array(size));
  if (proof.kind === 'exist') w.exist(1, proof.exist);
  else if (proof.kind === 'nonexist') w.nonExist(2, proof.nonexist);
  return w.buf;
}

// ---------------------------------------------------------------------------------------------
// Decoding

class Reader {
  constructor(
    private readonly buf: Uint8Array,
    private pos: number,
    private readonly end: number,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Ics23DecodeError('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (result > Number.MAX_SAFE_INTEGER) throw new Ics23DecodeError('varint out of range');
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new Ics23DecodeError('varint longer than 10 bytes');
  }

  /** A length-delimited field's extent, bounds-checked against the enclosing message. */
  span(): [number, number] {
    const len = this.varint();
    if (len > this.end - this.pos) throw new Ics23DecodeError('length-delimited field overruns');
    const start = this.pos;
    this.pos += len;
    return [start, this.pos];
  }

  bytes(): Uint8Array {
    const [start, end] = this.span();
    return this.buf.subarray(start, end);
  }

  sub(): Reader {
    const [start, end] = this.span();
    return new Reader(this.buf, start, end);
  }

  /** Tag -> [field number, wire type]. */
  tag(): [number, number] {
    const t = this.varint();
    const field = Math.floor(t / 8);
    if (field === 0) throw new Ics23DecodeError('field number 0');
    return [field, t % 8];
  }
}

function expectWire(message: string, field: number, wire: number, want: number): void {
  if (wire !== want) {
    throw new Ics23DecodeError(`${message} field ${field}: wire type ${wire}, expected ${want}`);
  }
}

/** Refuses a singular field that appears twice (protobuf would merge or overwrite). */
function once(seen: Set<number>, message: string, field: number): void {
  if (seen.has(field)) throw new Ics23DecodeError(`${message} field ${field} repeated`);
  seen.add(field);
}

function readEnum(r: Reader, message: string, field: number): number {
  const v = r.varint();
  // Every ICS-23 enum is small; a huge or negative (sign-extended) value means nothing here.
  if (v > 0x7fffffff) throw new Ics23DecodeError(`${message} field ${field}: enum out of range`);
  return v;
}

function decodeLeaf(r: Reader): LeafOp {
  const seen = new Set<number>();
  let hash = 0;
  let prehashKey = 0;
  let prehashValue = 0;
  let length = 0;
  let prefix = EMPTY;
  while (!r.done) {
    const [field, wire] = r.tag();
    once(seen, 'LeafOp', field);
    switch (field) {
      case 1:
        expectWire('LeafOp', field, wire, WIRE_VARINT);
        hash = readEnum(r, 'LeafOp', field);
        break;
      case 2:
        expectWire('LeafOp', field, wire, WIRE_VARINT);
        prehashKey = readEnum(r, 'LeafOp', field);
        break;
      case 3:
        expectWire('LeafOp', field, wire, WIRE_VARINT);
        prehashValue = readEnum(r, 'LeafOp', field);
        break;
      case 4:
        expectWire('LeafOp', field, wire, WIRE_VARINT);
        length = readEnum(r, 'LeafOp', field);
        break;
      case 5:
        expectWire('LeafOp', field, wire, WIRE_LEN);
        prefix = r.bytes();
        break;
      default:
        throw new Ics23DecodeError(`LeafOp: unknown field ${field}`);
    }
  }
  return { hash, prehashKey, prehashValue, length, prefix };
}

function decodeInner(r: Reader): InnerOp {
  const seen = new Set<number>();
  let hash = 0;
  let prefix = EMPTY;
  let suffix = EMPTY;
  while (!r.done) {
    const [field, wire] = r.tag();
    once(seen, 'InnerOp', field);
    switch (field) {
      case 1:
        expectWire('InnerOp', field, wire, WIRE_VARINT);
        hash = readEnum(r, 'InnerOp', field);
        break;
      case 2:
        expectWire('InnerOp', field, wire, WIRE_LEN);
        prefix = r.bytes();
        break;
      case 3:
        expectWire('InnerOp', field, wire, WIRE_LEN);
        suffix = r.bytes();
        break;
      default:
        throw new Ics23DecodeError(`InnerOp: unknown field ${field}`);
    }
  }
  return { hash, prefix, suffix };
}

function decodeExist(r: Reader): ExistenceProof {
  const seen = new Set<number>();
  let key = EMPTY;
  let value = EMPTY;
  let leaf: LeafOp | undefined;
  const path: InnerOp[] = [];
  while (!r.done) {
    const [field, wire] = r.tag();
    switch (field) {
      case 1:
        once(seen, 'ExistenceProof', field);
        expectWire('ExistenceProof', field, wire, WIRE_LEN);
        key = r.bytes();
        break;
      case 2:
        once(seen, 'ExistenceProof', field);
        expectWire('ExistenceProof', field, wire, WIRE_LEN);
        value = r.bytes();
        break;
      case 3:
        once(seen, 'ExistenceProof', field);
        expectWire('ExistenceProof', field, wire, WIRE_LEN);
        leaf = decodeLeaf(r.sub());
        break;
      case 4:
        expectWire('ExistenceProof', field, wire, WIRE_LEN);
        if (path.length >= MAX_DECODED_PATH) {
          throw new Ics23DecodeError(`ExistenceProof: more than ${MAX_DECODED_PATH} inner ops`);
        }
        path.push(decodeInner(r.sub()));
        break;
      default:
        throw new Ics23DecodeError(`ExistenceProof: unknown field ${field}`);
    }
  }
  return { key, value, leaf, path };
}

function decodeNonExist(r: Reader): NonExistenceProof {
  const seen = new Set<number>();
  let key = EMPTY;
  let left: ExistenceProof | undefined;
  let right: ExistenceProof | undefined;
  while (!r.done) {
    const [field, wire] = r.tag();
    once(seen, 'NonExistenceProof', field);
    switch (field) {
      case 1:
        expectWire('NonExistenceProof', field, wire, WIRE_LEN);
        key = r.bytes();
        break;
      case 2:
        expectWire('NonExistenceProof', field, wire, WIRE_LEN);
        left = decodeExist(r.sub());
        break;
      case 3:
        expectWire('NonExistenceProof', field, wire, WIRE_LEN);
        right = decodeExist(r.sub());
        break;
      default:
        throw new Ics23DecodeError(`NonExistenceProof: unknown field ${field}`);
    }
  }
  return { key, left, right };
}

const UNSUPPORTED_KINDS: Readonly<Record<number, string>> = {
  3: 'batch',
  4: 'compressed',
  5: 'exclusion',
};

function decodeCommitment(r: Reader): CommitmentProof {
  let proof: CommitmentProof = { kind: 'empty' };
  while (!r.done) {
    const [field, wire] = r.tag();
    const setTwice = (): Ics23DecodeError =>
      new Ics23DecodeError('CommitmentProof: oneof set twice');
    switch (field) {
      case 1:
        expectWire('CommitmentProof', field, wire, WIRE_LEN);
        if (proof.kind !== 'empty') throw setTwice();
        proof = { kind: 'exist', exist: decodeExist(r.sub()) };
        break;
      case 2:
        expectWire('CommitmentProof', field, wire, WIRE_LEN);
        if (proof.kind !== 'empty') throw setTwice();
        proof = { kind: 'nonexist', nonexist: decodeNonExist(r.sub()) };
        break;
      default: {
        const kind = UNSUPPORTED_KINDS[field];
        throw new Ics23DecodeError(
          kind === undefined
            ? `CommitmentProof: unknown field ${field}`
            : `CommitmentProof: ${kind} proofs are not supported`,
        );
      }
    }
  }
  return proof;
}

/**
 * Protobuf bytes -> CommitmentProof. Throws Ics23DecodeError unless the bytes are exactly the
 * canonical encoding of a proof in the supported subset. Byte fields of the result are views
 * into `bytes`.
 */
export function decodeCommitmentProof(bytes: Uint8Array): CommitmentProof {
  const proof = decodeCommitment(new Reader(bytes, 0, bytes.length));
  if (!bytesEqual(encodeCommitmentProof(proof), bytes)) {
    throw new Ics23DecodeError('CommitmentProof is not in canonical encoding');
  }
  return proof;
}

import { memberContextOf, type MemberInfo } from './entry-codec.js';
import {
  copyHash,
  hashValue,
  stringValue,
  type StoredEntry,
  type StringEncoding,
} from './keyspace.js';

/**
 * The state machine image inside a Raft snapshot:
 *
 *   "RDKV" | u8 version (5) | f64 clock | u32 member JSON length | member JSON
 *   | u8 database count | per database: u32 key count | per key:
 *       u32 key length | key | u8 type | f64 expireAt | f64 version | value, where value is
 *       string (type 0; 2 for one Redis keeps raw, 3 for one it never int-encodes: see
 *       StringEncoding): u32 len | bytes;
 *       hash (type 1, or 4 for one Redis converted to a hashtable, HashValue.hashtable):
 *                        u32 field count | per field: u32 len | field | u32 len | value
 *   then per database: u32 tombstone count | per tombstone: u32 key length | key | f64 index
 *   then (version 3 and later) u8 1 | u32 length | the verifiable-state section
 *   (merkle-snapshot-codec.ts, which holds the state root), or u8 0 when the node keeps no
 *   Merkle state
 *
 * The member JSON is an array of MemberInfo; a learner the leader is to promote once it has
 * caught up carries `"autoPromote": true` (absent in images written before the flag existed).
 *
 * Version 4 images (no types 3 and 4), version 3 images (no type 2 either) and version 2
 * images (no section either) are still read; a
 * version 2 image's state is restored unchecked and its root recomputed. The snapshot file
 * that wraps the image carries the checksum; this layer still checks its own structure so
 * that a bad image is refused rather than half-loaded.
 */
const MAGIC = Buffer.from('RDKV', 'latin1');
const VERSION = 5;
/** The last version without types 3 and 4. */
const VERSION_WITHOUT_ENCODINGS = 4;
/** The last version without strings of type 2. */
const VERSION_WITHOUT_RAW = 3;
/** The last version without the verifiable-state section. */
const VERSION_WITHOUT_MERKLE = 2;
const TYPE_STRING = 0;
const TYPE_HASH = 1;
const TYPE_RAW_STRING = 2;
const TYPE_STRING_OBJECT = 3;
const TYPE_HASHTABLE = 4;

export interface SnapshotImage {
  readonly dbs: ReadonlyMap<string, StoredEntry>[];
  /** Deleted keys and the index of their deletion, per database (see Keyspace). */
  readonly tombstones: ReadonlyMap<string, number>[];
  readonly members: readonly MemberInfo[];
  /** Ids of members with the autoPromote flag (KvStateMachine.autoPromote). */
  readonly autoPromote: readonly number[];
  readonly clock: number;
  /** The verifiable-state section, opaque here; undefined when the node keeps none. */
  readonly merkle?: Uint8Array | undefined;
}

export class SnapshotFormatError extends Error {
  constructor(why: string) {
    super(`invalid state machine snapshot: ${why}`);
    this.name = 'SnapshotFormatError';
  }
}

/** Keys and what they map to, position by position: a Map's contents, frozen in two arrays. */
interface Columns<V> {
  readonly keys: readonly string[];
  readonly values: readonly V[];
}

/**
 * An image's state copied out of the live maps, so that it can be written while later entries
 * apply: two arrays per map (about 1 ms per 100,000 keys), hash values copied (their fields
 * change in place), string values shared (never changed in place).
 */
export interface FrozenImage {
  readonly dbs: readonly Columns<StoredEntry>[];
  readonly tombstones: readonly Columns<number>[];
  readonly members: readonly MemberInfo[];
  readonly autoPromote: readonly number[];
  readonly clock: number;
  readonly merkle?: Uint8Array | undefined;
}

function columnsOf<V>(map: ReadonlyMap<string, V>): { keys: string[]; values: V[] } {
  return { keys: [...map.keys()], values: [...map.values()] };
}

/** Freezes `image` (see FrozenImage); cheap enough to do inside an apply. */
export function freezeImage(image: SnapshotImage): FrozenImage {
  return {
    dbs: image.dbs.map((db) => {
      const { keys, values } = columnsOf(db);
      for (let i = 0; i < values.length; i++) {
        const e = values[i]!;
        if (e.value.type === 'hash') {
          values[i] = { ...e, value: copyHash(e.value) };
        }
      }
      return { keys, values };
    }),
    tombstones: image.tombstones.map((t) => columnsOf(t)),
    members: image.members,
    autoPromote: image.autoPromote,
    clock: image.clock,
    merkle: image.merkle,
  };
}

export function writeSnapshot(image: SnapshotImage): Buffer {
  const writer = imageWriter(
    {
      ...image,
      dbs: image.dbs.map((db) => columnsOf(db)),
      tombstones: image.tombstones.map((t) => columnsOf(t)),
    },
    Number.POSITIVE_INFINITY,
  );
  for (;;) {
    const step = writer.next();
    if (step.done === true) return step.value;
  }
}

/**
 * Writes a frozen image a slice at a time, letting other work run between slices: a 100k-key
 * state takes tens of milliseconds to write, which inside one turn of the event loop is a
 * pause for every client and for Raft's heartbeats.
 */
export async function writeSnapshotInSlices(
  image: FrozenImage,
  between: () => Promise<void>,
  sliceKeys = 8192,
): Promise<Buffer> {
  const writer = imageWriter(image, sliceKeys);
  for (;;) {
    const step = writer.next();
    if (step.done === true) return step.value;
    await between();
  }
}

/** Bytes per chunk of a snapshot image being written (a larger record gets its own). */
const IMAGE_CHUNK_BYTES = 1 << 20;

/**
 * Up to this many bytes, a key or value is copied into the image by a loop: Buffer#write and
 * Buffer#copy cross into C++ once per call, which for the tens of bytes of a typical key or
 * value cost more than the copy (profiled: about half of an image's writing time).
 */
const INLINE_COPY_BYTES = 64;

/**
 * Appends an image's bytes to chunks of IMAGE_CHUNK_BYTES, so that the image is written in
 * one pass over its keys: sizing it first read every key and value twice, and a state of
 * 100,000 keys does not stay in cache between the passes.
 */
class ImageOutput {
  private readonly chunks: Buffer[] = [];
  private chunk = Buffer.allocUnsafe(IMAGE_CHUNK_BYTES);
  private view = new DataView(this.chunk.buffer, this.chunk.byteOffset, this.chunk.byteLength);
  private off = 0;

  /** Makes room for `bytes` more in the current chunk (a new chunk if they do not fit). */
  reserve(bytes: number): void {
    if (this.off + bytes <= this.chunk.length) return;
    this.chunks.push(this.chunk.subarray(0, this.off));
    this.chunk = Buffer.allocUnsafe(Math.max(IMAGE_CHUNK_BYTES, bytes));
    this.view = new DataView(this.chunk.buffer, this.chunk.byteOffset, this.chunk.byteLength);
    this.off = 0;
  }

  // The writers below assume `reserve` made room for what they write.

  u8(v: number): void {
    this.chunk[this.off++] = v;
  }

  u32(v: number): void {
    this.view.setUint32(this.off, v);
    this.off += 4;
  }

  f64(v: number): void {
    this.view.setFloat64(this.off, v);
    this.off += 8;
  }

  /** A latin1 string's bytes (one per character). */
  latin1(s: string): void {
    const n = s.length;
    if (n <= INLINE_COPY_BYTES) {
      const chunk = this.chunk;
      const at = this.off;
      for (let i = 0; i < n; i++) chunk[at + i] = s.charCodeAt(i);
      this.off += n;
    } else {
      this.off += this.chunk.write(s, this.off, 'latin1');
    }
  }

  bytes(b: Uint8Array): void {
    const n = b.length;
    if (n <= INLINE_COPY_BYTES) {
      const chunk = this.chunk;
      const at = this.off;
      for (let i = 0; i < n; i++) chunk[at + i] = b[i]!;
    } else {
      this.chunk.set(b, this.off);
    }
    this.off += n;
  }

  /** The image: the chunks joined. */
  finish(): Buffer {
    this.chunks.push(this.chunk.subarray(0, this.off));
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
  }
}

/** Writes `image`, yielding after about every `sliceKeys` keys. */
function* imageWriter(image: FrozenImage, sliceKeys: number): Generator<undefined, Buffer> {
  let budget = sliceKeys;
  const flagged = new Set(image.autoPromote);
  const members = Buffer.from(
    JSON.stringify(image.members.map((m) => (flagged.has(m.id) ? { ...m, autoPromote: true } : m))),
    'utf8',
  );
  const out = new ImageOutput();
  out.reserve(4 + 1 + 8 + 4 + members.length + 1);
  out.bytes(MAGIC);
  out.u8(VERSION);
  out.f64(image.clock);
  out.u32(members.length);
  out.bytes(members);
  out.u8(image.dbs.length);
  for (const db of image.dbs) {
    const { keys, values } = db;
    out.reserve(4);
    out.u32(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const e = values[i]!;
      const v = e.value;
      // A string whole; a hash's header here and each field as it is written.
      out.reserve(4 + k.length + 1 + 8 + 8 + 4 + (v.type === 'string' ? v.value.length : 0));
      out.u32(k.length);
      out.latin1(k);
      out.u8(
        v.type === 'string'
          ? stringType(v.encoding)
          : v.hashtable === true
            ? TYPE_HASHTABLE
            : TYPE_HASH,
      );
      out.f64(e.expireAt);
      out.f64(e.version);
      if (v.type === 'string') {
        out.u32(v.value.length);
        out.bytes(v.value);
      } else {
        out.u32(v.fields.size);
        for (const [field, value] of v.fields) {
          out.reserve(4 + field.length + 4 + value.length);
          out.u32(field.length);
          out.latin1(field);
          out.u32(value.length);
          out.bytes(value);
        }
      }
      if (--budget === 0) {
        yield;
        budget = sliceKeys;
      }
    }
  }
  for (const t of image.tombstones) {
    const { keys, values } = t;
    out.reserve(4);
    out.u32(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      out.reserve(4 + k.length + 8);
      out.u32(k.length);
      out.latin1(k);
      out.f64(values[i]!);
    }
  }
  if (image.merkle === undefined) {
    out.reserve(1);
    out.u8(0);
  } else {
    out.reserve(1 + 4 + image.merkle.length);
    out.u8(1);
    out.u32(image.merkle.length);
    out.bytes(image.merkle);
  }
  return out.finish();
}

export function readSnapshot(data: Uint8Array): {
  dbs: Map<string, StoredEntry>[];
  tombstones: Map<string, number>[];
  members: MemberInfo[];
  autoPromote: number[];
  clock: number;
  merkle: Buffer | undefined;
} {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let off = 0;
  const need = (n: number): void => {
    if (off + n > buf.length) throw new SnapshotFormatError('truncated');
  };
  need(4 + 1 + 8 + 4);
  if (!buf.subarray(0, 4).equals(MAGIC)) throw new SnapshotFormatError('bad magic');
  off = 4;
  const format = buf.readUInt8(off++);
  if (format < VERSION_WITHOUT_MERKLE || format > VERSION) {
    throw new SnapshotFormatError(`unknown version ${format}`);
  }
  const clock = buf.readDoubleBE(off);
  off += 8;
  const membersLength = buf.readUInt32BE(off);
  off += 4;
  need(membersLength + 1);
  const members: MemberInfo[] = [];
  const autoPromote: number[] = [];
  let listed: unknown;
  try {
    listed = JSON.parse(buf.toString('utf8', off, off + membersLength));
  } catch {
    throw new SnapshotFormatError('member table is not JSON');
  }
  if (!Array.isArray(listed)) throw new SnapshotFormatError('member table is not an array');
  for (const item of listed as unknown[]) {
    let parsed;
    try {
      parsed = memberContextOf(item);
    } catch (err) {
      throw new SnapshotFormatError(`bad member: ${(err as Error).message}`);
    }
    members.push(parsed.member);
    if (parsed.autoPromote) autoPromote.push(parsed.member.id);
  }
  off += membersLength;
  const dbCount = buf.readUInt8(off++);
  const dbs: Map<string, StoredEntry>[] = [];
  for (let d = 0; d < dbCount; d++) {
    need(4);
    const keys = buf.readUInt32BE(off);
    off += 4;
    const db = new Map<string, StoredEntry>();
    for (let i = 0; i < keys; i++) {
      need(4);
      const kl = buf.readUInt32BE(off);
      off += 4;
      need(kl + 1 + 8 + 8 + 4);
      const key = buf.toString('latin1', off, off + kl);
      off += kl;
      const type = buf.readUInt8(off++);
      const expireAt = buf.readDoubleBE(off);
      off += 8;
      const version = buf.readDoubleBE(off);
      off += 8;
      // Copies: the image buffer may be large and short-lived; values outlive it.
      const bytes = (): Buffer => {
        need(4);
        const len = buf.readUInt32BE(off);
        off += 4;
        need(len);
        const b = Buffer.from(buf.subarray(off, off + len));
        off += len;
        return b;
      };
      if (type === TYPE_STRING) {
        db.set(key, { value: stringValue(bytes()), expireAt, version });
      } else if (type === TYPE_RAW_STRING && format > VERSION_WITHOUT_RAW) {
        db.set(key, { value: stringValue(bytes(), 'raw'), expireAt, version });
      } else if (type === TYPE_STRING_OBJECT && format > VERSION_WITHOUT_ENCODINGS) {
        db.set(key, { value: stringValue(bytes(), 'string'), expireAt, version });
      } else if (
        type === TYPE_HASH ||
        (type === TYPE_HASHTABLE && format > VERSION_WITHOUT_ENCODINGS)
      ) {
        need(4);
        const count = buf.readUInt32BE(off);
        off += 4;
        const fields = new Map<string, Buffer>();
        for (let f = 0; f < count; f++) {
          const field = bytes().toString('latin1');
          fields.set(field, bytes());
        }
        db.set(key, { value: hashValue(fields, type === TYPE_HASHTABLE), expireAt, version });
      } else {
        throw new SnapshotFormatError(`unknown value type ${type}`);
      }
    }
    dbs.push(db);
  }
  const tombstones: Map<string, number>[] = [];
  for (let d = 0; d < dbCount; d++) {
    need(4);
    const count = buf.readUInt32BE(off);
    off += 4;
    const t = new Map<string, number>();
    for (let i = 0; i < count; i++) {
      need(4);
      const kl = buf.readUInt32BE(off);
      off += 4;
      need(kl + 8);
      const key = buf.toString('latin1', off, off + kl);
      off += kl;
      t.set(key, buf.readDoubleBE(off));
      off += 8;
    }
    tombstones.push(t);
  }
  let merkle: Buffer | undefined;
  if (format !== VERSION_WITHOUT_MERKLE) {
    need(1);
    const present = buf.readUInt8(off++);
    if (present === 1) {
      need(4);
      const length = buf.readUInt32BE(off);
      off += 4;
      need(length);
      merkle = buf.subarray(off, off + length);
      off += length;
    } else if (present !== 0) {
      throw new SnapshotFormatError(`bad merkle section flag ${present}`);
    }
  }
  if (off !== buf.length) throw new SnapshotFormatError('trailing bytes');
  return { dbs, tombstones, members, autoPromote, clock, merkle };
}

/** The image's type byte of a string stored with `encoding` (see StringEncoding). */
function stringType(encoding: StringEncoding | undefined): number {
  if (encoding === undefined) return TYPE_STRING;
  return encoding === 'raw' ? TYPE_RAW_STRING : TYPE_STRING_OBJECT;
}

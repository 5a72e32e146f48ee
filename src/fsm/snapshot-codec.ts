import { memberContextOf, type MemberInfo } from './entry-codec.js';
import { stringValue, type StoredEntry } from './keyspace.js';

/**
 * The state machine image inside a Raft snapshot:
 *
 *   "RDKV" | u8 version (4) | f64 clock | u32 member JSON length | member JSON
 *   | u8 database count | per database: u32 key count | per key:
 *       u32 key length | key | u8 type | f64 expireAt | f64 version | value, where value is
 *       string (type 0, or 2 for one edited in place, StringValue.raw): u32 len | bytes;
 *       hash (type 1):   u32 field count | per field: u32 len | field | u32 len | value
 *   then per database: u32 tombstone count | per tombstone: u32 key length | key | f64 index
 *   then (version 3 and later) u8 1 | u32 length | the verifiable-state section
 *   (merkle-snapshot-codec.ts, which holds the state root), or u8 0 when the node keeps no
 *   Merkle state
 *
 * The member JSON is an array of MemberInfo; a learner the leader is to promote once it has
 * caught up carries `"autoPromote": true` (absent in images written before the flag existed).
 *
 * Version 3 images (no type 2) and version 2 images (no section either) are still read; a
 * version 2 image's state is restored unchecked and its root recomputed. The snapshot file
 * that wraps the image carries the checksum; this layer still checks its own structure so
 * that a bad image is refused rather than half-loaded.
 */
const MAGIC = Buffer.from('RDKV', 'latin1');
const VERSION = 4;
/** The last version without strings of type 2. */
const VERSION_WITHOUT_RAW = 3;
/** The last version without the verifiable-state section. */
const VERSION_WITHOUT_MERKLE = 2;
const TYPE_STRING = 0;
const TYPE_HASH = 1;
const TYPE_RAW_STRING = 2;

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

function valueSize(e: StoredEntry): number {
  const v = e.value;
  if (v.type === 'string') return 4 + v.value.length;
  let size = 4;
  for (const [field, value] of v.fields) size += 8 + field.length + value.length;
  return size;
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
          values[i] = { ...e, value: { type: 'hash', fields: new Map(e.value.fields) } };
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

/** Writes `image`, yielding after about every `sliceKeys` keys (sizing, then writing). */
function* imageWriter(image: FrozenImage, sliceKeys: number): Generator<undefined, Buffer> {
  let budget = sliceKeys;
  const flagged = new Set(image.autoPromote);
  const members = Buffer.from(
    JSON.stringify(image.members.map((m) => (flagged.has(m.id) ? { ...m, autoPromote: true } : m))),
    'utf8',
  );
  let size = 4 + 1 + 8 + 4 + members.length + 1;
  for (const db of image.dbs) {
    size += 4;
    const { keys, values } = db;
    for (let i = 0; i < keys.length; i++) {
      size += 4 + keys[i]!.length + 1 + 8 + 8 + valueSize(values[i]!);
      if (--budget === 0) {
        yield;
        budget = sliceKeys;
      }
    }
  }
  for (const t of image.tombstones) {
    size += 4;
    for (const k of t.keys) size += 4 + k.length + 8;
  }
  size += 1 + (image.merkle === undefined ? 0 : 4 + image.merkle.length);
  const out = Buffer.allocUnsafe(size);
  let off = MAGIC.copy(out, 0);
  off = out.writeUInt8(VERSION, off);
  off = out.writeDoubleBE(image.clock, off);
  off = out.writeUInt32BE(members.length, off);
  off += members.copy(out, off);
  off = out.writeUInt8(image.dbs.length, off);
  for (const db of image.dbs) {
    const { keys, values } = db;
    off = out.writeUInt32BE(keys.length, off);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const e = values[i]!;
      off = out.writeUInt32BE(k.length, off);
      off += out.write(k, off, 'latin1');
      const v = e.value;
      const type = v.type === 'hash' ? TYPE_HASH : v.raw === true ? TYPE_RAW_STRING : TYPE_STRING;
      off = out.writeUInt8(type, off);
      off = out.writeDoubleBE(e.expireAt, off);
      off = out.writeDoubleBE(e.version, off);
      if (v.type === 'string') {
        off = out.writeUInt32BE(v.value.length, off);
        off += v.value.copy(out, off);
      } else {
        off = out.writeUInt32BE(v.fields.size, off);
        for (const [field, value] of v.fields) {
          off = out.writeUInt32BE(field.length, off);
          off += out.write(field, off, 'latin1');
          off = out.writeUInt32BE(value.length, off);
          off += value.copy(out, off);
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
    off = out.writeUInt32BE(keys.length, off);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      off = out.writeUInt32BE(k.length, off);
      off += out.write(k, off, 'latin1');
      off = out.writeDoubleBE(values[i]!, off);
    }
  }
  if (image.merkle === undefined) {
    off = out.writeUInt8(0, off);
  } else {
    off = out.writeUInt8(1, off);
    off = out.writeUInt32BE(image.merkle.length, off);
    out.set(image.merkle, off);
    off += image.merkle.length;
  }
  return out;
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
  if (format !== VERSION && format !== VERSION_WITHOUT_RAW && format !== VERSION_WITHOUT_MERKLE) {
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
      } else if (type === TYPE_RAW_STRING && format >= VERSION) {
        db.set(key, { value: stringValue(bytes(), true), expireAt, version });
      } else if (type === TYPE_HASH) {
        need(4);
        const count = buf.readUInt32BE(off);
        off += 4;
        const fields = new Map<string, Buffer>();
        for (let f = 0; f < count; f++) {
          const field = bytes().toString('latin1');
          fields.set(field, bytes());
        }
        db.set(key, { value: { type: 'hash', fields }, expireAt, version });
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

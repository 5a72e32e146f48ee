/**
 * The verifiable-state section of a state machine snapshot (snapshot-codec.ts, format 3):
 *
 *   u8  section format (1)
 *   32  state root at the snapshot's index
 *   u32 record count | per record: u8 kind | f64 index | 32 root | u8 name length | name
 *   f64 confirmed index (see MerkleHistory)
 *   u32 tag count | per tag: u8 name length | name | f64 index | 32 root
 *       | u32 change count | per change: u32 tree key length | tree key
 *         | u32 value length, or 0xffffffff when the key is absent in the tag | value
 *
 * A tag is stored as the changes that turn the snapshot's own state into the tagged one: a
 * tag taken shortly before costs a few bytes, not a copy of the map. The roots let restore
 * check that what it rebuilt is what was saved.
 */
import { SnapshotFormatError } from './snapshot-codec.js';
import type { RecordKind, RecordSource, RootRecord } from './merkle-history.js';
import type { SmtChange } from '../merkle/index.js';

const FORMAT = 1;
const ABSENT = 0xffffffff;

export interface TagImage {
  readonly name: string;
  readonly index: number;
  readonly root: Buffer;
  /** From the snapshot's state to the tagged one. */
  readonly changes: readonly SmtChange[];
}

export interface MerkleSectionImage {
  readonly root: Buffer;
  /** A snapshot passes the records' packed list; a decoded section holds an array. */
  readonly records: RecordSource | readonly RootRecord[];
  readonly confirmedIndex: number;
  readonly tags: readonly TagImage[];
}

export function writeMerkleSection(image: MerkleSectionImage): Buffer {
  let size = 1 + 32 + 4 + 8 + 4;
  const source = image.records;
  const records = Array.isArray(source)
    ? (source as readonly RootRecord[])
    : Array.from({ length: source.length }, (_, i) => (source as RecordSource).get(i));
  for (const r of records) size += 1 + 8 + 32 + 1 + r.name.length;
  for (const t of image.tags) {
    size += 1 + t.name.length + 8 + 32 + 4;
    for (const c of t.changes) size += 4 + c.key.length + 4 + (c.value?.length ?? 0);
  }
  const out = Buffer.allocUnsafe(size);
  let off = out.writeUInt8(FORMAT, 0);
  off += image.root.copy(out, off);
  off = out.writeUInt32BE(records.length, off);
  for (const r of records) {
    off = out.writeUInt8(r.kind, off);
    off = out.writeDoubleBE(r.index, off);
    off += r.root.copy(out, off);
    off = out.writeUInt8(r.name.length, off);
    off += out.write(r.name, off, 'latin1');
  }
  off = out.writeDoubleBE(image.confirmedIndex, off);
  off = out.writeUInt32BE(image.tags.length, off);
  for (const t of image.tags) {
    off = out.writeUInt8(t.name.length, off);
    off += out.write(t.name, off, 'latin1');
    off = out.writeDoubleBE(t.index, off);
    off += t.root.copy(out, off);
    off = out.writeUInt32BE(t.changes.length, off);
    for (const c of t.changes) {
      off = out.writeUInt32BE(c.key.length, off);
      out.set(c.key, off);
      off += c.key.length;
      if (c.value === undefined) {
        off = out.writeUInt32BE(ABSENT, off);
      } else {
        off = out.writeUInt32BE(c.value.length, off);
        out.set(c.value, off);
        off += c.value.length;
      }
    }
  }
  if (off !== size) throw new Error(`merkle section size mismatch: ${off} != ${size}`);
  return out;
}

export function readMerkleSection(
  data: Uint8Array,
): MerkleSectionImage & { readonly records: readonly RootRecord[] } {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let off = 0;
  const need = (n: number): void => {
    if (off + n > buf.length) throw new SnapshotFormatError('truncated merkle section');
  };
  const bytes = (n: number): Buffer => {
    need(n);
    // Copies: the snapshot image is short-lived, the section's contents are not.
    const b = Buffer.from(buf.subarray(off, off + n));
    off += n;
    return b;
  };
  const u8 = (): number => {
    need(1);
    return buf.readUInt8(off++);
  };
  const u32 = (): number => {
    need(4);
    const v = buf.readUInt32BE(off);
    off += 4;
    return v;
  };
  const f64 = (): number => {
    need(8);
    const v = buf.readDoubleBE(off);
    off += 8;
    if (!Number.isSafeInteger(v) || v < 0)
      throw new SnapshotFormatError('bad index in merkle section');
    return v;
  };
  const name = (): string => bytes(u8()).toString('latin1');

  const format = u8();
  if (format !== FORMAT) throw new SnapshotFormatError(`unknown merkle section format ${format}`);
  const root = bytes(32);
  const recordCount = u32();
  const records: RootRecord[] = [];
  for (let i = 0; i < recordCount; i++) {
    const kind = u8();
    if (kind < 1 || kind > 3) throw new SnapshotFormatError(`unknown root record kind ${kind}`);
    const index = f64();
    const recordRoot = bytes(32);
    records.push({ kind: kind as RecordKind, index, root: recordRoot, name: name() });
  }
  const confirmedIndex = f64();
  const tagCount = u32();
  const tags: TagImage[] = [];
  for (let i = 0; i < tagCount; i++) {
    const tagName = name();
    const index = f64();
    const tagRoot = bytes(32);
    const changeCount = u32();
    const changes: SmtChange[] = [];
    for (let c = 0; c < changeCount; c++) {
      const key = bytes(u32());
      const length = u32();
      changes.push({ key, value: length === ABSENT ? undefined : bytes(length) });
    }
    tags.push({ name: tagName, index, root: tagRoot, changes });
  }
  if (off !== buf.length) throw new SnapshotFormatError('trailing bytes after merkle section');
  return { root, records, confirmedIndex, tags };
}

/**
 * Binary encodings of the records the storage layer writes. All integers are big-endian;
 * 64-bit fields hold JavaScript safe integers (indexes, terms and node ids never exceed 2^53).
 *
 * Every record starts with a one-byte version so the layout can evolve, and ends (or, for
 * entries, carries in its header) a CRC-32 so that damage is reported as such instead of being
 * decoded into plausible nonsense. LevelDB checksums its own blocks, but it does not verify
 * them on every read by default; the record CRC makes our checks independent of its options.
 *
 * Entry value, version 1 (18 bytes + data):
 *   0  u8   version (1)
 *   1  u8   entry type (EntryType)
 *   2  u64  term
 *   10 u32  data length
 *   14 u32  CRC-32 of bytes [0, 14) followed by the data
 *   18 ...  data
 *
 * Hard state, version 1 (29 bytes): u8 version, u64 term, u64 vote, u64 commit, u32 CRC of
 * the preceding bytes.
 *
 * Log start, version 1 (21 bytes): u8 version, u64 index, u64 term, u32 CRC. The index and
 * term of the entry just before the first held one (the compaction point).
 *
 * Snapshot metadata, version 1: u8 version, u64 index, u64 term, conf state, u32 CRC.
 *
 * Conf state (shared with snapshot files): u8 autoLeave (0/1), then voters, learners,
 * votersOutgoing, learnersNext, each as u32 count followed by count u64 node ids.
 */
import {
  EntryType,
  index as toIndex,
  term as toTerm,
  type ConfState,
  type Entry,
  type HardState,
  type Index,
  type NodeId,
  type SnapshotMetadata,
  type Term,
} from '../raft/index.js';

const TWO_32 = 0x1_0000_0000;
/** High word of Number.MAX_SAFE_INTEGER: anything above cannot be a valid field. */
const MAX_SAFE_HIGH = 0x1f_ffff;

/** A record that cannot be decoded: truncated, checksum mismatch, bad field. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

// ---------------------------------------------------------------------------------------
// CRC-32 (IEEE 802.3, as zlib). A table-driven JavaScript version: zlib.crc32 only exists from
// Node 20.15 on and the records checked here are small.

const CRC_TABLE = ((): Uint32Array => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 of `bytes[start, end)`, continuing from `crc` (0 to start). */
export function crc32(bytes: Uint8Array, crc = 0, start = 0, end = bytes.length): number {
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------
// Fixed-width integers.

export function writeU64(view: DataView, offset: number, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a u64-safe integer: ${n}`);
  view.setUint32(offset, Math.floor(n / TWO_32));
  view.setUint32(offset + 4, n >>> 0);
}

export function readU64(view: DataView, offset: number): number {
  const hi = view.getUint32(offset);
  if (hi > MAX_SAFE_HIGH) throw new DecodeError(`u64 at ${offset} exceeds the safe integer range`);
  return hi * TWO_32 + view.getUint32(offset + 4);
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A bounds-checked sequential reader: running off the end is a DecodeError, never garbage. */
export class ByteReader {
  private readonly view: DataView;
  offset: number;

  constructor(
    readonly bytes: Uint8Array,
    offset = 0,
  ) {
    this.view = viewOf(bytes);
    this.offset = offset;
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  private need(n: number, what: string): void {
    if (this.remaining < n) {
      throw new DecodeError(
        `truncated: need ${n} bytes for ${what} at offset ${this.offset}, have ${this.remaining}`,
      );
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.offset++);
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }

  u64(what: string): number {
    this.need(8, what);
    const v = readU64(this.view, this.offset);
    this.offset += 8;
    return v;
  }

  bytesView(n: number, what: string): Uint8Array {
    this.need(n, what);
    const v = this.bytes.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }
}

// ---------------------------------------------------------------------------------------
// Conf state.

const CONF_LISTS = ['voters', 'learners', 'votersOutgoing', 'learnersNext'] as const;

export function confStateSize(cs: ConfState): number {
  let size = 1;
  for (const list of CONF_LISTS) size += 4 + 8 * cs[list].length;
  return size;
}

/** Writes `cs` at `offset`; returns the offset after it. */
export function writeConfState(view: DataView, offset: number, cs: ConfState): number {
  view.setUint8(offset++, cs.autoLeave ? 1 : 0);
  for (const list of CONF_LISTS) {
    const ids = cs[list];
    view.setUint32(offset, ids.length);
    offset += 4;
    for (const id of ids) {
      writeU64(view, offset, id);
      offset += 8;
    }
  }
  return offset;
}

export function readConfState(r: ByteReader): ConfState {
  const autoLeave = r.u8('autoLeave');
  if (autoLeave > 1) throw new DecodeError(`invalid autoLeave flag ${autoLeave}`);
  const lists: NodeId[][] = [];
  for (const list of CONF_LISTS) {
    const n = r.u32(`${list} count`);
    // A damaged count must not make us allocate gigabytes before the bounds check fails.
    if (n * 8 > r.remaining) throw new DecodeError(`truncated: ${list} claims ${n} ids`);
    const ids: NodeId[] = [];
    for (let i = 0; i < n; i++) ids.push(r.u64(list) as NodeId);
    lists.push(ids);
  }
  return {
    voters: lists[0]!,
    learners: lists[1]!,
    votersOutgoing: lists[2]!,
    learnersNext: lists[3]!,
    autoLeave: autoLeave === 1,
  };
}

// ---------------------------------------------------------------------------------------
// Records.

const RECORD_VERSION = 1;
export const ENTRY_HEADER_BYTES = 18;

/** Encodes entry `e` into `out` (which must hold ENTRY_HEADER_BYTES + data length bytes). */
export function encodeEntryInto(out: Uint8Array, e: Entry): void {
  const view = viewOf(out);
  view.setUint8(0, RECORD_VERSION);
  view.setUint8(1, e.type);
  writeU64(view, 2, e.term);
  view.setUint32(10, e.data.length);
  out.set(e.data, ENTRY_HEADER_BYTES);
  view.setUint32(14, crc32(e.data, crc32(out, 0, 0, 14)));
}

export function encodeEntry(e: Entry): Uint8Array {
  const out = new Uint8Array(ENTRY_HEADER_BYTES + e.data.length);
  encodeEntryInto(out, e);
  return out;
}

/** Decodes an entry value; `data` is a view into `bytes` (no copy). */
export function decodeEntry(i: Index, bytes: Uint8Array): Entry {
  const r = new ByteReader(bytes);
  checkVersion(r.u8('version'));
  const type = r.u8('type');
  if (type !== EntryType.Normal && type !== EntryType.ConfChange) {
    throw new DecodeError(`unknown entry type ${type}`);
  }
  const t = r.u64('term');
  const length = r.u32('data length');
  const crc = r.u32('crc');
  if (r.remaining !== length) {
    throw new DecodeError(`data length ${length} but ${r.remaining} bytes follow the header`);
  }
  const data = r.bytesView(length, 'data');
  const actual = crc32(data, crc32(bytes, 0, 0, 14));
  if (actual !== crc)
    throw new DecodeError(`checksum mismatch (stored ${crc}, computed ${actual})`);
  return { index: i, term: toTerm(t), type, data };
}

function checkVersion(v: number): void {
  if (v !== RECORD_VERSION) throw new DecodeError(`unknown record version ${v}`);
}

/** Appends the CRC of everything before `crcOffset` and returns the record. */
function seal(out: Uint8Array, crcOffset: number): Uint8Array {
  viewOf(out).setUint32(crcOffset, crc32(out, 0, 0, crcOffset));
  return out;
}

/** Reads and checks the trailing CRC of a sealed record, returning a reader over its body. */
function unseal(bytes: Uint8Array): ByteReader {
  if (bytes.length < 5) throw new DecodeError(`truncated: ${bytes.length} bytes`);
  const crcOffset = bytes.length - 4;
  const stored = viewOf(bytes).getUint32(crcOffset);
  const actual = crc32(bytes, 0, 0, crcOffset);
  if (stored !== actual) {
    throw new DecodeError(`checksum mismatch (stored ${stored}, computed ${actual})`);
  }
  const r = new ByteReader(bytes.subarray(0, crcOffset));
  checkVersion(r.u8('version'));
  return r;
}

function expectEnd(r: ByteReader): void {
  if (r.remaining !== 0) throw new DecodeError(`${r.remaining} unexpected trailing bytes`);
}

export function encodeHardState(hs: HardState): Uint8Array {
  const out = new Uint8Array(29);
  const view = viewOf(out);
  view.setUint8(0, RECORD_VERSION);
  writeU64(view, 1, hs.term);
  writeU64(view, 9, hs.vote);
  writeU64(view, 17, hs.commit);
  return seal(out, 25);
}

export function decodeHardState(bytes: Uint8Array): HardState {
  const r = unseal(bytes);
  const hs: HardState = {
    term: toTerm(r.u64('term')),
    vote: r.u64('vote') as NodeId,
    commit: toIndex(r.u64('commit')),
  };
  expectEnd(r);
  return hs;
}

/** The index and term of the entry before the first held one. */
export interface LogStart {
  readonly index: Index;
  readonly term: Term;
}

export function encodeLogStart(s: LogStart): Uint8Array {
  const out = new Uint8Array(21);
  const view = viewOf(out);
  view.setUint8(0, RECORD_VERSION);
  writeU64(view, 1, s.index);
  writeU64(view, 9, s.term);
  return seal(out, 17);
}

export function decodeLogStart(bytes: Uint8Array): LogStart {
  const r = unseal(bytes);
  const s: LogStart = { index: toIndex(r.u64('index')), term: toTerm(r.u64('term')) };
  expectEnd(r);
  return s;
}

export function encodeSnapshotMetadata(m: SnapshotMetadata): Uint8Array {
  const out = new Uint8Array(1 + 16 + confStateSize(m.confState) + 4);
  const view = viewOf(out);
  view.setUint8(0, RECORD_VERSION);
  writeU64(view, 1, m.index);
  writeU64(view, 9, m.term);
  const end = writeConfState(view, 17, m.confState);
  return seal(out, end);
}

export function decodeSnapshotMetadata(bytes: Uint8Array): SnapshotMetadata {
  const r = unseal(bytes);
  const m: SnapshotMetadata = {
    index: toIndex(r.u64('index')),
    term: toTerm(r.u64('term')),
    confState: readConfState(r),
  };
  expectEnd(r);
  return m;
}

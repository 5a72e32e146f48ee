/**
 * Hand-written protobuf encoding of the hot messages of proto/raft.proto (Message and what it
 * contains, MessageBatch, SnapshotChunk). Why not protobufjs's generated coders: they encode
 * every uint64 through a heap-allocated LongBits, build a linked list of write operations per
 * field, and decode every uint64 into a Long object; for a MsgApp with 64 small entries that
 * made the codec the transport's bottleneck (about 3x slower, and most of the garbage).
 *
 * This file only knows field numbers and wire types. codec.ts checks them against raft.proto
 * (loaded with protobufjs) when it loads, and the tests check both directions against
 * protobufjs's own encoding of the same schema, so the .proto stays the source of truth.
 *
 * Decoding follows protobuf's rules where a peer could legitimately differ from us: fields in
 * any order, unknown fields skipped, repeated scalars packed or not, absent fields zero. It
 * refuses what the core cannot represent: integers above 2^53 - 1, unknown enum values,
 * truncated or overlong input, groups.
 */
import {
  EMPTY_BYTES,
  type ConfState,
  type Entry,
  type Index,
  type Message,
  type MessageType,
  type NodeId,
  type Snapshot,
  type SnapshotMetadata,
  type Term,
} from '../raft/index.js';

/** Bytes that are not a valid message of the expected kind; the stream that carried them is
 *  closed, nothing else is affected. */
export class TransportDecodeError extends Error {
  readonly code = 'TRANSPORT_DECODE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransportDecodeError';
  }
}

/** Field numbers, named as in raft.proto; codec.ts verifies them against the loaded schema. */
export const FIELDS = {
  Entry: { term: 1, index: 2, type: 3, data: 4 },
  ConfState: { voters: 1, learners: 2, votersOutgoing: 3, learnersNext: 4, autoLeave: 5 },
  SnapshotMetadata: { index: 1, term: 2, confState: 3 },
  Snapshot: { metadata: 1, data: 2 },
  Message: {
    type: 1,
    to: 2,
    from: 3,
    term: 4,
    logTerm: 5,
    index: 6,
    entries: 7,
    commit: 8,
    snapshot: 9,
    reject: 10,
    rejectHint: 11,
    context: 12,
    leaseRead: 13,
  },
  MessageBatch: { messages: 1 },
  SnapshotChunk: {
    from: 1,
    to: 2,
    message: 3,
    offset: 4,
    totalSize: 5,
    data: 6,
    chunkSha256: 7,
    last: 8,
    snapshotSha256: 9,
  },
  SnapshotAck: { receivedBytes: 1 },
  StreamAck: {},
} as const;

/** MessageType enum of raft.proto: wire value -> core type; 0 (unspecified) is a hole. */
export const WIRE_TO_TYPE: readonly (MessageType | undefined)[] = [
  undefined,
  'MsgHup',
  'MsgBeat',
  'MsgCheckQuorum',
  'MsgProp',
  'MsgUnreachable',
  'MsgSnapStatus',
  'MsgApp',
  'MsgAppResp',
  'MsgVote',
  'MsgVoteResp',
  'MsgPreVote',
  'MsgPreVoteResp',
  'MsgSnap',
  'MsgHeartbeat',
  'MsgHeartbeatResp',
  'MsgTransferLeader',
  'MsgTimeoutNow',
  'MsgReadIndex',
  'MsgReadIndexResp',
];
const TYPE_TO_WIRE: ReadonlyMap<MessageType, number> = new Map(
  WIRE_TO_TYPE.flatMap((t, i) => (t === undefined ? [] : [[t, i] as const])),
);

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

function tag(field: number, wireType: number): number {
  return field * 8 + wireType;
}

// ---------------------------------------------------------------------------------------------
// Sizes

function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x20_0000) return 3;
  if (v < 0x1000_0000) return 4;
  if (v < 2 ** 35) return 5;
  if (v < 2 ** 42) return 6;
  if (v < 2 ** 49) return 7;
  return 8; // < 2^56, which covers every safe integer
}

/** Refuses what cannot be encoded exactly; sizing runs before any byte is written, so a bad
 *  message fails alone instead of corrupting a batch. */
function checkUint(v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`not a uint64 in range: ${v}`);
  return v;
}

/** Tag (one byte for every field number below 16) plus the varint. */
function uintFieldSize(v: number): number {
  return v === 0 ? 0 : 1 + varintSize(checkUint(v));
}

function lenFieldSize(len: number): number {
  return 1 + varintSize(len) + len;
}

function entrySize(e: Entry): number {
  return (
    uintFieldSize(e.term) +
    uintFieldSize(e.index) +
    uintFieldSize(e.type) +
    (e.data.length === 0 ? 0 : lenFieldSize(e.data.length))
  );
}

function packedSize(ids: readonly number[]): number {
  if (ids.length === 0) return 0;
  let n = 0;
  for (const id of ids) n += varintSize(checkUint(id));
  return lenFieldSize(n);
}

function packedPayloadSize(ids: readonly number[]): number {
  let n = 0;
  for (const id of ids) n += varintSize(id);
  return n;
}

function confStateSize(cs: ConfState): number {
  return (
    packedSize(cs.voters) +
    packedSize(cs.learners) +
    packedSize(cs.votersOutgoing) +
    packedSize(cs.learnersNext) +
    (cs.autoLeave ? 2 : 0)
  );
}

function metadataSize(md: SnapshotMetadata): number {
  return (
    uintFieldSize(md.index) + uintFieldSize(md.term) + lenFieldSize(confStateSize(md.confState))
  );
}

function snapshotSize(s: Snapshot): number {
  return (
    lenFieldSize(metadataSize(s.metadata)) + (s.data.length === 0 ? 0 : lenFieldSize(s.data.length))
  );
}

function wireType(m: Message): number {
  const t = TYPE_TO_WIRE.get(m.type);
  if (t === undefined) throw new TypeError(`unknown message type: ${m.type}`);
  return t;
}

/** Bytes `size` adds to a MessageBatch: the field tag, the length, the message. */
export function framedSize(size: number): number {
  return 1 + varintSize(size) + size;
}

/** Encoded size of a Message (without any enclosing tag and length). Zero values are left out:
 *  proto3 reads an absent field as zero, and heartbeats shrink to a handful of bytes. */
export function messageSize(m: Message): number {
  let n = 1 + varintSize(wireType(m));
  n += uintFieldSize(m.to) + uintFieldSize(m.from) + uintFieldSize(m.term);
  n += uintFieldSize(m.logTerm) + uintFieldSize(m.index);
  for (const e of m.entries) n += lenFieldSize(entrySize(e));
  n += uintFieldSize(m.commit);
  if (m.snapshot !== undefined) n += lenFieldSize(snapshotSize(m.snapshot));
  if (m.reject) n += 2;
  n += uintFieldSize(m.rejectHint);
  if (m.context.length > 0) n += lenFieldSize(m.context.length);
  if (m.leaseRead) n += 2;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Writes into a buffer sized in advance; the sizes above and the writes below must agree. */
export class WireWriter {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  varint(v: number): void {
    const buf = this.buf;
    let pos = this.pos;
    if (v < 0x1_0000_0000) {
      while (v > 0x7f) {
        buf[pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
    } else {
      while (v > 0x7f) {
        buf[pos++] = (v % 128) | 0x80;
        v = Math.floor(v / 128);
      }
    }
    buf[pos++] = v;
    this.pos = pos;
  }

  uintField(field: number, v: number): void {
    if (v === 0) return;
    this.buf[this.pos++] = field * 8;
    this.varint(v);
  }

  boolField(field: number, v: boolean): void {
    if (!v) return;
    this.buf[this.pos++] = field * 8;
    this.buf[this.pos++] = 1;
  }

  lenPrefix(field: number, len: number): void {
    this.varint(tag(field, LEN));
    this.varint(len);
  }

  bytesField(field: number, data: Uint8Array, keepEmpty = false): void {
    if (data.length === 0 && !keepEmpty) return;
    this.lenPrefix(field, data.length);
    if (data.length < 16) {
      // Below this size a loop beats set()'s native call (measured with 16- to 64-byte
      // entries).
      const buf = this.buf;
      let pos = this.pos;
      for (let i = 0; i < data.length; i++) buf[pos++] = data[i]!;
      this.pos = pos;
    } else {
      this.buf.set(data, this.pos);
      this.pos += data.length;
    }
  }

  private packed(field: number, ids: readonly number[]): void {
    if (ids.length === 0) return;
    this.lenPrefix(field, packedPayloadSize(ids));
    for (const id of ids) this.varint(id);
  }

  private entry(e: Entry): void {
    const F = FIELDS.Entry;
    this.uintField(F.term, e.term);
    this.uintField(F.index, e.index);
    this.uintField(F.type, e.type);
    this.bytesField(F.data, e.data);
  }

  private snapshot(s: Snapshot): void {
    const md = s.metadata;
    const cs = md.confState;
    this.lenPrefix(FIELDS.Snapshot.metadata, metadataSize(md));
    this.uintField(FIELDS.SnapshotMetadata.index, md.index);
    this.uintField(FIELDS.SnapshotMetadata.term, md.term);
    // Always present, even when empty, so that a decoded snapshot has a conf state.
    this.lenPrefix(FIELDS.SnapshotMetadata.confState, confStateSize(cs));
    const C = FIELDS.ConfState;
    this.packed(C.voters, cs.voters);
    this.packed(C.learners, cs.learners);
    this.packed(C.votersOutgoing, cs.votersOutgoing);
    this.packed(C.learnersNext, cs.learnersNext);
    this.boolField(C.autoLeave, cs.autoLeave);
    this.bytesField(FIELDS.Snapshot.data, s.data);
  }

  /** Writes a Message's fields (no enclosing tag or length). */
  message(m: Message): void {
    const F = FIELDS.Message;
    this.uintField(F.type, wireType(m));
    this.uintField(F.to, m.to);
    this.uintField(F.from, m.from);
    this.uintField(F.term, m.term);
    this.uintField(F.logTerm, m.logTerm);
    this.uintField(F.index, m.index);
    for (const e of m.entries) {
      this.lenPrefix(F.entries, entrySize(e));
      this.entry(e);
    }
    this.uintField(F.commit, m.commit);
    if (m.snapshot !== undefined) {
      this.lenPrefix(F.snapshot, snapshotSize(m.snapshot));
      this.snapshot(m.snapshot);
    }
    this.boolField(F.reject, m.reject);
    this.uintField(F.rejectHint, m.rejectHint);
    this.bytesField(F.context, m.context);
    this.boolField(F.leaseRead, m.leaseRead);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Reads one message's fields from buf[pos, end). */
export class WireReader {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint as a safe integer; anything larger is refused rather than rounded. */
  varint(): number {
    const buf = this.buf;
    let pos = this.pos;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= this.end) throw new TransportDecodeError('truncated varint');
      const b = buf[pos++]!;
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        this.pos = pos;
        // Past 2^53 the sum may round, but never down to a safe value.
        if (result > MAX_SAFE) throw new TransportDecodeError('integer above 2^53 - 1');
        return result;
      }
      mul *= 128;
    }
    throw new TransportDecodeError('varint longer than 10 bytes');
  }

  /** Returns field number * 8 + wire type; field numbers fit 29 bits, so `tag >>> 3` is safe. */
  tag(): number {
    const t = this.varint();
    if (t > 0xffff_ffff || t < 8) throw new TransportDecodeError(`invalid field tag ${t}`);
    return t;
  }

  /** A length-delimited field's bounds: [start, end). */
  len(): number {
    const n = this.varint();
    if (n > this.end - this.pos) throw new TransportDecodeError('length beyond the input');
    return n;
  }

  bytes(): Uint8Array {
    const n = this.len();
    const start = this.pos;
    this.pos += n;
    if (n === 0) return EMPTY_BYTES;
    // A plain Uint8Array view into the received buffer: no copy, and no Buffer prototype
    // (which would make decoded messages differ from the ones that were sent).
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset + start, n);
  }

  /** A reader for a nested message; this reader continues after it. */
  sub(): WireReader {
    const n = this.len();
    const r = new WireReader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  skip(t: number): void {
    switch (t & 7) {
      case VARINT:
        this.varintRaw();
        return;
      case FIXED64:
        this.advance(8);
        return;
      case LEN:
        this.advance(this.len());
        return;
      case FIXED32:
        this.advance(4);
        return;
      default:
        throw new TransportDecodeError(`unsupported wire type ${t & 7}`);
    }
  }

  /** Skips a varint of any size (unknown fields may hold full 64-bit values). */
  private varintRaw(): void {
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new TransportDecodeError('truncated varint');
      if (this.buf[this.pos++]! < 0x80) return;
    }
    throw new TransportDecodeError('varint longer than 10 bytes');
  }

  private advance(n: number): void {
    if (n > this.end - this.pos) throw new TransportDecodeError('truncated field');
    this.pos += n;
  }
}

function expect(t: number, wt: number, what: string): void {
  if ((t & 7) !== wt) throw new TransportDecodeError(`${what}: wrong wire type ${t & 7}`);
}

function bool(r: WireReader): boolean {
  return r.varint() !== 0;
}

function nodeIdValue(v: number, what: string): NodeId {
  if (v === 0) throw new TransportDecodeError(`${what}: node id 0`);
  return v as NodeId;
}

/** Repeated uint64 node ids, packed (proto3's default) or one per field. */
function readIds(r: WireReader, t: number, into: NodeId[], what: string): void {
  if ((t & 7) === LEN) {
    const sub = r.sub();
    while (!sub.done()) into.push(nodeIdValue(sub.varint(), what));
  } else {
    expect(t, VARINT, what);
    into.push(nodeIdValue(r.varint(), what));
  }
}

function readEntry(r: WireReader): Entry {
  const F = FIELDS.Entry;
  let term = 0;
  let index = 0;
  let type = 0;
  let data: Uint8Array = EMPTY_BYTES;
  while (!r.done()) {
    const t = r.tag();
    switch (t >>> 3) {
      case F.term:
        expect(t, VARINT, 'entry.term');
        term = r.varint();
        break;
      case F.index:
        expect(t, VARINT, 'entry.index');
        index = r.varint();
        break;
      case F.type:
        expect(t, VARINT, 'entry.type');
        type = r.varint();
        break;
      case F.data:
        expect(t, LEN, 'entry.data');
        data = r.bytes();
        break;
      default:
        r.skip(t);
    }
  }
  if (type !== 0 && type !== 1) throw new TransportDecodeError('entry.type: unknown entry type');
  return { term: term as Term, index: index as Index, type, data };
}

function readConfState(r: WireReader): ConfState {
  const F = FIELDS.ConfState;
  const voters: NodeId[] = [];
  const learners: NodeId[] = [];
  const votersOutgoing: NodeId[] = [];
  const learnersNext: NodeId[] = [];
  let autoLeave = false;
  while (!r.done()) {
    const t = r.tag();
    switch (t >>> 3) {
      case F.voters:
        readIds(r, t, voters, 'confState.voters');
        break;
      case F.learners:
        readIds(r, t, learners, 'confState.learners');
        break;
      case F.votersOutgoing:
        readIds(r, t, votersOutgoing, 'confState.votersOutgoing');
        break;
      case F.learnersNext:
        readIds(r, t, learnersNext, 'confState.learnersNext');
        break;
      case F.autoLeave:
        expect(t, VARINT, 'confState.autoLeave');
        autoLeave = bool(r);
        break;
      default:
        r.skip(t);
    }
  }
  return { voters, learners, votersOutgoing, learnersNext, autoLeave };
}

function emptyConfState(): ConfState {
  return { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
}

function readMetadata(r: WireReader): SnapshotMetadata {
  const F = FIELDS.SnapshotMetadata;
  let index = 0;
  let term = 0;
  let confState: ConfState | undefined;
  while (!r.done()) {
    const t = r.tag();
    switch (t >>> 3) {
      case F.index:
        expect(t, VARINT, 'metadata.index');
        index = r.varint();
        break;
      case F.term:
        expect(t, VARINT, 'metadata.term');
        term = r.varint();
        break;
      case F.confState:
        expect(t, LEN, 'metadata.confState');
        confState = readConfState(r.sub());
        break;
      default:
        r.skip(t);
    }
  }
  return {
    index: index as Index,
    term: term as Term,
    confState: confState ?? emptyConfState(),
  };
}

function readSnapshot(r: WireReader): Snapshot {
  const F = FIELDS.Snapshot;
  let metadata: SnapshotMetadata | undefined;
  let data: Uint8Array = EMPTY_BYTES;
  while (!r.done()) {
    const t = r.tag();
    switch (t >>> 3) {
      case F.metadata:
        expect(t, LEN, 'snapshot.metadata');
        metadata = readMetadata(r.sub());
        break;
      case F.data:
        expect(t, LEN, 'snapshot.data');
        data = r.bytes();
        break;
      default:
        r.skip(t);
    }
  }
  metadata ??= { index: 0 as Index, term: 0 as Term, confState: emptyConfState() };
  return { metadata, data };
}

export function readMessage(r: WireReader): Message {
  const F = FIELDS.Message;
  let type: MessageType | undefined;
  let to = 0;
  let from = 0;
  let term = 0;
  let logTerm = 0;
  let index = 0;
  const entries: Entry[] = [];
  let commit = 0;
  let snapshot: Snapshot | undefined;
  let reject = false;
  let rejectHint = 0;
  let context: Uint8Array = EMPTY_BYTES;
  let leaseRead = false;
  while (!r.done()) {
    const t = r.tag();
    switch (t >>> 3) {
      case F.type:
        expect(t, VARINT, 'message.type');
        type = WIRE_TO_TYPE[r.varint()];
        if (type === undefined) throw new TransportDecodeError('message.type: unknown type');
        break;
      case F.to:
        expect(t, VARINT, 'message.to');
        to = r.varint();
        break;
      case F.from:
        expect(t, VARINT, 'message.from');
        from = r.varint();
        break;
      case F.term:
        expect(t, VARINT, 'message.term');
        term = r.varint();
        break;
      case F.logTerm:
        expect(t, VARINT, 'message.logTerm');
        logTerm = r.varint();
        break;
      case F.index:
        expect(t, VARINT, 'message.index');
        index = r.varint();
        break;
      case F.entries:
        expect(t, LEN, 'message.entries');
        entries.push(readEntry(r.sub()));
        break;
      case F.commit:
        expect(t, VARINT, 'message.commit');
        commit = r.varint();
        break;
      case F.snapshot:
        expect(t, LEN, 'message.snapshot');
        snapshot = readSnapshot(r.sub());
        break;
      case F.reject:
        expect(t, VARINT, 'message.reject');
        reject = bool(r);
        break;
      case F.rejectHint:
        expect(t, VARINT, 'message.rejectHint');
        rejectHint = r.varint();
        break;
      case F.context:
        expect(t, LEN, 'message.context');
        context = r.bytes();
        break;
      case F.leaseRead:
        expect(t, VARINT, 'message.leaseRead');
        leaseRead = bool(r);
        break;
      default:
        r.skip(t);
    }
  }
  if (type === undefined) throw new TransportDecodeError('message.type: missing');
  return {
    type,
    to: to as NodeId,
    from: from as NodeId,
    term: term as Term,
    logTerm: logTerm as Term,
    index: index as Index,
    entries,
    commit: commit as Index,
    snapshot,
    reject,
    rejectHint: rejectHint as Index,
    context,
    leaseRead,
  };
}

// ---------------------------------------------------------------------------------------------
// Whole messages

/** MessageBatch field 1, length-delimited. */
const BATCH_MESSAGES_TAG = tag(FIELDS.MessageBatch.messages, LEN);

/**
 * Builds MessageBatch bytes one message at a time, so that the caller can cut batches at a
 * byte budget; every message is sized once on append and written once on finish.
 */
export class BatchWriter {
  private messages: Message[] = [];
  private sizes: number[] = [];
  private total = 0;

  /** Encoded size so far. */
  get byteLength(): number {
    return this.total;
  }

  get messageCount(): number {
    return this.messages.length;
  }

  /** `size` is messageSize(m) when the caller already has it. Throws, leaving the batch as it
   *  was, when `m` cannot be encoded. */
  append(m: Message, size = messageSize(m)): void {
    this.messages.push(m);
    this.sizes.push(size);
    this.total += framedSize(size);
  }

  /** Returns the batch and resets the writer for the next one. */
  finish(): Buffer {
    const buf = Buffer.allocUnsafe(this.total);
    const w = new WireWriter(buf);
    const { messages, sizes } = this;
    for (let i = 0; i < messages.length; i++) {
      buf[w.pos++] = BATCH_MESSAGES_TAG;
      w.varint(sizes[i]!);
      w.message(messages[i]!);
    }
    if (w.pos !== buf.length) throw new Error(`batch encoder wrote ${w.pos} of ${buf.length} B`);
    this.messages = [];
    this.sizes = [];
    this.total = 0;
    return buf;
  }
}

export function encodeMessage(m: Message): Buffer {
  const buf = Buffer.allocUnsafe(messageSize(m));
  const w = new WireWriter(buf);
  w.message(m);
  if (w.pos !== buf.length) throw new Error(`message encoder wrote ${w.pos} of ${buf.length} B`);
  return buf;
}

export function decodeMessage(b: Uint8Array): Message {
  return readMessage(new WireReader(b, 0, b.length));
}

export function decodeBatch(b: Uint8Array): Message[] {
  const r = new WireReader(b, 0, b.length);
  const out: Message[] = [];
  while (!r.done()) {
    const t = r.tag();
    if (t >>> 3 === FIELDS.MessageBatch.messages) {
      expect(t, LEN, 'batch.messages');
      out.push(readMessage(r.sub()));
    } else {
      r.skip(t);
    }
  }
  return out;
}

/** One piece of a snapshot transfer; see SnapshotChunk in raft.proto. */
export interface SnapshotChunk {
  readonly from: NodeId;
  readonly to: NodeId;
  /** First chunk only: the MsgSnap whose snapshot data is carried by the chunks. */
  readonly message: Message | undefined;
  readonly offset: number;
  readonly totalSize: number;
  readonly data: Uint8Array;
  readonly chunkSha256: Uint8Array;
  readonly last: boolean;
  /** Last chunk only. */
  readonly snapshotSha256: Uint8Array;
}

export function encodeSnapshotChunk(c: SnapshotChunk): Buffer {
  const F = FIELDS.SnapshotChunk;
  const msgSize = c.message === undefined ? 0 : messageSize(c.message);
  const size =
    uintFieldSize(c.from) +
    uintFieldSize(c.to) +
    (c.message === undefined ? 0 : lenFieldSize(msgSize)) +
    uintFieldSize(c.offset) +
    uintFieldSize(c.totalSize) +
    (c.data.length === 0 ? 0 : lenFieldSize(c.data.length)) +
    (c.chunkSha256.length === 0 ? 0 : lenFieldSize(c.chunkSha256.length)) +
    (c.last ? 2 : 0) +
    (c.snapshotSha256.length === 0 ? 0 : lenFieldSize(c.snapshotSha256.length));
  const buf = Buffer.allocUnsafe(size);
  const w = new WireWriter(buf);
  w.uintField(F.from, c.from);
  w.uintField(F.to, c.to);
  if (c.message !== undefined) {
    w.lenPrefix(F.message, msgSize);
    w.message(c.message);
  }
  w.uintField(F.offset, c.offset);
  w.uintField(F.totalSize, c.totalSize);
  w.bytesField(F.data, c.data);
  w.bytesField(F.chunkSha256, c.chunkSha256);
  w.boolField(F.last, c.last);
  w.bytesField(F.snapshotSha256, c.snapshotSha256);
  if (w.pos !== size) throw new Error(`chunk encoder wrote ${w.pos} of ${size} B`);
  return buf;
}

export function decodeSnapshotChunk(b: Uint8Array): SnapshotChunk {
  const F = FIELDS.SnapshotChunk;
  const r = new WireReader(b, 0, b.length);
  let from = 0;
  let to = 0;
  let message: Message | undefined;
  let offset = 0;
  let totalSize = 0;
  let data: Uint8Array = EMPTY_BYTES;
  let chunkSha256: Uint8Array = EMPTY_BYTES;
  let last = false;
  let snapshotSha256: Uint8Array = EMPTY_BYTES;
  while (!r.done()) {
    const t = r.tag();
    switch (t >>> 3) {
      case F.from:
        expect(t, VARINT, 'chunk.from');
        from = r.varint();
        break;
      case F.to:
        expect(t, VARINT, 'chunk.to');
        to = r.varint();
        break;
      case F.message:
        expect(t, LEN, 'chunk.message');
        message = readMessage(r.sub());
        break;
      case F.offset:
        expect(t, VARINT, 'chunk.offset');
        offset = r.varint();
        break;
      case F.totalSize:
        expect(t, VARINT, 'chunk.totalSize');
        totalSize = r.varint();
        break;
      case F.data:
        expect(t, LEN, 'chunk.data');
        data = r.bytes();
        break;
      case F.chunkSha256:
        expect(t, LEN, 'chunk.chunkSha256');
        chunkSha256 = r.bytes();
        break;
      case F.last:
        expect(t, VARINT, 'chunk.last');
        last = bool(r);
        break;
      case F.snapshotSha256:
        expect(t, LEN, 'chunk.snapshotSha256');
        snapshotSha256 = r.bytes();
        break;
      default:
        r.skip(t);
    }
  }
  return {
    from: nodeIdValue(from, 'chunk.from'),
    to: nodeIdValue(to, 'chunk.to'),
    message,
    offset,
    totalSize,
    data,
    chunkSha256,
    last,
    snapshotSha256,
  };
}

export function encodeSnapshotAck(receivedBytes: number): Buffer {
  const buf = Buffer.allocUnsafe(uintFieldSize(receivedBytes));
  new WireWriter(buf).uintField(FIELDS.SnapshotAck.receivedBytes, receivedBytes);
  return buf;
}

export function decodeSnapshotAck(b: Uint8Array): { receivedBytes: number } {
  const r = new WireReader(b, 0, b.length);
  let receivedBytes = 0;
  while (!r.done()) {
    const t = r.tag();
    if (t >>> 3 === FIELDS.SnapshotAck.receivedBytes) {
      expect(t, VARINT, 'ack.receivedBytes');
      receivedBytes = r.varint();
    } else {
      r.skip(t);
    }
  }
  return { receivedBytes };
}

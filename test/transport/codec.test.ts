import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import {
  CAMPAIGN_TRANSFER,
  EMPTY_BYTES,
  index,
  message,
  nodeId,
  term,
  type Message,
  type MessageType,
  type Snapshot,
} from '../../src/raft/index.js';
import {
  ALL_MESSAGE_TYPES,
  BatchWriter,
  RAFT_PROTO_PATH,
  loadRaftProto,
  TransportDecodeError,
  decodeBatch,
  decodeMessage,
  decodeSnapshotAck,
  decodeSnapshotChunk,
  encodeBatch,
  encodeMessage,
  encodeSnapshotAck,
  encodeSnapshotChunk,
} from '../../src/transport/codec.js';
import { entries } from './helpers.js';

const MAX = Number.MAX_SAFE_INTEGER;

const u = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 32 }), fc.maxSafeNat());
const id = fc.integer({ min: 1, max: MAX });
const arbBytes = fc.uint8Array({ maxLength: 80 });
const arbitraryMessage: fc.Arbitrary<Message> = fc
  .record({
    type: fc.constantFrom(...ALL_MESSAGE_TYPES),
    to: u,
    from: u,
    term: u,
    logTerm: u,
    index: u,
    entries: fc.array(
      fc.record({
        term: u,
        index: u,
        type: fc.constantFrom(0 as const, 1 as const),
        data: arbBytes,
      }),
      { maxLength: 5 },
    ),
    commit: u,
    snapshot: fc.option(
      fc.record({
        metadata: fc.record({
          index: u,
          term: u,
          confState: fc.record({
            voters: fc.array(id, { maxLength: 5 }),
            learners: fc.array(id, { maxLength: 3 }),
            votersOutgoing: fc.array(id, { maxLength: 5 }),
            learnersNext: fc.array(id, { maxLength: 3 }),
            autoLeave: fc.boolean(),
          }),
        }),
        data: arbBytes,
      }),
      { nil: undefined },
    ),
    reject: fc.boolean(),
    rejectHint: u,
    context: arbBytes,
    leaseRead: fc.boolean(),
  })
  // The arbitraries produce plain numbers; the core's branded types are the same at runtime.
  .map((m) => m as unknown as Message);

/** Every byte value, so that no encoding step can mangle binary data unnoticed. */
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);

const SNAPSHOT: Snapshot = {
  metadata: {
    index: index(MAX - 1),
    term: term(2 ** 40 + 3),
    confState: {
      voters: [nodeId(1), nodeId(2), nodeId(2 ** 33)],
      learners: [nodeId(7)],
      votersOutgoing: [nodeId(1), nodeId(4)],
      learnersNext: [nodeId(4)],
      autoLeave: true,
    },
  },
  data: ALL_BYTES,
};

/** A message of `type` with every field set to something other than its zero value. */
function fullMessage(type: MessageType): Message {
  return message({
    type,
    to: nodeId(2),
    from: nodeId(MAX),
    term: term(MAX),
    logTerm: term(2 ** 32),
    index: index(2 ** 32 - 1),
    entries: [
      { term: term(1), index: index(2 ** 53 - 2), type: 0, data: ALL_BYTES },
      { term: term(MAX), index: index(2 ** 53 - 1), type: 1, data: EMPTY_BYTES },
    ],
    commit: index(123_456_789_012),
    snapshot: SNAPSHOT,
    reject: true,
    rejectHint: index(77),
    context: CAMPAIGN_TRANSFER,
    leaseRead: true,
  });
}

/** What the decoder returns is plain data: compare it field by field, bytes as arrays. */
function roundTrip(m: Message): Message {
  return decodeMessage(encodeMessage(m));
}

/** Plain data for comparisons: byte arrays (Buffer or Uint8Array) become number arrays. */
function normalize(v: unknown): unknown {
  if (v instanceof Uint8Array) return Array.from(v);
  if (Array.isArray(v)) return v.map(normalize);
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  }
  return v;
}

describe('codec', () => {
  it('finds raft.proto from the compiled file', () => {
    assert.match(RAFT_PROTO_PATH, /proto[/\\]raft\.proto$/);
  });

  for (const type of ALL_MESSAGE_TYPES) {
    it(`round-trips ${type} with every field set`, () => {
      const m = fullMessage(type);
      assert.deepEqual(roundTrip(m), m);
    });

    it(`round-trips ${type} with every field at its zero value`, () => {
      const m = message({ type });
      assert.deepEqual(roundTrip(m), m);
    });
  }

  it('covers every wire type of the core', () => {
    assert.equal(ALL_MESSAGE_TYPES.length, 19);
    assert.equal(new Set(ALL_MESSAGE_TYPES).size, 19);
  });

  it('keeps a present but empty snapshot apart from an absent one', () => {
    const empty: Snapshot = {
      metadata: {
        index: index(0),
        term: term(0),
        confState: {
          voters: [],
          learners: [],
          votersOutgoing: [],
          learnersNext: [],
          autoLeave: false,
        },
      },
      data: EMPTY_BYTES,
    };
    const withEmpty = message({ type: 'MsgSnap', snapshot: empty });
    assert.deepEqual(roundTrip(withEmpty).snapshot, empty);
    assert.equal(roundTrip(message({ type: 'MsgSnap' })).snapshot, undefined);
  });

  it('returns plain Uint8Arrays, not Buffers', () => {
    const m = roundTrip(fullMessage('MsgApp'));
    assert.equal(Object.getPrototypeOf(m.entries[0]!.data), Uint8Array.prototype);
    assert.equal(Object.getPrototypeOf(m.context), Uint8Array.prototype);
    assert.equal(Object.getPrototypeOf(m.snapshot!.data), Uint8Array.prototype);
  });

  it('encodes a heartbeat in a few bytes', () => {
    const hb = message({
      type: 'MsgHeartbeat',
      to: nodeId(2),
      from: nodeId(1),
      term: term(5),
      commit: index(100),
    });
    assert.ok(encodeMessage(hb).length <= 12, `${encodeMessage(hb).length} bytes`);
  });

  it('round-trips batches, built at once or message by message', () => {
    const msgs = ALL_MESSAGE_TYPES.map(fullMessage);
    assert.deepEqual(decodeBatch(encodeBatch(msgs)), msgs);
    assert.deepEqual(decodeBatch(encodeBatch([])), []);

    const w = new BatchWriter();
    for (const m of msgs.slice(0, 3)) w.append(m);
    assert.equal(w.messageCount, 3);
    const first = w.finish();
    assert.equal(w.messageCount, 0);
    assert.equal(w.byteLength, 0);
    w.append(msgs[3]!);
    assert.deepEqual(decodeBatch(first), msgs.slice(0, 3));
    assert.deepEqual(decodeBatch(w.finish()), [msgs[3]]);
  });

  it('round-trips MsgApp with 64 entries of 64 bytes', () => {
    const m = message({
      type: 'MsgApp',
      to: nodeId(2),
      from: nodeId(1),
      term: term(3),
      index: index(1000),
      entries: entries(1001, 64, 64),
    });
    assert.deepEqual(roundTrip(m), m);
  });

  it('round-trips snapshot chunks and acks', () => {
    const header = message({
      type: 'MsgSnap',
      to: nodeId(2),
      from: nodeId(1),
      term: term(9),
      snapshot: { metadata: SNAPSHOT.metadata, data: EMPTY_BYTES },
    });
    const chunk = {
      from: nodeId(1),
      to: nodeId(2),
      message: header,
      offset: 2 ** 40,
      totalSize: MAX,
      data: ALL_BYTES,
      chunkSha256: new Uint8Array(32).fill(7),
      last: true,
      snapshotSha256: new Uint8Array(32).fill(9),
    };
    assert.deepEqual(decodeSnapshotChunk(encodeSnapshotChunk(chunk)), chunk);
    const middle = { ...chunk, message: undefined, last: false, snapshotSha256: EMPTY_BYTES };
    assert.deepEqual(decodeSnapshotChunk(encodeSnapshotChunk(middle)), middle);
    assert.deepEqual(decodeSnapshotAck(encodeSnapshotAck(5 * 2 ** 40)), {
      receivedBytes: 5 * 2 ** 40,
    });
  });

  it('round-trips arbitrary messages (property)', () => {
    fc.assert(
      fc.property(fc.array(arbitraryMessage, { maxLength: 4 }), (msgs) => {
        assert.deepEqual(decodeBatch(encodeBatch(msgs)).map(normalize), msgs.map(normalize));
      }),
      { numRuns: 300 },
    );
  });

  describe('agrees with protobufjs reading raft.proto', () => {
    const root = loadRaftProto();
    const MessagePb = root.lookupType('redraft.raft.v1.Message');
    const ChunkPb = root.lookupType('redraft.raft.v1.SnapshotChunk');
    const toObjectOptions = { longs: Number, enums: Number, defaults: true, arrays: true };

    /** The core's Message as protobufjs sees it: same names, the type as its enum value. */
    function asPbObject(m: Message): Record<string, unknown> {
      return { ...m, type: ALL_MESSAGE_TYPES.indexOf(m.type) + 1 };
    }

    /** A protobufjs toObject() result in the core's shape. */
    function fromPbObject(o: Record<string, unknown>): unknown {
      const { type, snapshot, ...rest } = o;
      const plain = {
        ...rest,
        type: ALL_MESSAGE_TYPES[(type as number) - 1],
        snapshot: snapshot ?? undefined,
      };
      return normalize(plain);
    }

    it('protobufjs decodes our bytes to the same values', () => {
      fc.assert(
        fc.property(arbitraryMessage, (m) => {
          const decoded = MessagePb.toObject(MessagePb.decode(encodeMessage(m)), toObjectOptions);
          assert.deepEqual(fromPbObject(decoded), normalize(m));
        }),
        { numRuns: 300 },
      );
    });

    it('we decode protobufjs bytes (zero fields written, ids packed) to the same values', () => {
      fc.assert(
        fc.property(arbitraryMessage, (m) => {
          const bytes = MessagePb.encode(MessagePb.fromObject(asPbObject(m))).finish();
          assert.deepEqual(normalize(decodeMessage(bytes)), normalize(m));
        }),
        { numRuns: 300 },
      );
    });

    it('agrees on snapshot chunks', () => {
      const chunk = {
        from: nodeId(3),
        to: nodeId(2 ** 40),
        message: fullMessage('MsgSnap'),
        offset: 2 ** 33,
        totalSize: 2 ** 34,
        data: ALL_BYTES,
        chunkSha256: new Uint8Array(32).fill(1),
        last: true,
        snapshotSha256: new Uint8Array(32).fill(2),
      };
      const o = ChunkPb.toObject(ChunkPb.decode(encodeSnapshotChunk(chunk)), toObjectOptions);
      assert.equal(o.from, 3);
      assert.equal(o.to, 2 ** 40);
      assert.equal(o.offset, 2 ** 33);
      assert.equal(o.totalSize, 2 ** 34);
      assert.equal(o.last, true);
      assert.deepEqual(
        fromPbObject(o.message as Record<string, unknown>),
        normalize(chunk.message),
      );
      const back = ChunkPb.encode(
        ChunkPb.fromObject({ ...chunk, message: asPbObject(chunk.message) }),
      ).finish();
      assert.deepEqual(normalize(decodeSnapshotChunk(back).message!), normalize(chunk.message));
    });

    it('skips unknown fields and reads unpacked ids and any field order', () => {
      const w = protobuf.Writer.create();
      w.uint32((99 << 3) | 2).bytes(Uint8Array.from([1, 2, 3])); // unknown, length-delimited
      w.uint32((98 << 3) | 0).uint64('18446744073709551615'); // unknown, full 64-bit varint
      w.uint32((97 << 3) | 1).fixed64(7); // unknown, fixed64
      w.uint32((96 << 3) | 5).fixed32(7); // unknown, fixed32
      w.uint32((4 << 3) | 0).uint32(9); // term before type
      // snapshot { metadata { conf_state { voters: 1, voters: 2 (unpacked), learners: [3] } } }
      const cs = protobuf.Writer.create();
      cs.uint32((1 << 3) | 0).uint32(1);
      cs.uint32((1 << 3) | 0).uint32(2);
      cs.uint32((2 << 3) | 2)
        .fork()
        .uint32(3)
        .ldelim();
      const md = protobuf.Writer.create()
        .uint32((3 << 3) | 2)
        .bytes(cs.finish())
        .finish();
      const snap = protobuf.Writer.create()
        .uint32((1 << 3) | 2)
        .bytes(md)
        .finish();
      w.uint32((9 << 3) | 2).bytes(snap);
      w.uint32((1 << 3) | 0).uint32(14); // type: MSG_HEARTBEAT, last
      const m = decodeMessage(w.finish());
      assert.equal(m.type, 'MsgHeartbeat');
      assert.equal(m.term, 9);
      assert.deepEqual(m.snapshot?.metadata.confState.voters, [1, 2]);
      assert.deepEqual(m.snapshot.metadata.confState.learners, [3]);
    });
  });

  describe('rejects bad input', () => {
    const root = loadRaftProto();
    const MessagePb = root.lookupType('redraft.raft.v1.Message');
    const raw = (fields: Record<string, unknown>): Uint8Array =>
      MessagePb.encode(MessagePb.fromObject(fields)).finish();

    const cases: [string, Uint8Array][] = [
      ['garbage', Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01])],
      ['a truncated message', encodeMessage(fullMessage('MsgApp')).subarray(0, 40)],
      ['an unspecified type', raw({ type: 0 })],
      ['an unknown type', raw({ type: 99 })],
      ['a term beyond 2^53 - 1', raw({ type: 7, term: '9007199254740992' })],
      ['an index of 2^64 - 1', raw({ type: 7, index: '18446744073709551615' })],
      ['an unknown entry type', raw({ type: 7, entries: [{ type: 5 }] })],
      ['no type', raw({ term: 5 })],
      ['a length beyond the input', Uint8Array.from([0x08, 0x07, 0x62, 0x05, 0x01])],
      [
        'an 11-byte varint',
        Uint8Array.from([0x08, 0x07, 0x20, ...Array<number>(10).fill(0xff), 1]),
      ],
      ['field number 0', Uint8Array.from([0x08, 0x07, 0x00, 0x01])],
      ['a known field with the wrong wire type', Uint8Array.from([0x08, 0x07, 0x22, 0x01, 0x00])],
      ['a group', Uint8Array.from([0x08, 0x07, 0x0b, 0x0c])],
      ['a truncated fixed64', Uint8Array.from([0x08, 0x07, 0xf9, 0x06, 0x01])],
      [
        'node id 0 in a conf state',
        raw({ type: 13, snapshot: { metadata: { confState: { voters: [0] } } } }),
      ],
    ];
    for (const [name, bytes] of cases) {
      it(name, () => {
        assert.throws(() => decodeMessage(bytes), TransportDecodeError);
        // The same bytes inside a batch fail the same way.
        const w = protobuf.Writer.create();
        w.uint32(0x0a).bytes(bytes);
        assert.throws(() => decodeBatch(w.finish()), TransportDecodeError);
      });
    }

    it('a chunk without from/to', () => {
      assert.throws(() => decodeSnapshotChunk(new Uint8Array(0)), TransportDecodeError);
    });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EntryType, index, nodeId, term, type SnapshotMetadata } from '../../src/raft/index.js';
import {
  DecodeError,
  crc32,
  decodeEntry,
  decodeHardState,
  decodeSnapshotMetadata,
  encodeEntry,
  encodeHardState,
  encodeSnapshotMetadata,
} from '../../src/storage/index.js';
import { bytes, entry, plain } from './helpers.js';

describe('storage codec', () => {
  it('computes the standard CRC-32 (zlib) check value', () => {
    assert.equal(crc32(bytes('123456789')), 0xcbf43926);
    assert.equal(crc32(new Uint8Array(0)), 0);
  });

  it('round-trips entries of both types, up to the largest safe term', () => {
    const cases = [
      entry(1, 1, ''),
      entry(2, Number.MAX_SAFE_INTEGER, new Uint8Array(1000).fill(0xab)),
      { ...entry(3, 7, 'cc'), type: EntryType.ConfChange },
    ];
    for (const e of cases) {
      assert.deepEqual(plain(decodeEntry(e.index, encodeEntry(e))), plain(e));
    }
  });

  it('rejects truncated, extended, bit-flipped and unknown-version entries', () => {
    const good = encodeEntry(entry(1, 3, 'payload'));
    const flipped = good.slice();
    flipped[20] = flipped[20]! ^ 0x04;
    const version = good.slice();
    version[0] = 9;
    const type = good.slice();
    type[1] = 5;
    for (const [name, bad] of [
      ['truncated header', good.subarray(0, 10)],
      ['truncated data', good.subarray(0, good.length - 1)],
      ['extended', new Uint8Array([...good, 0])],
      ['flipped', flipped],
      ['version', version],
      ['type', type],
      ['empty', new Uint8Array(0)],
    ] as const) {
      assert.throws(() => decodeEntry(index(1), bad), DecodeError, name);
    }
  });

  it('round-trips hard state and snapshot metadata, and rejects damage', () => {
    const hs = { term: term(12), vote: nodeId(3), commit: index(2 ** 40) };
    assert.deepEqual(decodeHardState(encodeHardState(hs)), hs);
    const meta: SnapshotMetadata = {
      index: index(99),
      term: term(4),
      confState: {
        voters: [nodeId(1), nodeId(2)],
        learners: [],
        votersOutgoing: [nodeId(1)],
        learnersNext: [nodeId(5)],
        autoLeave: true,
      },
    };
    const raw = encodeSnapshotMetadata(meta);
    assert.deepEqual(decodeSnapshotMetadata(raw), meta);
    const bad = raw.slice();
    bad[5] = bad[5]! ^ 1;
    assert.throws(() => decodeSnapshotMetadata(bad), /checksum mismatch/);
    assert.throws(() => decodeHardState(encodeHardState(hs).subarray(0, 3)), /truncated/);
  });
});

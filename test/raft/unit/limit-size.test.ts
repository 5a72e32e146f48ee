import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ENTRY_OVERHEAD_BYTES,
  EntryType,
  entriesSize,
  entrySize,
  index,
  limitSize,
  term,
  type Entry,
} from '../../../src/raft/index.js';

function ent(i: number, bytes: number): Entry {
  return { index: index(i), term: term(1), type: EntryType.Normal, data: new Uint8Array(bytes) };
}

describe('limitSize', () => {
  const es = [ent(1, 100), ent(2, 100), ent(3, 100), ent(4, 100)];
  const one = 100 + ENTRY_OVERHEAD_BYTES;

  it('an entry counts its payload plus a fixed overhead', () => {
    assert.equal(entrySize(ent(1, 100)), one);
    assert.equal(entriesSize(es), 4 * one);
  });

  it('keeps the longest prefix within the limit', () => {
    assert.equal(limitSize(es, 4 * one).length, 4);
    assert.equal(limitSize(es, 4 * one - 1).length, 3);
    assert.equal(limitSize(es, 2 * one).length, 2);
    assert.equal(limitSize(es, 2 * one + one / 2).length, 2);
  });

  it('never returns nothing for a non-empty input: one oversized entry still goes', () => {
    assert.deepEqual(limitSize(es, 0), [es[0]]);
    assert.deepEqual(limitSize([ent(1, 10_000)], 10), [ent(1, 10_000)]);
  });

  it('returns an empty input as is', () => {
    assert.deepEqual(limitSize([], 0), []);
  });
});

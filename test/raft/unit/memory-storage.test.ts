import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CompactedError,
  EntryType,
  MemoryStorage,
  SnapshotOutOfDateError,
  UnavailableError,
  entrySize,
  index,
  nodeId,
  term,
  type ConfState,
  type Entry,
} from '../../../src/raft/index.js';

function ent(i: number, t: number, data = ''): Entry {
  return {
    index: index(i),
    term: term(t),
    type: EntryType.Normal,
    data: new TextEncoder().encode(data),
  };
}

const cs: ConfState = {
  voters: [nodeId(1), nodeId(2), nodeId(3)],
  learners: [],
  votersOutgoing: [],
  learnersNext: [],
  autoLeave: false,
};

/** Entries 1..5 with terms 1,1,2,2,3, compacted at index 2 (so entries 3..5 remain). */
function compacted(): MemoryStorage {
  const s = MemoryStorage.bootstrap(cs);
  s.append([ent(1, 1), ent(2, 1), ent(3, 2), ent(4, 2), ent(5, 3)]);
  s.compact(index(2));
  return s;
}

describe('MemoryStorage', () => {
  it('a bootstrapped storage is empty and carries the initial membership', () => {
    const s = MemoryStorage.bootstrap(cs);
    assert.equal(s.firstIndex(), 1);
    assert.equal(s.lastIndex(), 0);
    assert.equal(s.term(index(0)), 0);
    assert.deepEqual(s.initialState().confState, cs);
    assert.deepEqual(s.initialState().hardState, { term: 0, vote: 0, commit: 0 });
  });

  it('term: the compaction point is known, below it is compacted, past the end unavailable', () => {
    const s = compacted();
    assert.equal(s.firstIndex(), 3);
    assert.equal(s.lastIndex(), 5);
    assert.equal(s.term(index(2)), 1);
    assert.equal(s.term(index(5)), 3);
    assert.throws(() => s.term(index(1)), CompactedError);
    assert.throws(() => s.term(index(6)), UnavailableError);
  });

  it('entries: compacted below firstIndex, unavailable past lastIndex, limited by bytes', () => {
    const s = compacted();
    assert.deepEqual(
      s.entries(index(3), index(6), Infinity).map((e) => e.index),
      [3, 4, 5],
    );
    assert.throws(() => s.entries(index(2), index(4), Infinity), CompactedError);
    assert.throws(() => s.entries(index(3), index(7), Infinity), UnavailableError);
    const size = entrySize(ent(3, 2));
    assert.deepEqual(
      s.entries(index(3), index(6), 2 * size).map((e) => e.index),
      [3, 4],
    );
    assert.deepEqual(
      s.entries(index(3), index(6), 0).map((e) => e.index),
      [3],
      'at least one',
    );
  });

  it('compact: refuses to compact twice or past the end', () => {
    const s = compacted();
    assert.throws(() => s.compact(index(2)), CompactedError);
    assert.throws(() => s.compact(index(6)), UnavailableError);
    s.compact(index(5));
    assert.equal(s.firstIndex(), 6);
    assert.equal(s.lastIndex(), 5);
    assert.equal(s.term(index(5)), 3);
  });

  it('append: overwrites a conflicting suffix, skips compacted entries, refuses gaps', () => {
    const s = compacted();
    s.append([ent(4, 4), ent(5, 4), ent(6, 4)]);
    assert.deepEqual(
      [4, 5, 6].map((i) => s.term(index(i))),
      [4, 4, 4],
    );
    s.append([ent(5, 5)]);
    assert.equal(s.lastIndex(), 5, 'the suffix after the overwritten entry is gone');
    assert.equal(s.term(index(5)), 5);
    s.append([ent(1, 1), ent(2, 1), ent(3, 2), ent(4, 4)]); // only 3 and 4 are not compacted
    assert.equal(s.firstIndex(), 3);
    assert.equal(s.lastIndex(), 4);
    s.append([ent(1, 1)]); // entirely compacted: a no-op
    assert.equal(s.lastIndex(), 4);
    assert.throws(() => s.append([ent(6, 5)]), UnavailableError);
  });

  it('createSnapshot records index, term, membership and data; older ones are refused', () => {
    const s = compacted();
    const data = new Uint8Array([1, 2, 3]);
    const snap = s.createSnapshot(index(4), cs, data);
    assert.equal(snap.metadata.index, 4);
    assert.equal(snap.metadata.term, 2);
    assert.deepEqual(snap.metadata.confState, cs);
    assert.deepEqual(snap.data, data);
    assert.equal(s.snapshot(), snap);
    assert.throws(() => s.createSnapshot(index(4), cs), SnapshotOutOfDateError);
    assert.throws(() => s.createSnapshot(index(3), cs), SnapshotOutOfDateError);
    assert.throws(() => s.createSnapshot(index(9), cs), UnavailableError);
    // Creating a snapshot does not compact by itself.
    assert.equal(s.firstIndex(), 3);
  });

  it('createSnapshot without a membership keeps the current one', () => {
    // Forgetting the membership would leave a follower restoring the snapshot (or this node
    // restarting from it) with no voters at all.
    const s = MemoryStorage.bootstrap(cs);
    s.append([ent(1, 1), ent(2, 1)]);
    const snap = s.createSnapshot(index(2));
    assert.deepEqual(snap.metadata.confState, cs);
    assert.deepEqual(s.initialState().confState, cs);
  });

  it('applySnapshot replaces the content; a stale snapshot is refused', () => {
    const s = compacted();
    const snap = {
      metadata: { index: index(10), term: term(7), confState: cs },
      data: new Uint8Array(0),
    };
    s.applySnapshot(snap);
    assert.equal(s.firstIndex(), 11);
    assert.equal(s.lastIndex(), 10);
    assert.equal(s.term(index(10)), 7);
    assert.equal(s.snapshot(), snap);
    assert.throws(() => s.applySnapshot(snap), SnapshotOutOfDateError);
    s.append([ent(11, 7)]);
    assert.equal(s.lastIndex(), 11);
  });

  it('keeps the hard state it is given', () => {
    const s = new MemoryStorage();
    const hs = { term: term(3), vote: nodeId(2), commit: index(0) };
    s.setHardState(hs);
    assert.deepEqual(s.getHardState(), hs);
    assert.deepEqual(s.initialState().hardState, hs);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RaftLog } from '../../../src/raft/raft-log.js';
import { Unstable } from '../../../src/raft/unstable.js';
import {
  CompactedError,
  EMPTY_CONF_STATE,
  EntryType,
  MemoryStorage,
  RaftInvariantError,
  entrySize,
  index,
  term,
  type Entry,
  type Snapshot,
} from '../../../src/raft/index.js';

function ent(i: number, t: number, data = ''): Entry {
  return {
    index: index(i),
    term: term(t),
    type: EntryType.Normal,
    data: new TextEncoder().encode(data),
  };
}

/** Entries first..first+terms.length-1 with the given terms. */
function ents(first: number, ...terms: number[]): Entry[] {
  return terms.map((t, i) => ent(first + i, t));
}

function snapshot(i: number, t: number): Snapshot {
  return {
    metadata: { index: index(i), term: term(t), confState: EMPTY_CONF_STATE },
    data: new Uint8Array(0),
  };
}

/** A log whose first `stable` entries are in storage and the rest unstable. */
function logWith(terms: number[], stable = terms.length): RaftLog {
  const storage = new MemoryStorage();
  storage.append(ents(1, ...terms.slice(0, stable)));
  const log = new RaftLog(storage, Number.MAX_SAFE_INTEGER);
  log.append(ents(stable + 1, ...terms.slice(stable)));
  return log;
}

const termsOf = (es: readonly Entry[]): number[] => es.map((e) => e.term);

describe('RaftLog', () => {
  it('spans storage and the unstable tail', () => {
    const log = logWith([1, 1, 2, 3], 2);
    assert.equal(log.firstIndex(), 1);
    assert.equal(log.lastIndex(), 4);
    assert.equal(log.lastTerm(), 3);
    assert.deepEqual(termsOf(log.slice(index(1), index(5), Infinity)), [1, 1, 2, 3]);
    assert.deepEqual(termsOf(log.slice(index(2), index(4), Infinity)), [1, 2]);
    assert.deepEqual(termsOf(log.unstableEntries()), [2, 3]);
  });

  it('termOrUndefined covers [firstIndex-1, lastIndex] and nothing else', () => {
    const storage = new MemoryStorage();
    storage.append(ents(1, 1, 1, 2, 2, 3));
    storage.compact(index(2));
    const log = new RaftLog(storage, Infinity);
    assert.equal(log.termOrUndefined(index(1)), undefined, 'compacted');
    assert.equal(log.termOrUndefined(index(2)), 1, 'the compaction point keeps its term');
    assert.equal(log.termOrUndefined(index(5)), 3);
    assert.equal(log.termOrUndefined(index(6)), undefined, 'beyond the log');
  });

  describe('maybeAppend (the AppendEntries consistency check, §5.3)', () => {
    it('refuses when the previous entry does not match', () => {
      const log = logWith([1, 2, 3]);
      assert.equal(log.maybeAppend(index(3), term(2), index(3), ents(4, 4)), undefined);
      assert.equal(log.maybeAppend(index(4), term(3), index(3), ents(5, 4)), undefined, 'gap');
      assert.equal(log.lastIndex(), 3);
      assert.equal(log.committed, 0);
    });

    it('appends new entries and commits up to min(leader commit, last new)', () => {
      const log = logWith([1, 2, 3]);
      assert.equal(log.maybeAppend(index(3), term(3), index(10), ents(4, 3, 3)), 5);
      assert.equal(log.lastIndex(), 5);
      assert.equal(log.committed, 5, 'never past the last new entry');
      assert.equal(log.maybeAppend(index(2), term(2), index(4), []), 2);
      assert.equal(log.committed, 5, 'commit never moves back');
    });

    it('keeps a matching suffix: an old, shorter append does not truncate the log', () => {
      const log = logWith([1, 2, 3, 3]);
      assert.equal(log.maybeAppend(index(1), term(1), index(0), ents(2, 2)), 2);
      assert.deepEqual(termsOf(log.allEntries()), [1, 2, 3, 3]);
    });

    it('overwrites the conflicting suffix from the first conflict on', () => {
      const log = logWith([1, 2, 2, 2]);
      assert.equal(log.maybeAppend(index(2), term(2), index(0), ents(3, 2, 4)), 4);
      assert.deepEqual(termsOf(log.allEntries()), [1, 2, 2, 4]);
      assert.equal(log.maybeAppend(index(1), term(1), index(0), ents(2, 5)), 2);
      assert.deepEqual(termsOf(log.allEntries()), [1, 5], 'everything after the conflict is gone');
    });

    it('refuses to overwrite a committed entry', () => {
      const log = logWith([1, 2, 2]);
      log.commitTo(index(3));
      assert.throws(
        () => log.maybeAppend(index(1), term(1), index(3), ents(2, 3)),
        RaftInvariantError,
      );
    });
  });

  it('findConflict returns the first new or mismatching index, or 0', () => {
    const log = logWith([1, 2, 3]);
    assert.equal(log.findConflict([]), 0);
    assert.equal(log.findConflict(ents(1, 1, 2, 3)), 0);
    assert.equal(log.findConflict(ents(2, 2, 3, 4)), 4, 'new');
    assert.equal(log.findConflict(ents(2, 2, 4)), 3, 'mismatch');
    assert.equal(log.findConflict(ents(1, 4, 4)), 1);
  });

  it('findConflictByTerm returns the last index <= i whose term <= t', () => {
    const log = logWith([1, 1, 2, 2, 2, 5, 5]);
    assert.deepEqual(log.findConflictByTerm(index(7), term(5)), { index: 7, term: 5 });
    assert.deepEqual(log.findConflictByTerm(index(7), term(4)), { index: 5, term: 2 });
    assert.deepEqual(log.findConflictByTerm(index(7), term(1)), { index: 2, term: 1 });
    assert.deepEqual(log.findConflictByTerm(index(4), term(3)), { index: 4, term: 2 });
    assert.deepEqual(log.findConflictByTerm(index(7), term(0)), { index: 0, term: 0 });
  });

  it('findConflictByTerm stops at the compaction point with term 0 (unknown)', () => {
    const storage = new MemoryStorage();
    storage.append(ents(1, 3, 3, 3, 4, 4));
    storage.compact(index(3));
    const log = new RaftLog(storage, Infinity);
    // Index 3 is the compaction point: its term (3) is known; below it nothing is.
    assert.deepEqual(log.findConflictByTerm(index(5), term(3)), { index: 3, term: 3 });
    assert.deepEqual(log.findConflictByTerm(index(5), term(2)), { index: 2, term: 0 });
  });

  it('isUpToDate compares last terms first, then lengths (§5.4.1)', () => {
    const log = logWith([1, 2, 2]);
    assert.equal(log.isUpToDate(index(1), term(3)), true, 'higher last term wins, even if shorter');
    assert.equal(log.isUpToDate(index(9), term(1)), false, 'lower last term loses, even if longer');
    assert.equal(log.isUpToDate(index(3), term(2)), true, 'equal is up to date');
    assert.equal(log.isUpToDate(index(4), term(2)), true);
    assert.equal(log.isUpToDate(index(2), term(2)), false);
  });

  it('maybeCommit commits only an entry of the given term (§5.4.2)', () => {
    const log = logWith([1, 1, 2]);
    assert.equal(log.maybeCommit(index(2), term(2)), false, 'entry 2 is of term 1');
    assert.equal(log.committed, 0);
    assert.equal(log.maybeCommit(index(3), term(2)), true);
    assert.equal(log.committed, 3);
    assert.equal(log.maybeCommit(index(2), term(1)), false, 'never moves back');
  });

  it('commitTo refuses to commit beyond the log', () => {
    const log = logWith([1]);
    assert.throws(() => log.commitTo(index(2)), RaftInvariantError);
  });

  it('appliedTo stays within [applied, committed]', () => {
    const log = logWith([1, 1, 1]);
    log.commitTo(index(2));
    assert.throws(() => log.appliedTo(index(3)), RaftInvariantError);
    log.appliedTo(index(2));
    assert.throws(() => log.appliedTo(index(1)), RaftInvariantError);
  });

  it('nextCommittedEnts hands out committed, unapplied entries within the byte budget', () => {
    const storage = new MemoryStorage();
    storage.append([ent(1, 1, 'aaaa'), ent(2, 1, 'bbbb'), ent(3, 1, 'cccc')]);
    const log = new RaftLog(storage, 2 * entrySize(ent(1, 1, 'aaaa')));
    log.commitTo(index(3));
    assert.equal(log.hasNextCommittedEnts(), true);
    assert.deepEqual(
      log.nextCommittedEnts().map((e) => e.index),
      [1, 2],
    );
    log.appliedTo(index(2));
    assert.deepEqual(
      log.nextCommittedEnts().map((e) => e.index),
      [3],
    );
    log.appliedTo(index(3));
    assert.equal(log.hasNextCommittedEnts(), false);
    assert.deepEqual(log.nextCommittedEnts(), []);
  });

  it('slice honours the byte limit across storage and unstable, but returns at least one entry', () => {
    const storage = new MemoryStorage();
    storage.append([ent(1, 1, 'x'.repeat(10)), ent(2, 1, 'x'.repeat(10))]);
    const log = new RaftLog(storage, Infinity);
    log.append([ent(3, 1, 'x'.repeat(10)), ent(4, 1, 'x'.repeat(100))]);
    const one = entrySize(ent(1, 1, 'x'.repeat(10)));
    assert.deepEqual(
      log.slice(index(1), index(5), 3 * one).map((e) => e.index),
      [1, 2, 3],
    );
    assert.deepEqual(
      log.slice(index(1), index(5), one + 1).map((e) => e.index),
      [1],
    );
    assert.deepEqual(
      log.slice(index(4), index(5), 1).map((e) => e.index),
      [4],
      'oversized entry',
    );
    assert.throws(() => log.slice(index(0), index(2), Infinity), CompactedError);
    assert.throws(() => log.slice(index(1), index(6), Infinity), RaftInvariantError);
  });

  it('stableTo drops entries from the unstable tail once they are persisted', () => {
    const log = logWith([1, 1, 2, 2], 2);
    log.stableTo(index(3), term(2));
    assert.deepEqual(termsOf(log.unstableEntries()), [2]);
    log.stableTo(index(4), term(9)); // a stale confirmation (the entry was overwritten)
    assert.deepEqual(termsOf(log.unstableEntries()), [2]);
  });

  it('restore replaces the log with a snapshot and commits its index', () => {
    const log = logWith([1, 1, 2]);
    log.restore(snapshot(10, 4));
    assert.equal(log.committed, 10);
    assert.equal(log.firstIndex(), 11);
    assert.equal(log.lastIndex(), 10);
    assert.equal(log.lastTerm(), 4);
    assert.equal(log.hasPendingSnapshot(), true);
    assert.deepEqual(log.nextCommittedEnts(), [], 'nothing to apply before the snapshot');
  });
});

describe('Unstable', () => {
  it('truncateAndAppend: plain append, replace all, and truncate in the middle', () => {
    const u = new Unstable(index(5));
    u.truncateAndAppend(ents(5, 1, 1));
    assert.deepEqual(termsOf(u.entries), [1, 1]);
    u.truncateAndAppend(ents(7, 2));
    assert.deepEqual(termsOf(u.entries), [1, 1, 2]);
    u.truncateAndAppend(ents(6, 3, 3));
    assert.deepEqual(termsOf(u.entries), [1, 3, 3]);
    assert.equal(u.offset, 5);
    u.truncateAndAppend(ents(4, 4));
    assert.equal(u.offset, 4);
    assert.deepEqual(termsOf(u.entries), [4]);
  });

  it('maybeTerm, maybeFirstIndex and maybeLastIndex', () => {
    const u = new Unstable(index(5));
    assert.equal(u.maybeLastIndex(), undefined);
    assert.equal(u.maybeFirstIndex(), undefined);
    u.truncateAndAppend(ents(5, 2, 3));
    assert.equal(u.maybeLastIndex(), 6);
    assert.equal(u.maybeTerm(index(6)), 3);
    assert.equal(u.maybeTerm(index(4)), undefined);
    assert.equal(u.maybeTerm(index(7)), undefined);
    u.restore(snapshot(9, 4));
    assert.equal(u.maybeFirstIndex(), 10);
    assert.equal(u.maybeLastIndex(), 9);
    assert.equal(u.maybeTerm(index(9)), 4);
    assert.equal(u.entries.length, 0);
  });

  it('stableTo ignores a confirmation for an entry that was overwritten', () => {
    const u = new Unstable(index(1));
    u.truncateAndAppend(ents(1, 1, 1, 1));
    u.truncateAndAppend(ents(2, 2));
    u.stableTo(index(2), term(1)); // the write of the old entry 2 completed, but it is gone
    assert.equal(u.offset, 1);
    assert.equal(u.entries.length, 2);
    u.stableTo(index(2), term(2));
    assert.equal(u.offset, 3);
    assert.equal(u.entries.length, 0);
  });

  it('stableSnapTo drops only the matching snapshot', () => {
    const u = new Unstable(index(1));
    u.restore(snapshot(5, 1));
    u.stableSnapTo(index(4));
    assert.notEqual(u.snapshot, undefined);
    u.stableSnapTo(index(5));
    assert.equal(u.snapshot, undefined);
  });

  it('slice refuses ranges outside the unstable entries', () => {
    const u = new Unstable(index(3));
    u.truncateAndAppend(ents(3, 1, 1));
    assert.deepEqual(termsOf(u.slice(index(3), index(5))), [1, 1]);
    assert.throws(() => u.slice(index(2), index(4)), RaftInvariantError);
    assert.throws(() => u.slice(index(3), index(6)), RaftInvariantError);
  });
});

/**
 * LevelLogStorage must behave exactly like MemoryStorage (the reference) over any sequence of
 * writes the driver can issue, and a reopen must change nothing observable. The generated
 * sequences keep the invariants the core keeps: nothing at or below the commit index is
 * overwritten, the commit index only grows, snapshots are recorded at or below it, and the log
 * is compacted only up to the recorded snapshot.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  EMPTY_CONF_STATE,
  MemoryStorage,
  index,
  nodeId,
  term,
  type ConfState,
  type Entry,
  type HardState,
  type Snapshot,
  type Storage,
} from '../../src/raft/index.js';
import { LevelLogStorage } from '../../src/storage/index.js';
import { entry, plain, silent, tempDir } from './helpers.js';

type Op =
  | { kind: 'append'; from: number; n: number; t: number; commit: number; sync: boolean }
  | { kind: 'hardState'; t: number; vote: number; commit: number }
  | { kind: 'install'; advance: number; t: number; n: number; voters: number }
  | { kind: 'record'; at: number }
  | { kind: 'compact'; at: number }
  | { kind: 'reopen' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      from: fc.nat(),
      n: fc.integer({ min: 0, max: 6 }),
      t: fc.integer({ min: 1, max: 5 }),
      commit: fc.nat(),
      sync: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('hardState' as const),
      t: fc.integer({ min: 0, max: 9 }),
      vote: fc.integer({ min: 0, max: 3 }),
      commit: fc.nat(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('install' as const),
      advance: fc.integer({ min: 1, max: 10 }),
      t: fc.integer({ min: 1, max: 9 }),
      n: fc.integer({ min: 0, max: 3 }),
      voters: fc.integer({ min: 1, max: 5 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('record' as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('compact' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const) }) },
);

function confState(voters: number): ConfState {
  const ids = [];
  for (let i = 1; i <= voters; i++) ids.push(nodeId(i));
  return { ...EMPTY_CONF_STATE, voters: ids };
}

/** A value in [lo, hi] picked by `seed`; undefined when the range is empty. */
function pick(seed: number, lo: number, hi: number): number | undefined {
  return hi < lo ? undefined : lo + (seed % (hi - lo + 1));
}

/** What a call does: its result, or the class of error it throws. */
function outcome<T>(f: () => T): { ok: T } | { err: string } {
  try {
    return { ok: f() };
  } catch (err) {
    return { err: err instanceof Error ? err.name : String(err) };
  }
}

function observe(s: Storage, probeBytes: number): unknown {
  const first = s.firstIndex();
  const last = s.lastIndex();
  const terms = [];
  for (let i = Math.max(0, first - 3); i <= last + 2; i++)
    terms.push(outcome(() => s.term(index(i))));
  const range = (lo: number, hi: number, max: number): unknown =>
    outcome(() => s.entries(index(lo), index(hi), max).map(plain));
  const meta = s.snapshot().metadata;
  return {
    first,
    last,
    initial: s.initialState(),
    snapshot: { ...meta, data: Array.from(s.snapshot().data) },
    terms,
    all: range(first, last + 1, Infinity),
    limited: range(first, last + 1, probeBytes),
    below: range(Math.max(0, first - 1), last + 1, Infinity),
    beyond: range(first, last + 2, Infinity),
  };
}

async function runOps(ops: readonly Op[], probeBytes: number): Promise<void> {
  const { dir, cleanup } = await tempDir('prop');
  const cs0 = confState(3);
  const model = MemoryStorage.bootstrap(cs0);
  let level = await LevelLogStorage.open(dir, { logger: silent });
  try {
    await level.bootstrap(cs0);
    let commit = 0;
    const check = (what: string): void => {
      assert.deepEqual(observe(level, probeBytes), observe(model, probeBytes), what);
    };
    check('after bootstrap');
    for (const [n, op] of ops.entries()) {
      const label = `op ${n}: ${JSON.stringify(op)}`;
      const first = model.firstIndex();
      const last = model.lastIndex();
      const snapIndex = model.snapshot().metadata.index;
      switch (op.kind) {
        case 'append': {
          // Never overwrite a committed entry, never leave a gap.
          const start = pick(op.from, Math.max(first, commit + 1), last + 1)!;
          const ents: Entry[] = [];
          for (let i = 0; i < op.n; i++) ents.push(entry(start + i, op.t, `d${n}.${i}`));
          const newLast = op.n > 0 ? start + op.n - 1 : last;
          commit = pick(op.commit, commit, newLast)!;
          const hs: HardState = { ...model.getHardState(), commit: index(commit) };
          model.append(ents);
          model.setHardState(hs);
          await level.persist({ entries: ents, hardState: hs }, op.sync);
          break;
        }
        case 'hardState': {
          commit = pick(op.commit, commit, last)!;
          const hs: HardState = {
            term: term(op.t),
            vote: op.vote as HardState['vote'],
            commit: index(commit),
          };
          model.setHardState(hs);
          await level.persist({ entries: [], hardState: hs }, false);
          break;
        }
        case 'install': {
          const at = Math.max(commit, snapIndex) + op.advance;
          const snap: Snapshot = {
            metadata: { index: index(at), term: term(op.t), confState: confState(op.voters) },
            data: new TextEncoder().encode(`image@${at}`),
          };
          const ents: Entry[] = [];
          for (let i = 1; i <= op.n; i++) ents.push(entry(at + i, op.t, `s${n}.${i}`));
          commit = at;
          const hs: HardState = { ...model.getHardState(), commit: index(commit) };
          model.applySnapshot(snap);
          model.append(ents);
          model.setHardState(hs);
          await level.persist({ snapshot: snap, entries: ents, hardState: hs }, true);
          break;
        }
        case 'record': {
          const at = pick(op.at, snapIndex + 1, Math.min(commit, last));
          if (at === undefined) continue;
          const cs = confState(1 + (op.at % 4));
          const data = new TextEncoder().encode(`local@${at}`);
          const snap = model.createSnapshot(index(at), cs, data);
          await level.recordSnapshot(snap);
          break;
        }
        case 'compact': {
          const at = pick(op.at, first, Math.min(snapIndex, last));
          if (at === undefined) continue;
          model.compact(index(at));
          await level.compact(index(at));
          break;
        }
        case 'reopen': {
          await level.close();
          level = await LevelLogStorage.open(dir, { logger: silent });
          assert.equal(level.isEmpty(), false);
          if (level.snapshotMetadata().index > 0) {
            assert.equal(await level.adoptSnapshot(model.snapshot()), 'attached', label);
          }
          break;
        }
      }
      check(label);
    }
    // Whatever the sequence, a final reopen restores the same log.
    await level.close();
    level = await LevelLogStorage.open(dir, { logger: silent });
    if (level.snapshotMetadata().index > 0) await level.adoptSnapshot(model.snapshot());
    check('final reopen');
  } finally {
    await level.close();
    await cleanup();
  }
}

describe('LevelLogStorage against MemoryStorage', () => {
  it('agrees over random sequences of persist, record, compact and reopen', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { maxLength: 40 }),
        fc.integer({ min: 0, max: 200 }),
        runOps,
      ),
      { numRuns: Number(process.env.REDRAFT_STORAGE_RUNS ?? 60) },
    );
  });
});

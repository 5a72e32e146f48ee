import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeCommand } from '../../src/fsm/entry-codec.js';
import { KvStateMachine } from '../../src/fsm/kv-state-machine.js';
import {
  encodeCheckpoint,
  encodeRollback,
  encodeTag,
  encodeUntag,
} from '../../src/fsm/merkle-entry-codec.js';
import { SnapshotRootMismatchError } from '../../src/fsm/merkle-state.js';
import { readSnapshot, writeSnapshot } from '../../src/fsm/snapshot-codec.js';
import { readMerkleSection, writeMerkleSection } from '../../src/fsm/merkle-snapshot-codec.js';
import type { Keyspace } from '../../src/fsm/keyspace.js';
import {
  encodeRedisValue,
  encodeTreeKey,
  verifyMembership,
  verifyNonMembership,
  type RedisValue,
} from '../../src/merkle/index.js';
import { index, term } from '../../src/raft/index.js';
import { refRoot } from '../merkle/helpers.js';
import { FsmDriver, show } from './state-machine-harness.js';

const NUM_RUNS = Number(process.env.REDRAFT_PROPERTY_RUNS ?? 100);

/**
 * The root the key spaces should have, computed independently: the public canonical encoding
 * (hash fields sorted by encodeRedisValue) and test/merkle's reference SMT (createHash).
 */
function referenceRoot(dbs: readonly Keyspace[]): string {
  const pairs: [Uint8Array, Uint8Array][] = [];
  dbs.forEach((ks, db) => {
    for (const [key, e] of ks.entries) {
      const v: RedisValue =
        e.value.type === 'string'
          ? { type: 'string', value: e.value.value, expireAt: e.expireAt }
          : {
              type: 'hash',
              fields: [...e.value.fields].map(([f, val]) => [Buffer.from(f, 'latin1'), val]),
              expireAt: e.expireAt,
            };
      pairs.push([encodeTreeKey(db, Buffer.from(key, 'latin1')), encodeRedisValue(v)]);
    }
  });
  return refRoot(pairs).toString('hex');
}

function rootHex(d: FsmDriver): string {
  return d.fsm.merkle!.root().root.toString('hex');
}

function applyIn(d: FsmDriver, db: number, ...argv: string[]): unknown {
  return show(
    d.apply(
      encodeCommand(
        d.now,
        db,
        argv.map((a) => Buffer.from(a)),
      ),
    ),
  );
}

/** Random writes over a few keys in three databases, with time moving on. */
const commandArb: fc.Arbitrary<readonly string[]> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('a', 'b', 'c', 'd'),
      fc.string({ maxLength: 6 }),
      fc.option(fc.integer({ min: 1, max: 50 })),
    )
    .map(([k, v, ex]) => (ex === null ? ['SET', k, v] : ['SET', k, v, 'PX', String(ex)])),
  fc.constantFrom('a', 'b', 'c', 'd', 'h').map((k) => ['DEL', k]),
  fc
    .tuple(
      fc.constantFrom('h', 'g'),
      fc.constantFrom('f1', 'f2', 'f3', ''),
      fc.string({ maxLength: 4 }),
    )
    .map(([k, f, v]) => ['HSET', k, f, v]),
  fc
    .tuple(fc.constantFrom('h', 'g'), fc.constantFrom('f1', 'f2', 'f3'))
    .map(([k, f]) => ['HDEL', k, f]),
  fc
    .tuple(fc.constantFrom('a', 'h', 'g'), fc.integer({ min: 1, max: 60 }))
    .map(([k, ms]) => ['PEXPIRE', k, String(ms)]),
  fc.constantFrom('a', 'h').map((k) => ['PERSIST', k]),
  fc.constantFrom(['RENAME', 'a', 'b'], ['RENAME', 'h', 'g'], ['COPY', 'a', 'c', 'DB', '1']),
  fc.constantFrom(
    ['MOVE', 'a', '1'],
    ['MOVE', 'h', '0'],
    ['SWAPDB', '0', '1'],
    ['SWAPDB', '1', '15'],
  ),
  fc.constantFrom(['APPEND', 'c', 'xy'], ['INCR', 'n'], ['MSET', 'a', '1', 'd', '2']),
  fc.constant(['FLUSHDB']),
  fc.constant(['__expire', 'a', 'b', 'c', 'd', 'h', 'g']),
);

const stepArb = fc.record({
  db: fc.constantFrom(0, 0, 1, 15),
  argv: commandArb,
  advanceMs: fc.integer({ min: 0, max: 30 }),
  // Rare enough that more writes than the change queue holds (64) often pile up between roots.
  checkRoot: fc.integer({ min: 0, max: 15 }).map((n) => n === 0),
});

describe('Merkle state of the key space', () => {
  it('its root always equals an independent reference over the key spaces, whatever the writes', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 200 }), (steps) => {
        const d = new FsmDriver();
        for (const s of steps) {
          d.now += s.advanceMs;
          applyIn(d, s.db, ...s.argv);
          if (s.checkRoot) assert.equal(rootHex(d), referenceRoot(d.fsm.dbs));
        }
        assert.equal(rootHex(d), referenceRoot(d.fsm.dbs));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('replicas reach the same root at the same index however often they hash', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), (steps) => {
        const eager = new FsmDriver();
        const lazy = new FsmDriver();
        for (const s of steps) {
          for (const d of [eager, lazy]) {
            d.now += s.advanceMs;
            applyIn(d, s.db, ...s.argv);
          }
          rootHex(eager); // hashes after every entry; the other only at the end
        }
        assert.equal(rootHex(lazy), rootHex(eager));
        assert.equal(lazy.fsm.merkle!.root().index, eager.fsm.merkle!.root().index);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('the key is namespaced by database and the value carries type and expiry', () => {
    const d = new FsmDriver();
    d.runIn(0, 'SET', 'k', 'v');
    const r0 = rootHex(d);
    d.runIn(1, 'SET', 'k', 'v');
    const both = rootHex(d);
    assert.notEqual(both, r0);
    d.runIn(1, 'DEL', 'k');
    assert.equal(rootHex(d), r0);
    d.runIn(0, 'PEXPIRE', 'k', '1000');
    assert.notEqual(rootHex(d), r0);
    d.runIn(0, 'PERSIST', 'k');
    assert.equal(rootHex(d), r0);
    // A hash with field "v"... is a different value from the string "v".
    d.runIn(0, 'DEL', 'k');
    d.runIn(0, 'HSET', 'k', 'f', 'v');
    assert.notEqual(rootHex(d), r0);
  });

  it('proofs from the state verify against its root with the canonical value', () => {
    const d = new FsmDriver();
    d.run('SET', 'greeting', 'hello');
    d.run('HSET', 'user', 'name', 'ada', 'age', '36');
    d.run('SET', 'ttl', 'x', 'PX', '5000');
    const m = d.fsm.merkle!;
    for (const key of ['greeting', 'user', 'ttl']) {
      const p = m.prove(0, Buffer.from(key))!;
      assert.ok(p.value !== null);
      assert.equal(p.index, d.nextIndex - 1);
      const r = verifyMembership(p.root, encodeTreeKey(0, Buffer.from(key)), p.value, p.proof);
      assert.deepEqual(r, { valid: true });
    }
    const greeting = m.prove(0, Buffer.from('greeting'))!;
    assert.equal(
      greeting.value!.toString('hex'),
      Buffer.from(
        encodeRedisValue({ type: 'string', value: Buffer.from('hello'), expireAt: 0 }),
      ).toString('hex'),
    );
    const absent = m.prove(0, Buffer.from('missing'))!;
    assert.equal(absent.value, null);
    assert.deepEqual(
      verifyNonMembership(absent.root, encodeTreeKey(0, Buffer.from('missing')), absent.proof),
      { valid: true },
    );
    // The same key in another database is absent there.
    const other = m.prove(1, Buffer.from('greeting'))!;
    assert.equal(other.value, null);
  });
});

describe('checkpoints and the alarm', () => {
  it('records (index, root) at every checkpoint and confirms roots the leader carried', () => {
    const d = new FsmDriver();
    d.run('SET', 'a', '1');
    const m = d.fsm.merkle!;
    assert.equal(m.checkpointDue, true);
    const first = show(d.apply(encodeCheckpoint(undefined)));
    const firstIndex = d.nextIndex - 1;
    // The entry's result is its index; the root is computed after the apply (merkle-root-job).
    assert.equal(first, firstIndex);
    assert.equal(m.computing, true);
    assert.equal(m.records.length, 1, 'reading the history finishes the root');
    assert.equal(m.computing, false);
    assert.equal(m.records.get(0).root.toString('hex'), rootHex(d));
    // Unconfirmed until a later checkpoint carries the leader's root for it.
    assert.equal(m.checkpointDue, true);
    d.apply(encodeCheckpoint({ index: firstIndex, root: m.records.get(0).root }));
    assert.equal(m.status().confirmedIndex, d.nextIndex - 1, 'nothing changed: also confirmed');
    assert.equal(m.checkpointDue, false, 'an idle cluster stops checkpointing');
    d.run('SET', 'a', '2');
    assert.equal(m.checkpointDue, true);
    assert.equal(m.divergence, undefined);
    assert.equal(m.log.size, 2);
  });

  it('a string rewritten with its bytes and expiry marks nothing; any other change does', () => {
    const d = new FsmDriver();
    d.run('SET', 'a', 'v');
    d.run('SET', 'e', 'v', 'PX', '5000');
    d.run('HSET', 'h', 'f', 'x');
    const before = rootHex(d);
    const m = d.fsm.merkle!;
    d.run('SET', 'a', 'v');
    d.run('MSET', 'a', 'v', 'a', 'v');
    d.run('PEXPIREAT', 'e', String(d.fsm.dbs[0]!.entries.get('e')!.expireAt));
    assert.equal(m.pendingKeys, 0);
    assert.equal(rootHex(d), before);
    // A hash's fields change in place: an HSET of the same value is marked regardless.
    d.run('HSET', 'h', 'f', 'x');
    assert.equal(m.pendingKeys, 1);
    // New bytes, a new expiry, a new type: each is marked, and the root follows.
    d.run('SET', 'a', 'w');
    d.run('SET', 'e', 'v');
    assert.equal(m.pendingKeys, 3);
    assert.equal(rootHex(d), referenceRoot(d.fsm.dbs));
    // Changed and changed back before the next root: still marked, with the latest entry.
    d.run('SET', 'a', 'z');
    d.run('SET', 'a', 'w');
    assert.equal(m.pendingKeys, 1);
    assert.equal(rootHex(d), referenceRoot(d.fsm.dbs));
  });

  it('values the fingerprint cannot tell apart are compared byte by byte', () => {
    const d = new FsmDriver();
    // Same length, same 32 bytes at each end: equal fingerprints, different values.
    const long = (middle: string): string => `${'a'.repeat(40)}${middle}${'z'.repeat(40)}`;
    d.run('SET', 'k', long('1'));
    d.run('APPEND', 'r', long('1'));
    const before = rootHex(d);
    const m = d.fsm.merkle!;
    const fp = (key: string): number | undefined => {
      const v = d.fsm.dbs[0]!.entries.get(key)!.value;
      return v.type === 'string' ? v.fingerprint : undefined;
    };
    const first = fp('k');
    d.run('SET', 'k', long('2'));
    assert.equal(fp('k'), first);
    assert.equal(m.pendingKeys, 1);
    assert.equal(rootHex(d), referenceRoot(d.fsm.dbs));
    assert.notEqual(rootHex(d), before);
    // The same bytes again, by SET or by an edit in place: nothing to mark.
    d.run('SET', 'k', long('2'));
    d.run('SETRANGE', 'r', '0', 'a');
    assert.equal(m.pendingKeys, 0);
  });

  it('no-op rewrites during a root being computed leave every root right', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc
              .tuple(fc.constantFrom('a', 'b', 'c'), fc.constantFrom('1', '2'))
              .map(([k, v]) => ({ kind: 'set' as const, k, v })),
            fc.constantFrom('a', 'b').map((k) => ({ kind: 'del' as const, k })),
            fc.constant({ kind: 'checkpoint' as const }),
            fc.integer({ min: 1, max: 3 }).map((n) => ({ kind: 'step' as const, n })),
          ),
          { maxLength: 50 },
        ),
        (ops) => {
          const d = new FsmDriver();
          const m = d.fsm.merkle!;
          const expected = new Map<number, string>();
          for (const op of ops) {
            if (op.kind === 'set') d.run('SET', op.k, op.v);
            else if (op.kind === 'del') d.run('DEL', op.k);
            else if (op.kind === 'checkpoint') {
              d.apply(encodeCheckpoint(undefined));
              expected.set(d.fsm.appliedIndex, referenceRoot(d.fsm.dbs));
            } else for (let i = 0; i < op.n; i++) m.step(1);
          }
          while (m.step(1));
          for (const r of m.records) {
            const want = expected.get(r.index);
            if (want !== undefined) assert.equal(r.root.toString('hex'), want);
          }
          assert.equal(rootHex(d), referenceRoot(d.fsm.dbs));
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it('computes a checkpoint root in steps: the state at its index, whatever applies meanwhile', () => {
    const d = new FsmDriver();
    for (let i = 0; i < 3000; i++) d.run('SET', `k${i}`, `v${i}`);
    d.run('HSET', 'h', 'f', 'before');
    d.run('SET', 'gone', 'x');
    rootHex(d); // an earlier root: the checkpoint covers only what changed since
    for (let i = 0; i < 2000; i += 2) d.run('SET', `k${i}`, `w${i}`);
    d.run('DEL', 'gone');
    d.run('HSET', 'h', 'f', 'at-checkpoint');
    const expected = referenceRoot(d.fsm.dbs);
    d.apply(encodeCheckpoint(undefined));
    const m = d.fsm.merkle!;
    // Writes after the checkpoint, including one to a hash whose fields change in place.
    d.run('HSET', 'h', 'f', 'after', 'g', 'new');
    d.run('SET', 'k1', 'after');
    d.run('DEL', 'k3');
    let steps = 0;
    while (m.step(256)) steps++;
    assert.ok(steps > 4, `${steps} steps`);
    assert.equal(m.computing, false);
    assert.equal(m.records.get(0).root.toString('hex'), expected);
    // The live state's root takes the later writes in.
    assert.equal(rootHex(d), referenceRoot(d.fsm.dbs));
    assert.notEqual(rootHex(d), expected);
  });

  it('a replica whose state differs from the leader raises the alarm once, and only it', () => {
    const leader = new FsmDriver();
    const follower = new FsmDriver();
    const alarms: number[] = [];
    follower.fsm.merkle!.onDivergence((dv) => alarms.push(dv.index));
    for (const d of [leader, follower]) {
      d.run('SET', 'a', '1');
      d.apply(encodeCheckpoint(undefined));
    }
    // Damage the follower's state behind the log's back (what a bug or a bad disk would do).
    follower.fsm.dbs[0]!.set('a', {
      value: { type: 'string', value: Buffer.from('tampered') },
      expireAt: 0,
      version: 0,
    });
    for (const d of [leader, follower]) {
      d.run('SET', 'b', '1');
      d.apply(encodeCheckpoint(undefined));
    }
    const carried = leader.fsm.merkle!.records.get(1);
    for (const d of [leader, follower]) {
      d.apply(encodeCheckpoint({ index: carried.index, root: carried.root }));
    }
    assert.equal(leader.fsm.merkle!.divergence, undefined);
    const dv = follower.fsm.merkle!.divergence;
    assert.ok(dv !== undefined);
    assert.equal(dv.index, carried.index);
    assert.equal(dv.leaderRoot.toString('hex'), carried.root.toString('hex'));
    assert.notEqual(dv.localRoot.toString('hex'), carried.root.toString('hex'));
    assert.equal(dv.detectedAt, follower.nextIndex - 1);
    assert.deepEqual(alarms, [carried.index]);
    // Later mismatches do not raise it again.
    const next = leader.fsm.merkle!.records.get(2);
    follower.apply(encodeCheckpoint({ index: next.index, root: next.root }));
    assert.deepEqual(alarms, [carried.index]);
    assert.equal(follower.fsm.merkle!.status().divergence?.index, carried.index);
  });
});

describe('tags and rollback', () => {
  it('proves at a tag after the state moved on, keeps at most the limit, untags', () => {
    const d = new FsmDriver();
    d.run('SET', 'k', 'old');
    assert.equal((show(d.apply(encodeTag('v1', 2))) as unknown[])[0], d.nextIndex - 1);
    const tagRoot = rootHex(d);
    d.run('SET', 'k', 'new');
    d.run('SET', 'other', 'x');
    const m = d.fsm.merkle!;
    const atTag = m.prove(0, Buffer.from('k'), 'v1')!;
    assert.equal(atTag.root.toString('hex'), tagRoot);
    assert.equal(atTag.index, m.tags.get('v1')!.index);
    assert.ok(atTag.value!.toString('latin1').endsWith('old'));
    assert.equal(m.prove(0, Buffer.from('other'), 'v1')!.value, null);
    assert.equal(m.prove(0, Buffer.from('k'), 'nope'), undefined);

    assert.match(String(show(d.apply(encodeTag('v1', 2)))), /tag 'v1' already exists/);
    d.apply(encodeTag('v2', 2));
    assert.match(String(show(d.apply(encodeTag('v3', 2)))), /limit of 2 tags/);
    assert.equal(show(d.apply(encodeUntag('v2'))), 1);
    assert.equal(show(d.apply(encodeUntag('v2'))), 0);
    assert.equal(m.tags.size, 1);
    assert.equal([...m.records].filter((r) => r.name !== '').length, 2, 'tags are root records');
  });

  it('rollback rewrites every database to the tagged version, as writes WATCH notices', () => {
    const d = new FsmDriver();
    d.runIn(0, 'SET', 'keep', 'same');
    d.runIn(0, 'SET', 's', 'v1');
    d.runIn(0, 'HSET', 'h', 'a', '1', 'b', '2');
    d.runIn(2, 'SET', 'x', 'y', 'PX', '100000');
    d.runIn(0, 'SET', 'gone-later', 'z');
    d.apply(encodeTag('before', 16));
    const tagRoot = rootHex(d);
    const tagged = d.fsm.dbs.map((ks) => [...ks.entries.keys()].sort());
    const xExpiry = d.fsm.dbs[2]!.entries.get('x')!.expireAt;
    assert.ok(xExpiry > 0);

    d.runIn(0, 'SET', 's', 'v2');
    d.runIn(0, 'HDEL', 'h', 'a');
    d.runIn(0, 'HSET', 'h', 'c', '3');
    d.runIn(2, 'DEL', 'x');
    d.runIn(0, 'DEL', 'gone-later');
    d.runIn(5, 'SET', 'new', 'n');
    const watched = d.watch('s');
    const keepVersion = d.fsm.dbs[0]!.entries.get('keep')!.version;

    const reply = show(d.apply(encodeRollback('before')));
    const at = d.nextIndex - 1;
    assert.deepEqual(reply, [at, tagRoot]);
    assert.equal(rootHex(d), tagRoot);
    assert.deepEqual(
      d.fsm.dbs.map((ks) => [...ks.entries.keys()].sort()),
      tagged,
    );
    assert.equal(show(d.read('GET', 's')), 'v1');
    assert.deepEqual(show(d.read('HGETALL', 'h')), ['a', '1', 'b', '2']);
    assert.equal(d.fsm.dbs[2]!.entries.get('x')!.expireAt, xExpiry, 'the expiry comes back');
    assert.equal(d.fsm.dbs[5]!.size, 0);
    // Changed keys carry the rollback's index (WATCH aborts); untouched ones keep theirs.
    assert.equal(d.fsm.dbs[0]!.entries.get('s')!.version, at);
    assert.equal(d.fsm.dbs[0]!.entries.get('keep')!.version, keepVersion);
    assert.equal(show(d.transaction([watched], [['SET', 's', 'w']])), null);
    assert.equal(d.fsm.merkle!.records.at(-1)!.name, 'before');
    assert.match(String(show(d.apply(encodeRollback('nope')))), /no such tag 'nope'/);
  });

  it('rollback and a second replica agree: same root, same tombstones', () => {
    const a = new FsmDriver();
    const b = new FsmDriver();
    for (const d of [a, b]) {
      d.run('SET', 'k1', '1');
      d.apply(encodeTag('t', 4));
      d.run('SET', 'k2', '2');
      d.run('DEL', 'k1');
    }
    rootHex(a);
    for (const d of [a, b]) d.apply(encodeRollback('t'));
    assert.equal(rootHex(a), rootHex(b));
    assert.deepEqual([...a.fsm.dbs[0]!.tombstones], [...b.fsm.dbs[0]!.tombstones]);
  });
});

function snapshotOf(d: FsmDriver): Buffer {
  return d.fsm.snapshot().serialize();
}

function restored(data: Uint8Array): KvStateMachine {
  const fsm = new KvStateMachine();
  fsm.restore(data);
  return fsm;
}

describe('snapshots record the root and are refused when it does not hold', () => {
  function busy(): FsmDriver {
    const d = new FsmDriver();
    for (let i = 0; i < 50; i++) d.run('SET', `k${i}`, `v${i}`);
    d.runIn(3, 'HSET', 'h', 'f', 'v');
    d.apply(encodeCheckpoint(undefined));
    d.apply(encodeTag('early', 8));
    for (let i = 0; i < 10; i++) d.run('SET', `k${i}`, `changed${i}`);
    d.run('DEL', 'k20');
    d.apply(encodeTag('late', 8));
    d.run('SET', 'after', 'tags');
    return d;
  }

  it('a restore reproduces the root, the root log and the tags', () => {
    const d = busy();
    const data = snapshotOf(d);
    const fsm = restored(data);
    const m = fsm.merkle!;
    const original = d.fsm.merkle!;
    assert.equal(m.root().root.toString('hex'), rootHex(d));
    assert.deepEqual(
      [...m.records].map((r) => [r.kind, r.index, r.root.toString('hex'), r.name]),
      [...original.records].map((r) => [r.kind, r.index, r.root.toString('hex'), r.name]),
    );
    assert.equal(
      Buffer.from(m.log.root()).toString('hex'),
      Buffer.from(original.log.root()).toString('hex'),
    );
    for (const tag of ['early', 'late']) {
      for (const key of ['k1', 'k20', 'after']) {
        const want = original.prove(0, Buffer.from(key), tag)!;
        const got = m.prove(0, Buffer.from(key), tag)!;
        assert.equal(got.root.toString('hex'), want.root.toString('hex'));
        assert.deepEqual(got.value, want.value);
        assert.equal(got.index, want.index);
      }
    }
    // A rollback after the restore lands where it would have on the original.
    const at = { index: index(d.nextIndex), term: term(1), data: encodeRollback('early') };
    d.fsm.apply(at);
    fsm.apply(at);
    assert.equal(fsm.merkle!.root().root.toString('hex'), rootHex(d));
  });

  it('a deferred image is the image of the state when it was taken, byte for byte', async () => {
    const build = (): FsmDriver => {
      const d = busy();
      for (let i = 0; i < 2000; i++) d.run('SET', `bulk${i}`, `v${i}`);
      d.apply(encodeCheckpoint(undefined)); // its root still pending: the image's queues behind it
      for (let i = 0; i < 1000; i++) d.run('SET', `bulk${i}`, `again${i}`);
      d.run('HSET', 'h2', 'f', 'before');
      return d;
    };
    // The same state twice: one serialized at once, the other deferred.
    const expected = snapshotOf(build());
    const d = build();
    const deferred = d.fsm.snapshot().serializeDeferred!();
    assert.equal(d.fsm.merkle!.computing, true, 'the root is left for later');
    // Later writes, including one to a hash whose fields change in place, and an UNTAG.
    d.run('HSET', 'h2', 'f', 'after');
    d.run('SET', 'bulk1', 'after');
    d.apply(encodeUntag('early'));
    assert.deepEqual(await deferred, expected);
    assert.equal(d.fsm.merkle!.computing, false);
    const fsm = restored(await deferred);
    assert.ok(fsm.merkle!.prove(0, Buffer.from('k1'), 'early') !== undefined);
  });

  it('a state that does not hash to the recorded root is refused, and nothing is replaced', () => {
    const d = busy();
    const image = readSnapshot(snapshotOf(d));
    // Change one value but keep the recorded root: what a damaged or forged image looks like.
    const entry = image.dbs[0]!.get('k30')!;
    image.dbs[0]!.set('k30', { ...entry, value: { type: 'string', value: Buffer.from('forged') } });
    const forged = writeSnapshot(image);

    const target = new FsmDriver();
    target.run('SET', 'mine', 'kept');
    const before = rootHex(target);
    assert.throws(
      () => target.fsm.restore(forged),
      (err: unknown) =>
        err instanceof SnapshotRootMismatchError &&
        /does not reproduce its recorded Merkle root/.test(err.message),
    );
    assert.equal(rootHex(target), before);
    assert.equal(show(target.read('GET', 'mine')), 'kept');
  });

  it('a forged recorded root or a forged tag delta is refused too', () => {
    const d = busy();
    const image = readSnapshot(snapshotOf(d));
    const section = readMerkleSection(image.merkle!);

    const otherRoot = Buffer.alloc(32, 7);
    assert.throws(
      () =>
        restored(
          writeSnapshot({ ...image, merkle: writeMerkleSection({ ...section, root: otherRoot }) }),
        ),
      SnapshotRootMismatchError,
    );
    const tags = section.tags.map((t, i) => (i === 0 ? { ...t, changes: t.changes.slice(1) } : t));
    assert.throws(
      () => restored(writeSnapshot({ ...image, merkle: writeMerkleSection({ ...section, tags }) })),
      (err: unknown) => err instanceof SnapshotRootMismatchError && /tag 'early'/.test(err.message),
    );
  });

  it('reads version 2 images (no Merkle section): the root is recomputed', () => {
    const d = busy();
    const image = readSnapshot(snapshotOf(d));
    const v3 = writeSnapshot({ ...image, merkle: undefined });
    // Version 2 is version 3 without the trailing section flag.
    const v2 = Buffer.from(v3.subarray(0, v3.length - 1));
    v2[4] = 2;
    const fsm = restored(v2);
    assert.equal(fsm.merkle!.root().root.toString('hex'), rootHex(d));
    assert.equal(fsm.merkle!.records.length, 0);
    assert.equal(fsm.merkle!.tags.size, 0);
  });

  it('a node without Merkle state still reads and writes images', () => {
    const d = busy();
    const plain = new KvStateMachine({ merkle: false });
    plain.restore(snapshotOf(d));
    assert.equal(plain.merkle, undefined);
    const again = restored(plain.snapshot().serialize());
    assert.equal(again.merkle!.root().root.toString('hex'), rootHex(d));
    assert.match(
      String(show(plain.apply({ index: index(999), term: term(1), data: encodeTag('x', 1) }))),
      /no Merkle state/,
    );
  });
});

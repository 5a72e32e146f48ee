import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeTransaction } from '../../src/fsm/entry-codec.js';
import { ChangeFeed, CompactedError, type Change } from '../../src/node/change-feed.js';
import { FsmDriver } from '../fsm/state-machine-harness.js';

/** A state machine driven through log entries, and a feed over it. */
function setup(limits?: { maxChanges: number; maxBytes: number }): {
  driver: FsmDriver;
  feed: ChangeFeed;
  /** The node's applied index as the feed sees it. */
  applied: () => number;
} {
  const driver = new FsmDriver();
  const applied = (): number => driver.nextIndex - 1;
  const feed = new ChangeFeed(driver.fsm, applied, limits);
  return { driver, feed, applied };
}

const ALL = { db: 0, prefix: '' };

function summary(changes: readonly Change[]): string[] {
  return changes.map(
    (c) =>
      `${c.index}:${c.key}=${c.type === undefined ? '(deleted)' : (c.value?.toString() ?? c.type)}`,
  );
}

describe('ChangeFeed', () => {
  it('records every key written or deleted, with the state right after the change', () => {
    const { driver, feed } = setup();
    const cursor = feed.open(1);
    driver.run('SET', 'a', '1'); // 1
    driver.run('MSET', 'b', '2', 'c', '3'); // 2
    driver.run('DEL', 'a', 'missing'); // 3
    driver.run('HSET', 'h', 'f', 'v'); // 4
    driver.run('SET', 'b', 'x', 'PX', '100000'); // 5
    const { changes, position } = cursor.read(ALL, 100);
    assert.deepEqual(summary(changes), [
      '1:a=1',
      '2:b=2',
      '2:c=3',
      '3:a=(deleted)',
      '4:h=hash',
      '5:b=x',
    ]);
    assert.equal(changes[5]!.expireAt, driver.now + 100_000);
    assert.equal(changes[5]!.version, 5);
    assert.equal(position, 5);
  });

  it('a cursor from now on sees only later changes; an empty read moves it to the applied index', () => {
    const { driver, feed } = setup();
    driver.run('SET', 'old', '1');
    const cursor = feed.open(0);
    assert.equal(cursor.position, 1);
    driver.run('PING'); // an entry that changes nothing (refused command: no key change)
    assert.deepEqual(cursor.read(ALL, 10).changes, []);
    assert.equal(cursor.position, 2);
    driver.run('SET', 'new', '2');
    assert.deepEqual(summary(cursor.read(ALL, 10).changes), ['3:new=2']);
  });

  it('never splits one index across reads, so resuming from position + 1 repeats and skips nothing', () => {
    const { driver, feed } = setup();
    const cursor = feed.open(1);
    driver.run('MSET', 'a', '1', 'b', '1', 'c', '1'); // 1: three changes
    driver.run('SET', 'd', '1'); // 2
    driver.run('SET', 'e', '1'); // 3
    const first = cursor.read(ALL, 2);
    assert.deepEqual(summary(first.changes), ['1:a=1', '1:b=1', '1:c=1']);
    assert.equal(first.position, 1);
    // A second cursor resuming where the first stopped sees exactly the rest.
    const resumed = feed.open(first.position + 1);
    assert.deepEqual(summary(resumed.read(ALL, 100).changes), ['2:d=1', '3:e=1']);
    assert.deepEqual(summary(cursor.read(ALL, 1).changes), ['2:d=1']);
  });

  it('filters by database and prefix, and the position still advances past other changes', () => {
    const { driver, feed } = setup();
    const cursor = feed.open(1);
    driver.run('SET', 'user:1', 'a'); // 1
    driver.run('SET', 'order:1', 'b'); // 2
    driver.runIn(1, 'SET', 'user:2', 'c'); // 3
    driver.run('SET', 'user:3', 'd'); // 4
    const batch = cursor.read({ db: 0, prefix: 'user:' }, 100);
    assert.deepEqual(summary(batch.changes), ['1:user:1=a', '4:user:3=d']);
    assert.equal(batch.position, 4);
    const db1 = feed.open(1).read({ db: 1, prefix: '' }, 100);
    assert.deepEqual(summary(db1.changes), ['3:user:2=c']);
  });

  it('a transaction entry is one index: all its changes come together', () => {
    const { driver, feed } = setup();
    const cursor = feed.open(1);
    const argv = (...a: string[]): Buffer[] => a.map((s) => Buffer.from(s));
    driver.apply(
      encodeTransaction(
        driver.now,
        [],
        [
          { db: 0, argv: argv('SET', 'x', '1') },
          { db: 0, argv: argv('SET', 'y', '2') },
          { db: 0, argv: argv('DEL', 'x') },
        ],
      ),
    );
    assert.deepEqual(summary(cursor.read(ALL, 1).changes), ['1:x=1', '1:y=2', '1:x=(deleted)']);
  });

  it('evicts the oldest changes past its bounds and says which index a resume can start from', () => {
    const { driver, feed } = setup({ maxChanges: 4, maxBytes: 1 << 20 });
    const slow = feed.open(1);
    for (let i = 1; i <= 6; i++) driver.run('SET', `k${i}`, 'v'); // indexes 1..6
    assert.equal(feed.size, 4);
    assert.equal(feed.oldestIndex, 3);
    assert.throws(
      () => slow.read(ALL, 10),
      (err: unknown) => {
        assert.ok(err instanceof CompactedError);
        assert.equal(err.code, 'COMPACTED');
        assert.equal(err.oldestIndex, 3);
        assert.match(err.message, /index 3/);
        return true;
      },
    );
    assert.throws(() => feed.open(2), CompactedError);
    assert.deepEqual(summary(feed.open(3).read(ALL, 10).changes), [
      '3:k3=v',
      '4:k4=v',
      '5:k5=v',
      '6:k6=v',
    ]);
  });

  it('an index evicted in part is no longer offered whole', () => {
    const { driver, feed } = setup({ maxChanges: 3, maxBytes: 1 << 20 });
    driver.run('MSET', 'a', '1', 'b', '1'); // 1
    driver.run('MSET', 'c', '1', 'd', '1'); // 2: evicts a
    assert.equal(feed.oldestIndex, 2);
    assert.throws(() => feed.open(1), CompactedError);
    assert.deepEqual(summary(feed.open(2).read(ALL, 10).changes), ['2:c=1', '2:d=1']);
  });

  it('bounds the bytes it keeps', () => {
    const { driver, feed } = setup({ maxChanges: 1000, maxBytes: 3000 });
    const big = 'x'.repeat(1000);
    for (let i = 1; i <= 5; i++) driver.run('SET', `k${i}`, big);
    assert.ok(feed.size <= 3, `kept ${feed.size} changes of 1000+ bytes in 3000`);
    assert.ok(feed.size >= 2);
  });

  it('a restore replaces the history: older cursors fail, the restored index is the new start', () => {
    const source = new FsmDriver();
    source.run('SET', 'a', '1');
    source.run('SET', 'b', '2');
    const image = source.fsm.snapshot().serialize();

    const { driver, feed } = setup();
    const cursor = feed.open(1);
    driver.run('SET', 'z', '9'); // 1
    // As the node does: restore, then take the snapshot's index (10) as applied.
    driver.fsm.restore(image);
    driver.nextIndex = 11;
    assert.equal(feed.oldestIndex, 11);
    assert.throws(() => cursor.read(ALL, 10), CompactedError);
    const fresh = feed.open(11);
    driver.run('SET', 'c', '3'); // 11
    assert.deepEqual(summary(fresh.read(ALL, 10).changes), ['11:c=3']);
  });

  it('wakes a waiting reader once per turn, after the batch applied', async () => {
    const { driver, feed } = setup();
    const cursor = feed.open(0);
    let wakes = 0;
    const woken = new Promise<void>((resolve) => {
      cursor.onChange(() => {
        wakes++;
        resolve();
      });
    });
    driver.run('SET', 'a', '1');
    driver.run('SET', 'b', '1');
    await woken;
    await new Promise((r) => setImmediate(r));
    assert.equal(wakes, 1);
    assert.equal(cursor.read(ALL, 10).changes.length, 2);
    cursor.close();
    feed.close();
  });
});

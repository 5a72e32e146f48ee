import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KvStateMachine } from '../../src/fsm/kv-state-machine.js';
import { FsmDriver, show } from './state-machine-harness.js';

describe('MULTI/EXEC as one log entry', () => {
  it('applies every command atomically and returns their results', () => {
    const d = new FsmDriver();
    const r = d.transaction(
      [],
      [
        ['SET', 'a', '1'],
        ['INCR', 'a'],
        ['GET', 'a'],
        ['INCR', 'nope', 'x'],
      ],
    );
    assert.deepEqual(show(r), ['+OK', 2, '2', "!ERR wrong number of arguments for 'incr' command"]);
  });

  it('aborts with nil when a watched key changed after WATCH, and runs when it did not', () => {
    const d = new FsmDriver();
    d.run('SET', 'k', '1');
    const watched = d.watch('k');
    d.run('SET', 'k', '2'); // another client
    assert.equal(d.transaction([watched], [['SET', 'k', '3']]), null);
    assert.equal(show(d.read('GET', 'k')), '2');
    const again = d.watch('k');
    assert.deepEqual(show(d.transaction([again], [['SET', 'k', '3']])), ['+OK']);
    assert.equal(show(d.read('GET', 'k')), '3');
  });

  it('notices a watched key deleted, and a watched absent key created', () => {
    const d = new FsmDriver();
    d.run('SET', 'k', '1');
    const existing = d.watch('k');
    d.run('DEL', 'k');
    assert.equal(d.transaction([existing], [['SET', 'x', '1']]), null);
    const absent = d.watch('new');
    d.run('SET', 'new', 'v');
    assert.equal(d.transaction([absent], [['SET', 'x', '1']]), null);
  });

  it('notices MOVE and SWAPDB on a watched key, as Redis does, and not a swap that misses it', () => {
    const d = new FsmDriver();
    d.run('SET', 'k', '1');
    const moved = d.watch('k');
    d.run('MOVE', 'k', '1');
    assert.equal(d.transaction([moved], [['SET', 'x', '1']]), null);
    const swappedIn = d.watch('k'); // absent in 0, present in 1
    d.run('SWAPDB', '0', '1');
    assert.equal(d.transaction([swappedIn], [['SET', 'x', '1']]), null);
    assert.equal(show(d.read('GET', 'k')), '1');
    const neither = d.watch('nowhere');
    d.run('SWAPDB', '0', '1');
    assert.deepEqual(show(d.transaction([neither], [['SET', 'x', '2']])), ['+OK']);
  });

  it('notices a watched absent key created and deleted again, also across a snapshot', () => {
    const d = new FsmDriver();
    const absent = d.watch('c');
    d.run('SET', 'c', '1');
    d.run('DEL', 'c');
    assert.equal(d.transaction([absent], [['SET', 'c', 'mine']]), null);
    d.run('DEL', 'gone-before'); // deleting an absent key changes nothing
    const restored = new FsmDriver();
    d.run('SET', 'x', '1');
    const watched = d.watch('x');
    d.run('DEL', 'x');
    restored.fsm.restore(d.fsm.snapshot().serialize());
    assert.equal(
      restored.fsm.versionOf(0, Buffer.from('x'), d.now),
      d.fsm.versionOf(0, Buffer.from('x'), d.now),
    );
    assert.notEqual(restored.fsm.versionOf(0, Buffer.from('x'), d.now), watched.version);
  });

  it('draws the same random reads inside EXEC on every replica', () => {
    const a = new FsmDriver();
    for (let i = 0; i < 20; i++) a.run('SET', `k${i}`, 'v');
    const b = new FsmDriver();
    b.fsm.restore(a.fsm.snapshot().serialize());
    b.nextIndex = a.nextIndex; // the same entry, at the same index, on both replicas
    const tx = [['RANDOMKEY'], ['RANDOMKEY'], ['RANDOMKEY']];
    assert.deepEqual(show(a.transaction([], tx)), show(b.transaction([], tx)));
  });

  it('decides identically on a replica restored from a snapshot', () => {
    const a = new FsmDriver();
    a.run('SET', 'k', '1');
    a.run('HSET', 'h', 'f', 'v');
    const watched = a.watch('k');
    const b = new FsmDriver();
    b.fsm.restore(a.fsm.snapshot().serialize());
    // Both now apply the same entries: the version recorded in the snapshot must match.
    const tx = (d: FsmDriver): unknown => show(d.transaction([watched], [['INCR', 'k']]));
    assert.deepEqual(tx(a), [2]);
    b.fsm.appliedIndex = a.fsm.appliedIndex;
    assert.deepEqual(
      show(b.fsm.read(0, [Buffer.from('HGET'), Buffer.from('h'), Buffer.from('f')], b.now)),
      'v',
    );
    assert.equal(show(b.fsm.read(0, [Buffer.from('GET'), Buffer.from('k')], b.now)), '1');
    assert.equal(
      b.fsm.versionOf(0, Buffer.from('k'), b.now),
      watched.version,
      'versions survive the snapshot',
    );
  });
});

describe('state machine snapshots', () => {
  it('round-trip every type, expiry, version, member and the clock', () => {
    const d = new FsmDriver();
    d.run('SET', 'bin\r\n\0', 'v', 'PX', '100000');
    d.run('HSET', 'h', 'f1', 'a', 'f2', 'b');
    d.runIn(3, 'SET', 'db3', 'x');
    d.fsm.members.set(1, {
      id: 1,
      peerAddr: 'a:1',
      respAddr: 'a:2',
      httpAddr: 'a:3',
      grpcAddr: 'a:4',
    });
    const image = d.fsm.snapshot().serialize();
    const copy = new KvStateMachine();
    copy.restore(image);
    assert.deepEqual(copy.snapshot().serialize(), image);
    assert.equal(copy.dbs[3]!.size, 1);
    assert.equal(copy.clock, d.fsm.clock);
    assert.deepEqual(copy.members.get(1), d.fsm.members.get(1));
    assert.equal(copy.dbs[0]!.expires.size, 1);
  });

  it('refuses a truncated or damaged image instead of half-loading it', () => {
    const d = new FsmDriver();
    d.run('SET', 'k', 'v');
    const image = d.fsm.snapshot().serialize();
    assert.throws(
      () => new KvStateMachine().restore(image.subarray(0, image.length - 1)),
      /snapshot/,
    );
    const bad = Buffer.from(image);
    bad[0] = 0;
    assert.throws(() => new KvStateMachine().restore(bad), /bad magic/);
  });

  it('refuses a malformed log entry with a clear error', () => {
    const d = new FsmDriver();
    assert.throws(() => d.apply(Buffer.from([1, 2, 3])), /malformed log entry/);
    assert.throws(() => d.apply(Buffer.from([99])), /unknown kind/);
  });
});

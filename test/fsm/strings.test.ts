import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatFloat } from '../../src/fsm/commands/context.js';
import { objectEncoding } from '../../src/fsm/commands/keys.js';
import { KvStateMachine } from '../../src/fsm/kv-state-machine.js';
import { FsmDriver, show } from './state-machine-harness.js';

describe('string commands', () => {
  it('SET and GET, with NX, XX and GET options', () => {
    const d = new FsmDriver();
    assert.equal(show(d.run('SET', 'k', 'v')), '+OK');
    assert.equal(show(d.read('GET', 'k')), 'v');
    assert.equal(show(d.run('SET', 'k', 'w', 'NX')), null);
    assert.equal(show(d.run('SET', 'k', 'w', 'XX', 'GET')), 'v');
    assert.equal(show(d.run('SET', 'missing', 'w', 'XX')), null);
    assert.equal(show(d.run('SET', 'k', 'x', 'NX', 'XX')), '!ERR syntax error');
    assert.equal(show(d.run('SET', 'k', 'x', 'EX')), '!ERR syntax error');
    assert.equal(show(d.run('SET', 'k')), "!ERR wrong number of arguments for 'set' command");
  });

  it('turns relative expiries into absolute ones at apply time, from the entry time', () => {
    const d = new FsmDriver();
    d.run('SET', 'k', 'v', 'PX', '500');
    assert.equal(d.fsm.dbs[0]!.entries.get('k')!.expireAt, d.now + 500);
    d.now += 499;
    assert.equal(show(d.read('GET', 'k')), 'v');
    d.now += 1;
    assert.equal(show(d.read('GET', 'k')), null, 'expired keys are invisible at once');
    d.run('SET', 'k', 'v', 'EX', '10');
    d.run('SET', 'k', 'w', 'KEEPTTL');
    assert.equal(d.fsm.dbs[0]!.entries.get('k')!.expireAt, d.now + 10_000);
    d.run('SET', 'k', 'w');
    assert.equal(d.fsm.dbs[0]!.entries.get('k')!.expireAt, 0, 'a plain SET clears the TTL');
    assert.equal(
      show(d.run('SET', 'k', 'v', 'EX', '0')),
      "!ERR invalid expire time in 'set' command",
    );
    assert.equal(
      show(d.run('SET', 'k', 'v', 'EX', 'x')),
      '!ERR value is not an integer or out of range',
    );
    d.run('SET', 'k', 'v', 'PXAT', String(d.now + 1));
    d.now += 1;
    assert.equal(show(d.read('GET', 'k')), null);
  });

  it('keeps time monotonic when a new leader stamps an earlier time', () => {
    const d = new FsmDriver();
    d.run('SET', 'k', 'v', 'PX', '100');
    d.now -= 5_000; // the next leader's clock is behind
    d.run('SET', 'other', 'x');
    assert.equal(d.fsm.clock, 1_000_000);
  });

  it('INCR family, with overflow and type errors', () => {
    const d = new FsmDriver();
    assert.equal(d.run('INCR', 'n'), 1);
    assert.equal(d.run('INCRBY', 'n', '41'), 42);
    assert.equal(d.run('DECRBY', 'n', '2'), 40);
    assert.equal(d.run('DECR', 'n'), 39);
    d.run('SET', 'n', '9223372036854775806');
    assert.equal(d.run('INCR', 'n'), 9223372036854775807n);
    assert.equal(show(d.run('INCR', 'n')), '!ERR increment or decrement would overflow');
    d.run('SET', 's', 'abc');
    assert.equal(show(d.run('INCR', 's')), '!ERR value is not an integer or out of range');
    d.run('SET', 's', '007');
    assert.equal(show(d.run('INCR', 's')), '!ERR value is not an integer or out of range');
    assert.equal(show(d.run('INCRBY', 'n', '1.5')), '!ERR value is not an integer or out of range');
  });

  it('INCRBYFLOAT formats like Redis', () => {
    const d = new FsmDriver();
    assert.equal(show(d.run('INCRBYFLOAT', 'f', '10.5')), '10.5');
    assert.equal(show(d.run('INCRBYFLOAT', 'f', '0.1')), '10.6');
    assert.equal(show(d.run('INCRBYFLOAT', 'f', '-10.6')), '0');
    assert.equal(show(d.run('INCRBYFLOAT', 'f', '5.0e3')), '5000');
    assert.equal(show(d.run('INCRBYFLOAT', 'f', 'abc')), '!ERR value is not a valid float');
    assert.equal(formatFloat(1e21), '1000000000000000000000');
    assert.equal(formatFloat(1.5e-7), '0.00000015');
  });

  it('APPEND, STRLEN, GETRANGE, SETRANGE', () => {
    const d = new FsmDriver();
    assert.equal(d.run('APPEND', 's', 'Hello'), 5);
    assert.equal(d.run('APPEND', 's', ' World'), 11);
    assert.equal(d.read('STRLEN', 's'), 11);
    assert.equal(show(d.read('GETRANGE', 's', '0', '4')), 'Hello');
    assert.equal(show(d.read('GETRANGE', 's', '-5', '-1')), 'World');
    assert.equal(show(d.read('GETRANGE', 's', '5', '1')), '');
    assert.equal(show(d.read('GETRANGE', 's', '-1', '-5')), '');
    assert.equal(show(d.read('GETRANGE', 's', '0', '100')), 'Hello World');
    assert.equal(d.run('SETRANGE', 's', '6', 'Redis'), 11);
    assert.equal(show(d.read('GET', 's')), 'Hello Redis');
    assert.equal(d.run('SETRANGE', 'z', '3', 'x'), 4);
    assert.equal(show(d.read('GET', 'z')), '\0\0\0x');
    assert.equal(show(d.run('SETRANGE', 'z', '-1', 'x')), '!ERR offset is out of range');
  });

  it('MSET, MGET, MSETNX, GETSET, GETDEL, GETEX, SETNX, SETEX, and the GETMANY/SETMANY aliases', () => {
    const d = new FsmDriver();
    assert.equal(show(d.run('MSET', 'a', '1', 'b', '2')), '+OK');
    assert.deepEqual(show(d.read('MGET', 'a', 'b', 'c')), ['1', '2', null]);
    assert.deepEqual(show(d.read('GETMANY', 'a', 'b')), ['1', '2']);
    assert.equal(show(d.run('SETMANY', 'c', '3')), '+OK');
    assert.equal(show(d.run('MSET', 'a')), "!ERR wrong number of arguments for 'mset' command");
    assert.equal(d.run('MSETNX', 'c', 'x', 'd', 'y'), 0);
    assert.equal(d.run('MSETNX', 'd', 'x', 'e', 'y'), 1);
    assert.equal(show(d.run('GETSET', 'a', '10')), '1');
    assert.equal(show(d.run('GETDEL', 'a')), '10');
    assert.equal(show(d.read('GET', 'a')), null);
    assert.equal(d.run('SETNX', 'a', '1'), 1);
    assert.equal(d.run('SETNX', 'a', '2'), 0);
    assert.equal(show(d.run('SETEX', 't', '10', 'v')), '+OK');
    assert.equal(d.fsm.dbs[0]!.entries.get('t')!.expireAt, d.now + 10_000);
    assert.equal(show(d.run('GETEX', 't', 'PERSIST')), 'v');
    assert.equal(d.fsm.dbs[0]!.entries.get('t')!.expireAt, 0);
    assert.equal(show(d.run('GETEX', 't', 'PX', '5')), 'v');
    assert.equal(d.fsm.dbs[0]!.entries.get('t')!.expireAt, d.now + 5);
    assert.equal(
      show(d.run('PSETEX', 'p', '0', 'v')),
      "!ERR invalid expire time in 'psetex' command",
    );
  });

  it('refuses string commands on other types with WRONGTYPE', () => {
    const d = new FsmDriver();
    d.run('HSET', 'h', 'f', 'v');
    const wrongtype = '!WRONGTYPE Operation against a key holding the wrong kind of value';
    assert.equal(show(d.read('GET', 'h')), wrongtype);
    assert.equal(show(d.run('INCR', 'h')), wrongtype);
    assert.equal(show(d.run('APPEND', 'h', 'x')), wrongtype);
    assert.equal(show(d.run('SET', 'h', 'x', 'GET')), wrongtype);
    assert.equal(show(d.run('SET', 'h', 'x')), '+OK', 'a plain SET overwrites any type');
  });

  it('records the writing log index as the key version (WATCH)', () => {
    const d = new FsmDriver();
    d.run('SET', 'k', 'v');
    const v1 = d.fsm.versionOf(0, Buffer.from('k'), d.now);
    d.run('SET', 'other', 'v');
    assert.equal(d.fsm.versionOf(0, Buffer.from('k'), d.now), v1);
    d.run('APPEND', 'k', 'x');
    assert.ok(d.fsm.versionOf(0, Buffer.from('k'), d.now) > v1);
  });

  it('refuses unknown and internal commands from clients but runs the leader sweep from the log', () => {
    const d = new FsmDriver();
    assert.match(String(show(d.read('__expire', 'k'))), /unknown command/);
    d.run('SET', 'k', 'v', 'PX', '10');
    d.now += 20;
    assert.equal(d.run('__expire', 'k'), 1);
    assert.equal(d.fsm.dbs[0]!.entries.has('k'), false);
    d.run('SET', 'k', 'again');
    assert.equal(d.run('__expire', 'k'), 0, 'a key written again is not swept');
  });

  it('LCS: string, length and ranges; a table over the bulk limit is refused, not built', () => {
    const d = new FsmDriver();
    d.run('SET', 'a', 'ohmytext');
    d.run('SET', 'b', 'mynewtext');
    assert.equal(show(d.read('LCS', 'a', 'b')), 'mytext');
    assert.equal(show(d.read('LCS', 'a', 'b', 'LEN')), 6);
    assert.deepEqual(show(d.read('LCS', 'a', 'b', 'IDX', 'MINMATCHLEN', '4', 'WITHMATCHLEN')), [
      'matches',
      [[[4, 7], [5, 8], 4]],
      'len',
      6,
    ]);
    assert.equal(show(d.read('LCS', 'a', 'nokey')), '');
    d.run('HSET', 'h', 'f', 'v');
    assert.equal(
      show(d.read('LCS', 'a', 'h')),
      '!ERR The specified keys must contain string values',
    );
    // (12,000 + 1)^2 cells of 4 bytes is over 512 MB.
    d.run('SET', 'x', 'x'.repeat(12_000));
    d.run('SET', 'y', 'y'.repeat(12_000));
    assert.equal(
      show(d.read('LCS', 'x', 'y', 'LEN')),
      '!ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len',
    );
  });

  // Captured from redis-server 7.0.15: in EXEC, a value a command of the transaction stored
  // from its own arguments has a second reference (the queued command's), shared integers
  // excepted; COPY makes an object of its own; after EXEC, one reference again.
  it('OBJECT REFCOUNT inside EXEC counts the arguments of queued commands, as Redis does', () => {
    const d = new FsmDriver();
    const commands = [
      ['SET', 'a', '5'],
      ['SET', 'b', '12345'],
      ['SET', 'c', 'xyz'],
      ['MSET', 'd', '1', 'e', 'hello'],
      ['GETSET', 'c', '77777'],
      ['OBJECT', 'REFCOUNT', 'a'],
      ['OBJECT', 'REFCOUNT', 'b'],
      ['OBJECT', 'REFCOUNT', 'c'],
      ['OBJECT', 'REFCOUNT', 'd'],
      ['OBJECT', 'REFCOUNT', 'e'],
      ['COPY', 'e', 'e2'],
      ['OBJECT', 'REFCOUNT', 'e2'],
      ['RENAME', 'e', 'e3'],
      ['OBJECT', 'REFCOUNT', 'e3'],
      ['SETEX', 't', '100', 'abc'],
      ['OBJECT', 'REFCOUNT', 't'],
      ['APPEND', 'newk', 'xyz'],
      ['OBJECT', 'REFCOUNT', 'newk'],
      ['SETNX', 'nx', 'v'],
      ['OBJECT', 'REFCOUNT', 'nx'],
      ['SET', 'g', 'v', 'GET'],
      ['OBJECT', 'REFCOUNT', 'g'],
      ['INCR', 'b'],
      ['OBJECT', 'REFCOUNT', 'b'],
      ['INCRBYFLOAT', 'f', '3'],
      ['OBJECT', 'REFCOUNT', 'f'],
    ];
    const replies = show(d.transaction([], commands)) as unknown[];
    const refcounts = replies.filter((_, i) => commands[i]![0] === 'OBJECT');
    // (INCRBYFLOAT's result joins its arguments: Redis replicates it as a SET of it.)
    assert.deepEqual(refcounts, [2147483647, 2, 2, 2147483647, 2, 1, 2, 2, 2, 2, 2, 1, 2]);
    // After EXEC, only the state holds the values.
    assert.equal(show(d.read('OBJECT', 'REFCOUNT', 'c')), 1);
    assert.equal(
      show(d.read('OBJECT', 'REFCOUNT', 'f')),
      1,
      'an INCRBYFLOAT result is no shared integer',
    );
  });

  it('a string edited in place stays raw, and an INCRBYFLOAT result is never int, through a snapshot; older images still load', () => {
    const d = new FsmDriver();
    d.run('SET', 'n', '12');
    d.run('APPEND', 'n', '3');
    d.run('SET', 'plain', '7');
    // Redis keeps INCRBYFLOAT's result as a string object: "3" is embstr there, not int.
    d.run('INCRBYFLOAT', 'f', '3.0000000000000000001');
    d.run('SET', 'g', '1.5');
    d.run('INCRBYFLOAT', 'g', '1.5');
    d.run('SET', 'reset', '2');
    d.run('INCRBYFLOAT', 'reset', '1');
    d.run('INCR', 'reset');
    const encoding = (fsm: KvStateMachine, key: string): unknown => {
      const e = fsm.dbs[0]!.entries.get(key)!;
      return objectEncoding(e.value);
    };
    assert.equal(encoding(d.fsm, 'n'), 'raw');
    assert.equal(show(d.read('GET', 'f')), '3');
    assert.equal(encoding(d.fsm, 'f'), 'embstr');
    assert.equal(show(d.read('GET', 'g')), '3');
    assert.equal(encoding(d.fsm, 'g'), 'embstr');
    assert.equal(encoding(d.fsm, 'reset'), 'int', 'INCR stores an int again');
    const image = d.fsm.snapshot().serialize();
    assert.equal(image[4], 5, 'written as version 5');
    const copy = new KvStateMachine();
    copy.restore(image);
    assert.equal(encoding(copy, 'n'), 'raw');
    assert.equal(encoding(copy, 'f'), 'embstr');
    assert.equal(encoding(copy, 'g'), 'embstr');
    assert.equal(encoding(copy, 'plain'), 'int');
    assert.deepEqual(copy.merkle!.root().root, d.fsm.merkle!.root().root, 'not in the value');
    // The same image as versions 3 and 4 wrote it, before types 2 and 3 existed: plain
    // strings only.
    const d3 = new FsmDriver();
    d3.run('SET', 'n', '123');
    for (const version of [3, 4]) {
      const older = Buffer.from(d3.fsm.snapshot().serialize());
      older[4] = version;
      const old = new KvStateMachine();
      old.restore(older);
      assert.equal(encoding(old, 'n'), 'int');
    }
    // ...and a type 2 string in a version 3 image, or a type 3 one in a version 4 image, is
    // refused, not guessed at.
    const writers: [version: number, commands: string[][]][] = [
      [
        3,
        [
          ['SET', 'n', '12'],
          ['APPEND', 'n', '3'],
        ],
      ],
      [4, [['INCRBYFLOAT', 'f', '3']]],
    ];
    for (const [version, commands] of writers) {
      const one = new FsmDriver();
      for (const argv of commands) one.run(...argv);
      const forged = Buffer.from(one.fsm.snapshot().serialize());
      forged[4] = version;
      assert.throws(() => {
        new KvStateMachine().restore(forged);
      }, /invalid state machine snapshot/);
    }
  });
});

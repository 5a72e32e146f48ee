import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_RANDOM_REPLY } from '../../src/fsm/commands/hashes.js';
import type { Result } from '../../src/fsm/result.js';
import {
  ctx,
  entry,
  exec,
  expiresConsistent,
  putString,
  show,
  type TestContext,
} from './helpers.js';

const NOT_INT = '!ERR value is not an integer or out of range';
const NOT_FLOAT = '!ERR value is not a valid float';
const SYNTAX = '!ERR syntax error';
const WRONGTYPE = '!WRONGTYPE Operation against a key holding the wrong kind of value';

function run(c: TestContext, ...args: string[]): unknown {
  return show(exec(c, ...args));
}

describe('HSET, HMSET, HSETNX', () => {
  it('HSET answers the number of new fields; HMSET answers OK', () => {
    const c = ctx();
    assert.equal(run(c, 'HSET', 'h', 'a', '1', 'b', '2'), 2);
    assert.equal(run(c, 'HSET', 'h', 'a', '3', 'c', '4'), 1);
    assert.equal(run(c, 'HSET', 'h', 'd', '5', 'd', '6'), 1, 'a field named twice: the last wins');
    assert.equal(run(c, 'HGET', 'h', 'd'), '6');
    assert.equal(run(c, 'HMSET', 'h', 'x', '1'), '+OK');
    assert.deepEqual(run(c, 'HGETALL', 'h'), ['a', '3', 'b', '2', 'c', '4', 'd', '6', 'x', '1']);
  });

  it('rejects an odd number of field/value arguments', () => {
    const c = ctx();
    assert.equal(
      run(c, 'HSET', 'h', 'a', '1', 'b'),
      "!ERR wrong number of arguments for 'hset' command",
    );
    assert.equal(
      run(c, 'HMSET', 'h', 'a', '1', 'b'),
      "!ERR wrong number of arguments for 'hmset' command",
    );
    assert.equal(run(c, 'HSET', 'h', 'a'), "!ERR wrong number of arguments for 'hset' command");
    assert.equal(c.db.size, 0);
  });

  it('HSETNX sets only a missing field', () => {
    const c = ctx();
    assert.equal(run(c, 'HSETNX', 'h', 'a', '1'), 1);
    assert.equal(run(c, 'HSETNX', 'h', 'a', '2'), 0);
    assert.equal(run(c, 'HGET', 'h', 'a'), '1');
    assert.equal(run(c, 'HSETNX', 'h', 'b', '2'), 1);
  });

  it('stamps the version on every write that changes the hash, and keeps its expiry', () => {
    const c = ctx();
    c.index = 1;
    exec(c, 'HSET', 'h', 'a', '1');
    exec(c, 'PEXPIRE', 'h', '5000');
    c.index = 2;
    exec(c, 'HSET', 'h', 'a', '1');
    assert.deepEqual([entry(c, 'h')!.version, entry(c, 'h')!.expireAt], [2, c.now + 5000]);
    c.index = 3;
    assert.equal(run(c, 'HSETNX', 'h', 'a', '9'), 0);
    assert.equal(entry(c, 'h')!.version, 2, 'HSETNX that sets nothing writes nothing');
    assert.equal(run(c, 'HDEL', 'h', 'nope'), 0);
    assert.equal(entry(c, 'h')!.version, 2, 'HDEL that deletes nothing writes nothing');
    c.index = 4;
    exec(c, 'HINCRBY', 'h', 'n', '1');
    assert.equal(entry(c, 'h')!.version, 4);
    c.index = 5;
    exec(c, 'HINCRBYFLOAT', 'h', 'n', '1');
    assert.equal(entry(c, 'h')!.version, 5);
    c.index = 6;
    exec(c, 'HDEL', 'h', 'n');
    assert.equal(entry(c, 'h')!.version, 6);
    assert.equal(entry(c, 'h')!.expireAt, c.now + 5000);
  });

  it('starts a fresh hash over an expired key: no old fields, no old expiry', () => {
    const c = ctx();
    exec(c, 'HSET', 'h', 'old', '1');
    exec(c, 'PEXPIRE', 'h', '10');
    c.now += 10;
    assert.equal(run(c, 'HSET', 'h', 'new', '2'), 1);
    assert.deepEqual(run(c, 'HGETALL', 'h'), ['new', '2']);
    assert.equal(entry(c, 'h')!.expireAt, 0);
    assert.ok(expiresConsistent(c.db));
    exec(c, 'PEXPIRE', 'h', '10');
    c.now += 10;
    assert.equal(run(c, 'HSETNX', 'h', 'new', '3'), 1);
    exec(c, 'PEXPIRE', 'h', '10');
    c.now += 10;
    assert.equal(run(c, 'HINCRBY', 'h', 'new', '5'), 5);
  });

  it('stores the argument bytes as given, binary-safe', () => {
    const c = ctx();
    const field = Buffer.from([0, 0xff, 0x0a]);
    const value = Buffer.from([0xde, 0xad, 0, 0xbe]);
    exec(c, 'HSET', 'h', field, value);
    assert.deepEqual(exec(c, 'HGET', 'h', field), value);
    assert.deepEqual(exec(c, 'HKEYS', 'h'), [field]);
  });
});

describe('HGET, HMGET, HGETALL, HKEYS, HVALS, HLEN, HEXISTS, HSTRLEN', () => {
  it('read fields, in insertion order', () => {
    const c = ctx();
    exec(c, 'HSET', 'h', 'b', '2', 'a', '1', 'c', 'three');
    assert.equal(run(c, 'HGET', 'h', 'a'), '1');
    assert.equal(run(c, 'HGET', 'h', 'nope'), null);
    assert.deepEqual(run(c, 'HMGET', 'h', 'a', 'nope', 'c', 'a'), ['1', null, 'three', '1']);
    assert.deepEqual(run(c, 'HGETALL', 'h'), ['b', '2', 'a', '1', 'c', 'three']);
    assert.deepEqual(run(c, 'HKEYS', 'h'), ['b', 'a', 'c']);
    assert.deepEqual(run(c, 'HVALS', 'h'), ['2', '1', 'three']);
    assert.equal(run(c, 'HLEN', 'h'), 3);
    assert.equal(run(c, 'HEXISTS', 'h', 'c'), 1);
    assert.equal(run(c, 'HEXISTS', 'h', 'd'), 0);
    assert.equal(run(c, 'HSTRLEN', 'h', 'c'), 5);
    assert.equal(run(c, 'HSTRLEN', 'h', 'd'), 0);
  });

  it('see a missing or expired key as empty', () => {
    const c = ctx();
    exec(c, 'HSET', 'gone', 'f', 'v');
    exec(c, 'PEXPIRE', 'gone', '1');
    c.now += 1;
    for (const key of ['nope', 'gone']) {
      assert.equal(run(c, 'HGET', key, 'f'), null);
      assert.deepEqual(run(c, 'HMGET', key, 'f', 'g'), [null, null]);
      assert.deepEqual(run(c, 'HGETALL', key), []);
      assert.deepEqual(run(c, 'HKEYS', key), []);
      assert.deepEqual(run(c, 'HVALS', key), []);
      assert.equal(run(c, 'HLEN', key), 0);
      assert.equal(run(c, 'HEXISTS', key, 'f'), 0);
      assert.equal(run(c, 'HSTRLEN', key, 'f'), 0);
      assert.equal(run(c, 'HRANDFIELD', key), null);
      assert.deepEqual(run(c, 'HRANDFIELD', key, '3'), []);
      assert.deepEqual(run(c, 'HSCAN', key, '0'), ['0', []]);
    }
  });
});

describe('WRONGTYPE', () => {
  it('every hash command refuses a string key and leaves it alone', () => {
    const c = ctx();
    putString(c, 's', 'v');
    for (const args of [
      ['HSET', 's', 'f', 'v'],
      ['HMSET', 's', 'f', 'v'],
      ['HSETNX', 's', 'f', 'v'],
      ['HGET', 's', 'f'],
      ['HMGET', 's', 'f'],
      ['HGETALL', 's'],
      ['HDEL', 's', 'f'],
      ['HEXISTS', 's', 'f'],
      ['HLEN', 's'],
      ['HKEYS', 's'],
      ['HVALS', 's'],
      ['HINCRBY', 's', 'f', '1'],
      ['HINCRBYFLOAT', 's', 'f', '1'],
      ['HSTRLEN', 's', 'f'],
      ['HRANDFIELD', 's'],
      ['HRANDFIELD', 's', '1'],
      ['HRANDFIELD', 's', '-1', 'WITHVALUES'],
      ['HSCAN', 's', '0'],
    ]) {
      assert.equal(run(c, ...args), WRONGTYPE, args.join(' '));
    }
    assert.equal(entry(c, 's')!.version, 0);
  });

  it('argument errors come before the type check where Redis checks them first', () => {
    const c = ctx();
    putString(c, 's', 'v');
    assert.equal(run(c, 'HINCRBY', 's', 'f', 'abc'), NOT_INT);
    assert.equal(run(c, 'HINCRBYFLOAT', 's', 'f', 'abc'), NOT_FLOAT);
    assert.equal(run(c, 'HRANDFIELD', 's', 'abc'), NOT_INT);
    assert.equal(run(c, 'HSCAN', 's', 'abc'), '!ERR invalid cursor');
    assert.equal(run(c, 'HSET', 's', 'f'), "!ERR wrong number of arguments for 'hset' command");
  });
});

describe('HDEL', () => {
  it('counts deleted fields once each, and deletes the emptied key', () => {
    const c = ctx();
    exec(c, 'HSET', 'h', 'a', '1', 'b', '2', 'c', '3');
    exec(c, 'EXPIRE', 'h', '100');
    assert.equal(run(c, 'HDEL', 'h', 'a', 'a', 'nope'), 1);
    assert.equal(run(c, 'HDEL', 'h', 'b', 'c'), 2);
    assert.equal(c.db.entries.has('h'), false);
    assert.ok(expiresConsistent(c.db));
    assert.equal(run(c, 'HDEL', 'h', 'a'), 0);
  });
});

describe('HINCRBY', () => {
  it('adds in int64, creating the field and the key', () => {
    const c = ctx();
    assert.equal(run(c, 'HINCRBY', 'h', 'n', '5'), 5);
    assert.equal(run(c, 'HINCRBY', 'h', 'n', '-7'), -2);
    assert.equal(run(c, 'HGET', 'h', 'n'), '-2');
    assert.equal(run(c, 'HINCRBY', 'h', 'n', '0'), -2);
    exec(c, 'HSET', 'h', 'n', '9223372036854775800');
    assert.equal(run(c, 'HINCRBY', 'h', 'n', '7'), 9223372036854775807n);
    assert.equal(run(c, 'HINCRBY', 'h', 'n', '-9223372036854775808'), -1);
  });

  it('refuses overflow in both directions, leaving the value', () => {
    const c = ctx();
    const overflow = '!ERR increment or decrement would overflow';
    exec(c, 'HSET', 'h', 'n', '9223372036854775804');
    assert.equal(run(c, 'HINCRBY', 'h', 'n', '10'), overflow);
    assert.equal(run(c, 'HINCRBY', 'h', 'n', '9223372036854775807'), overflow);
    exec(c, 'HSET', 'h', 'm', '-9223372036854775800');
    assert.equal(run(c, 'HINCRBY', 'h', 'm', '-9'), overflow);
    assert.equal(run(c, 'HGET', 'h', 'n'), '9223372036854775804');
  });

  it('accepts only canonical integers, as increment and as stored value', () => {
    const c = ctx();
    for (const bad of ['abc', '-0', '+1', '01', '1.0', ' 1', '1 ', '', '9223372036854775808']) {
      assert.equal(run(c, 'HINCRBY', 'h', 'n', bad), NOT_INT, JSON.stringify(bad));
    }
    for (const stored of [' 1', '01', '1.0', '-0', 'abc', '', '99999999999999999999']) {
      exec(c, 'HSET', 'h', 's', stored);
      assert.equal(run(c, 'HINCRBY', 'h', 's', '1'), '!ERR hash value is not an integer', stored);
    }
  });
});

describe('HINCRBYFLOAT', () => {
  /** Increments applied in turn to one field, and what redis-server 7.0.15 answered. */
  const sequences: [string, string[], string[]][] = [
    ['0.1 + 0.2 is 0.3 in long double', ['0.1', '0.2'], ['0.1', '0.3']],
    ['the documented example', ['10.5', '0.1', '-5'], ['10.5', '10.6', '5.6']],
    ['exponents', ['5.0e3', '2.0e2'], ['5000', '5200']],
    ['1e30 in 64 significant bits', ['1e30'], ['1000000000000000000024696061952']],
    ['ties round to even when printing', ['0.000003814697265625'], ['0.00000381469726562']],
    ['a negative result rounding to zero prints 0', ['-0.0000000000000000001'], ['0']],
    ['-0 prints 0', ['-0'], ['0']],
    [
      'forms strtold accepts',
      ['.5', '5.', '+3', '0x10', '0x.8p1', '1E2'],
      ['0.5', '5.5', '8.5', '24.5', '25.5', '125.5'],
    ],
    ['a subnormal increment', ['0x1.8p-16446'], ['0']],
    ['integers stay exact', ['9007199254740993', '1'], ['9007199254740993', '9007199254740994']],
  ];
  for (const [name, incs, want] of sequences) {
    it(name, () => {
      const c = ctx();
      assert.deepEqual(
        incs.map((inc) => run(c, 'HINCRBYFLOAT', 'h', 'f', inc)),
        want,
      );
      assert.equal(run(c, 'HGET', 'h', 'f'), want[want.length - 1]);
    });
  }

  it('values beyond double range work as in Redis (x87 extended range)', () => {
    const c = ctx();
    const r = run(c, 'HINCRBYFLOAT', 'h', 'f', '1e400') as string;
    assert.equal(r.length, 401);
    assert.ok(
      r.startsWith('10000000000000000000281880683947586514586453433629052038625910693539685534'),
    );
    assert.equal(run(c, 'HINCRBYFLOAT', 'h', 'g', '1e-400'), '0');
    assert.equal(run(c, 'HINCRBYFLOAT', 'h', 'big', '1.1e4932'), run(c, 'HGET', 'h', 'big'));
    assert.equal(
      run(c, 'HINCRBYFLOAT', 'h', 'big', '1.1e4932'),
      '!ERR increment would produce NaN or Infinity',
    );
  });

  it("reproduces Redis's errors", () => {
    const c = ctx();
    for (const bad of [
      'abc',
      'nan',
      ' 1',
      '1 ',
      '1e',
      '.',
      '0x',
      '',
      '1e5000',
      '1.5e-5000',
      '0x1p-16446',
    ]) {
      assert.equal(run(c, 'HINCRBYFLOAT', 'h', 'f', bad), NOT_FLOAT, JSON.stringify(bad));
    }
    assert.equal(run(c, 'HINCRBYFLOAT', 'h', 'f', '1'.repeat(5120)), NOT_FLOAT);
    for (const inf of ['inf', '-inf', 'Infinity', '+INF']) {
      assert.equal(run(c, 'HINCRBYFLOAT', 'h', 'f', inf), '!ERR value is NaN or Infinity');
    }
    exec(c, 'HSET', 'h', 's', 'abc');
    assert.equal(run(c, 'HINCRBYFLOAT', 'h', 's', '1'), '!ERR hash value is not a float');
    exec(c, 'HSET', 'h', 'i', 'inf');
    assert.equal(
      run(c, 'HINCRBYFLOAT', 'h', 'i', '1'),
      '!ERR increment would produce NaN or Infinity',
    );
    exec(c, 'HSET', 'h', 'x', '0x1p3');
    assert.equal(run(c, 'HINCRBYFLOAT', 'h', 'x', '1'), '9', 'a stored hex float parses');
  });
});

describe('HRANDFIELD', () => {
  function fresh(): TestContext {
    const c = ctx();
    exec(c, 'HSET', 'h', 'a', '1', 'b', '2', 'c', '3');
    return c;
  }

  it('without a count returns one field', () => {
    const c = fresh();
    const seen = new Set<unknown>();
    for (let i = 0; i < 100; i++) seen.add(run(c, 'HRANDFIELD', 'h'));
    assert.deepEqual([...seen].sort(), ['a', 'b', 'c']);
    c.random = () => 1;
    assert.equal(run(c, 'HRANDFIELD', 'h'), 'b', 'draws through ctx.random');
  });

  it('a positive count gives distinct fields, the whole hash when count >= size', () => {
    const c = fresh();
    for (let i = 0; i < 50; i++) {
      const r = run(c, 'HRANDFIELD', 'h', '2') as string[];
      assert.equal(r.length, 2);
      assert.equal(new Set(r).size, 2);
    }
    assert.deepEqual(run(c, 'HRANDFIELD', 'h', '3'), ['a', 'b', 'c']);
    assert.deepEqual(run(c, 'HRANDFIELD', 'h', '100', 'WITHVALUES'), [
      'a',
      '1',
      'b',
      '2',
      'c',
      '3',
    ]);
    const one = run(c, 'HRANDFIELD', 'h', '1', 'withvalues') as string[];
    assert.equal(one.length, 2);
    assert.equal(run(c, 'HGET', 'h', one[0]!), one[1]);
    assert.deepEqual(run(c, 'HRANDFIELD', 'h', '0'), []);
    assert.deepEqual(run(c, 'HRANDFIELD', 'h', '0', 'WITHVALUES'), []);
  });

  it('a negative count gives exactly |count| fields, repeats allowed', () => {
    const c = fresh();
    const r = run(c, 'HRANDFIELD', 'h', '-20') as string[];
    assert.equal(r.length, 20);
    assert.ok(r.every((f) => ['a', 'b', 'c'].includes(f)));
    const wv = run(c, 'HRANDFIELD', 'h', '-5', 'WITHVALUES') as string[];
    assert.equal(wv.length, 10);
    for (let i = 0; i < wv.length; i += 2) assert.equal(run(c, 'HGET', 'h', wv[i]!), wv[i + 1]);
  });

  it("reproduces Redis's argument checks, in Redis's order", () => {
    const c = fresh();
    assert.equal(run(c, 'HRANDFIELD', 'h', 'abc'), NOT_INT);
    assert.equal(run(c, 'HRANDFIELD', 'h', '1', 'foo'), SYNTAX);
    assert.equal(run(c, 'HRANDFIELD', 'h', '1', 'WITHVALUES', 'foo'), SYNTAX);
    assert.equal(
      run(c, 'HRANDFIELD', 'h', '-9223372036854775808'),
      '!ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
    );
    assert.equal(
      run(c, 'HRANDFIELD', 'h', '-9223372036854775807', 'WITHVALUES'),
      '!ERR value is out of range',
    );
    assert.equal(
      run(c, 'HRANDFIELD', 'nope', '4611686018427387904', 'WITHVALUES'),
      '!ERR value is out of range',
    );
    assert.equal(
      (run(c, 'HRANDFIELD', 'h', '4611686018427387903', 'WITHVALUES') as string[]).length,
      6,
    );
  });

  it('caps the reply of a negative count instead of exhausting memory', () => {
    const c = fresh();
    assert.equal(
      run(c, 'HRANDFIELD', 'h', String(-(MAX_RANDOM_REPLY + 1))),
      '!ERR value is out of range',
    );
    assert.equal(run(c, 'HRANDFIELD', 'h', '-9223372036854775807'), '!ERR value is out of range');
  });
});

/** A full HSCAN iteration: the field/value pairs returned and the number of calls. */
function hscanAll(
  c: TestContext,
  key: string,
  ...opts: string[]
): { items: string[]; calls: number } {
  let cursor = '0';
  const items: string[] = [];
  let calls = 0;
  do {
    const r = exec(c, 'HSCAN', key, cursor, ...opts) as readonly Result[];
    cursor = (r[0] as Buffer).toString();
    for (const x of r[1] as readonly Buffer[]) items.push(x.toString('latin1'));
    calls++;
  } while (cursor !== '0');
  return { items, calls };
}

describe('HSCAN', () => {
  it('returns a small hash whole, in order, whatever the cursor and COUNT', () => {
    const c = ctx();
    exec(c, 'HSET', 'h', 'a', '1', 'b', '2', 'c', '3');
    assert.deepEqual(run(c, 'HSCAN', 'h', '0', 'COUNT', '1'), [
      '0',
      ['a', '1', 'b', '2', 'c', '3'],
    ]);
    assert.deepEqual(run(c, 'HSCAN', 'h', '5'), ['0', ['a', '1', 'b', '2', 'c', '3']]);
    assert.deepEqual(run(c, 'HSCAN', 'h', '0', 'MATCH', 'a*'), ['0', ['a', '1']]);
    assert.deepEqual(run(c, 'HSCAN', 'h', '0', 'NOVALUES'), ['0', ['a', 'b', 'c']]);
    assert.deepEqual(run(c, 'HSCAN', 'h', '0', 'novalues', 'match', '[bc]'), ['0', ['b', 'c']]);
  });

  it('walks a large hash in pages, each field once', () => {
    const c = ctx();
    // Past hash-max-listpack-entries (512): a listpack hash is returned whole, as in Redis.
    const pairs = Array.from({ length: 600 }, (_, i) => [`field:${i}`, `v${i}`]).flat();
    exec(c, 'HSET', 'h', ...pairs);
    const { items, calls } = hscanAll(c, 'h', 'COUNT', '20');
    assert.equal(calls, 30);
    const got = new Map<string, string>();
    for (let i = 0; i < items.length; i += 2) got.set(items[i]!, items[i + 1]!);
    assert.equal(got.size, 600);
    assert.equal(items.length, 1200);
    for (let i = 0; i < 600; i++) assert.equal(got.get(`field:${i}`), `v${i}`);
    assert.equal(hscanAll(c, 'h', 'NOVALUES').items.length, 600);
    assert.equal(hscanAll(c, 'h', 'MATCH', 'field:1?').items.length, 20);
  });

  it('returns every field present for the whole iteration despite writes in between', () => {
    fc.assert(
      fc.property(
        // More fields than a listpack holds, so that HSCAN pages (see the test above).
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 5 }), {
          minLength: 520,
          maxLength: 600,
        }),
        fc.array(fc.tuple(fc.boolean(), fc.string({ minLength: 1, maxLength: 5 })), {
          maxLength: 100,
        }),
        (initial, churn) => {
          const c = ctx();
          exec(c, 'HSET', 'h', ...initial.flatMap((f) => [f, 'v']));
          const removed = new Set<string>();
          const seen = new Set<string>();
          let cursor = '0';
          let step = 0;
          do {
            const r = exec(c, 'HSCAN', 'h', cursor, 'COUNT', '7', 'NOVALUES') as readonly Result[];
            cursor = (r[0] as Buffer).toString();
            for (const f of r[1] as readonly Buffer[]) seen.add(f.toString('latin1'));
            for (let j = 0; j < 2 && step < churn.length; j++, step++) {
              const [insert, f] = churn[step]!;
              if (insert) exec(c, 'HSET', 'h', f, 'v');
              else if (exec(c, 'HDEL', 'h', f) === 1) removed.add(f);
            }
          } while (cursor !== '0');
          for (const f of initial) if (!removed.has(f)) assert.ok(seen.has(f), f);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("reproduces Redis's checks, in Redis's order", () => {
    const c = ctx();
    exec(c, 'HSET', 'h', 'a', '1');
    assert.equal(run(c, 'HSCAN', 'h', 'abc'), '!ERR invalid cursor');
    assert.equal(run(c, 'HSCAN', 'nope', 'abc'), '!ERR invalid cursor');
    assert.deepEqual(
      run(c, 'HSCAN', 'nope', '0', 'FOO'),
      ['0', []],
      'a missing key: no option check',
    );
    assert.equal(run(c, 'HSCAN', 'h', '0', 'FOO'), SYNTAX);
    assert.equal(run(c, 'HSCAN', 'h', '0', 'COUNT', '0'), SYNTAX);
    assert.equal(run(c, 'HSCAN', 'h', '0', 'COUNT', 'x'), NOT_INT);
    assert.equal(run(c, 'HSCAN', 'h', '0', 'TYPE', 'hash'), SYNTAX, 'TYPE is for SCAN only');
    assert.equal(run(c, 'HSCAN', 'h', '0', 'MATCH'), SYNTAX);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EMPTY_ARRAY_REPLY,
  EMPTY_BULK_REPLY,
  FALSE_REPLY,
  NULL_ARRAY_REPLY,
  NULL_REPLY,
  OK_REPLY,
  ONE_REPLY,
  ReplyWriter,
  TRUE_REPLY,
  ZERO_REPLY,
  arrayReply,
  bigNumberReply,
  booleanReply,
  bulkReply,
  doubleReply,
  encodeReply,
  errorReply,
  formatDouble,
  integerReply,
  mapReply,
  pushReply,
  setReply,
  simpleReply,
  verbatimReply,
} from '../../src/resp/encoder.js';
import type { Reply, ReplySink } from '../../src/resp/encoder.js';

const enc = (r: Reply, protocol: 2 | 3 = 2): string => encodeReply(r, protocol).toString('latin1');

describe('encodeReply: every type, RESP2 and RESP3', () => {
  const cases: [string, Reply, string, string][] = [
    ['simple string', OK_REPLY, '+OK\r\n', '+OK\r\n'],
    ['other simple string', simpleReply('PONG'), '+PONG\r\n', '+PONG\r\n'],
    [
      'error',
      errorReply('ERR unknown command'),
      '-ERR unknown command\r\n',
      '-ERR unknown command\r\n',
    ],
    ['integer 0', ZERO_REPLY, ':0\r\n', ':0\r\n'],
    ['integer 1', ONE_REPLY, ':1\r\n', ':1\r\n'],
    ['negative integer', integerReply(-42), ':-42\r\n', ':-42\r\n'],
    ['integer 9999 (table)', integerReply(9999), ':9999\r\n', ':9999\r\n'],
    ['integer 10000', integerReply(10000), ':10000\r\n', ':10000\r\n'],
    ['2^31 - 1', integerReply(2147483647), ':2147483647\r\n', ':2147483647\r\n'],
    ['2^31', integerReply(2147483648), ':2147483648\r\n', ':2147483648\r\n'],
    ['-2^31 - 1', integerReply(-2147483649), ':-2147483649\r\n', ':-2147483649\r\n'],
    [
      'min safe integer',
      integerReply(-(2 ** 53 - 1)),
      ':-9007199254740991\r\n',
      ':-9007199254740991\r\n',
    ],
    [
      'integral double beyond 2^53',
      integerReply(2 ** 60),
      ':1152921504606846976\r\n',
      ':1152921504606846976\r\n',
    ],
    [
      'max safe integer',
      integerReply(2 ** 53 - 1),
      ':9007199254740991\r\n',
      ':9007199254740991\r\n',
    ],
    [
      'LLONG_MAX (bigint)',
      integerReply(2n ** 63n - 1n),
      ':9223372036854775807\r\n',
      ':9223372036854775807\r\n',
    ],
    [
      'LLONG_MIN (bigint)',
      integerReply(-(2n ** 63n)),
      ':-9223372036854775808\r\n',
      ':-9223372036854775808\r\n',
    ],
    ['bulk Buffer', bulkReply(Buffer.from('hello')), '$5\r\nhello\r\n', '$5\r\nhello\r\n'],
    ['bulk string (UTF-8)', bulkReply('héllo'), '$6\r\nh\xc3\xa9llo\r\n', '$6\r\nh\xc3\xa9llo\r\n'],
    ['empty bulk', EMPTY_BULK_REPLY, '$0\r\n\r\n', '$0\r\n\r\n'],
    [
      'binary bulk',
      bulkReply(Buffer.from([0, 13, 10, 255])),
      '$4\r\n\x00\r\n\xff\r\n',
      '$4\r\n\x00\r\n\xff\r\n',
    ],
    ['null', NULL_REPLY, '$-1\r\n', '_\r\n'],
    ['null array', NULL_ARRAY_REPLY, '*-1\r\n', '_\r\n'],
    ['empty array', EMPTY_ARRAY_REPLY, '*0\r\n', '*0\r\n'],
    [
      'nested array',
      arrayReply([integerReply(1), arrayReply([bulkReply('a'), NULL_REPLY])]),
      '*2\r\n:1\r\n*2\r\n$1\r\na\r\n$-1\r\n',
      '*2\r\n:1\r\n*2\r\n$1\r\na\r\n_\r\n',
    ],
    [
      'map',
      mapReply([bulkReply('a'), integerReply(1), bulkReply('b'), integerReply(2)]),
      '*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:2\r\n',
      '%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:2\r\n',
    ],
    ['set', setReply([bulkReply('x')]), '*1\r\n$1\r\nx\r\n', '~1\r\n$1\r\nx\r\n'],
    [
      'push',
      pushReply([bulkReply('message'), bulkReply('ch'), bulkReply('hi')]),
      '*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n',
      '>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n',
    ],
    ['double', doubleReply(10.5), '$4\r\n10.5\r\n', ',10.5\r\n'],
    ['integral double', doubleReply(3), '$1\r\n3\r\n', ',3\r\n'],
    ['inf', doubleReply(Infinity), '$3\r\ninf\r\n', ',inf\r\n'],
    ['-inf', doubleReply(-Infinity), '$4\r\n-inf\r\n', ',-inf\r\n'],
    ['nan', doubleReply(NaN), '$3\r\nnan\r\n', ',nan\r\n'],
    ['true', TRUE_REPLY, ':1\r\n', '#t\r\n'],
    ['false', FALSE_REPLY, ':0\r\n', '#f\r\n'],
    [
      'big number',
      bigNumberReply(3492890328409238509324850943850943825024385n),
      '$43\r\n3492890328409238509324850943850943825024385\r\n',
      '(3492890328409238509324850943850943825024385\r\n',
    ],
    [
      'verbatim',
      verbatimReply('Some string'),
      '$11\r\nSome string\r\n',
      '=15\r\ntxt:Some string\r\n',
    ],
    [
      'verbatim mkd',
      verbatimReply(Buffer.from('# hi'), 'mkd'),
      '$4\r\n# hi\r\n',
      '=8\r\nmkd:# hi\r\n',
    ],
  ];
  for (const [name, reply, resp2, resp3] of cases) {
    it(name, () => {
      assert.equal(enc(reply, 2), resp2);
      assert.equal(enc(reply, 3), resp3);
    });
  }

  it('replaces CR and LF in status and error lines, as Redis does', () => {
    assert.equal(enc(errorReply('ERR bad\r\nthing')), '-ERR bad  thing\r\n');
    assert.equal(enc(simpleReply('a\nb')), '+a b\r\n');
  });

  it('writes non-ASCII status text as UTF-8', () => {
    assert.equal(encodeReply(simpleReply('ünï')).toString('utf8'), '+ünï\r\n');
  });

  it('rejects a non-integer integer reply', () => {
    assert.throws(() => encodeReply(integerReply(1.5)), RangeError);
  });

  it('shares constant replies without allocating', () => {
    assert.equal(integerReply(5), integerReply(5));
    assert.equal(integerReply(0), ZERO_REPLY);
    assert.equal(booleanReply(true), TRUE_REPLY);
    assert.ok(Object.isFrozen(OK_REPLY));
    assert.notEqual(integerReply(1_000_000), integerReply(1_000_000));
  });
});

describe('formatDouble (Redis 7.2+ d2string)', () => {
  const cases: [number, string][] = [
    [10.5, '10.5'],
    [0.1, '0.1'],
    [-2.5, '-2.5'],
    [3, '3'],
    [-3, '-3'],
    [0, '0'],
    [-0, '-0'],
    [1e15, '1000000000000000'],
    [2 ** 62, '4611686018427387904'],
    [2 ** 63, '9223372036854776000'],
    [1e20, '1e+20'],
    [1.5e20, '1.5e+20'],
    [1.5e300, '1.5e+300'],
    [123456.789, '123456.789'],
    [1234567890123.5, '1234567890123.5'],
    [0.000001, '0.000001'],
    [0.001234, '0.001234'],
    [0.0001234, '1.234e-4'],
    [1e-7, '1e-7'],
    [1.5e-7, '1.5e-7'],
    [1.2345678, '1.2345678'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
    [NaN, 'nan'],
  ];
  for (const [d, s] of cases) {
    it(`${String(d)} -> ${s}`, () => {
      assert.equal(formatDouble(d), s);
      if (!Number.isNaN(d)) assert.ok(Object.is(Number(s.replace('inf', 'Infinity')), d));
    });
  }
});

describe('ReplyWriter', () => {
  it('batches many replies into one buffer', () => {
    const w = new ReplyWriter();
    w.ok();
    w.integer(7);
    w.bulk('v');
    w.null();
    w.arrayHeader(2);
    w.bulk(Buffer.from('a'));
    w.integer(-1);
    assert.equal(w.length, 37);
    assert.equal(w.flush()?.toString(), '+OK\r\n:7\r\n$1\r\nv\r\n$-1\r\n*2\r\n$1\r\na\r\n:-1\r\n');
    assert.equal(w.flush(), null);
    assert.equal(w.length, 0);
  });

  it('switches protocol between replies (HELLO)', () => {
    const w = new ReplyWriter(2);
    w.null();
    w.protocol = 3;
    w.null();
    w.mapHeader(1);
    w.boolean(true);
    w.double(1.5);
    assert.equal(w.flush()?.toString(), '$-1\r\n_\r\n%1\r\n#t\r\n,1.5\r\n');
  });

  it('writes RESP2 map headers as 2N arrays', () => {
    const w = new ReplyWriter(2);
    w.mapHeader(3);
    w.setHeader(2);
    w.pushHeader(1);
    w.nullArray();
    assert.equal(w.flush()?.toString(), '*6\r\n*2\r\n*1\r\n*-1\r\n');
  });

  it('never corrupts a flushed batch when it writes the next one', () => {
    const w = new ReplyWriter(2, 64);
    const batches: [Buffer, string][] = [];
    for (let round = 0; round < 50; round++) {
      const count = (round * 37) % 700;
      let expected = '';
      for (let i = 0; i < count; i++) {
        w.bulk(`r${round}-${i}`);
        expected += `$${`r${round}-${i}`.length}\r\nr${round}-${i}\r\n`;
      }
      const out = w.flush();
      if (count === 0) assert.equal(out, null);
      else batches.push([out!, expected]);
    }
    for (const [buf, expected] of batches) assert.equal(buf.toString(), expected);
  });

  it('grows for a reply bigger than its buffer', () => {
    const w = new ReplyWriter(2, 64);
    const s = 'y'.repeat(10_000);
    w.bulk(s);
    w.simple(s);
    assert.equal(w.flush()?.toString(), `$10000\r\n${s}\r\n+${s}\r\n`);
  });

  it('sends large bulk Buffers by reference, in one corked write', () => {
    const big = Buffer.alloc(100_000, 'z');
    const w = new ReplyWriter();
    w.ok();
    w.bulk(big);
    w.integer(3);
    const writes: Buffer[] = [];
    const calls: string[] = [];
    const sink: ReplySink = {
      write: (b: Buffer) => {
        writes.push(b);
        calls.push('write');
      },
      cork: () => calls.push('cork'),
      uncork: () => calls.push('uncork'),
    };
    w.flushTo(sink);
    assert.deepEqual(calls, ['cork', 'write', 'write', 'write', 'uncork']);
    assert.equal(writes[1], big);
    assert.equal(Buffer.concat(writes).toString(), `+OK\r\n$100000\r\n${big.toString()}\r\n:3\r\n`);
    // The writer starts clean and does not touch what it handed out.
    w.ok();
    assert.equal(w.flush()?.toString(), '+OK\r\n');
    assert.equal(Buffer.concat(writes).toString(), `+OK\r\n$100000\r\n${big.toString()}\r\n:3\r\n`);
  });

  it('flush() joins pieces when large values were queued', () => {
    const big = Buffer.alloc(40_000, 'q');
    const w = new ReplyWriter();
    w.bulk(big);
    w.bulk(big);
    const out = w.flush()!;
    assert.equal(out.length, 2 * (40_000 + 10));
    assert.equal(out.toString(), `$40000\r\n${big.toString()}\r\n`.repeat(2));
  });

  it('flushTo writes a single buffer without corking', () => {
    const w = new ReplyWriter();
    const calls: string[] = [];
    w.flushTo({ write: () => calls.push('write') });
    w.ok();
    w.flushTo({ write: () => calls.push('write'), cork: () => calls.push('cork') });
    assert.deepEqual(calls, ['write']);
  });

  it('hands over big batches and keeps working', () => {
    const w = new ReplyWriter(2, 1024);
    for (let i = 0; i < 5000; i++) w.integer(i);
    const first = w.flush()!;
    for (let i = 0; i < 5000; i++) w.integer(i + 1);
    const second = w.flush()!;
    let a = '';
    let b = '';
    for (let i = 0; i < 5000; i++) {
      a += `:${i}\r\n`;
      b += `:${i + 1}\r\n`;
    }
    assert.equal(first.toString(), a);
    assert.equal(second.toString(), b);
  });

  it('copies raw pre-encoded bytes', () => {
    const w = new ReplyWriter();
    w.raw(Buffer.from('+RAW\r\n'));
    w.bigNumber(-12n);
    w.verbatim('x');
    assert.equal(w.flush()?.toString(), '+RAW\r\n$3\r\n-12\r\n$1\r\nx\r\n');
  });
});

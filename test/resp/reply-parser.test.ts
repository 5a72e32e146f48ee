import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EMPTY_ARRAY_REPLY,
  NULL_ARRAY_REPLY,
  NULL_REPLY,
  ReplyWriter,
  arrayReply,
  bigNumberReply,
  booleanReply,
  bulkReply,
  doubleReply,
  errorReply,
  integerReply,
  mapReply,
  pushReply,
  setReply,
  simpleReply,
  verbatimReply,
} from '../../src/resp/encoder.js';
import type { Reply } from '../../src/resp/encoder.js';
import { ReplyParser, encodeCommand } from '../../src/resp/reply-parser.js';
import { bothWays, plain, replies } from './helpers.js';
import type { Chunking } from './helpers.js';

function expectReplies(input: string | Buffer, expected: Reply[], chunking: Chunking): void {
  const r = replies(input, chunking);
  assert.equal(r.error, null);
  assert.deepStrictEqual(r.replies.map(plain), expected.map(plain));
}

describe('encodeCommand', () => {
  it('encodes strings as UTF-8 and Buffers as they are', () => {
    assert.equal(
      encodeCommand(['SET', 'clé', Buffer.from([0, 13, 10])]).toString('latin1'),
      '*3\r\n$3\r\nSET\r\n$4\r\ncl\xc3\xa9\r\n$3\r\n\x00\r\n\r\n',
    );
    assert.equal(encodeCommand([]).toString(), '*0\r\n');
    assert.equal(encodeCommand(['']).toString(), '*1\r\n$0\r\n\r\n');
  });
});

describe('ReplyParser: RESP2', () => {
  const cases: [string, string, Reply[]][] = [
    ['simple string', '+OK\r\n', [simpleReply('OK')]],
    ['empty simple string', '+\r\n', [simpleReply('')]],
    ['error', '-ERR unknown command\r\n', [errorReply('ERR unknown command')]],
    ['integer', ':1000\r\n', [integerReply(1000)]],
    ['negative integer', ':-5\r\n', [integerReply(-5)]],
    ['max safe integer is a number', ':9007199254740991\r\n', [integerReply(9007199254740991)]],
    ['LLONG_MAX is a bigint', ':9223372036854775807\r\n', [integerReply(9223372036854775807n)]],
    ['LLONG_MIN is a bigint', ':-9223372036854775808\r\n', [integerReply(-9223372036854775808n)]],
    ['bulk string', '$5\r\nhello\r\n', [bulkReply('hello')]],
    ['empty bulk string', '$0\r\n\r\n', [bulkReply('')]],
    ['bulk with CRLF inside', '$6\r\na\r\nb\r\n\r\n', [bulkReply('a\r\nb\r\n')]],
    ['null bulk', '$-1\r\n', [NULL_REPLY]],
    ['null array', '*-1\r\n', [NULL_ARRAY_REPLY]],
    ['empty array', '*0\r\n', [EMPTY_ARRAY_REPLY]],
    [
      'nested arrays',
      '*3\r\n:1\r\n*2\r\n+a\r\n$-1\r\n*0\r\n',
      [
        arrayReply([
          integerReply(1),
          arrayReply([simpleReply('a'), NULL_REPLY]),
          EMPTY_ARRAY_REPLY,
        ]),
      ],
    ],
    [
      'several replies in one stream',
      '+OK\r\n:1\r\n$1\r\nx\r\n-ERR no\r\n',
      [simpleReply('OK'), integerReply(1), bulkReply('x'), errorReply('ERR no')],
    ],
  ];
  for (const [name, input, expected] of cases) {
    bothWays(name, (c) => {
      expectReplies(input, expected, c);
    });
  }

  bothWays('keeps binary bulk payloads intact', (c) => {
    const payload = Buffer.from([0, 255, 13, 10, 36, 42, 13]);
    const input = Buffer.concat([Buffer.from('$7\r\n'), payload, Buffer.from('\r\n')]);
    expectReplies(input, [bulkReply(payload)], c);
  });

  bothWays('parses 10,000 pipelined replies', (c) => {
    const w = new ReplyWriter(2);
    for (let i = 0; i < 10_000; i++) {
      if (i % 3 === 0) w.ok();
      else if (i % 3 === 1) w.integer(i);
      else w.bulk(`value-${i}`);
    }
    const r = replies(w.flush()!, c);
    assert.equal(r.error, null);
    assert.equal(r.replies.length, 10_000);
    for (let i = 0; i < 10_000; i++) {
      const expected =
        i % 3 === 0 ? simpleReply('OK') : i % 3 === 1 ? integerReply(i) : bulkReply(`value-${i}`);
      assert.deepStrictEqual(plain(r.replies[i]!), plain(expected));
    }
  });

  bothWays('parses a large bulk split across many chunks', (c) => {
    const big = Buffer.alloc(150_000, 'b');
    const w = new ReplyWriter(2);
    w.bulk(big);
    w.ok();
    const r = replies(w.flush()!, c);
    assert.equal(r.error, null);
    assert.deepStrictEqual(r.replies.map(plain), [bulkReply(big), simpleReply('OK')].map(plain));
  });
});

describe('ReplyParser: RESP3', () => {
  const cases: [string, string, Reply[]][] = [
    ['null', '_\r\n', [NULL_REPLY]],
    ['double', ',1.5\r\n', [doubleReply(1.5)]],
    ['double with exponent', ',1.5e+20\r\n', [doubleReply(1.5e20)]],
    ['integral double', ',10\r\n', [doubleReply(10)]],
    ['negative zero', ',-0\r\n', [doubleReply(-0)]],
    ['inf', ',inf\r\n', [doubleReply(Infinity)]],
    ['-inf', ',-inf\r\n', [doubleReply(-Infinity)]],
    ['nan', ',nan\r\n', [doubleReply(NaN)]],
    ['true', '#t\r\n', [booleanReply(true)]],
    ['false', '#f\r\n', [booleanReply(false)]],
    [
      'big number',
      '(3492890328409238509324850943850943825024385\r\n',
      [bigNumberReply(3492890328409238509324850943850943825024385n)],
    ],
    ['negative big number', '(-1\r\n', [bigNumberReply(-1n)]],
    ['verbatim string', '=15\r\ntxt:Some string\r\n', [verbatimReply('Some string', 'txt')]],
    ['blob error', '!21\r\nSYNTAX invalid syntax\r\n', [errorReply('SYNTAX invalid syntax')]],
    [
      'map',
      '%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n',
      [mapReply([simpleReply('first'), integerReply(1), simpleReply('second'), integerReply(2)])],
    ],
    ['empty map', '%0\r\n', [mapReply([])]],
    ['set', '~2\r\n+a\r\n+b\r\n', [setReply([simpleReply('a'), simpleReply('b')])]],
    [
      'push',
      '>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n',
      [pushReply([bulkReply('message'), bulkReply('ch'), bulkReply('hi')])],
    ],
    [
      'map of aggregates',
      '%1\r\n*1\r\n:1\r\n~1\r\n#t\r\n',
      [mapReply([arrayReply([integerReply(1)]), setReply([booleanReply(true)])])],
    ],
    [
      'an attribute is dropped, its reply kept',
      '|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*2\r\n:2039123\r\n:9543892\r\n',
      [arrayReply([integerReply(2039123), integerReply(9543892)])],
    ],
    [
      'an attribute inside an array does not count as an element',
      '*2\r\n:1\r\n|1\r\n+ttl\r\n:3600\r\n:2\r\n',
      [arrayReply([integerReply(1), integerReply(2)])],
    ],
    [
      'a push between replies',
      '+OK\r\n>2\r\n+invalidate\r\n*1\r\n$1\r\nk\r\n:5\r\n',
      [
        simpleReply('OK'),
        pushReply([simpleReply('invalidate'), arrayReply([bulkReply('k')])]),
        integerReply(5),
      ],
    ],
  ];
  for (const [name, input, expected] of cases) {
    bothWays(name, (c) => {
      expectReplies(input, expected, c);
    });
  }
});

describe('ReplyParser: malformed input', () => {
  const bad: [string, string][] = [
    ['an unknown type byte', '?x\r\n'],
    ['a non-numeric integer', ':12a\r\n'],
    ['an empty integer', ':\r\n'],
    ['a bulk length of -2', '$-2\r\n'],
    ['a bulk payload without CRLF', '$3\r\nabcde'],
    ['a CR without LF', '+OK\rX'],
    ['a bad boolean', '#x\r\n'],
    ['a bad double', ',abc\r\n'],
    ['a bad big number', '(12x\r\n'],
    ['a verbatim string without a format', '=2\r\nab\r\n'],
    ['a streamed aggregate', '*?\r\n'],
    ['a null with content', '_x\r\n'],
  ];
  for (const [name, input] of bad) {
    bothWays(`rejects ${name}`, (c) => {
      const r = replies(`+OK\r\n${input}`, c);
      assert.deepStrictEqual(r.replies.map(plain), [plain(simpleReply('OK'))]);
      assert.match(r.error ?? '', /^Protocol error: /);
    });
  }

  it('stops after an error', () => {
    const p = new ReplyParser();
    p.feed(Buffer.from('?\r\n'));
    assert.notEqual(p.error, null);
    assert.deepEqual(p.feed(Buffer.from('+OK\r\n')), []);
  });
});

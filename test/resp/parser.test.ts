import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_MAX_BULK_LENGTH,
  DEFAULT_MAX_INLINE_LENGTH,
  RespParser,
  parseStrictInteger,
} from '../../src/resp/parser.js';
import { encodeCommand } from '../../src/resp/reply-parser.js';
import { bothWays, requests } from './helpers.js';

const mb = (...args: string[]): string =>
  `*${args.length}\r\n` +
  args.map((a) => `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`).join('');

// The exact texts of Redis 7's networking.c.
const INVALID_MBULK = 'Protocol error: invalid multibulk length';
const INVALID_BULK = 'Protocol error: invalid bulk length';
const TOO_BIG_MBULK = 'Protocol error: too big mbulk count string';
const TOO_BIG_BULK = 'Protocol error: too big bulk count string';
const TOO_BIG_INLINE = 'Protocol error: too big inline request';
const UNBALANCED = 'Protocol error: unbalanced quotes in request';

describe('RespParser: multibulk requests', () => {
  bothWays('parses one command', (c) => {
    const r = requests(mb('SET', 'key', 'value'), c);
    assert.deepEqual(r.commands, [['SET', 'key', 'value']]);
    assert.equal(r.error, null);
  });

  bothWays('parses a pipeline in order', (c) => {
    const r = requests(mb('SET', 'a', '1') + mb('GET', 'a') + mb('PING'), c);
    assert.deepEqual(r.commands, [['SET', 'a', '1'], ['GET', 'a'], ['PING']]);
    assert.equal(r.error, null);
  });

  bothWays('keeps binary values, CRLF inside a bulk included', (c) => {
    const value = Buffer.from([0, 13, 10, 255, 42, 36, 13, 10, 13, 0x80]);
    const input = encodeCommand(['SET', Buffer.from([0xff, 0, 0xfe]), value]);
    const r = requests(input, c);
    assert.equal(r.error, null);
    assert.equal(r.raw.length, 1);
    assert.deepEqual(r.raw[0]![1], Buffer.from([0xff, 0, 0xfe]));
    assert.deepEqual(r.raw[0]![2], value);
  });

  bothWays('accepts empty bulk arguments', (c) => {
    assert.deepEqual(requests('*3\r\n$3\r\nSET\r\n$0\r\n\r\n$0\r\n\r\n', c).commands, [
      ['SET', '', ''],
    ]);
  });

  bothWays('ignores *0 and negative counts, like Redis', (c) => {
    const r = requests(`*0\r\n*-1\r\n*-42\r\n${mb('PING')}*0\r\n`, c);
    assert.deepEqual(r.commands, [['PING']]);
    assert.equal(r.error, null);
  });

  bothWays('accepts the full signed 64-bit range in a count (LLONG_MIN is ignored)', (c) => {
    assert.deepEqual(requests(`*-9223372036854775808\r\n${mb('PING')}`, c).commands, [['PING']]);
  });

  bothWays('parses a large argument spanning many chunks', (c) => {
    const big = Buffer.alloc(200_000, 'x');
    big[100_000] = 13;
    big[100_001] = 10;
    const r = requests(encodeCommand(['SET', 'k', big, 'tail']), c);
    assert.equal(r.error, null);
    assert.deepEqual(r.raw[0]![2], big);
    assert.equal(r.commands[0]![3], 'tail');
  });

  bothWays('parses a pipeline of 10,000 commands', (c) => {
    const parts: Buffer[] = [];
    for (let i = 0; i < 10_000; i++) {
      parts.push(encodeCommand(['SET', `key:${String(i).padStart(6, '0')}`, `v${i}`]));
    }
    const r = requests(Buffer.concat(parts), c);
    assert.equal(r.error, null);
    assert.equal(r.commands.length, 10_000);
    for (let i = 0; i < 10_000; i++) {
      assert.deepEqual(r.commands[i], ['SET', `key:${String(i).padStart(6, '0')}`, `v${i}`]);
    }
  });

  bothWays('like Redis, skips the two bytes after a payload without checking them', (c) => {
    assert.deepEqual(requests('*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n', c).commands, [
      ['PING'],
      ['PING'],
    ]);
  });

  bothWays('like Redis, skips the byte after a header CR without checking it', (c) => {
    assert.deepEqual(requests('*1\rX$4\rYPING\r\n', c).commands, [['PING']]);
  });

  bothWays('mixes inline and multibulk commands in one pipeline', (c) => {
    const r = requests(`PING\r\n${mb('GET', 'k')}ECHO hi\n`, c);
    assert.deepEqual(r.commands, [['PING'], ['GET', 'k'], ['ECHO', 'hi']]);
  });

  it('returns argv views without copying on the single-chunk path', () => {
    const input = Buffer.from(mb('GET', 'abc'));
    const [argv] = new RespParser().feed(input);
    assert.equal(argv![1]!.buffer, input.buffer);
  });

  it('reports the bytes held for an incomplete command', () => {
    const p = new RespParser();
    assert.deepEqual(p.feed(Buffer.from('*2\r\n$3\r\nGET\r\n$3\r\nab')), []);
    assert.equal(p.bufferedBytes, 3 + 2); // "GET" parsed, "ab" pending
    const flood = new RespParser();
    flood.feed(Buffer.from('*2147483647\r\n' + '$4\r\nabcd\r\n'.repeat(1000)));
    assert.equal(flood.bufferedBytes, 4000);
    assert.deepEqual(p.feed(Buffer.from('c\r\n')), [[Buffer.from('GET'), Buffer.from('abc')]]);
    assert.equal(p.bufferedBytes, 0);
  });
});

describe('RespParser: inline commands', () => {
  const cases: [string, string, string[][]][] = [
    ['CRLF line', 'PING\r\n', [['PING']]],
    ['bare LF line', 'PING\n', [['PING']]],
    ['several spaces and tabs', '  SET \t a    b  \r\n', [['SET', 'a', 'b']]],
    ['empty lines are ignored', '\r\n\n   \r\n\t\nPING\r\n\r\n', [['PING']]],
    ['a CR inside the line separates', 'A\rB\r\n', [['A', 'B']]],
    ['\\v and \\f are part of unquoted words', 'A\vB C\fD\r\n', [['A\vB', 'C\fD']]],
    ['double quotes keep spaces', 'SET "a b" c\r\n', [['SET', 'a b', 'c']]],
    ['single quotes keep spaces', "SET 'a b' c\r\n", [['SET', 'a b', 'c']]],
    [
      'double-quote escapes',
      'ECHO "\\n\\r\\t\\b\\a\\\\\\"\\q"\r\n',
      [['ECHO', '\n\r\t\b\x07\\"q']],
    ],
    ['\\xHH escapes', 'ECHO "\\x41\\x00\\xff\\x7A"\r\n', [['ECHO', 'A\x00\xffz']]],
    ['\\x without two hex digits is a plain x', 'ECHO "\\xZZ\\x4"\r\n', [['ECHO', 'xZZx4']]],
    ["single quotes only unescape \\'", "ECHO 'it\\'s \\n'\r\n", [['ECHO', "it's \\n"]]],
    ['empty quoted arguments', 'SET "" \'\'\r\n', [['SET', '', '']]],
    ['a quote may open mid-word', 'ECHO a"b c"\r\n', [['ECHO', 'ab c']]],
    ['quotes inside the other kind', `ECHO "it's" 'say "hi"'\r\n`, [['ECHO', "it's", 'say "hi"']]],
    ['a closing quote followed by a tab', 'ECHO "a"\tb\r\n', [['ECHO', 'a', 'b']]],
    ['a NUL ends the line, as in C', 'PI\x00NG X\r\nPING\r\n', [['PI'], ['PING']]],
    ['binary bytes pass through', 'ECHO \xff\xfe\r\n', [['ECHO', '\xff\xfe']]],
    ['a pipeline of inline commands', 'A\r\nB 1\nC 2 3\r\n', [['A'], ['B', '1'], ['C', '2', '3']]],
  ];
  for (const [name, input, expected] of cases) {
    bothWays(name, (c) => {
      const r = requests(input, c);
      assert.deepEqual(r.commands, expected);
      assert.equal(r.error, null);
    });
  }

  const unbalanced: [string, string][] = [
    ['an unterminated double quote', 'SET "abc\r\n'],
    ['an unterminated single quote', "SET 'abc\r\n"],
    ['a closing quote followed by a letter', 'SET "a"b\r\n'],
    ['a closing single quote followed by a letter', "SET 'a'b\r\n"],
    ['a trailing backslash in quotes', 'SET "abc\\\r\n'],
    ['a NUL inside quotes', 'SET "ab\x00c"\r\n'],
  ];
  for (const [name, input] of unbalanced) {
    bothWays(`rejects ${name}`, (c) => {
      const r = requests(`PING\r\n${input}PING\r\n`, c);
      assert.deepEqual(r.commands, [['PING']]);
      assert.equal(r.error, UNBALANCED);
    });
  }

  bothWays('accepts an inline line of exactly 64 KiB', (c) => {
    const line = 'A'.repeat(DEFAULT_MAX_INLINE_LENGTH);
    const r = requests(`${line}\n`, c);
    assert.equal(r.error, null);
    assert.equal(r.commands[0]![0]!.length, DEFAULT_MAX_INLINE_LENGTH);
  });

  bothWays('rejects an inline line over 64 KiB', (c) => {
    const r = requests(`PING\r\n${'A'.repeat(DEFAULT_MAX_INLINE_LENGTH + 1)}\n`, c);
    assert.deepEqual(r.commands, [['PING']]);
    assert.equal(r.error, TOO_BIG_INLINE);
  });

  bothWays('rejects a 64 KiB + 1 line still waiting for its newline', (c) => {
    const r = requests('A'.repeat(DEFAULT_MAX_INLINE_LENGTH + 1), c);
    assert.equal(r.error, TOO_BIG_INLINE);
  });

  bothWays('the inline limit is configurable', (c) => {
    // Like Redis, the limit counts every byte before the '\n', the '\r' included.
    assert.equal(requests('PING 1234\r\n', c, { maxInlineLength: 10 }).error, null);
    assert.equal(requests('PING 12345\r\n', c, { maxInlineLength: 10 }).error, TOO_BIG_INLINE);
  });
});

describe('RespParser: protocol errors, with Redis 7 texts', () => {
  const errors: [string, string, string][] = [
    ['a non-numeric count', '*abc\r\n', INVALID_MBULK],
    ['an empty count', '*\r\n', INVALID_MBULK],
    ['a count with a plus sign', '*+1\r\n', INVALID_MBULK],
    ['a count with a leading zero', '*01\r\n', INVALID_MBULK],
    ['a count of -0', '*-0\r\n', INVALID_MBULK],
    ['a count with a space', '*1 \r\n', INVALID_MBULK],
    ['a count above INT_MAX', '*2147483648\r\n', INVALID_MBULK],
    ['a count above LLONG_MAX', '*9223372036854775808\r\n', INVALID_MBULK],
    ['a count below LLONG_MIN', '*-9223372036854775809\r\n', INVALID_MBULK],
    ['a bulk length of -1', '*1\r\n$-1\r\n', INVALID_BULK],
    ['a non-numeric bulk length', '*1\r\n$abc\r\n', INVALID_BULK],
    ['an empty bulk length', '*1\r\n$\r\n', INVALID_BULK],
    ['a bulk length with a leading zero', '*1\r\n$03\r\nGET\r\n', INVALID_BULK],
    [
      'a bulk length over proto-max-bulk-len',
      `*1\r\n$${DEFAULT_MAX_BULK_LENGTH + 1}\r\n`,
      INVALID_BULK,
    ],
    ['a bulk length over LLONG_MAX', '*1\r\n$99999999999999999999\r\n', INVALID_BULK],
    ['a non-$ where a bulk is expected', '*1\r\nPING\r\n', "Protocol error: expected '$', got 'P'"],
    [
      'a colon where a bulk is expected',
      '*2\r\n$1\r\na\r\n:1\r\n',
      "Protocol error: expected '$', got ':'",
    ],
    [
      'a CR where a bulk is expected (shown as a space)',
      '*1\r\n\r\n',
      "Protocol error: expected '$', got ' '",
    ],
    [
      'a LF where a bulk is expected (shown as a space)',
      '*1\r\n\n\r\n',
      "Protocol error: expected '$', got ' '",
    ],
    [
      'a NUL where a bulk is expected',
      '*1\r\n\x00\r\n',
      "Protocol error: expected '$', got '\x00'",
    ],
  ];
  for (const [name, input, error] of errors) {
    bothWays(`rejects ${name}`, (c) => {
      const r = requests(input, c);
      assert.equal(r.error, error);
      assert.deepEqual(r.commands, []);
    });
  }

  bothWays('accepts a bulk length of exactly proto-max-bulk-len (and waits for it)', (c) => {
    const r = requests(`*1\r\n$${DEFAULT_MAX_BULK_LENGTH}\r\nabc`, c);
    assert.equal(r.error, null);
    assert.deepEqual(r.commands, []);
  });

  bothWays('accepts a count of INT_MAX (and waits for the arguments)', (c) => {
    assert.equal(requests('*2147483647\r\n$1\r\na\r\n', c).error, null);
  });

  bothWays('rejects a count line over 64 KiB without CR', (c) => {
    assert.equal(requests(`*${'1'.repeat(DEFAULT_MAX_INLINE_LENGTH)}`, c).error, TOO_BIG_MBULK);
  });

  bothWays('rejects a count line over 64 KiB even when its CR has arrived', (c) => {
    assert.equal(requests(`*${'1'.repeat(DEFAULT_MAX_INLINE_LENGTH)}\r\n`, c).error, TOO_BIG_MBULK);
  });

  bothWays('a count line of 64 KiB is parsed (and is invalid)', (c) => {
    assert.equal(
      requests(`*${'1'.repeat(DEFAULT_MAX_INLINE_LENGTH - 1)}\r\n`, c).error,
      INVALID_MBULK,
    );
  });

  bothWays('rejects a bulk length line over 64 KiB', (c) => {
    assert.equal(
      requests(`*1\r\n$${'1'.repeat(DEFAULT_MAX_INLINE_LENGTH)}`, c).error,
      TOO_BIG_BULK,
    );
  });

  bothWays('delivers the commands parsed before the error, then stops', (c) => {
    const r = requests(`PING\r\n${mb('GET', 'a')}*1\r\n$-5\r\n${mb('PING')}`, c);
    assert.deepEqual(r.commands, [['PING'], ['GET', 'a']]);
    assert.equal(r.error, INVALID_BULK);
  });

  it('ignores input after an error', () => {
    const p = new RespParser();
    p.feed(Buffer.from('*x\r\n'));
    assert.equal(p.error, INVALID_MBULK);
    assert.deepEqual(p.feed(Buffer.from('PING\r\n')), []);
    assert.equal(p.error, INVALID_MBULK);
    assert.equal(p.bufferedBytes, 0);
  });

  bothWays('the bulk length limit is configurable', (c) => {
    const ok = requests('*1\r\n$10\r\n0123456789\r\n', c, { maxBulkLength: 10 });
    assert.deepEqual(ok.commands, [['0123456789']]);
    const bad = requests('*1\r\n$11\r\n01234567890\r\n', c, { maxBulkLength: 10 });
    assert.equal(bad.error, INVALID_BULK);
  });

  bothWays('the multibulk count limit is configurable', (c) => {
    assert.deepEqual(requests(mb('A', 'B'), c, { maxMultibulkLength: 2 }).commands, [['A', 'B']]);
    assert.equal(requests(mb('A', 'B', 'C'), c, { maxMultibulkLength: 2 }).error, INVALID_MBULK);
  });
});

describe('parseStrictInteger (Redis string2ll)', () => {
  const parse = (s: string): number | null => parseStrictInteger(Buffer.from(s), 0, s.length);
  it('accepts canonical integers only', () => {
    assert.equal(parse('0'), 0);
    assert.equal(parse('7'), 7);
    assert.equal(parse('-7'), -7);
    assert.equal(parse('123456789012345'), 123456789012345);
    // Beyond 2^53 the value is approximate; only acceptance matters there.
    assert.notEqual(parse('9223372036854775807'), null);
    assert.notEqual(parse('-9223372036854775808'), null);
    for (const bad of ['', '-', '-0', '00', '01', '+1', ' 1', '1 ', '1a', '9223372036854775808']) {
      assert.equal(parse(bad), null, bad);
    }
    assert.equal(parse('-9223372036854775809'), null);
    assert.equal(parse('10000000000000000000'), null);
  });
});

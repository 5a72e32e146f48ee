import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  NULL_ARRAY_REPLY,
  NULL_REPLY,
  ReplyWriter,
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
import type { Reply } from '../../src/resp/encoder.js';
import type { RespParserOptions } from '../../src/resp/parser.js';
import { encodeCommand } from '../../src/resp/reply-parser.js';
import { parseReplies, parseRequests, plain, split, splitAt, text } from './helpers.js';

const NUM_RUNS = Number(process.env.REDRAFT_PROPERTY_RUNS ?? 300);

/** Cut points anywhere in the input, as raw naturals reduced modulo its length. */
const cutsArb = fc.array(fc.nat(), { maxLength: 12 });
const cut = (input: Buffer, cuts: readonly number[]): Buffer[] =>
  splitAt(
    input,
    cuts.map((c) => c % (input.length + 1)),
  );

const argArb = fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)),
  fc.string({ maxLength: 20, unit: 'grapheme' }),
  fc.constantFrom('\r\n', '*1\r\n$1\r\na\r\n', '$-1\r\n', ''),
);
const argvArb = fc.array(argArb, { minLength: 1, maxLength: 8 });

describe('property: encodeCommand -> RespParser', () => {
  it('gives back every argv, whatever the split points', () => {
    fc.assert(
      fc.property(fc.array(argvArb, { minLength: 1, maxLength: 12 }), cutsArb, (cmds, cuts) => {
        const input = Buffer.concat(cmds.map((argv) => encodeCommand(argv)));
        const expected = cmds.map((argv) =>
          argv.map((a) => (typeof a === 'string' ? Buffer.from(a) : a).toString('latin1')),
        );
        for (const chunks of [cut(input, cuts), split(input, 'byte by byte')]) {
          const r = parseRequests(chunks);
          assert.equal(r.error, null);
          assert.deepEqual(text(r.commands), expected);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe('property: RespParser does not depend on chunking', () => {
  const token = fc.oneof(
    fc.constantFrom(
      '*',
      '$',
      '\r',
      '\n',
      '\r\n',
      '0',
      '1',
      '2',
      '3',
      '-',
      '"',
      "'",
      '\\',
      'x',
      '4',
      'a',
      ' ',
      '\t',
      '\x00',
      '*1\r\n',
      '*2\r\n',
      '$1\r\n',
      '$3\r\nabc\r\n',
      'PING\r\n',
      '"\\x4',
      '*-1\r\n',
    ),
    fc.uint8Array({ maxLength: 3 }).map((u) => Buffer.from(u).toString('latin1')),
  );
  const limits = fc.constantFrom<RespParserOptions | undefined>(undefined, {
    maxInlineLength: 8,
    maxBulkLength: 5,
    maxMultibulkLength: 3,
  });

  it('returns the same commands and error for one chunk, random cuts and single bytes', () => {
    fc.assert(
      fc.property(fc.array(token, { maxLength: 40 }), cutsArb, limits, (tokens, cuts, opts) => {
        const input = Buffer.from(tokens.join(''), 'latin1');
        const whole = parseRequests([input], opts);
        const expected = { commands: text(whole.commands), error: whole.error };
        for (const chunks of [cut(input, cuts), split(input, 'byte by byte')]) {
          const r = parseRequests(chunks, opts);
          assert.deepEqual({ commands: text(r.commands), error: r.error }, expected);
        }
      }),
      { numRuns: NUM_RUNS * 3 },
    );
  });
});

const lineArb = fc.string({ maxLength: 12, unit: 'grapheme' }).map((s) => s.replace(/[\r\n]/g, ''));
const payloadArb = fc.oneof(
  fc.uint8Array({ maxLength: 30 }).map((u) => Buffer.from(u)),
  fc.string({ maxLength: 16, unit: 'grapheme' }),
);
const integerArb = fc
  .oneof(
    fc.integer({ min: -2000, max: 2000 }),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  )
  .map(integerReply);

/** RESP2-representable replies, which survive RESP2 unchanged. */
const { resp2 } = fc.letrec<{ resp2: Reply }>((tie) => ({
  resp2: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    lineArb.map(simpleReply),
    lineArb.map((s) => errorReply(`ERR ${s}`)),
    integerArb,
    payloadArb.map(bulkReply),
    fc.constantFrom(NULL_REPLY, NULL_ARRAY_REPLY),
    fc.array(tie('resp2'), { maxLength: 4 }).map(arrayReply),
  ),
}));

const { resp3 } = fc.letrec<{ resp3: Reply }>((tie) => ({
  resp3: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    lineArb.map(simpleReply),
    lineArb.map(errorReply),
    integerArb,
    payloadArb.map(bulkReply),
    fc.constantFrom(NULL_REPLY, NULL_ARRAY_REPLY),
    fc.double().map(doubleReply),
    fc.boolean().map(booleanReply),
    fc.bigInt().map(bigNumberReply),
    fc
      .tuple(payloadArb, fc.constantFrom('txt', 'mkd'))
      .map(([v, format]) => verbatimReply(v, format)),
    fc.array(tie('resp3'), { maxLength: 4 }).map(arrayReply),
    fc.array(tie('resp3'), { maxLength: 4 }).map(setReply),
    fc.array(tie('resp3'), { maxLength: 3 }).map(pushReply),
    fc
      .array(fc.tuple(tie('resp3'), tie('resp3')), { maxLength: 3 })
      .map((kv) => mapReply(kv.flat())),
  ),
}));

/** RESP3 has a single null. */
function viaResp3(r: Reply): Reply {
  switch (r.kind) {
    case 'null':
      return NULL_REPLY;
    case 'array':
      return arrayReply(r.items.map(viaResp3));
    case 'map':
      return mapReply(r.items.map(viaResp3));
    case 'set':
      return setReply(r.items.map(viaResp3));
    case 'push':
      return pushReply(r.items.map(viaResp3));
    default:
      return r;
  }
}

/** What a RESP2 client receives for a RESP3 reply, per Redis's downgrade rules. */
function viaResp2(r: Reply): Reply {
  switch (r.kind) {
    case 'array':
    case 'set':
    case 'push':
    case 'map':
      return arrayReply(r.items.map(viaResp2));
    case 'double':
      return bulkReply(formatDouble(r.value));
    case 'boolean':
      return integerReply(r.value ? 1 : 0);
    case 'bignum':
      return bulkReply(r.value.toString());
    case 'verbatim':
      return bulkReply(r.value);
    default:
      return r;
  }
}

function roundTrip(replies: readonly Reply[], protocol: 2 | 3, cuts: readonly number[]): Reply[][] {
  const w = new ReplyWriter(protocol, 64);
  for (const r of replies) w.write(r);
  const input = w.flush() ?? Buffer.alloc(0);
  assert.deepEqual(input, Buffer.concat(replies.map((r) => encodeReply(r, protocol))));
  return [cut(input, cuts), split(input, 'byte by byte')].map((chunks) => {
    const r = parseReplies(chunks);
    assert.equal(r.error, null);
    return r.replies;
  });
}

describe('property: ReplyWriter -> ReplyParser', () => {
  it('round-trips RESP3 reply trees', () => {
    fc.assert(
      fc.property(fc.array(resp3, { minLength: 1, maxLength: 5 }), cutsArb, (replies, cuts) => {
        const expected = replies.map((r) => plain(viaResp3(r)));
        for (const got of roundTrip(replies, 3, cuts))
          assert.deepStrictEqual(got.map(plain), expected);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('round-trips RESP2 reply trees losslessly', () => {
    fc.assert(
      fc.property(fc.array(resp2, { minLength: 1, maxLength: 5 }), cutsArb, (replies, cuts) => {
        const expected = replies.map(plain);
        for (const got of roundTrip(replies, 2, cuts))
          assert.deepStrictEqual(got.map(plain), expected);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('downgrades RESP3 types to RESP2 as Redis does', () => {
    fc.assert(
      fc.property(fc.array(resp3, { minLength: 1, maxLength: 5 }), cutsArb, (replies, cuts) => {
        const expected = replies.map((r) => plain(viaResp2(r)));
        for (const got of roundTrip(replies, 2, cuts))
          assert.deepStrictEqual(got.map(plain), expected);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('parses back every double exactly', () => {
    fc.assert(
      fc.property(fc.double(), (d) => {
        const [r] = parseReplies([encodeReply(doubleReply(d), 3)]).replies;
        assert.ok(r?.kind === 'double' && Object.is(r.value, d), `${d} -> ${formatDouble(d)}`);
      }),
      { numRuns: NUM_RUNS * 10 },
    );
  });
});

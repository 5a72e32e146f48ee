import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  RedisValueFormatError,
  decodeRedisValue,
  decodeTreeKey,
  encodeRedisValue,
  encodeStringValue,
  encodeTreeKey,
  stringValueHead,
  type RedisValue,
} from '../../src/merkle/index.js';
import { NUM_RUNS, hex, unhex, utf8 } from './helpers.js';

const expiryArb = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  // Doubles beyond 2^53 are whole numbers a double holds exactly (Redraft keeps such expiries).
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 63n }).map((n) => Number(n)),
);

const valueArb: fc.Arbitrary<RedisValue> = fc.oneof(
  fc.record({
    type: fc.constant('string' as const),
    value: fc.uint8Array({ maxLength: 40 }),
    expireAt: expiryArb,
  }),
  fc.record({
    type: fc.constant('hash' as const),
    fields: fc
      .uniqueArray(fc.tuple(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 })), {
        minLength: 1,
        maxLength: 8,
        selector: ([name]) => hex(name),
      })
      .map((pairs) => pairs.map(([n, v]) => [n, v] as const)),
    expireAt: expiryArb,
  }),
);

/** A value with its hash fields sorted, as decoding returns them. */
function normalized(v: RedisValue): unknown {
  if (v.type === 'string') return { type: v.type, value: hex(v.value), expireAt: v.expireAt };
  return {
    type: v.type,
    fields: v.fields.map(([n, val]) => [hex(n), hex(val)]).sort(([a], [b]) => (a! < b! ? -1 : 1)),
    expireAt: v.expireAt,
  };
}

describe('canonical Redis value encoding', () => {
  it('pins the layout of a string: format 1, type 0, u64 expiry, bytes', () => {
    const bytes = encodeRedisValue({
      type: 'string',
      value: utf8('hello'),
      expireAt: 0x0102030405,
    });
    assert.equal(hex(bytes), `01000000000102030405${hex(utf8('hello'))}`);
    assert.equal(
      hex(encodeRedisValue({ type: 'string', value: utf8(''), expireAt: 0 })),
      '01' + '00'.repeat(9),
    );
  });

  it('pins the layout of a hash: fields sorted by bytes, lengths as u32', () => {
    const bytes = encodeRedisValue({
      type: 'hash',
      fields: [
        [utf8('b'), utf8('2')],
        [utf8('a'), utf8('1')],
      ],
      expireAt: 0,
    });
    assert.equal(
      hex(bytes),
      '0101' +
        '00'.repeat(8) +
        '00000002' +
        '00000001' +
        '61' +
        '00000001' +
        '31' +
        '00000001' +
        '62' +
        '00000001' +
        '32',
    );
  });

  it('round-trips every value, one encoding each (hash field order does not matter)', () => {
    fc.assert(
      fc.property(valueArb, fc.integer(), (v, seed) => {
        const bytes = encodeRedisValue(v);
        assert.deepEqual(normalized(decodeRedisValue(bytes)), normalized(v));
        if (v.type === 'hash') {
          const shuffled = [...v.fields].sort(() => (seed & 1 ? 1 : -1));
          assert.equal(hex(encodeRedisValue({ ...v, fields: shuffled })), hex(bytes));
        }
        assert.equal(hex(encodeRedisValue(decodeRedisValue(bytes))), hex(bytes));
      }),
      { numRuns: NUM_RUNS * 5 },
    );
  });

  it("a string's head is its encoding's bytes before the contents", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), expiryArb, (value, expireAt) => {
        const joined = Buffer.concat([stringValueHead(expireAt), value]);
        assert.equal(hex(joined), hex(encodeStringValue(value, expireAt)));
      }),
      { numRuns: NUM_RUNS * 5 },
    );
    // Without expiry the head is shared, and nothing may have written to it.
    assert.equal(stringValueHead(0), stringValueHead(0));
    assert.equal(hex(stringValueHead(0)), '01000000000000000000');
    assert.throws(() => stringValueHead(-1), RangeError);
  });

  it('refuses every non-canonical byte string', () => {
    const refused: [string, string][] = [
      ['', 'shorter than the 10-byte header'],
      ['0100000000000000', 'shorter than the 10-byte header'],
      ['0200' + '00'.repeat(8), 'unknown value format 2'],
      ['0102' + '00'.repeat(8), 'unknown value type 2'],
      ['0101' + '00'.repeat(8) + '00000000', 'a hash with no fields'],
      ['0101' + '00'.repeat(8) + '000000', 'truncated field count'],
      ['0101' + '00'.repeat(8) + '00000001' + '0000000161' + '0000000531', 'truncated field value'],
      [
        '0101' +
          '00'.repeat(8) +
          '00000002' +
          '0000000162' +
          '0000000132' +
          '0000000161' +
          '0000000131',
        'out of order',
      ],
      [
        '0101' +
          '00'.repeat(8) +
          '00000002' +
          '0000000161' +
          '0000000131' +
          '0000000161' +
          '0000000132',
        'out of order or repeated',
      ],
      ['0101' + '00'.repeat(8) + '00000001' + '0000000161' + '0000000131' + 'ff', 'trailing bytes'],
      ['0101' + '00'.repeat(8) + 'ffffffff', 'truncated fields'],
      // 2^53 + 1: no double holds it.
      ['0100' + '0020000000000001', 'no double holds exactly'],
    ];
    for (const [bytes, why] of refused) {
      assert.throws(
        () => decodeRedisValue(unhex(bytes)),
        (err: unknown) => err instanceof RedisValueFormatError && err.message.includes(why),
        `${bytes}: ${why}`,
      );
    }
  });

  it('refuses to encode what has no canonical form', () => {
    assert.throws(() => encodeRedisValue({ type: 'hash', fields: [], expireAt: 0 }), RangeError);
    assert.throws(
      () =>
        encodeRedisValue({
          type: 'hash',
          fields: [
            [utf8('a'), utf8('1')],
            [utf8('a'), utf8('2')],
          ],
          expireAt: 0,
        }),
      RangeError,
    );
    assert.throws(
      () => encodeRedisValue({ type: 'string', value: utf8('x'), expireAt: -1 }),
      RangeError,
    );
    assert.throws(
      () => encodeRedisValue({ type: 'string', value: utf8('x'), expireAt: 1.5 }),
      RangeError,
    );
  });

  it('tree keys are the database byte then the key, never empty', () => {
    assert.equal(hex(encodeTreeKey(3, utf8('k'))), '036b');
    assert.equal(hex(encodeTreeKey(0, new Uint8Array(0))), '00');
    const { db, key } = decodeTreeKey(unhex('0f6162'));
    assert.equal(db, 15);
    assert.equal(hex(key), '6162');
    assert.throws(() => encodeTreeKey(256, utf8('k')), RangeError);
    assert.throws(() => decodeTreeKey(new Uint8Array(0)), RedisValueFormatError);
  });
});

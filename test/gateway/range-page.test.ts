import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RedraftError } from '../../src/errors.js';
import type { StoredEntry } from '../../src/fsm/keyspace.js';
import { decodePageToken, encodePageToken, selectPage } from '../../src/gateway/range-page.js';

function entry(expireAt = 0): StoredEntry {
  return { value: { type: 'string', value: Buffer.from('v') }, expireAt, version: 1 };
}

/** Every page of a listing, following the tokens, as a client would. */
function listAll(
  entries: ReadonlyMap<string, StoredEntry>,
  prefix: string,
  limit: number,
  now: number,
): string[][] {
  const pages: string[][] = [];
  let after: string | undefined;
  for (;;) {
    const page = selectPage(entries, prefix, after, limit, now);
    pages.push([...page.keys]);
    if (!page.more) return pages;
    const token = encodePageToken(0, page.keys[page.keys.length - 1]!);
    after = decodePageToken(token, 0, prefix);
  }
}

describe('range pages', () => {
  it('pages through exactly the live keys with the prefix, in byte order, each once', () => {
    // Keys are latin1 strings of arbitrary bytes, as the keyspace holds them.
    const byteKey = fc.uint8Array({ maxLength: 6 }).map((b) => Buffer.from(b).toString('latin1'));
    fc.assert(
      fc.property(
        fc.uniqueArray(byteKey, { maxLength: 60 }),
        fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
        fc.uint8Array({ maxLength: 1 }).map((b) => Buffer.from(b).toString('latin1')),
        fc.integer({ min: 1, max: 7 }),
        (keys, expired, prefix, limit) => {
          const now = 1000;
          const entries = new Map(keys.map((k, i) => [k, entry(expired[i] === true ? now : 0)]));
          const expected = keys
            .filter((k, i) => k.startsWith(prefix) && expired[i] !== true)
            .sort((a, b) => Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')));
          const pages = listAll(entries, prefix, limit, now);
          assert.deepEqual(pages.flat(), expected);
          for (const page of pages.slice(0, -1)) assert.equal(page.length, limit);
        },
      ),
    );
  });

  it('a token belongs to its database and prefix, and garbage is refused clearly', () => {
    const token = encodePageToken(3, 'user:17');
    assert.equal(decodePageToken(token, 3, 'user:'), 'user:17');
    assert.equal(decodePageToken('', 3, 'user:'), undefined);
    const refused = (t: string, db: number, prefix: string, why: RegExp): void => {
      assert.throws(
        () => decodePageToken(t, db, prefix),
        (err: unknown) =>
          err instanceof RedraftError && err.code === 'BAD_REQUEST' && why.test(err.message),
      );
    };
    refused(token, 4, 'user:', /another database/);
    refused(token, 3, 'order:', /another prefix/);
    refused('not a token!', 3, '', /base64url/);
    refused(Buffer.from([9, 3, 65]).toString('base64url'), 3, '', /not a page token/);
  });
});

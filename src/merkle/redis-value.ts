/**
 * What Redraft's authenticated map holds for a Redis key: the tree key and the canonical value
 * encoding. Clients need exactly these to check a proof (the offline verifier uses them), so
 * the format is part of the public contract and never changes meaning; a new format gets a
 * new version byte.
 *
 * Tree key (never empty, so every key, the empty Redis key included, is provable):
 *
 *   u8 database (0..255; Redraft has 16) | the key's bytes
 *
 * Value, format 1 (at least 10 bytes, so never empty: ICS-23 refuses empty values):
 *
 *   u8  format = 1
 *   u8  type: 0 = string, 1 = hash
 *   u64 big-endian absolute expiry in ms since the Unix epoch (leader time); 0 = no expiry.
 *       Redraft keeps expiries as doubles: beyond 2^53 ms (the year 287396) only values a
 *       double holds exactly occur, and only those decode.
 *   string: the value's bytes (the rest; may be empty)
 *   hash:   u32 big-endian field count (>= 1), then per field, in ascending byte order of the
 *           field names (no duplicates): u32 length | field name | u32 length | field value
 *
 * Exactly one encoding exists per value: decoding refuses unknown formats and types, an expiry
 * a double cannot hold, unsorted or duplicate fields, an empty hash and trailing bytes. The encoding
 * carries no Raft bookkeeping (WATCH versions): two replicas, or a key and its restored copy,
 * hash alike whenever a Redis client could not tell them apart.
 */

export const REDIS_VALUE_FORMAT = 1;
export const REDIS_TYPE_STRING = 0;
export const REDIS_TYPE_HASH = 1;
/** Bytes before the contents: format, type, expiry. */
export const REDIS_VALUE_HEADER = 10;

export type RedisValue =
  | {
      readonly type: 'string';
      readonly value: Uint8Array;
      /** Absolute expiry in ms since the Unix epoch; 0 for none. */
      readonly expireAt: number;
    }
  | {
      readonly type: 'hash';
      /** Field name -> value pairs, any order (the encoding sorts them). */
      readonly fields: readonly (readonly [Uint8Array, Uint8Array])[];
      readonly expireAt: number;
    };

/** The bytes are not a canonical Redraft value (or tree key); `message` says why. */
export class RedisValueFormatError extends Error {
  override readonly name = 'RedisValueFormatError';
}

/** The tree key of `key` in database `db`. */
export function encodeTreeKey(db: number, key: Uint8Array): Uint8Array {
  if (!Number.isInteger(db) || db < 0 || db > 255) {
    throw new RangeError(`database index ${db} is not within 0..255`);
  }
  const out = allocate(1 + key.length);
  out[0] = db;
  out.set(key, 1);
  return out;
}

/** The database and Redis key a tree key names (the key is a view into `treeKey`). */
export function decodeTreeKey(treeKey: Uint8Array): { db: number; key: Uint8Array } {
  if (treeKey.length === 0) throw new RedisValueFormatError('a tree key is never empty');
  return { db: treeKey[0]!, key: treeKey.subarray(1) };
}

function checkExpiry(expireAt: number): void {
  if (!Number.isInteger(expireAt) || expireAt < 0 || expireAt >= 2 ** 64) {
    throw new RangeError(`expiry ${expireAt} is not a whole number of ms within 0..2^64 - 1`);
  }
}

function writeU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
}

function writeHeader(out: Uint8Array, type: number, expireAt: number): void {
  out[0] = REDIS_VALUE_FORMAT;
  out[1] = type;
  writeU32(out, 2, Math.floor(expireAt / 2 ** 32));
  writeU32(out, 6, expireAt % 2 ** 32);
}

/**
 * Output bytes. Buffer.allocUnsafe takes small ones from Node's shared pool, several times
 * cheaper than a Uint8Array with its own backing store; every byte is written before use.
 */
function allocate(size: number): Uint8Array {
  return Buffer.allocUnsafe(size);
}

/** Byte-wise lexicographic order: negative, zero or positive. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** The header of a string without expiry: the same bytes for every such string. */
const NO_EXPIRY_STRING_HEAD = (() => {
  const head = new Uint8Array(REDIS_VALUE_HEADER);
  writeHeader(head, REDIS_TYPE_STRING, 0);
  return head;
})();

/**
 * The bytes before a string's contents in its canonical encoding: `encodeStringValue(value,
 * expireAt)` is these followed by `value`. Without an expiry, one shared array: never write to
 * what this returns.
 */
export function stringValueHead(expireAt: number): Uint8Array {
  if (expireAt === 0) return NO_EXPIRY_STRING_HEAD;
  checkExpiry(expireAt);
  const head = allocate(REDIS_VALUE_HEADER);
  writeHeader(head, REDIS_TYPE_STRING, expireAt);
  return head;
}

/** The canonical bytes of a string value. */
export function encodeStringValue(value: Uint8Array, expireAt: number): Uint8Array {
  checkExpiry(expireAt);
  const out = allocate(REDIS_VALUE_HEADER + value.length);
  writeHeader(out, REDIS_TYPE_STRING, expireAt);
  out.set(value, REDIS_VALUE_HEADER);
  return out;
}

/**
 * The canonical bytes of a hash whose fields are already in ascending byte order of their names,
 * without duplicates (the caller sorted them; `encodeRedisValue` does it for you).
 */
export function encodeSortedHashValue(
  fields: readonly (readonly [Uint8Array, Uint8Array])[],
  expireAt: number,
): Uint8Array {
  checkExpiry(expireAt);
  if (fields.length === 0) throw new RangeError('a hash has at least one field');
  let size = REDIS_VALUE_HEADER + 4;
  for (const [name, value] of fields) size += 8 + name.length + value.length;
  const out = allocate(size);
  writeHeader(out, REDIS_TYPE_HASH, expireAt);
  writeU32(out, REDIS_VALUE_HEADER, fields.length);
  let off = REDIS_VALUE_HEADER + 4;
  for (const [name, value] of fields) {
    writeU32(out, off, name.length);
    out.set(name, off + 4);
    off += 4 + name.length;
    writeU32(out, off, value.length);
    out.set(value, off + 4);
    off += 4 + value.length;
  }
  return out;
}

/** The canonical bytes of `value`. */
export function encodeRedisValue(value: RedisValue): Uint8Array {
  if (value.type === 'string') return encodeStringValue(value.value, value.expireAt);
  const sorted = [...value.fields].sort(([a], [b]) => compareBytes(a, b));
  for (let i = 1; i < sorted.length; i++) {
    if (compareBytes(sorted[i - 1]![0], sorted[i]![0]) === 0) {
      throw new RangeError('a hash cannot hold the same field twice');
    }
  }
  return encodeSortedHashValue(sorted, value.expireAt);
}

/**
 * Decodes canonical bytes, strictly (see the file comment). Contents are views into `bytes`.
 * Throws RedisValueFormatError.
 */
export function decodeRedisValue(bytes: Uint8Array): RedisValue {
  if (!(bytes instanceof Uint8Array)) throw new RedisValueFormatError('value must be bytes');
  if (bytes.length < REDIS_VALUE_HEADER) {
    throw new RedisValueFormatError(`${bytes.length} bytes, shorter than the 10-byte header`);
  }
  if (bytes[0] !== REDIS_VALUE_FORMAT) {
    throw new RedisValueFormatError(`unknown value format ${bytes[0]!}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const exact = view.getBigUint64(2);
  const expireAt = Number(exact);
  if (BigInt(expireAt) !== exact) {
    throw new RedisValueFormatError('an expiry no double holds exactly (not a Redraft expiry)');
  }
  const type = bytes[1];
  if (type === REDIS_TYPE_STRING) {
    return { type: 'string', value: bytes.subarray(REDIS_VALUE_HEADER), expireAt };
  }
  if (type !== REDIS_TYPE_HASH) throw new RedisValueFormatError(`unknown value type ${type!}`);

  let off = REDIS_VALUE_HEADER;
  const take = (what: string): Uint8Array => {
    if (off + 4 > bytes.length) throw new RedisValueFormatError(`truncated ${what} length`);
    const len = view.getUint32(off);
    off += 4;
    if (off + len > bytes.length) throw new RedisValueFormatError(`truncated ${what}`);
    const out = bytes.subarray(off, off + len);
    off += len;
    return out;
  };
  if (off + 4 > bytes.length) throw new RedisValueFormatError('truncated field count');
  const count = view.getUint32(off);
  off += 4;
  if (count === 0) throw new RedisValueFormatError('a hash with no fields');
  // Each field takes at least 8 bytes: refuse an impossible count before allocating for it.
  if (count > (bytes.length - off) / 8) throw new RedisValueFormatError('truncated fields');
  const fields: [Uint8Array, Uint8Array][] = [];
  for (let i = 0; i < count; i++) {
    const name = take('field name');
    const value = take('field value');
    if (i > 0 && compareBytes(fields[i - 1]![0], name) >= 0) {
      throw new RedisValueFormatError('hash fields out of order or repeated');
    }
    fields.push([name, value]);
  }
  if (off !== bytes.length) throw new RedisValueFormatError('trailing bytes after the hash');
  return { type: 'hash', fields, expireAt };
}

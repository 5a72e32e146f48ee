/**
 * RESP2/RESP3 reply encoding: the `Reply` value type, shared constant replies, and
 * `ReplyWriter`, which appends encoded replies to one growing buffer so that a whole batch of
 * pipelined replies leaves in one socket write.
 *
 * Each reply type downgrades to RESP2 the way Redis 7 does it (networking.c): maps flatten to
 * arrays of 2N, sets and pushes become arrays, doubles/big numbers/verbatim strings become bulk
 * strings, booleans become :1/:0, and both nulls keep their RESP2 forms ($-1 / *-1).
 */

/** The protocol a connection speaks, switched by HELLO. */
export type RespVersion = 2 | 3;

/** `+OK`. Must not contain CR or LF (they are replaced with spaces when written). */
export interface SimpleStringReply {
  readonly kind: 'simple';
  readonly value: string;
}
/** `-ERR ...`: `message` includes the code prefix (`ERR`, `WRONGTYPE`, `MOVED` ...). */
export interface ErrorReply {
  readonly kind: 'error';
  readonly message: string;
}
/** A signed 64-bit integer: a number when it is a safe integer, else a bigint. */
export interface IntegerReply {
  readonly kind: 'integer';
  readonly value: number | bigint;
}
/** Binary-safe string; a JS string is sent as UTF-8. Parsed replies always hold a Buffer. */
export interface BulkReply {
  readonly kind: 'bulk';
  readonly value: Buffer | string;
}
/** RESP3 `_`. In RESP2 `$-1` (a missing value), or `*-1` when `array` (a missing array). */
export interface NullReply {
  readonly kind: 'null';
  readonly array: boolean;
}
export interface ArrayReply {
  readonly kind: 'array';
  readonly items: readonly Reply[];
}
/** RESP3 `%`. `items` alternates key, value (flat, exactly as on the wire and in RESP2). */
export interface MapReply {
  readonly kind: 'map';
  readonly items: readonly Reply[];
}
export interface SetReply {
  readonly kind: 'set';
  readonly items: readonly Reply[];
}
/** RESP3 out-of-band `>` message (pub/sub, invalidation). An array in RESP2. */
export interface PushReply {
  readonly kind: 'push';
  readonly items: readonly Reply[];
}
export interface DoubleReply {
  readonly kind: 'double';
  readonly value: number;
}
export interface BooleanReply {
  readonly kind: 'boolean';
  readonly value: boolean;
}
export interface BigNumberReply {
  readonly kind: 'bignum';
  readonly value: bigint;
}
/** RESP3 `=`: `format` is three characters (`txt`, `mkd`). Just the text in RESP2. */
export interface VerbatimReply {
  readonly kind: 'verbatim';
  readonly format: string;
  readonly value: Buffer | string;
}

export type Reply =
  | SimpleStringReply
  | ErrorReply
  | IntegerReply
  | BulkReply
  | NullReply
  | ArrayReply
  | MapReply
  | SetReply
  | PushReply
  | DoubleReply
  | BooleanReply
  | BigNumberReply
  | VerbatimReply;

export const simpleReply = (value: string): SimpleStringReply => ({ kind: 'simple', value });
export const errorReply = (message: string): ErrorReply => ({ kind: 'error', message });
export const bulkReply = (value: Buffer | string): BulkReply => ({ kind: 'bulk', value });
export const arrayReply = (items: readonly Reply[]): ArrayReply => ({ kind: 'array', items });
export const mapReply = (items: readonly Reply[]): MapReply => ({ kind: 'map', items });
export const setReply = (items: readonly Reply[]): SetReply => ({ kind: 'set', items });
export const pushReply = (items: readonly Reply[]): PushReply => ({ kind: 'push', items });
export const doubleReply = (value: number): DoubleReply => ({ kind: 'double', value });
export const bigNumberReply = (value: bigint): BigNumberReply => ({ kind: 'bignum', value });
export const verbatimReply = (value: Buffer | string, format = 'txt'): VerbatimReply => ({
  kind: 'verbatim',
  format,
  value,
});

export const OK_REPLY: SimpleStringReply = Object.freeze(simpleReply('OK'));
export const PONG_REPLY: SimpleStringReply = Object.freeze(simpleReply('PONG'));
export const QUEUED_REPLY: SimpleStringReply = Object.freeze(simpleReply('QUEUED'));
export const NULL_REPLY: NullReply = Object.freeze({ kind: 'null', array: false });
export const NULL_ARRAY_REPLY: NullReply = Object.freeze({ kind: 'null', array: true });
export const EMPTY_ARRAY_REPLY: ArrayReply = Object.freeze(arrayReply(Object.freeze([])));
export const EMPTY_BULK_REPLY: BulkReply = Object.freeze(bulkReply(Buffer.alloc(0)));
export const TRUE_REPLY: BooleanReply = Object.freeze({ kind: 'boolean', value: true });
export const FALSE_REPLY: BooleanReply = Object.freeze({ kind: 'boolean', value: false });

const INTEGER_CACHE_MIN = -1;
const INTEGER_CACHE_MAX = 1024;
const INTEGER_CACHE: readonly IntegerReply[] = Array.from(
  { length: INTEGER_CACHE_MAX - INTEGER_CACHE_MIN + 1 },
  (_, i) => Object.freeze({ kind: 'integer' as const, value: i + INTEGER_CACHE_MIN }),
);

/** An integer reply; small values (-1..1024) come from a shared cache, without allocation. */
export function integerReply(value: number | bigint): IntegerReply {
  if (typeof value === 'number' && value >= INTEGER_CACHE_MIN && value <= INTEGER_CACHE_MAX) {
    const cached = INTEGER_CACHE[value - INTEGER_CACHE_MIN];
    if (cached !== undefined && cached.value === value) return cached;
  }
  return { kind: 'integer', value };
}
export const ZERO_REPLY: IntegerReply = integerReply(0);
export const ONE_REPLY: IntegerReply = integerReply(1);

export const booleanReply = (value: boolean): BooleanReply => (value ? TRUE_REPLY : FALSE_REPLY);

const LLONG_HALF = 2 ** 62; // (double)(LLONG_MAX/2) as compared in Redis's double2ll

/**
 * A double exactly as Redis 7.2+ prints it in replies (`d2string` in util.c): "nan", "inf",
 * "-inf", "0"/"-0", integral values up to 2^62 as integers, else the shortest round-trip digits
 * laid out like Redis's fpconv_dtoa (plain up to 1e-6 / below 1e4 with decimals, else
 * `d.ddde±x`). Redis gets its digits from Grisu2, which in rare cases is one digit longer than
 * the shortest string used here; both parse back to the same double. (Redis 7.0 printed
 * `%.17g`, e.g. "0.10000000000000001" where 7.2 prints "0.1".)
 */
export function formatDouble(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  if (Number.isInteger(d) && d >= -LLONG_HALF && d <= LLONG_HALF) {
    return Number.isSafeInteger(d) ? String(d) : BigInt(d).toString();
  }
  const negative = d < 0;
  const exp = (negative ? -d : d).toExponential();
  const e = exp.indexOf('e');
  const mantissa = exp.slice(0, e);
  const digits = mantissa.length > 1 ? mantissa[0]! + mantissa.slice(2) : mantissa;
  const ndigits = digits.length;
  const K = Number(exp.slice(e + 1)) - (ndigits - 1);
  return (negative ? '-' : '') + emitDigits(digits, ndigits, K);
}

/** fpconv's `emit_digits`: value = digits × 10^K. */
function emitDigits(digits: string, ndigits: number, K: number): string {
  const exp = Math.abs(K + ndigits - 1);
  if (K >= 0 && exp < ndigits + 7) return digits + '0'.repeat(K);
  if (K < 0 && (K > -7 || exp < 4)) {
    const offset = ndigits + K;
    if (offset <= 0) return '0.' + '0'.repeat(-offset) + digits;
    return digits.slice(0, offset) + '.' + digits.slice(offset);
  }
  let s = digits[0]!;
  if (ndigits > 1) s += '.' + digits.slice(1);
  return s + 'e' + (K + ndigits - 1 < 0 ? '-' : '+') + String(exp);
}

const CRLF_RE = /[\r\n]/g;
/** CR/LF would end a status line early and let the rest be read as a reply; Redis maps them too. */
const lineSafe = (s: string): string =>
  s.includes('\r') || s.includes('\n') ? s.replace(CRLF_RE, ' ') : s;

/** Minimal surface of a net.Socket that `flushTo` needs. */
export interface ReplySink {
  write(chunk: Buffer): unknown;
  cork?(): void;
  uncork?(): void;
}

/**
 * "N\r\n" for N in [0, SMALL): integers, bulk and aggregate lengths are mostly small, and a
 * table copy avoids the division loop.
 */
const SMALL = 10000;
const SMALL_STRIDE = 6;
const SMALL_TABLE = new Uint8Array(SMALL * SMALL_STRIDE);
const SMALL_LEN = new Uint8Array(SMALL);
for (let n = 0; n < SMALL; n++) {
  const s = `${n}\r\n`;
  SMALL_LEN[n] = s.length;
  for (let i = 0; i < s.length; i++) SMALL_TABLE[n * SMALL_STRIDE + i] = s.charCodeAt(i);
}

/** Bulk payloads at least this large are queued by reference instead of copied. */
const ZERO_COPY_THRESHOLD = 32 * 1024;
/** A flushed batch smaller than this is copied out so the writer keeps its buffer. */
const COPY_OUT_LIMIT = 16 * 1024;
const MAX_RETAINED_CAPACITY = 1024 * 1024;

/**
 * Appends encoded replies; `flushTo(socket)` (or `flush()`) once per processed input chunk.
 *
 * Large bulk Buffers (≥ 32 KiB) are sent by reference: do not mutate a Buffer passed to
 * `bulk` until the flush that sends it has been handed to the socket.
 */
export class ReplyWriter {
  /** Protocol for the replies written from now on (HELLO may change it mid-batch). */
  protocol: RespVersion;
  private buf: Buffer;
  private pos = 0;
  /** Start of the part of `buf` not yet moved to `chunks`. */
  private segment = 0;
  private chunks: Buffer[] = [];
  private chunkBytes = 0;
  private readonly initialCapacity: number;

  constructor(protocol: RespVersion = 2, initialCapacity = 16 * 1024) {
    this.protocol = protocol;
    this.initialCapacity = Math.max(64, initialCapacity);
    this.buf = Buffer.allocUnsafe(this.initialCapacity);
  }

  /** Bytes written and not yet flushed. */
  get length(): number {
    return this.chunkBytes + this.pos - this.segment;
  }

  /** `+OK\r\n` */
  ok(): void {
    this.ensure(5);
    const b = this.buf;
    const p = this.pos;
    b[p] = 43;
    b[p + 1] = 79;
    b[p + 2] = 75;
    b[p + 3] = 13;
    b[p + 4] = 10;
    this.pos = p + 5;
  }

  simple(value: string): void {
    this.line(43, lineSafe(value));
  }

  /** `message` is written as is after '-': include the code (`ERR ...`). */
  error(message: string): void {
    this.line(45, lineSafe(message));
  }

  integer(value: number | bigint): void {
    this.header(58, value);
  }

  bulk(value: Buffer | string): void {
    if (typeof value === 'string') {
      const len = Buffer.byteLength(value);
      this.header(36, len);
      this.ensure(len + 2);
      const n = len < 48 ? this.asciiWrite(value, this.pos) : -1;
      this.pos += n >= 0 ? n : this.buf.write(value, this.pos);
      this.crlf();
      return;
    }
    const len = value.length;
    this.header(36, len);
    if (len >= ZERO_COPY_THRESHOLD) {
      this.seal();
      this.chunks.push(value);
      this.chunkBytes += len;
    } else {
      this.ensure(len + 2);
      if (len < 32) {
        const b = this.buf;
        let p = this.pos;
        for (let i = 0; i < len; i++) b[p++] = value[i]!;
        this.pos = p;
      } else {
        this.pos += value.copy(this.buf, this.pos);
      }
    }
    this.crlf();
  }

  /** A missing value: `$-1` in RESP2, `_` in RESP3. */
  null(): void {
    if (this.protocol === 3) this.raw3(95, 13, 10);
    else this.raw5(36, 45, 49, 13, 10);
  }

  /** A missing array: `*-1` in RESP2, `_` in RESP3. */
  nullArray(): void {
    if (this.protocol === 3) this.raw3(95, 13, 10);
    else this.raw5(42, 45, 49, 13, 10);
  }

  /** Starts an array of `count` replies; write them next. */
  arrayHeader(count: number): void {
    this.header(42, count);
  }

  /** Starts a map of `pairs` key/value pairs (2×pairs replies follow); `*2N` in RESP2. */
  mapHeader(pairs: number): void {
    if (this.protocol === 3) this.header(37, pairs);
    else this.header(42, pairs * 2);
  }

  setHeader(count: number): void {
    this.header(this.protocol === 3 ? 126 : 42, count);
  }

  pushHeader(count: number): void {
    this.header(this.protocol === 3 ? 62 : 42, count);
  }

  double(value: number): void {
    if (this.protocol === 3) this.line(44, formatDouble(value));
    else this.bulk(formatDouble(value));
  }

  boolean(value: boolean): void {
    if (this.protocol === 3) this.raw4(35, value ? 116 : 102, 13, 10);
    else this.raw4(58, value ? 49 : 48, 13, 10);
  }

  bigNumber(value: bigint): void {
    if (this.protocol === 3) this.line(40, value.toString());
    else this.bulk(value.toString());
  }

  verbatim(value: Buffer | string, format = 'txt'): void {
    if (this.protocol !== 3) {
      this.bulk(value);
      return;
    }
    const body = typeof value === 'string' ? Buffer.from(value) : value;
    this.header(61, body.length + 4);
    this.ensure(body.length + 6);
    this.pos += this.buf.write(format.padEnd(3).slice(0, 3), this.pos, 'latin1');
    this.buf[this.pos++] = 58;
    this.pos += body.copy(this.buf, this.pos);
    this.crlf();
  }

  /** Already-encoded RESP bytes, copied as they are (e.g. a reply relayed verbatim). */
  raw(bytes: Buffer): void {
    this.ensure(bytes.length);
    this.pos += bytes.copy(this.buf, this.pos);
  }

  /** Encodes a reply tree. */
  write(reply: Reply): void {
    switch (reply.kind) {
      case 'simple':
        if (reply.value === 'OK') this.ok();
        else this.simple(reply.value);
        return;
      case 'error':
        this.error(reply.message);
        return;
      case 'integer':
        this.integer(reply.value);
        return;
      case 'bulk':
        this.bulk(reply.value);
        return;
      case 'null':
        if (reply.array) this.nullArray();
        else this.null();
        return;
      case 'array':
        this.header(42, reply.items.length);
        for (const item of reply.items) this.write(item);
        return;
      case 'map':
        if (this.protocol === 3) this.header(37, reply.items.length >>> 1);
        else this.header(42, reply.items.length);
        for (const item of reply.items) this.write(item);
        return;
      case 'set':
        this.setHeader(reply.items.length);
        for (const item of reply.items) this.write(item);
        return;
      case 'push':
        this.pushHeader(reply.items.length);
        for (const item of reply.items) this.write(item);
        return;
      case 'double':
        this.double(reply.value);
        return;
      case 'boolean':
        this.boolean(reply.value);
        return;
      case 'bignum':
        this.bigNumber(reply.value);
        return;
      case 'verbatim':
        this.verbatim(reply.value, reply.format);
        return;
    }
  }

  /**
   * Hands everything written so far to `sink` and resets. Several pieces (large bulk values
   * sent by reference) are written inside cork/uncork, so Node still issues one writev.
   */
  flushTo(sink: ReplySink): void {
    if (this.chunks.length === 0) {
      const out = this.take();
      if (out !== null) sink.write(out);
      return;
    }
    this.seal();
    const chunks = this.chunks;
    this.reset();
    sink.cork?.();
    for (const c of chunks) sink.write(c);
    sink.uncork?.();
  }

  /** Everything written so far as one Buffer (null if nothing), and resets. */
  flush(): Buffer | null {
    if (this.chunks.length === 0) return this.take();
    this.seal();
    const chunks = this.chunks;
    const total = this.chunkBytes;
    this.reset();
    return Buffer.concat(chunks, total);
  }

  private take(): Buffer | null {
    const len = this.pos - this.segment;
    if (len === 0) return null;
    let out: Buffer;
    if (len < COPY_OUT_LIMIT) {
      // Small batch: copy out (pooled allocation) and keep reusing our buffer.
      out = Buffer.allocUnsafe(len);
      this.buf.copy(out, 0, this.segment, this.pos);
    } else {
      // Large batch: give the buffer away (the socket holds it until written) and start anew.
      out = this.buf.subarray(this.segment, this.pos);
      const cap = Math.min(Math.max(this.initialCapacity, this.pos), MAX_RETAINED_CAPACITY);
      this.buf = Buffer.allocUnsafe(cap);
    }
    this.pos = 0;
    this.segment = 0;
    return out;
  }

  /** Moves the open segment of `buf` to `chunks`; it is never written again. */
  private seal(): void {
    if (this.pos > this.segment) {
      this.chunks.push(this.buf.subarray(this.segment, this.pos));
      this.chunkBytes += this.pos - this.segment;
      this.segment = this.pos;
    }
  }

  private reset(): void {
    this.chunks = [];
    this.chunkBytes = 0;
    // Sealed segments of `buf` are now owned by the caller: continue in a fresh buffer.
    if (this.segment > 0) this.buf = Buffer.allocUnsafe(this.initialCapacity);
    this.pos = 0;
    this.segment = 0;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const used = this.pos - this.segment;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, used + n, this.initialCapacity));
    this.buf.copy(next, 0, this.segment, this.pos);
    // Sealed chunks may still view the old buffer; it is left untouched.
    this.buf = next;
    this.pos = used;
    this.segment = 0;
  }

  private crlf(): void {
    this.ensure(2);
    this.buf[this.pos] = 13;
    this.buf[this.pos + 1] = 10;
    this.pos += 2;
  }

  private raw3(a: number, b: number, c: number): void {
    this.ensure(3);
    const buf = this.buf;
    const p = this.pos;
    buf[p] = a;
    buf[p + 1] = b;
    buf[p + 2] = c;
    this.pos = p + 3;
  }

  private raw4(a: number, b: number, c: number, d: number): void {
    this.ensure(4);
    const buf = this.buf;
    const p = this.pos;
    buf[p] = a;
    buf[p + 1] = b;
    buf[p + 2] = c;
    buf[p + 3] = d;
    this.pos = p + 4;
  }

  private raw5(a: number, b: number, c: number, d: number, e: number): void {
    this.ensure(5);
    const buf = this.buf;
    const p = this.pos;
    buf[p] = a;
    buf[p + 1] = b;
    buf[p + 2] = c;
    buf[p + 3] = d;
    buf[p + 4] = e;
    this.pos = p + 5;
  }

  /** prefix + UTF-8 text + CRLF. */
  private line(prefix: number, text: string): void {
    this.ensure(text.length * 3 + 3);
    this.buf[this.pos++] = prefix;
    const n = text.length < 48 ? this.asciiWrite(text, this.pos) : -1;
    this.pos += n >= 0 ? n : this.buf.write(text, this.pos);
    this.buf[this.pos] = 13;
    this.buf[this.pos + 1] = 10;
    this.pos += 2;
  }

  /**
   * Writes a short pure-ASCII string byte by byte (cheaper than the native call for a few
   * bytes). Returns bytes written, or -1 (nothing usable written) if it is not ASCII.
   * Space must already be ensured.
   */
  private asciiWrite(text: string, at: number): number {
    const b = this.buf;
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c > 127) return -1;
      b[at + i] = c;
    }
    return n;
  }

  /** prefix + a safe integer's digits + CRLF, without building a string. */
  private digits(prefix: number, value: number): void {
    this.ensure(20);
    const b = this.buf;
    let p = this.pos;
    b[p++] = prefix;
    let v = value;
    if (v < 0) {
      b[p++] = 45;
      v = -v;
    }
    let n = 1;
    if (v < 2147483648) {
      // Small-integer arithmetic; most integers and lengths are here.
      for (let t = v; t >= 10; t = (t / 10) | 0) n++;
      for (let i = p + n - 1; i >= p; i--) {
        const q = (v / 10) | 0;
        b[i] = 48 + v - q * 10;
        v = q;
      }
    } else {
      for (let t = v; t >= 10; t = Math.floor(t / 10)) n++;
      for (let i = p + n - 1; i >= p; i--) {
        const q = Math.floor(v / 10);
        b[i] = 48 + (v - q * 10);
        v = q;
      }
    }
    p += n;
    b[p] = 13;
    b[p + 1] = 10;
    this.pos = p + 2;
  }

  /** prefix + decimal integer + CRLF: integers and every length header. */
  private header(prefix: number, value: number | bigint): void {
    if (typeof value === 'number' && value >= 0 && value < SMALL && (value | 0) === value) {
      this.ensure(7);
      const b = this.buf;
      let p = this.pos;
      b[p++] = prefix;
      const from = value * SMALL_STRIDE;
      const len = SMALL_LEN[value]!;
      for (let i = 0; i < len; i++) b[p + i] = SMALL_TABLE[from + i]!;
      this.pos = p + len;
      return;
    }
    if (typeof value === 'number' && Number.isSafeInteger(value)) {
      this.digits(prefix, value);
      return;
    }
    let text: string;
    if (typeof value === 'bigint') {
      text = value.toString();
    } else if (Number.isInteger(value)) {
      text = BigInt(value).toString();
    } else {
      throw new RangeError(`RESP integer must be an integer, got ${value}`);
    }
    this.ensure(text.length + 3);
    const b = this.buf;
    let p = this.pos;
    b[p++] = prefix;
    for (let i = 0; i < text.length; i++) b[p++] = text.charCodeAt(i);
    b[p] = 13;
    b[p + 1] = 10;
    this.pos = p + 2;
  }
}

/** One reply as a standalone Buffer (tests, rare paths; batch with ReplyWriter otherwise). */
export function encodeReply(reply: Reply, protocol: RespVersion = 2): Buffer {
  const w = new ReplyWriter(protocol, 256);
  w.write(reply);
  return w.flush() ?? Buffer.alloc(0);
}

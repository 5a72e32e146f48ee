/**
 * Streaming RESP request parser (what a Redis server reads from its clients).
 *
 * It follows Redis 7's `processInputBuffer` / `processMultibulkBuffer` / `processInlineBuffer`
 * (networking.c) and `sdssplitargs` (sds.c) check for check, and reports protocol errors with
 * Redis's exact text so clients that match on it keep working. Usage, one connection:
 *
 * ```ts
 * const parser = new RespParser();
 * socket.on('data', (chunk) => {
 *   for (const argv of parser.feed(chunk)) execute(argv, writer);
 *   if (parser.error !== null) writer.error(`ERR ${parser.error}`); // then flush and close
 *   writer.flushTo(socket);
 * });
 * ```
 *
 * Ownership rules a caller must keep:
 * - `feed` keeps references to the chunks it is given (no copy on the fast path), so never
 *   reuse a chunk's memory after feeding it (for `net`, do not use the `onread` static buffer).
 * - The argv Buffers are views into those chunks. Copy any argument you retain beyond the
 *   command's execution (`Buffer.from(arg)`), or it pins the whole chunk in memory.
 */

const CR = 13;
const LF = 10;
const STAR = 42;
const DOLLAR = 36;
const MINUS = 45;
const ZERO = 48;
const NINE = 57;

/** Redis's `proto-max-bulk-len` default: 512 MiB. */
export const DEFAULT_MAX_BULK_LENGTH = 512 * 1024 * 1024;
/** Redis rejects a multibulk count above INT_MAX (`ll > INT_MAX` in processMultibulkBuffer). */
export const DEFAULT_MAX_MULTIBULK_LENGTH = 2147483647;
/** Redis's PROTO_INLINE_MAX_SIZE, which also bounds the `*N` and `$N` header lines. */
export const DEFAULT_MAX_INLINE_LENGTH = 64 * 1024;

/** Limits, named after and defaulting to Redis's. */
export interface RespParserOptions {
  /** Largest accepted bulk argument (`proto-max-bulk-len`). */
  readonly maxBulkLength?: number;
  /** Largest accepted `*N` argument count. */
  readonly maxMultibulkLength?: number;
  /** Longest inline request line, and longest `*N` / `$N` header line. */
  readonly maxInlineLength?: number;
}

/** The exact texts Redis 7 replies with (after `-ERR `) before closing the connection. */
export const PROTOCOL_ERRORS = {
  invalidMultibulkLength: 'Protocol error: invalid multibulk length',
  invalidBulkLength: 'Protocol error: invalid bulk length',
  tooBigMbulkCount: 'Protocol error: too big mbulk count string',
  tooBigBulkCount: 'Protocol error: too big bulk count string',
  tooBigInline: 'Protocol error: too big inline request',
  unbalancedQuotes: 'Protocol error: unbalanced quotes in request',
} as const;

/**
 * Redis formats this one with `%c` and then maps CR and LF to spaces
 * (addReplyErrorFormatInternal), so a stray line break cannot split the error line.
 * A byte above 0x7f becomes the code point of the same value (Redis sends the raw byte).
 */
export function expectedDollarError(byte: number): string {
  const c = byte === CR || byte === LF ? ' ' : String.fromCharCode(byte);
  return `Protocol error: expected '$', got '${c}'`;
}

const NO_COMMANDS: readonly Buffer[][] = Object.freeze([]);
const EMPTY = Buffer.alloc(0);
/** How far past the known need the input store may grow in one step (bounds trust in `$N`). */
const EAGER_GROWTH = 16 * 1024 * 1024;
/** Slack so that the chunk completing a large bulk usually fits without another copy. */
const CHUNK_SLACK = 64 * 1024;

/**
 * Unconsumed input: `buf[pos..]`. `buf` is either a caller's chunk (zero copy) or a prefix view
 * of `store`, an owned buffer with spare room so that byte-by-byte or chunk-split input is
 * appended in place instead of re-concatenated. Bytes before `pos` are never overwritten, so
 * views handed out earlier stay valid.
 */
export class InputBuffer {
  buf: Buffer = EMPTY;
  pos = 0;
  private store: Buffer | null = null;

  get pending(): number {
    return this.buf.length - this.pos;
  }

  /** `need` is how many bytes from `pos` the parser knows it needs, or 0 if unknown. */
  append(chunk: Buffer, need: number): void {
    const rest = this.buf.length - this.pos;
    if (rest === 0) {
      this.buf = chunk;
      this.pos = 0;
      this.store = null;
      return;
    }
    const used = this.buf.length;
    const store = this.store;
    if (store !== null && store.length - used >= chunk.length) {
      chunk.copy(store, used);
      this.buf = store.subarray(0, used + chunk.length);
      return;
    }
    const total = rest + chunk.length;
    let cap = Math.max(total * 2, 4096);
    if (need + CHUNK_SLACK > cap) cap = Math.min(need + CHUNK_SLACK, total + EAGER_GROWTH);
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, this.pos);
    chunk.copy(next, rest);
    this.store = next;
    this.buf = next.subarray(0, total);
    this.pos = 0;
  }

  /** Drops references once everything is consumed, so old chunks can be collected. */
  compact(): void {
    if (this.pos === this.buf.length) this.clear();
  }

  clear(): void {
    this.buf = EMPTY;
    this.pos = 0;
    this.store = null;
  }
}

/**
 * Redis's `string2ll` on `buf[start..end)`: optional '-', no '+', no spaces, no leading zeros
 * (except "0" itself), no "-0", must fit a signed 64-bit integer. Returns null when rejected.
 * The value is exact up to 2^53, which covers every limit it is compared with.
 */
export function parseStrictInteger(buf: Buffer, start: number, end: number): number | null {
  if (start >= end) return null;
  if (end - start === 1 && buf[start] === ZERO) return 0;
  let i = start;
  const negative = buf[i] === MINUS;
  if (negative) {
    i++;
    if (i === end) return null;
  }
  const first = buf[i]!;
  if (first <= ZERO || first > NINE) return null;
  const digitsStart = i;
  let value = 0;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c < ZERO || c > NINE) return null;
    value = value * 10 + (c - ZERO);
  }
  const digits = end - digitsStart;
  if (digits > 19) return null;
  if (digits === 19) {
    const limit = negative ? '9223372036854775808' : '9223372036854775807';
    for (let k = 0; k < 19; k++) {
      const d = buf[digitsStart + k]!;
      const l = limit.charCodeAt(k);
      if (d !== l) {
        if (d > l) return null;
        break;
      }
    }
  }
  return negative ? -value : value;
}

function isSpace(c: number): boolean {
  // C's isspace in the "C" locale: space, \t, \n, \v, \f, \r.
  return c === 32 || (c >= 9 && c <= 13);
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Port of Redis's `sdssplitargs` over `buf[start..end)`. Redis runs it on a C string, so a NUL
 * byte ends the line; reading 0 past `end` reproduces that. Returns null where Redis returns
 * NULL (unbalanced quotes, or a closing quote not followed by a space).
 */
export function splitInlineArgs(buf: Buffer, start: number, end: number): Buffer[] | null {
  const at = (i: number): number => (i < end ? buf[i]! : 0);
  const args: Buffer[] = [];
  // An argument is never longer than the line, so all of them fit in one allocation.
  const out = Buffer.allocUnsafe(end - start);
  let o = 0;
  let p = start;
  for (;;) {
    while (isSpace(at(p))) p++;
    if (at(p) === 0) return args;
    const tokenStart = o;
    let inDouble = false;
    let inSingle = false;
    let done = false;
    while (!done) {
      const c = at(p);
      if (inDouble) {
        if (c === 92 && at(p + 1) === 120 && hexValue(at(p + 2)) >= 0 && hexValue(at(p + 3)) >= 0) {
          out[o++] = hexValue(at(p + 2)) * 16 + hexValue(at(p + 3));
          p += 3;
        } else if (c === 92 && at(p + 1) !== 0) {
          p++;
          const e = at(p);
          out[o++] =
            e === 110 ? 10 : e === 114 ? 13 : e === 116 ? 9 : e === 98 ? 8 : e === 97 ? 7 : e;
        } else if (c === 34) {
          const next = at(p + 1);
          if (next !== 0 && !isSpace(next)) return null;
          done = true;
        } else if (c === 0) {
          return null;
        } else {
          out[o++] = c;
        }
      } else if (inSingle) {
        if (c === 92 && at(p + 1) === 39) {
          p++;
          out[o++] = 39;
        } else if (c === 39) {
          const next = at(p + 1);
          if (next !== 0 && !isSpace(next)) return null;
          done = true;
        } else if (c === 0) {
          return null;
        } else {
          out[o++] = c;
        }
      } else if (c === 32 || c === 10 || c === 13 || c === 9 || c === 0) {
        // Unquoted tokens end only at these four and NUL; \v and \f stay inside, as in Redis.
        done = true;
      } else if (c === 34) {
        inDouble = true;
      } else if (c === 39) {
        inSingle = true;
      } else {
        out[o++] = c;
      }
      // `if (*p) p++;` in Redis, evaluated after the escape handling moved p.
      if (at(p) !== 0) p++;
    }
    args.push(out.subarray(tokenStart, o));
  }
}

/**
 * Incremental RESP2 request parser: multibulk (`*N\r\n$len\r\n...`) and inline commands, split
 * anywhere across chunks, any number per chunk.
 *
 * Deliberate differences from Redis, all in how *when* an error is raised, never its text:
 * - The 64 KiB header/inline line limit is applied to the line itself (bytes before its
 *   terminator), so the outcome does not depend on how the input was chunked; Redis checks the
 *   unparsed buffer after each read, so it may accept a slightly longer line that arrives at once.
 * - A NUL byte before a line terminator makes Redis's `strchr` miss the terminator and wait for
 *   more input; here the line is found and then rejected (or, inline, cut at the NUL as Redis's
 *   `sdssplitargs` does).
 * Like Redis, the two bytes after a bulk payload and the byte after a header's '\r' are skipped
 * without checking that they are "\r\n" / "\n".
 */
export class RespParser {
  /**
   * Set once a protocol error is found: the text to send as `-ERR <error>` before closing the
   * connection. Commands parsed before the error are still returned by the same `feed`; later
   * feeds return nothing.
   */
  error: string | null = null;

  private readonly input = new InputBuffer();
  private readonly maxBulk: number;
  private readonly maxMultibulk: number;
  private readonly maxLine: number;
  /** Arguments still expected by the current multibulk command (0: none in progress). */
  private multibulk = 0;
  /** Length of the bulk payload being awaited, or -1 when its `$N` header comes next. */
  private bulk = -1;
  private argv: Buffer[] = [];
  /** Payload bytes held in `argv`. */
  private argvBytes = 0;
  /** Bytes of the current line already searched for its terminator, to avoid rescanning. */
  private scanned = 0;

  constructor(options: RespParserOptions = {}) {
    this.maxBulk = options.maxBulkLength ?? DEFAULT_MAX_BULK_LENGTH;
    this.maxMultibulk = options.maxMultibulkLength ?? DEFAULT_MAX_MULTIBULK_LENGTH;
    this.maxLine = options.maxInlineLength ?? DEFAULT_MAX_INLINE_LENGTH;
  }

  /**
   * Bytes held for the command in progress: unparsed input plus the arguments already parsed
   * (for a query-buffer limit; Redis likewise counts argv next to its query buffer).
   */
  get bufferedBytes(): number {
    return this.input.pending + this.argvBytes;
  }

  /**
   * Parses as many complete commands as `chunk` completes, in order. Each command is its argv
   * (never empty). The returned array is fresh, except the shared empty one.
   */
  feed(chunk: Buffer): readonly Buffer[][] {
    if (this.stopped() || chunk.length === 0) return NO_COMMANDS;
    const awaitingBulk = this.multibulk > 0 && this.bulk >= 0;
    this.input.append(chunk, awaitingBulk ? this.bulk + 2 : 0);
    const out = this.parse();
    if (this.error !== null) {
      this.input.clear();
      this.argv = [];
      this.argvBytes = 0;
    } else {
      this.input.compact();
    }
    return out ?? NO_COMMANDS;
  }

  /** A method, not a property check, so the compiler does not assume parse() keeps it null. */
  private stopped(): boolean {
    return this.error !== null;
  }

  private parse(): Buffer[][] | null {
    const input = this.input;
    const buf = input.buf;
    const end = buf.length;
    const arrayBuffer = buf.buffer;
    const byteOffset = buf.byteOffset;
    let pos = input.pos;
    let out: Buffer[][] | null = null;
    let multibulk = this.multibulk;
    let bulk = this.bulk;
    let argv = this.argv;
    let argvBytes = this.argvBytes;

    parsing: while (pos < end) {
      if (multibulk === 0) {
        if (buf[pos] !== STAR) {
          const nl = this.findTerminator(buf, pos, LF, PROTOCOL_ERRORS.tooBigInline);
          if (nl < 0) break;
          const lineEnd = nl > pos && buf[nl - 1] === CR ? nl - 1 : nl;
          const args = splitInlineArgs(buf, pos, lineEnd);
          if (args === null) {
            this.error = PROTOCOL_ERRORS.unbalancedQuotes;
            break;
          }
          pos = nl + 1;
          if (args.length > 0) (out ??= []).push(args);
          continue;
        }
        // Fast path: "*<1-15 digits, no leading zero>\r". Anything else goes the Redis way.
        let q = pos + 1;
        let n = 0;
        const stop = Math.min(end, pos + 16);
        while (q < stop) {
          const c = buf[q]!;
          if (c < ZERO || c > NINE) break;
          n = n * 10 + (c - ZERO);
          q++;
        }
        if (q < stop && buf[q] === CR && q > pos + 1 && (buf[pos + 1] !== ZERO || q === pos + 2)) {
          if (q + 1 >= end) break;
          this.scanned = 0;
        } else {
          q = this.findTerminator(buf, pos, CR, PROTOCOL_ERRORS.tooBigMbulkCount);
          if (q < 0) break;
          const parsed = parseStrictInteger(buf, pos + 1, q);
          if (parsed === null) {
            this.error = PROTOCOL_ERRORS.invalidMultibulkLength;
            break;
          }
          n = parsed;
        }
        if (n > this.maxMultibulk) {
          this.error = PROTOCOL_ERRORS.invalidMultibulkLength;
          break;
        }
        pos = q + 2;
        // `*0` and negative counts (`*-1`) are consumed and ignored, as in Redis.
        if (n <= 0) continue;
        multibulk = n;
        bulk = -1;
        argv = [];
        argvBytes = 0;
      }

      while (multibulk > 0) {
        if (bulk < 0) {
          let q = pos + 1;
          let n = 0;
          const stop = Math.min(end, pos + 16);
          while (q < stop) {
            const c = buf[q]!;
            if (c < ZERO || c > NINE) break;
            n = n * 10 + (c - ZERO);
            q++;
          }
          if (
            buf[pos] === DOLLAR &&
            q < stop &&
            buf[q] === CR &&
            q > pos + 1 &&
            (buf[pos + 1] !== ZERO || q === pos + 2)
          ) {
            if (q + 1 >= end) break parsing;
            this.scanned = 0;
          } else {
            q = this.findTerminator(buf, pos, CR, PROTOCOL_ERRORS.tooBigBulkCount);
            if (q < 0) break parsing;
            if (buf[pos] !== DOLLAR) {
              this.error = expectedDollarError(buf[pos]!);
              break parsing;
            }
            const parsed = parseStrictInteger(buf, pos + 1, q);
            if (parsed === null || parsed < 0) {
              this.error = PROTOCOL_ERRORS.invalidBulkLength;
              break parsing;
            }
            n = parsed;
          }
          if (n > this.maxBulk) {
            this.error = PROTOCOL_ERRORS.invalidBulkLength;
            break parsing;
          }
          pos = q + 2;
          bulk = n;
        }
        if (end - pos < bulk + 2) break parsing;
        // Cheaper than buf.subarray(), which goes through the species constructor.
        argv.push(Buffer.from(arrayBuffer, byteOffset + pos, bulk));
        argvBytes += bulk;
        pos += bulk + 2;
        bulk = -1;
        multibulk--;
      }
      (out ??= []).push(argv);
      argv = [];
      argvBytes = 0;
    }

    input.pos = pos;
    this.multibulk = multibulk;
    this.bulk = bulk;
    this.argv = argv;
    this.argvBytes = argvBytes;
    return out;
  }

  /**
   * Index of the line's terminator (`term`) searching from `start`, or -1 if more input is
   * needed (or an error was set). A '\r' terminator also needs the byte after it, which Redis
   * requires to be present but never inspects.
   */
  private findTerminator(buf: Buffer, start: number, term: number, tooBig: string): number {
    const end = buf.length;
    const from = start + this.scanned;
    const at = from < end ? buf.indexOf(term, from) : -1;
    if (at < 0) {
      this.scanned = end - start;
      if (end - start > this.maxLine) this.error = tooBig;
      return -1;
    }
    if (at - start > this.maxLine) {
      this.error = tooBig;
      return -1;
    }
    if (term === CR && at + 1 >= end) {
      this.scanned = at - start;
      return -1;
    }
    this.scanned = 0;
    return at;
  }
}

/**
 * Client side of RESP: `encodeCommand` for requests and `ReplyParser`, a streaming parser of
 * RESP2 and RESP3 replies into `Reply` values. Used to forward commands to the leader over a
 * pooled connection and relay its replies, and by tests that talk RESP directly.
 *
 * Bulk, verbatim and blob-error payloads are views into the fed chunks (no copy): copy what you
 * keep for long, and never reuse a chunk's memory after feeding it.
 */

import {
  EMPTY_ARRAY_REPLY,
  FALSE_REPLY,
  NULL_ARRAY_REPLY,
  NULL_REPLY,
  OK_REPLY,
  TRUE_REPLY,
  bigNumberReply,
  bulkReply,
  doubleReply,
  errorReply,
  integerReply,
  simpleReply,
  verbatimReply,
} from './encoder.js';
import type { Reply } from './encoder.js';
import { InputBuffer } from './parser.js';

/** A request as RESP2 multibulk: `*N\r\n` then `$len\r\narg\r\n` per argument. */
export function encodeCommand(argv: readonly (Buffer | string)[]): Buffer {
  const n = argv.length;
  const lengths = new Array<number>(n);
  let size = 3 + String(n).length;
  for (let i = 0; i < n; i++) {
    const a = argv[i]!;
    const len = typeof a === 'string' ? Buffer.byteLength(a) : a.length;
    lengths[i] = len;
    size += 5 + String(len).length + len;
  }
  const out = Buffer.allocUnsafe(size);
  let p = out.write(`*${n}\r\n`, 0, 'latin1');
  for (let i = 0; i < n; i++) {
    const a = argv[i]!;
    p += out.write(`$${lengths[i]!}\r\n`, p, 'latin1');
    p += typeof a === 'string' ? out.write(a, p) : a.copy(out, p);
    out[p++] = 13;
    out[p++] = 10;
  }
  return out;
}

const CR = 13;
const LF = 10;
const NO_REPLIES: readonly Reply[] = Object.freeze([]);

type AggregateKind = 'array' | 'map' | 'set' | 'push' | 'attribute';

interface Frame {
  readonly kind: AggregateKind;
  readonly items: Reply[];
  remaining: number;
}

const AGGREGATES: Partial<Record<number, AggregateKind>> = {
  42: 'array', // *
  37: 'map', // %
  126: 'set', // ~
  62: 'push', // >
  124: 'attribute', // |
};

const INTEGER_RE = /^-?\d+$/;

/**
 * Incremental RESP2/RESP3 reply parser. Nested aggregates are kept on an explicit stack, so
 * input split anywhere is never re-parsed. RESP3 attributes (`|`) are read and dropped: the
 * reply they annotate is returned on its own. Streamed RESP3 aggregates (`*?`), which Redis
 * never sends, are a protocol error.
 */
export class ReplyParser {
  /** Set on malformed input; the connection cannot be trusted after it and feeds stop. */
  error: string | null = null;

  private readonly input = new InputBuffer();
  private readonly stack: Frame[] = [];
  /** Type byte of the `$`, `=` or `!` whose payload is awaited, or 0. */
  private blobType = 0;
  private blobLength = 0;
  private scanned = 0;

  /** Parses every reply `chunk` completes, in order. */
  feed(chunk: Buffer): readonly Reply[] {
    if (this.stopped() || chunk.length === 0) return NO_REPLIES;
    this.input.append(chunk, this.blobType !== 0 ? this.blobLength + 2 : 0);
    const out = this.parse();
    if (this.error !== null) this.input.clear();
    else this.input.compact();
    return out ?? NO_REPLIES;
  }

  /** A method, not a property check, so the compiler does not assume parse() keeps it null. */
  private stopped(): boolean {
    return this.error !== null;
  }

  private parse(): Reply[] | null {
    const input = this.input;
    const buf = input.buf;
    const end = buf.length;
    let pos = input.pos;
    let out: Reply[] | null = null;

    while (pos < end) {
      let reply: Reply;
      if (this.blobType !== 0) {
        const len = this.blobLength;
        if (end - pos < len + 2) break;
        if (buf[pos + len] !== CR || buf[pos + len + 1] !== LF) {
          this.error = 'Protocol error: bulk payload not followed by CRLF';
          break;
        }
        const r = this.blob(this.blobType, buf, pos, pos + len);
        if (r === null) break;
        reply = r;
        pos += len + 2;
        this.blobType = 0;
      } else {
        const from = pos + this.scanned;
        const cr = from < end ? buf.indexOf(CR, from) : -1;
        if (cr < 0 || cr + 1 >= end) {
          this.scanned = (cr < 0 ? end : cr) - pos;
          break;
        }
        this.scanned = 0;
        if (buf[cr + 1] !== LF) {
          this.error = 'Protocol error: CR not followed by LF';
          break;
        }
        const type = buf[pos]!;
        const r = this.line(type, buf, pos + 1, cr);
        if (r === null) break;
        pos = cr + 2;
        if (r === 'pending') continue;
        reply = r;
      }
      out = this.deliver(reply, out);
    }
    input.pos = pos;
    return out;
  }

  /** Hands a complete reply to the innermost open aggregate, closing the ones it completes. */
  private deliver(reply: Reply, out: Reply[] | null): Reply[] | null {
    const stack = this.stack;
    for (;;) {
      const top = stack[stack.length - 1];
      if (top === undefined) {
        (out ??= []).push(reply);
        return out;
      }
      top.items.push(reply);
      if (--top.remaining > 0) return out;
      stack.pop();
      switch (top.kind) {
        case 'attribute':
          // Metadata about the next reply, which does not count as an element of the parent.
          return out;
        case 'array':
          reply = { kind: 'array', items: top.items };
          break;
        case 'map':
          reply = { kind: 'map', items: top.items };
          break;
        case 'set':
          reply = { kind: 'set', items: top.items };
          break;
        case 'push':
          reply = { kind: 'push', items: top.items };
          break;
      }
    }
  }

  /**
   * A header or single-line reply in `buf[start..end)` (after the type byte). Returns the
   * reply, 'pending' when a payload or aggregate elements follow, or null on error.
   */
  private line(type: number, buf: Buffer, start: number, end: number): Reply | 'pending' | null {
    switch (type) {
      case 43: // +
        // The reply a forwarding follower relays most: share the constant.
        if (end - start === 2 && buf[start] === 79 && buf[start + 1] === 75) return OK_REPLY;
        return simpleReply(buf.toString('utf8', start, end));
      case 45: // -
        return errorReply(buf.toString('utf8', start, end));
      case 58: {
        // :
        const v = this.integer(buf, start, end);
        return v === null ? null : integerReply(v);
      }
      case 36: // $
      case 61: // =
      case 33: {
        // !
        const len = this.length(buf, start, end);
        if (len === null) return null;
        if (len < 0) {
          if (type === 36 && len === -1) return NULL_REPLY;
          return this.fail('invalid bulk length');
        }
        this.blobType = type;
        this.blobLength = len;
        return 'pending';
      }
      case 95: // _
        return end === start ? NULL_REPLY : this.fail('invalid null');
      case 44: // ,
        return this.double(buf.toString('latin1', start, end));
      case 35: // #
        if (end - start === 1 && buf[start] === 116) return TRUE_REPLY;
        if (end - start === 1 && buf[start] === 102) return FALSE_REPLY;
        return this.fail('invalid boolean');
      case 40: {
        // (
        const text = buf.toString('latin1', start, end);
        return INTEGER_RE.test(text)
          ? bigNumberReply(BigInt(text))
          : this.fail('invalid big number');
      }
      default: {
        const kind = AGGREGATES[type];
        if (kind === undefined) {
          return this.fail(`invalid reply type byte ${type}`);
        }
        const n = this.length(buf, start, end);
        if (n === null) return null;
        if (n < 0) {
          return n === -1 && type === 42 ? NULL_ARRAY_REPLY : this.fail('invalid aggregate length');
        }
        if (n === 0) {
          if (kind === 'array') return EMPTY_ARRAY_REPLY;
          if (kind === 'attribute') return 'pending';
          return { kind, items: [] };
        }
        const pairs = kind === 'map' || kind === 'attribute';
        this.stack.push({ kind, items: [], remaining: pairs ? n * 2 : n });
        return 'pending';
      }
    }
  }

  private blob(type: number, buf: Buffer, start: number, end: number): Reply | null {
    if (type === 36) return bulkReply(buf.subarray(start, end));
    if (type === 33) return errorReply(buf.toString('utf8', start, end));
    if (end - start < 4 || buf[start + 3] !== 58) return this.fail('invalid verbatim string');
    return verbatimReply(buf.subarray(start + 4, end), buf.toString('latin1', start, start + 3));
  }

  private integer(buf: Buffer, start: number, end: number): number | bigint | null {
    const len = end - start;
    if (len > 0 && len <= 15) {
      let i = start;
      const negative = buf[i] === 45;
      if (negative) i++;
      if (i < end) {
        let v = 0;
        for (; i < end; i++) {
          const d = buf[i]! - 48;
          if (d < 0 || d > 9) return this.fail('invalid integer');
          v = v * 10 + d;
        }
        return negative ? -v : v;
      }
      return this.fail('invalid integer');
    }
    const text = buf.toString('latin1', start, end);
    if (!INTEGER_RE.test(text)) return this.fail('invalid integer');
    const big = BigInt(text);
    const small = Number(big);
    return Number.isSafeInteger(small) ? small : big;
  }

  /** A length header: a plain integer, -1 allowed (null). */
  private length(buf: Buffer, start: number, end: number): number | null {
    const v = this.integer(buf, start, end);
    if (v === null) return null;
    if (typeof v === 'bigint') return this.fail('length out of range');
    return v;
  }

  private double(text: string): Reply | null {
    switch (text) {
      case 'inf':
      case '+inf':
        return doubleReply(Infinity);
      case '-inf':
        return doubleReply(-Infinity);
      case 'nan':
      case '-nan':
        return doubleReply(NaN);
    }
    const v = text.trim() === text && text !== '' ? Number(text) : NaN;
    return Number.isNaN(v) ? this.fail('invalid double') : doubleReply(v);
  }

  private fail(what: string): null {
    this.error = `Protocol error: ${what}`;
    return null;
  }
}

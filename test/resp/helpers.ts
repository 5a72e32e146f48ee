import { it } from 'node:test';
import { RespParser } from '../../src/resp/parser.js';
import type { RespParserOptions } from '../../src/resp/parser.js';
import { ReplyParser } from '../../src/resp/reply-parser.js';
import type { Reply } from '../../src/resp/encoder.js';

/** How a test's input reaches the parser. Every codec case runs in both modes. */
export type Chunking = 'one chunk' | 'byte by byte';
export const CHUNKINGS: readonly Chunking[] = ['one chunk', 'byte by byte'];

/** Each piece is its own allocation, as socket reads are. */
export function split(input: Buffer, chunking: Chunking): Buffer[] {
  if (chunking === 'one chunk') return [Buffer.from(input)];
  const out: Buffer[] = [];
  for (let i = 0; i < input.length; i++) out.push(Buffer.from(input.subarray(i, i + 1)));
  return out;
}

/** Splits at the given cut points (any order, duplicates and out-of-range allowed). */
export function splitAt(input: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.max(0, Math.min(input.length, c))))].sort(
    (a, b) => a - b,
  );
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, input.length]) {
    if (p > prev) out.push(Buffer.from(input.subarray(prev, p)));
    prev = p;
  }
  return out;
}

/** Registers `name` once per chunking; the body receives the chunking to use. */
export function bothWays(name: string, body: (chunking: Chunking) => void): void {
  for (const chunking of CHUNKINGS)
    it(`${name} [${chunking}]`, () => {
      body(chunking);
    });
}

export interface RequestResult {
  readonly commands: Buffer[][];
  readonly error: string | null;
}

export function parseRequests(
  chunks: readonly Buffer[],
  options?: RespParserOptions,
): RequestResult {
  const parser = new RespParser(options);
  const commands: Buffer[][] = [];
  for (const c of chunks) commands.push(...parser.feed(c));
  return { commands, error: parser.error };
}

/** Commands as byte-exact strings (latin1), for readable assertions. */
export function text(commands: readonly (readonly Buffer[])[]): string[][] {
  return commands.map((argv) => argv.map((a) => a.toString('latin1')));
}

export function requests(
  input: Buffer | string,
  chunking: Chunking,
  options?: RespParserOptions,
): { commands: string[][]; error: string | null; raw: Buffer[][] } {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  const r = parseRequests(split(bytes, chunking), options);
  return { commands: text(r.commands), error: r.error, raw: r.commands };
}

export function parseReplies(chunks: readonly Buffer[]): {
  replies: Reply[];
  error: string | null;
} {
  const parser = new ReplyParser();
  const replies: Reply[] = [];
  for (const c of chunks) replies.push(...parser.feed(c));
  return { replies, error: parser.error };
}

export function replies(
  input: Buffer | string,
  chunking: Chunking,
): { replies: Reply[]; error: string | null } {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  return parseReplies(split(bytes, chunking));
}

/**
 * A reply as plain data for deepStrictEqual: Buffers and strings payloads become
 * `{ bytes: hex }` so a bulk given as a string and the Buffer it parses back to compare equal.
 */
export function plain(reply: Reply): unknown {
  switch (reply.kind) {
    case 'bulk':
      return { bulk: hex(reply.value) };
    case 'verbatim':
      return { verbatim: hex(reply.value), format: reply.format };
    case 'integer':
      return { integer: BigInt(reply.value).toString() };
    case 'array':
    case 'map':
    case 'set':
    case 'push':
      return { [reply.kind]: reply.items.map(plain) };
    default:
      return reply;
  }
}

function hex(v: Buffer | string): string {
  return (typeof v === 'string' ? Buffer.from(v) : v).toString('hex');
}

/**
 * RESP codec throughput. Not a test: run with `npm run build && node dist/test/resp/resp-bench.js`.
 * Workload: `SET key:NNNNNN <64-byte value>` pipelined and fed in 64 KiB chunks, as a socket
 * delivers them; replies batched per input chunk, as the server writes them.
 */
import { performance } from 'node:perf_hooks';
import { OK_REPLY, ReplyWriter, bulkReply } from '../../src/resp/encoder.js';
import { RespParser } from '../../src/resp/parser.js';
import { ReplyParser, encodeCommand } from '../../src/resp/reply-parser.js';

const COMMANDS = Number(process.env.BENCH_COMMANDS ?? 1_000_000);
const CHUNK = 64 * 1024;
const ROUNDS = 5;

function chunked(input: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < input.length; i += CHUNK) out.push(input.subarray(i, i + CHUNK));
  return out;
}

function best(
  label: string,
  units: number,
  unitName: string,
  bytes: number,
  run: () => void,
): void {
  run(); // warm-up
  let fastest = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    run();
    fastest = Math.min(fastest, performance.now() - t0);
  }
  const perSec = (units / fastest) * 1000;
  const mbps = (bytes / (1024 * 1024) / fastest) * 1000;
  process.stdout.write(
    `${label.padEnd(44)} ${(perSec / 1e6).toFixed(2).padStart(6)} M ${unitName}/s  ` +
      `${mbps.toFixed(0).padStart(5)} MiB/s  (${fastest.toFixed(1)} ms best of ${ROUNDS})\n`,
  );
}

const value = Buffer.alloc(64, 'v');
const requests = Buffer.concat(
  Array.from({ length: COMMANDS }, (_, i) =>
    encodeCommand(['SET', `key:${String(i).padStart(6, '0')}`, value]),
  ),
);
const requestChunks = chunked(requests);

best('parser: SET key:NNNNNN <64 B>, 64 KiB chunks', COMMANDS, 'cmd', requests.length, () => {
  const p = new RespParser();
  let n = 0;
  for (const c of requestChunks) n += p.feed(c).length;
  if (n !== COMMANDS || p.error !== null) throw new Error(`parsed ${n}`);
});

const inline = Buffer.from(
  Array.from({ length: COMMANDS / 4 }, (_, i) => `SET key:${i} ${'v'.repeat(64)}\r\n`).join(''),
);
const inlineChunks = chunked(inline);
best('parser: same, inline commands', COMMANDS / 4, 'cmd', inline.length, () => {
  const p = new RespParser();
  let n = 0;
  for (const c of inlineChunks) n += p.feed(c).length;
  if (n !== COMMANDS / 4) throw new Error(`parsed ${n}`);
});

// Replies per 64 KiB of input: what one socket.write carries.
const perChunk = Math.ceil(COMMANDS / requestChunks.length);
let sink = 0;

function replies(label: string, bytesPerReply: number, body: (w: ReplyWriter) => void): void {
  best(label, COMMANDS, 'reply', COMMANDS * bytesPerReply, () => {
    const w = new ReplyWriter(2);
    for (let i = 0; i < COMMANDS; i += perChunk) {
      const stop = Math.min(COMMANDS, i + perChunk);
      for (let j = i; j < stop; j++) body(w);
      sink += w.flush()?.length ?? 0;
    }
  });
}

replies('encoder: +OK (ok()), flushed per chunk', 5, (w) => {
  w.ok();
});
replies('encoder: +OK (write(OK_REPLY))', 5, (w) => {
  w.write(OK_REPLY);
});
replies('encoder: 64 B bulk Buffer (GET hit)', 71, (w) => {
  w.bulk(value);
});
const valueReply = bulkReply(value);
replies('encoder: 64 B bulk via write(Reply)', 71, (w) => {
  w.write(valueReply);
});
let counter = 0;
replies('encoder: integer (INCR)', 9, (w) => {
  w.integer(1_000_000 + (counter++ % 1000));
});

const okStream = Buffer.from('+OK\r\n'.repeat(COMMANDS));
const okChunks = chunked(okStream);
best('reply parser: +OK, 64 KiB chunks', COMMANDS, 'reply', okStream.length, () => {
  const p = new ReplyParser();
  let n = 0;
  for (const c of okChunks) n += p.feed(c).length;
  if (n !== COMMANDS) throw new Error(`parsed ${n}`);
});

const w = new ReplyWriter(2);
for (let i = 0; i < COMMANDS; i++) w.bulk(value);
const bulkStream = w.flush()!;
const bulkChunks = chunked(bulkStream);
best('reply parser: 64 B bulk, 64 KiB chunks', COMMANDS, 'reply', bulkStream.length, () => {
  const p = new ReplyParser();
  let n = 0;
  for (const c of bulkChunks) n += p.feed(c).length;
  if (n !== COMMANDS) throw new Error(`parsed ${n}`);
});

if (sink < 0) process.stdout.write('unreachable\n');

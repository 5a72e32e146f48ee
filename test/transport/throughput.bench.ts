/**
 * Peer transport throughput on loopback: MsgApp messages carrying 64 entries of 64 bytes, from
 * one GrpcTransport to another in the same process (so one core does both ends), with a bounded
 * number of messages in flight as Raft's flow control would keep. Also times the codec alone.
 *
 *   npm run build && node dist/test/transport/throughput.bench.js [messages] [window] [--split]
 *
 * With --split the receiver runs in a child process (its own core), reporting its progress over
 * IPC every 256 messages, as a follower's MsgAppResp would.
 *
 * Not a test (no .test.js suffix): the runner does not pick it up.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { nodeId, type Message } from '../../src/raft/index.js';
import { decodeBatch, encodeBatch } from '../../src/transport/codec.js';
import { GrpcTransport } from '../../src/transport/grpc-transport.js';
import { EventLog, app, entries } from './helpers.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const split = process.argv.includes('--split');
const role = process.argv.includes('--receiver') ? 'receiver' : 'sender';
const REPORT_STEP = 256;
// Whole reporting steps, so that the child's cumulative reports line up with each run.
const total = Math.ceil(Number(args[0] ?? 200_000) / REPORT_STEP) * REPORT_STEP;
const window = Number(args[1] ?? 4096);
const REPORT_EVERY = REPORT_STEP;
const perSend = 64;
const ENTRIES = 64;
const ENTRY_BYTES = 64;

function makeMessages(n: number, first: number): Message[] {
  return Array.from({ length: n }, (_, i) =>
    app(1, 2, first + i, entries((first + i) * ENTRIES, ENTRIES, ENTRY_BYTES)),
  );
}

function benchCodec(): void {
  const msgs = makeMessages(perSend, 0);
  const rounds = 300;
  let bytes = 0;
  let t = performance.now();
  const encoded: Buffer[] = [];
  for (let r = 0; r < rounds; r++) encoded.push(encodeBatch(msgs));
  const encodeMs = performance.now() - t;
  for (const e of encoded) bytes += e.length;
  t = performance.now();
  for (const e of encoded) decodeBatch(e);
  const decodeMs = performance.now() - t;
  const n = rounds * perSend;
  console.log(
    `codec: ${(bytes / n).toFixed(0)} B/message; encode ${((n / encodeMs) * 1000).toFixed(0)} msg/s, ` +
      `decode ${((n / decodeMs) * 1000).toFixed(0)} msg/s`,
  );
}

/** Child process side of --split: receives and reports counts to the parent. */
async function runReceiver(): Promise<void> {
  const logger = pino({ level: 'warn' });
  const b = new GrpcTransport({ id: nodeId(2), listenAddress: '127.0.0.1:0', logger });
  let received = 0;
  await b.start(() => {
    received++;
    if (received % REPORT_EVERY === 0) process.send?.({ received });
  }, new EventLog());
  process.send?.({ address: b.address });
  process.on('message', () => {
    void b.close().then(() => {
      process.disconnect();
    });
  });
}

async function benchTransport(): Promise<void> {
  const logger = pino({ level: 'warn' });
  const a = new GrpcTransport({ id: nodeId(1), listenAddress: '127.0.0.1:0', logger });
  let received = 0;
  let wake: (() => void) | undefined;
  let wakeAt = 0;
  const progress = (count: number): void => {
    received = count;
    if (wake !== undefined && received >= wakeAt) {
      const w = wake;
      wake = undefined;
      w();
    }
  };
  const events = new EventLog();
  await a.start(() => undefined, events);
  let closeReceiver: () => Promise<void>;
  if (split) {
    const child = fork(process.argv[1]!, ['--receiver'], { stdio: 'inherit' });
    const [first] = (await once(child, 'message')) as [{ address: string }];
    child.on('message', (m: { received?: number }) => {
      if (m.received !== undefined) progress(m.received);
    });
    a.addPeer(nodeId(2), first.address);
    closeReceiver = async () => {
      child.send('close');
      await once(child, 'exit');
    };
  } else {
    const b = new GrpcTransport({ id: nodeId(2), listenAddress: '127.0.0.1:0', logger });
    await b.start(() => {
      progress(received + 1);
    }, new EventLog());
    a.addPeer(nodeId(2), b.address);
    closeReceiver = () => b.close();
  }

  // Pre-built messages: the benchmark measures the transport, not message construction.
  const pool = makeMessages(perSend * 16, 1);
  const run = async (n: number): Promise<number> => {
    const start = performance.now();
    const base = received;
    let sent = 0;
    let p = 0;
    while (sent < n) {
      while (sent < n && sent - (received - base) < window) {
        const k = Math.min(perSend, n - sent);
        a.send(pool.slice(p, p + k));
        p = (p + k) % pool.length;
        sent += k;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        // Reports come in steps of REPORT_EVERY when split; never wait past what was sent.
        wakeAt = Math.min(base + sent - window / 2, base + sent - (sent % REPORT_EVERY));
      });
    }
    const end = base + n;
    await new Promise<void>((resolve) => {
      if (received >= end) resolve();
      else {
        wake = resolve;
        wakeAt = end;
      }
    });
    return performance.now() - start;
  };

  await run(Math.min(80 * REPORT_EVERY, total)); // warm-up: JIT, connection, TCP windows
  const ms = await run(total);
  const stats = a.stats();
  const bytesPerMsg = stats.bytesSent / stats.messagesSent;
  const rate = (total / ms) * 1000;
  console.log(
    `transport${split ? ' (receiver in a child process)' : ' (one process)'}: ${total} MsgApp (${ENTRIES}x${ENTRY_BYTES} B entries) in ${ms.toFixed(0)} ms: ` +
      `${rate.toFixed(0)} msg/s, ${((rate * ENTRIES) / 1e6).toFixed(2)} M entries/s, ` +
      `${((rate * bytesPerMsg) / 1e6).toFixed(0)} MB/s on the wire; ` +
      `${(stats.messagesSent / stats.batchesSent).toFixed(1)} messages/batch; ` +
      `unreachable reports: ${events.unreachableReports.length}`,
  );
  await a.close();
  await closeReceiver();
}

if (role === 'receiver') {
  await runReceiver();
} else {
  benchCodec();
  await benchTransport();
}

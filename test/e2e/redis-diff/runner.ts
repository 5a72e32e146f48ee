/**
 * Runs generated sequences against Redis and Redraft side by side, one command at a time on
 * each, and reports where Redraft's reply is not acceptable for Redis's (compare.ts).
 */
import type { Reply } from '../../../src/resp/encoder.js';
import { RespClient } from '../harness/index.js';
import { mismatch, showArgv, showReply } from './compare.js';
import type { Arg, CompareMode, Sequence, Step } from './generator.js';

export interface Mismatch {
  readonly sequence: Sequence;
  /** What ran before, with Redis's replies, most recent last. */
  readonly history: readonly string[];
  readonly command: string;
  readonly expected: string;
  readonly actual: string;
  readonly reason: string;
}

export interface RunResult {
  readonly mismatches: readonly Mismatch[];
  /** Commands sent to each server. */
  readonly commands: number;
  /** Steps left out because this build does not implement their command, by name. */
  readonly dropped: ReadonlyMap<string, number>;
  /** Redis's replies by type (`error` included), to show what the sequences exercised. */
  readonly kinds: ReadonlyMap<string, number>;
}

const TIMEOUT_MS = 5000;

interface Pair {
  readonly redis: RespClient;
  readonly redraft: RespClient;
}

async function pair(redisPort: number, redraftPort: number): Promise<Pair> {
  const [redis, redraft] = await Promise.all([
    RespClient.connect(redisPort),
    RespClient.connect(redraftPort),
  ]);
  return { redis, redraft };
}

/** Sends to both and returns [Redis's reply, Redraft's reply]. */
function both(p: Pair, argv: readonly Arg[]): Promise<[Reply, Reply]> {
  return Promise.all([p.redis.send(argv, TIMEOUT_MS), p.redraft.send(argv, TIMEOUT_MS)]);
}

/**
 * SCAN or HSCAN from the step's cursor until the cursor is back at 0, on one server; returns
 * the union of the elements as one array reply, or the first reply when it is not a page.
 */
async function scanAll(client: RespClient, argv: readonly Arg[]): Promise<Reply> {
  const at = String(argv[0]).toUpperCase() === 'SCAN' ? 1 : 2;
  const collected: Reply[] = [];
  let cursor = String(argv[at]);
  for (let round = 0; round < 1000; round++) {
    const request = [...argv];
    request[at] = cursor;
    const reply = await client.send(request, TIMEOUT_MS);
    if (reply.kind !== 'array' || reply.items.length !== 2) return reply;
    const [next, page] = reply.items;
    if (next?.kind !== 'bulk' || page?.kind !== 'array') return reply;
    collected.push(...page.items);
    cursor = Buffer.from(next.value).toString('latin1');
    if (cursor === '0') return { kind: 'array', items: collected };
  }
  return { kind: 'error', message: 'scan did not finish in 1000 rounds' };
}

/**
 * Runs every sequence. `redraftPort(i)` picks the member sequence `i` talks to (spreading them
 * over leader and followers exercises forwarding too). `implemented` holds the command names
 * this build knows; steps with other commands are dropped from both sides, except the names in
 * `alwaysRun` (deliberately unknown commands, and commands the dispatcher handles itself).
 */
export async function runSequences(options: {
  readonly sequences: readonly Sequence[];
  readonly redisPort: number;
  readonly redraftPort: (sequence: number) => number;
  readonly implemented: ReadonlySet<string>;
  readonly alwaysRun: ReadonlySet<string>;
}): Promise<RunResult> {
  const mismatches: Mismatch[] = [];
  const dropped = new Map<string, number>();
  const kinds = new Map<string, number>();
  let commands = 0;

  for (const seq of options.sequences) {
    const port = options.redraftPort(seq.id);
    const conns = [
      await pair(options.redisPort, port),
      await pair(options.redisPort, port),
    ] as const;
    const history: string[] = [];
    const fail = (command: string, expected: Reply, actual: Reply, reason: string): void => {
      mismatches.push({
        sequence: seq,
        history: [...history],
        command,
        expected: showReply(expected),
        actual: showReply(actual),
        reason,
      });
    };
    try {
      const [flushR, flushD] = await both(conns[0], ['FLUSHALL']);
      if (showReply(flushR) !== '+OK' || showReply(flushD) !== '+OK') {
        throw new Error(`FLUSHALL: redis ${showReply(flushR)}, redraft ${showReply(flushD)}`);
      }
      if (seq.resp3) {
        for (const c of conns) {
          const [e, a] = await both(c, ['HELLO', '3']);
          const why = mismatch('ignore', e, a, ['HELLO', '3']);
          if (why !== undefined) fail('HELLO 3', e, a, why);
        }
        history.push('c0> HELLO 3', 'c1> HELLO 3');
      }
      const multi: { open: boolean; modes: CompareMode[] }[] = [
        { open: false, modes: [] },
        { open: false, modes: [] },
      ];
      let ok = !mismatches.some((m) => m.sequence === seq);
      const steps = seq.steps.filter((step) => {
        const name = String(step.argv[0]).toLowerCase();
        if (options.implemented.has(name) || options.alwaysRun.has(name)) return true;
        dropped.set(name, (dropped.get(name) ?? 0) + 1);
        return false;
      });
      for (const batch of batches(steps, seq.pipelined)) {
        if (!ok) break;
        const c = conns[batch[0]!.conn];
        const tx = multi[batch[0]!.conn]!;
        commands += batch.length;
        let replies: [Reply, Reply][];
        try {
          const first = batch[0]!;
          if (first.iterate !== undefined && !tx.open) {
            replies = [
              await Promise.all([scanAll(c.redis, first.argv), scanAll(c.redraft, first.argv)]),
            ];
          } else {
            // Every request of the batch is written before any reply is awaited.
            const [r, d] = await Promise.all([
              Promise.all(batch.map((st) => c.redis.send(st.argv, TIMEOUT_MS))),
              Promise.all(batch.map((st) => c.redraft.send(st.argv, TIMEOUT_MS))),
            ]);
            replies = r.map((e, i) => [e, d[i]!]);
          }
        } catch (err) {
          // No reply at all: a server crashed or hung. Nothing after this can be trusted.
          const message = err instanceof Error ? err.message : String(err);
          const nothing: Reply = { kind: 'error', message: `(no reply: ${message})` };
          const lines = batch.map((st) => `c${st.conn}> ${showArgv(st.argv)}`).join(' | ');
          fail(lines, nothing, nothing, 'a server did not answer');
          return { mismatches, commands, dropped, kinds };
        }
        for (let i = 0; i < batch.length && ok; i++) {
          const step = batch[i]!;
          const [e, a] = replies[i]!;
          const line = `c${step.conn}> ${showArgv(step.argv)}${batch.length > 1 ? `  [pipelined ${i + 1}/${batch.length}]` : ''}`;
          kinds.set(e.kind, (kinds.get(e.kind) ?? 0) + 1);
          const why = compareStep(step, tx, e, a);
          if (why !== undefined) {
            fail(line, e, a, why);
            ok = false;
          } else {
            history.push(`${line}  -> ${showReply(e)}`);
          }
        }
      }
      if (ok) {
        for (const m of await compareState(options.redisPort, port)) {
          fail(m.command, m.expected, m.actual, m.reason);
          break;
        }
      }
    } finally {
      for (const c of conns) {
        c.redis.close();
        c.redraft.close();
      }
    }
  }
  return { mismatches, commands, dropped, kinds };
}

/**
 * The steps in the order they are sent: one at a time, or, pipelined, each run of consecutive
 * steps on one connection together. An iterated scan always goes alone (it loops on replies).
 */
function batches(steps: readonly Step[], pipelined: boolean): Step[][] {
  const out: Step[][] = [];
  for (const step of steps) {
    const last = out[out.length - 1];
    const joins =
      pipelined &&
      last !== undefined &&
      last[0]!.conn === step.conn &&
      last[0]!.iterate === undefined &&
      step.iterate === undefined;
    if (joins) last.push(step);
    else out.push([step]);
  }
  return out;
}

/** Tracks MULTI on the connection (from Redis's replies) and compares with the right mode. */
function compareStep(
  step: Step,
  tx: { open: boolean; modes: CompareMode[] },
  e: Reply,
  a: Reply,
): string | undefined {
  const name = String(step.argv[0]).toUpperCase();
  const queued = e.kind === 'simple' && e.value === 'QUEUED';
  let why: string | undefined;
  if (tx.open && (name === 'EXEC' || name === 'DISCARD')) {
    tx.open = false;
    if (
      name === 'EXEC' &&
      e.kind === 'array' &&
      a.kind === 'array' &&
      e.items.length === a.items.length
    ) {
      // Each queued command's reply is compared in its own mode.
      why = e.items
        .map((x, i) => mismatch(tx.modes[i] ?? 'exact', x, a.items[i]!, []))
        .find((w) => w !== undefined);
    } else {
      why = mismatch('exact', e, a, step.argv);
    }
    tx.modes = [];
    return why;
  }
  if (tx.open && queued) {
    // RANDOMKEY and the like inside a transaction: their EXEC slot is compared by mode.
    tx.modes.push(step.iterate !== undefined ? 'shape' : step.mode);
    return mismatch('exact', e, a, step.argv);
  }
  if (!tx.open && name === 'MULTI' && e.kind === 'simple') {
    tx.open = true;
    tx.modes = [];
  }
  return mismatch(step.mode, e, a, step.argv);
}

/**
 * After a sequence, the data itself: in a few databases, every key with its type, value and
 * remaining time to live, read on fresh RESP2 connections.
 */
async function compareState(
  redisPort: number,
  redraftPort: number,
): Promise<{ command: string; expected: Reply; actual: Reply; reason: string }[]> {
  const p = await pair(redisPort, redraftPort);
  const out: { command: string; expected: Reply; actual: Reply; reason: string }[] = [];
  const check = async (argv: Arg[], mode: CompareMode): Promise<Reply> => {
    const [e, a] = await both(p, argv);
    const why = mismatch(mode, e, a, argv);
    if (why !== undefined)
      out.push({ command: `final state: ${showArgv(argv)}`, expected: e, actual: a, reason: why });
    return e;
  };
  try {
    for (const db of ['0', '1', '2', '15']) {
      await check(['SELECT', db], 'exact');
      await check(['DBSIZE'], 'exact');
      const keys = await check(['KEYS', '*'], 'set');
      if (keys.kind !== 'array') continue;
      for (const k of keys.items) {
        if (k.kind !== 'bulk') continue;
        const key = Buffer.from(k.value);
        const type = await check(['TYPE', key], 'exact');
        if (type.kind === 'simple' && type.value === 'string') await check(['GET', key], 'exact');
        if (type.kind === 'simple' && type.value === 'hash') await check(['HGETALL', key], 'pairs');
        await check(['PTTL', key], 'ttl-ms');
        if (out.length > 0) return out;
      }
      if (out.length > 0) return out;
    }
    return out;
  } finally {
    p.redis.close();
    p.redraft.close();
  }
}

/** A mismatch as text: the sequence that led to it, then what differed. */
export function describeMismatch(m: Mismatch, maxHistory = 40): string {
  const shown = m.history.slice(-maxHistory);
  const cut = m.history.length - shown.length;
  return [
    `sequence #${m.sequence.id}${m.sequence.resp3 ? ' (RESP3)' : ''}${m.sequence.pipelined ? ' (pipelined)' : ''}, after FLUSHALL:`,
    ...(cut > 0 ? [`  ... ${cut} earlier commands`] : []),
    ...shown.map((h) => `  ${h}`),
    `  ${m.command}`,
    `    redis:   ${m.expected}`,
    `    redraft: ${m.actual}   (${m.reason})`,
  ].join('\n');
}

/**
 * Concurrent clients that drive registers (GET, SET, compare-and-set through WATCH/MULTI/EXEC),
 * a counter (INCR) and strings grown by APPEND against any member, and record every operation
 * with its invocation and completion time for the checkers.
 *
 * Outcomes: a reply is recorded as such; an error reply that says the command was refused
 * before it could be proposed (-CLUSTERDOWN, -MOVED, -EXECABORT) is a `fail`; any other error
 * reply, a lost connection or a timeout is `unknown` — the write may still take effect, at any
 * time. A client whose operation ended unknown continues as a new process (as Jepsen does),
 * on a new connection, because its old one may still deliver the late reply.
 *
 * Register keys are retired after a bounded number of operations (or of unknown ones) and
 * replaced by fresh keys: each key's history stays small enough for the linearizability
 * search, which is exponential in the number of concurrent operations in the worst case.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Reply } from '../../../../src/resp/encoder.js';
import {
  HistoryRecorder,
  TOKEN_END,
  type AppendInput,
  type AppendOutput,
  type CounterInput,
  type CounterOutput,
  type PendingOperation,
  type RegisterInput,
  type RegisterOutput,
} from '../../checker/index.js';
import type { FaultNode } from './fault-cluster.js';
import { RespConnection } from './resp-connection.js';

export interface WorkloadOptions {
  readonly clients: number;
  readonly requestTimeoutMs: number;
  readonly random: () => number;
  readonly nodes: readonly FaultNode[];
  /** Operations a register key serves before a fresh key replaces it. */
  readonly opsPerRegisterKey?: number;
  /** Unknown writes a register key may collect before it is replaced. */
  readonly unknownsPerRegisterKey?: number;
  readonly appendsPerKey?: number;
}

/** Error replies that mean "refused before proposing": certainly not applied. */
const DEFINITE_FAILURES = new Set(['CLUSTERDOWN', 'MOVED', 'EXECABORT', 'WRONGTYPE', 'NOAUTH']);

export const COUNTER_KEY = 'fault-counter';

interface Slot {
  key: string;
  ops: number;
  unknowns: number;
}

/** A small set of live keys; a key that has served enough is replaced by a fresh one. */
class KeyRotation {
  private generation = 0;
  readonly all: string[] = [];
  private readonly slots: Slot[] = [];

  constructor(
    private readonly prefix: string,
    width: number,
    private readonly maxOps: number,
    private readonly maxUnknowns: number,
  ) {
    for (let i = 0; i < width; i++) this.slots.push(this.fresh());
  }

  private fresh(): Slot {
    const key = `${this.prefix}-${this.generation++}`;
    this.all.push(key);
    return { key, ops: 0, unknowns: 0 };
  }

  pick(random: () => number): Slot {
    return this.slots[Math.floor(random() * this.slots.length)]!;
  }

  /** Counts an operation on `slot`; retires the key once it has served enough. */
  done(slot: Slot, unknown: boolean): void {
    slot.ops++;
    if (unknown) slot.unknowns++;
    const at = this.slots.indexOf(slot);
    if (at >= 0 && (slot.ops >= this.maxOps || slot.unknowns >= this.maxUnknowns)) {
      this.slots[at] = this.fresh();
    }
  }
}

interface Client {
  readonly index: number;
  process: number;
  conn: RespConnection | undefined;
  target: number;
  /** The cluster refused the last operation (no leader yet). */
  backoff: boolean;
}

type Sent =
  { readonly ok: true; readonly reply: Reply } | { readonly ok: false; readonly error: string };

export class Workload {
  readonly registers = new HistoryRecorder<RegisterInput, RegisterOutput>();
  readonly counters = new HistoryRecorder<CounterInput, CounterOutput>();
  readonly appends = new HistoryRecorder<AppendInput, AppendOutput>();
  readonly registerKeys: KeyRotation;
  readonly appendKeys: KeyRotation;
  /** Error kinds seen, with a count and a first example each. */
  readonly errors = new Map<string, { count: number; sample: string }>();
  private nextProcess: number;
  private nextValue = 0;
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly options: WorkloadOptions) {
    this.registerKeys = new KeyRotation(
      'reg',
      3,
      options.opsPerRegisterKey ?? 150,
      options.unknownsPerRegisterKey ?? 6,
    );
    this.appendKeys = new KeyRotation(
      'app',
      2,
      options.appendsPerKey ?? 200,
      Number.POSITIVE_INFINITY,
    );
    this.nextProcess = options.clients;
  }

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: this.options.clients }, (_, i) =>
      this.loop({ index: i, process: i, conn: undefined, target: i, backoff: false }),
    );
  }

  /** Stops after every client's current operation (each is bounded by the request timeout). */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private note(kind: string, sample: string): void {
    const e = this.errors.get(kind);
    if (e === undefined) this.errors.set(kind, { count: 1, sample });
    else e.count++;
  }

  private random(): number {
    return this.options.random();
  }

  private async loop(c: Client): Promise<void> {
    while (this.running) {
      if (c.backoff) {
        // The cluster refused work (no leader yet): asking again at once only burns the CPU
        // the members need to elect one.
        c.backoff = false;
        await sleep(25);
      }
      const r = this.random();
      try {
        if (r < 0.55) await this.registerOp(c);
        else if (r < 0.75) await this.counterOp(c);
        else await this.appendOp(c);
      } catch (err) {
        // A bug in the workload itself must not pass silently as "no anomalies".
        this.note('workload-bug', (err as Error).stack ?? String(err));
        throw err;
      }
    }
    c.conn?.close();
  }

  /** A connection to the client's current member, moving on to the next one if it is down. */
  private async connection(c: Client): Promise<RespConnection | undefined> {
    if (c.conn?.usable === true) return c.conn;
    const nodes = this.options.nodes;
    const node = nodes[c.target % nodes.length]!;
    try {
      c.conn = await RespConnection.connect(node.endpoint, 500);
      return c.conn;
    } catch (err) {
      this.note('connect', `n${node.id}: ${(err as Error).message}`);
      c.conn = undefined;
      c.target++;
      // Pace retries against members that are down; not a synchronization point.
      await sleep(20);
      return undefined;
    }
  }

  private async send(c: Client, argv: readonly string[]): Promise<Sent> {
    const conn = c.conn;
    if (conn === undefined) return { ok: false, error: 'no connection' };
    try {
      return { ok: true, reply: await conn.send(argv, this.options.requestTimeoutMs) };
    } catch (err) {
      this.note('transport', (err as Error).message);
      conn.close();
      c.conn = undefined;
      c.target++;
      return { ok: false, error: (err as Error).message };
    }
  }

  /** The client's next operation after an unknown outcome belongs to a new process. */
  private crashed(c: Client): void {
    c.process = this.nextProcess++;
  }

  /**
   * Settles a write from its reply: `accept` turns a good reply into the output (undefined:
   * not a good reply). Returns whether the outcome is unknown.
   */
  private settleWrite<I, O>(
    c: Client,
    op: PendingOperation<I, O>,
    sent: Sent,
    accept: (reply: Reply) => { readonly output: O } | undefined,
  ): boolean {
    if (!sent.ok) {
      op.unknown(sent.error);
      this.crashed(c);
      return true;
    }
    const good = accept(sent.reply);
    if (good !== undefined) {
      op.ok(good.output);
      return false;
    }
    const message =
      sent.reply.kind === 'error'
        ? sent.reply.message
        : `unexpected reply ${JSON.stringify(sent.reply)}`;
    const code = message.split(' ')[0] ?? '';
    this.note(sent.reply.kind === 'error' ? code : 'unexpected-reply', message);
    if (sent.reply.kind === 'error' && DEFINITE_FAILURES.has(code)) {
      op.fail(message);
      c.backoff = true;
      return false;
    }
    op.unknown(message);
    this.crashed(c);
    return true;
  }

  /** A read's reply as a string or null; undefined if it is not a value. */
  private static text(reply: Reply): string | null | undefined {
    if (reply.kind === 'null') return null;
    if (reply.kind === 'bulk' || reply.kind === 'verbatim') {
      return typeof reply.value === 'string' ? reply.value : reply.value.toString('utf8');
    }
    return undefined;
  }

  private async read<I, O>(
    c: Client,
    op: PendingOperation<I, O>,
    key: string,
    convert: (value: string | null) => O,
  ): Promise<string | null | undefined> {
    const sent = await this.send(c, ['GET', key]);
    if (!sent.ok) {
      op.unknown(sent.error);
      this.crashed(c);
      return undefined;
    }
    const value = Workload.text(sent.reply);
    if (value === undefined) {
      const message = sent.reply.kind === 'error' ? sent.reply.message : JSON.stringify(sent.reply);
      this.note(
        sent.reply.kind === 'error' ? (message.split(' ')[0] ?? 'error') : 'unexpected-reply',
        message,
      );
      // A read that failed has no effect: it says nothing either way.
      op.fail(message);
      c.backoff = true;
      return undefined;
    }
    op.ok(convert(value));
    return value;
  }

  private freshValue(c: Client): string {
    return `p${c.process}.${this.nextValue++}`;
  }

  // -------------------------------------------------------------------------------------

  private async registerOp(c: Client): Promise<void> {
    if ((await this.connection(c)) === undefined) return;
    const slot = this.registerKeys.pick(() => this.random());
    const key = slot.key;
    const r = this.random();
    if (r < 0.45) {
      const op = this.registers.invoke(c.process, key, { f: 'read' });
      await this.read(c, op, key, (v) => v);
      this.registerKeys.done(slot, false);
    } else if (r < 0.75) {
      const value = this.freshValue(c);
      const op = this.registers.invoke(c.process, key, { f: 'write', value });
      const sent = await this.send(c, ['SET', key, value]);
      const unknown = this.settleWrite(c, op, sent, (reply) =>
        reply.kind === 'simple' && reply.value === 'OK' ? { output: null } : undefined,
      );
      this.registerKeys.done(slot, unknown);
    } else {
      this.registerKeys.done(slot, await this.compareAndSet(c, key));
    }
  }

  /**
   * WATCH key, GET key -> v, then MULTI / SET key new / EXEC pipelined: a compare-and-set of
   * v to new. An absent key is only read (a CAS needs a value to compare). Returns whether
   * the outcome was unknown.
   */
  private async compareAndSet(c: Client, key: string): Promise<boolean> {
    const invoke = this.registers.now();
    const watch = await this.send(c, ['WATCH', key]);
    if (!watch.ok) {
      this.crashed(c);
      return false;
    }
    if (watch.reply.kind !== 'simple') {
      this.note('watch', JSON.stringify(watch.reply));
      c.backoff = true;
      return false;
    }
    const readOp = this.registers.invoke(c.process, key, { f: 'read' });
    const from = await this.read(c, readOp, key, (v) => v);
    if (from === undefined || from === null) {
      if (c.conn !== undefined) await this.send(c, ['UNWATCH']);
      return false;
    }
    const to = this.freshValue(c);
    // The operation began with WATCH: that is when the compared version was read.
    const op = this.registers.invokeAt(c.process, key, { f: 'cas', from, to }, invoke);
    const conn = c.conn;
    if (conn === undefined) {
      op.unknown('connection lost before MULTI');
      return true;
    }
    const [multi, set, exec] = await Promise.allSettled([
      conn.send(['MULTI'], this.options.requestTimeoutMs),
      conn.send(['SET', key, to], this.options.requestTimeoutMs),
      conn.send(['EXEC'], this.options.requestTimeoutMs),
    ]);
    if (multi.status === 'fulfilled' && multi.value.kind === 'error') {
      // Then SET ran on its own, outside any transaction: it may have written.
      this.note('multi', multi.value.message);
      op.unknown(`MULTI refused: ${multi.value.message}`);
      this.crashed(c);
      return true;
    }
    if (set.status === 'fulfilled' && set.value.kind === 'error') {
      // Queued command refused: EXEC answers -EXECABORT and nothing is applied.
      this.note('queued', set.value.message);
    }
    const sent: Sent =
      exec.status === 'fulfilled'
        ? { ok: true, reply: exec.value }
        : { ok: false, error: (exec.reason as Error).message };
    if (!sent.ok) {
      this.note('transport', sent.error);
      conn.close();
      c.conn = undefined;
      c.target++;
    }
    return this.settleWrite(c, op, sent, (reply) => {
      if (reply.kind === 'null') return { output: false }; // a watched key changed
      if (reply.kind === 'array' && reply.items.length === 1) {
        const item = reply.items[0]!;
        if (item.kind === 'simple' && item.value === 'OK') return { output: true };
      }
      return undefined;
    });
  }

  private async counterOp(c: Client): Promise<void> {
    if ((await this.connection(c)) === undefined) return;
    if (this.random() < 0.8) {
      const op = this.counters.invoke(c.process, COUNTER_KEY, { f: 'incr' });
      const sent = await this.send(c, ['INCR', COUNTER_KEY]);
      this.settleWrite(c, op, sent, (reply) =>
        reply.kind === 'integer' ? { output: Number(reply.value) } : undefined,
      );
    } else {
      const op = this.counters.invoke(c.process, COUNTER_KEY, { f: 'read' });
      await this.read(c, op, COUNTER_KEY, (v) => (v === null ? null : Number(v)));
    }
  }

  private async appendOp(c: Client): Promise<void> {
    if ((await this.connection(c)) === undefined) return;
    const slot = this.appendKeys.pick(() => this.random());
    const key = slot.key;
    if (this.random() < 0.75) {
      const token = this.freshValue(c);
      const op = this.appends.invoke(c.process, key, { f: 'append', token });
      const sent = await this.send(c, ['APPEND', key, token + TOKEN_END]);
      const unknown = this.settleWrite(c, op, sent, (reply) =>
        reply.kind === 'integer' ? { output: Number(reply.value) } : undefined,
      );
      this.appendKeys.done(slot, unknown);
    } else {
      const op = this.appends.invoke(c.process, key, { f: 'read' });
      await this.read(c, op, key, (v) => v);
    }
  }
}

import type { Socket } from 'node:net';
import { RedraftError } from '../errors.js';
import type { WatchedKey } from '../fsm/entry-codec.js';
import type { Result } from '../fsm/result.js';
import type { ReadConsistency } from '../node/raft-node.js';
import type { ClientPause, PauseClass } from './client-pause.js';
import { ReplyWriter, type RespVersion } from './encoder.js';
import { RespParser } from './parser.js';
import type { ServerStats } from './local-commands.js';
import type { CommandRecorder, RespObserver } from './resp-observer.js';
import type { SlowLog } from './slowlog.js';
import { writeResult } from './result-writer.js';

/** How a command's reply is produced. */
export type Outcome =
  /** A reply computed now. */
  | { readonly kind: 'emit'; readonly emit: (w: ReplyWriter) => void }
  /** A state machine result, now or later. */
  | { readonly kind: 'result'; readonly value: Result | Promise<Result> }
  /** Writes itself once ready (e.g. INFO, LEADER with addresses). */
  | { readonly kind: 'custom'; readonly value: Promise<(w: ReplyWriter) => void> };

/** Whether a command goes through the log, reads the state machine, or neither. */
export type CommandClass = 'write' | 'read' | 'local';

export interface Dispatcher {
  /** Classifies a command (by lower-cased name and arguments) so the connection can order it. */
  classify(conn: Connection, name: string, argv: readonly Buffer[]): CommandClass;
  /** `db` is the database selected when the command arrived (it may run later). */
  dispatch(conn: Connection, argv: Buffer[], name: string, db: number): Outcome;
  /** What CLIENT PAUSE WRITE holds; asked before {@link classify}, which may end a MULTI. */
  pauseClass(conn: Connection, name: string, argv: readonly Buffer[]): PauseClass;
}

interface Slot {
  done: boolean;
  /** CLIENT REPLY OFF or SKIP was in force when the command arrived: its reply is dropped. */
  readonly silent: boolean;
  /** Fills the writer with this slot's reply. */
  emit: ((w: ReplyWriter) => void) | undefined;
  /** Times the command when the server is observed. */
  readonly recorder: CommandRecorder | undefined;
  /** performance.now() when the command's bytes arrived (0 unobserved). */
  readonly arrivedAt: number;
  /** The command, kept for the slow log until its reply is known; undefined if not logged. */
  readonly argv: Buffer[] | undefined;
}

let nextClientId = 1;

/**
 * Connections whose later replies wait for this turn's promise callbacks to finish before they
 * are written: one setImmediate for all of them, not one per connection (a batch of reads or
 * writes completed together answers every client at once: 50 clients were 50 Immediates).
 */
let toFlush: Connection[] = [];

function flushWaiting(): void {
  const connections = toFlush;
  toFlush = [];
  for (const conn of connections) {
    try {
      conn.flushLater();
    } catch (err) {
      // Never expected; one client's failure must not leave the others' replies unsent.
      conn.socket.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

/**
 * One client connection. Commands are parsed from the socket and dispatched at once, so a
 * pipeline's writes are proposed together and share one Raft batch; replies are written back
 * strictly in request order, one socket write per batch of completed replies.
 *
 * Ordering across kinds: consecutive writes run concurrently (the log orders them), as do
 * consecutive reads; but a read waits for the writes before it to finish (read-your-writes
 * within a pipeline), and a write waits for the reads before it (they must not see it).
 */
export class Connection {
  readonly id = nextClientId++;
  readonly parser: RespParser;
  readonly writer = new ReplyWriter(2);
  readonly createdAt = Date.now();
  db = 0;
  name = '';
  libName = '';
  libVersion = '';
  authenticated: boolean;
  consistency: ReadConsistency;
  /** READONLY was sent: stale reads on this follower are allowed (cluster mode). */
  readonlyMode = false;
  lastCommand = '';
  lastActive = Date.now();
  closed = false;
  /** Commands queued since MULTI, or undefined outside a transaction. */
  multi: { db: number; argv: Buffer[]; local: boolean }[] | undefined;
  /** A command queued since MULTI was refused: EXEC will abort. */
  multiDirty = false;
  /** Keys WATCHed, with the versions they had. */
  watches: WatchedKey[] = [];
  /** CLIENT REPLY OFF: no reply is written until CLIENT REPLY ON. */
  private repliesOff = false;
  /** CLIENT REPLY SKIP: the next command's reply is dropped. */
  private skipNextReply = false;

  private readonly stats: ServerStats;
  private readonly slots: Slot[] = [];
  private head = 0;
  private groupKind: 'write' | 'read' | undefined;
  private group: Promise<unknown>[] = [];
  private gate: Promise<unknown> | undefined;
  /** CLIENT PAUSE holds this connection: nothing it sent since runs before the pause ends. */
  private pauseHeld = false;
  private leftWhilePaused = false;
  private readonly pause: ClientPause | undefined;
  private closeAfterFlush = false;
  /** Called once the connection closes after closeWhenFlushed. */
  private afterClosing: (() => void) | undefined;
  private flushScheduled = false;
  private readonly observer: RespObserver | undefined;
  private readonly slowlog: SlowLog | undefined;
  private peer: string | undefined;
  /** Whether commands are timed: for the metrics, the slow log, or both. */
  private readonly timed: boolean;
  /** When the chunk being parsed arrived: every command in it shares the timestamp. */
  private arrivedAt = 0;

  constructor(
    readonly socket: Socket,
    private readonly dispatcher: Dispatcher,
    options: {
      requirepass: string;
      consistency: ReadConsistency;
      parser: RespParser;
      observer?: RespObserver | undefined;
      /** The member's slow log, which this connection's commands go to. */
      slowlog?: SlowLog | undefined;
      /** The server's counters (INFO stats); a connection counts its commands there. */
      stats: ServerStats;
      /** The member's CLIENT PAUSE state; without it, nothing pauses this connection. */
      pause?: ClientPause | undefined;
    },
  ) {
    this.parser = options.parser;
    this.pause = options.pause;
    this.stats = options.stats;
    this.observer = options.observer;
    this.slowlog = options.slowlog;
    this.timed = this.observer !== undefined || this.slowlog !== undefined;
    this.authenticated = options.requirepass === '';
    this.consistency = options.consistency;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.onData(chunk);
    });
    socket.on('error', () => {
      // A reset by the peer is routine; 'close' follows and cleans up.
    });
    socket.on('close', () => {
      this.closed = true;
      if (this.pauseHeld) this.leftWhilePaused = true;
      this.runAfterClosing();
    });
  }

  get protocol(): RespVersion {
    return this.writer.protocol;
  }

  set protocol(v: RespVersion) {
    this.writer.protocol = v;
  }

  /** The peer's ip:port, made once: it is read for every command the slow log keeps. */
  get remoteAddress(): string {
    if (this.peer !== undefined) return this.peer;
    const peer = `${this.socket.remoteAddress ?? '?'}:${String(this.socket.remotePort ?? 0)}`;
    // A destroyed socket no longer knows its peer: only a known address is kept.
    if (this.socket.remoteAddress !== undefined) this.peer = peer;
    return peer;
  }

  get localAddress(): string {
    return `${this.socket.localAddress ?? '?'}:${String(this.socket.localPort ?? 0)}`;
  }

  /**
   * Closes the connection once every reply queued so far has been written (QUIT), then calls
   * `then` (SHUTDOWN: the member stops only after this client has its earlier replies). `then`
   * runs also if the client goes away first.
   */
  closeWhenFlushed(then?: () => void): void {
    this.closeAfterFlush = true;
    this.afterClosing ??= then;
  }

  private runAfterClosing(): void {
    const then = this.afterClosing;
    this.afterClosing = undefined;
    then?.();
  }

  private onData(chunk: Buffer): void {
    if (this.timed) this.arrivedAt = performance.now();
    const commands = this.parser.feed(chunk);
    for (const argv of commands) {
      if (this.closeAfterFlush) break;
      this.execute(argv);
    }
    if (this.parser.error !== null && !this.closeAfterFlush) {
      // Like Redis: reply with the protocol error, then close. Other clients are untouched.
      this.pushSync((w) => {
        w.error(`ERR ${this.parser.error ?? ''}`);
      });
      this.closeAfterFlush = true;
    }
    this.flush();
  }

  private execute(argv: Buffer[]): void {
    this.stats.commandsProcessed++;
    const name = argv[0]!.toString('latin1').toLowerCase();
    if (
      name === 'client' &&
      this.authenticated &&
      this.multi === undefined &&
      argv.length === 3 &&
      argv[1]!.toString('latin1').toUpperCase() === 'REPLY'
    ) {
      this.clientReply(argv);
      return;
    }
    this.lastCommand = name;
    this.lastActive = Date.now();
    // Classifying for the pause costs lookups: only while one is on.
    if (this.pause?.paused === true && !this.pauseHeld) {
      const ended = this.pause.holds(this.dispatcher.pauseClass(this, name, argv));
      if (ended !== undefined) this.holdUntil(ended);
    }
    const cls = this.dispatcher.classify(this, name, argv);
    if (cls === 'local' && !this.pauseHeld) {
      void this.run(argv, name);
      return;
    }
    if (cls !== 'local') {
      if (this.groupKind !== undefined && this.groupKind !== cls && this.group.length > 0) {
        // Switching between reads and writes: wait for the previous group to finish.
        this.gate = Promise.allSettled(this.group);
        this.group = [];
      }
      this.groupKind = cls;
    }
    const gate = this.gate;
    if (gate === undefined) {
      const p = this.run(argv, name);
      if (p !== undefined) this.group.push(p);
      return;
    }
    // Reserve the reply slot now so that order is kept; run once the gate opens.
    const slot = this.newSlot(name, argv);
    this.slots.push(slot);
    const db = this.db;
    const p = gate.then(() => {
      // A client that left while paused is gone, with what it had sent, as in Redis.
      if (this.leftWhilePaused) return undefined;
      const pending = this.settle(slot, this.safeDispatch(argv, name, db));
      // A reply computed at once after the gate opened has no later event to flush it.
      this.flush();
      return pending;
    });
    this.group.push(p);
  }

  /**
   * Holds this command and every later one until the pause ends: they queue behind a gate
   * that opens then, and after whatever this connection already has in flight.
   */
  private holdUntil(ended: Promise<void>): void {
    this.pauseHeld = true;
    const released = ended.then(() => {
      this.pauseHeld = false;
    });
    const before =
      this.gate ?? (this.group.length > 0 ? Promise.allSettled(this.group) : undefined);
    this.gate = before === undefined ? released : Promise.allSettled([before, released]);
    this.group = [];
    this.groupKind = undefined;
  }

  /** Dispatches now; returns a promise when the reply comes later. */
  private run(argv: Buffer[], name: string): Promise<void> | undefined {
    const slot = this.newSlot(name, argv);
    this.slots.push(slot);
    return this.settle(slot, this.safeDispatch(argv, name, this.db));
  }

  /**
   * CLIENT REPLY ON|OFF|SKIP, handled here because it decides about its own reply: ON is
   * answered, OFF and SKIP are not (nor is anything after OFF, or the command after SKIP).
   */
  private clientReply(argv: Buffer[]): void {
    this.lastCommand = 'client|reply';
    const mode = argv[2]!.toString('latin1').toUpperCase();
    if (mode === 'ON') {
      this.repliesOff = false;
      this.skipNextReply = false;
      this.pushSync((w) => {
        w.simple('OK');
      });
    } else if (mode === 'OFF') {
      this.repliesOff = true;
    } else if (mode === 'SKIP') {
      this.skipNextReply = true;
    } else {
      this.pushSync((w) => {
        w.error('ERR syntax error');
      });
    }
  }

  /** Whether the reply of the command arriving now is to be dropped (consumes a SKIP). */
  private silenceNext(): boolean {
    const silent = this.repliesOff || this.skipNextReply;
    this.skipNextReply = false;
    return silent;
  }

  private newSlot(name: string, argv: Buffer[]): Slot {
    return {
      silent: this.silenceNext(),
      done: false,
      emit: undefined,
      recorder: this.observer?.command(name),
      arrivedAt: this.arrivedAt,
      argv: this.slowlog !== undefined && this.logsToSlowlog(name) ? argv : undefined,
    };
  }

  /**
   * Inside MULTI a command is only queued: Redis logs it when EXEC runs it, and here EXEC, one
   * log entry, is what runs and is logged.
   */
  private logsToSlowlog(name: string): boolean {
    return this.multi === undefined || name === 'exec' || name === 'discard';
  }

  /** The slot's reply is known. */
  private complete(slot: Slot, emit: (w: ReplyWriter) => void): void {
    slot.emit = emit;
    slot.done = true;
    if (!this.timed) return;
    const ms = performance.now() - slot.arrivedAt;
    if (slot.recorder !== undefined) slot.recorder.record(ms);
    const slowlog = this.slowlog;
    if (slot.argv !== undefined && slowlog !== undefined && slowlog.wants(ms * 1000))
      slowlog.add(slot.argv, ms * 1000, this.remoteAddress, this.name);
  }

  private safeDispatch(argv: Buffer[], name: string, db: number): Outcome {
    try {
      return this.dispatcher.dispatch(this, argv, name, db);
    } catch (err) {
      return { kind: 'emit', emit: errorEmitter(err) };
    }
  }

  private settle(slot: Slot, outcome: Outcome): Promise<void> | undefined {
    switch (outcome.kind) {
      case 'emit':
        this.complete(slot, outcome.emit);
        this.advance();
        return undefined;
      case 'result': {
        const v = outcome.value;
        if (!(v instanceof Promise)) {
          this.complete(slot, (w) => {
            writeResult(w, v);
          });
          this.advance();
          return undefined;
        }
        return v.then(
          (r) => {
            this.complete(slot, (w) => {
              writeResult(w, r);
            });
            this.advanceAndFlush();
          },
          (err: unknown) => {
            this.complete(slot, errorEmitter(err));
            this.advanceAndFlush();
          },
        );
      }
      case 'custom':
        return outcome.value.then(
          (emit) => {
            this.complete(slot, emit);
            this.advanceAndFlush();
          },
          (err: unknown) => {
            this.complete(slot, errorEmitter(err));
            this.advanceAndFlush();
          },
        );
    }
  }

  /** Queues a reply computed now, behind any pending ones. */
  private pushSync(emit: (w: ReplyWriter) => void): void {
    this.slots.push({
      silent: this.silenceNext(),
      done: true,
      emit,
      recorder: undefined,
      arrivedAt: 0,
      argv: undefined,
    });
    this.advance();
  }

  private advance(): void {
    while (this.head < this.slots.length) {
      const slot = this.slots[this.head]!;
      if (!slot.done) break;
      if (!slot.silent) slot.emit?.(this.writer);
      this.head++;
    }
    if (this.head === this.slots.length) {
      // Everything asked so far has been answered: no ordering constraint is left.
      this.slots.length = 0;
      this.head = 0;
      this.gate = undefined;
      this.group = [];
      this.groupKind = undefined;
    } else if (this.head > 1024) {
      this.slots.splice(0, this.head);
      this.head = 0;
    }
  }

  /**
   * A reply that completed later (a proposal applied, a read served). Replies resolved in the
   * same turn — a pipeline's worth applied together — share one socket write: the flush waits
   * for the turn's promise callbacks to finish.
   */
  private advanceAndFlush(): void {
    this.advance();
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    if (toFlush.length === 0) setImmediate(flushWaiting);
    toFlush.push(this);
  }

  /** @internal The flush advanceAndFlush scheduled (see `toFlush`). */
  flushLater(): void {
    this.flushScheduled = false;
    this.flush();
  }

  private flush(): void {
    if (this.closed) return;
    if (this.writer.length > 0) this.writer.flushTo(this.socket);
    if (this.closeAfterFlush && this.head === this.slots.length) {
      this.closed = true;
      this.socket.end();
      this.runAfterClosing();
    }
  }
}

/** Maps an exception to its RESP error line. */
export function errorEmitter(err: unknown): (w: ReplyWriter) => void {
  if (err instanceof RedraftError) {
    const prefix = err.mapping.resp;
    return (w) => {
      w.error(`${prefix} ${err.message}`);
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return (w) => {
    w.error(`ERR ${message}`);
  };
}

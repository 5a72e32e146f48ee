/**
 * Shared pieces of the transport tests: an inbox and an event recorder that tests await
 * (with timeouts) instead of sleeping, a log capture, and message builders.
 */
import pino, { type Logger } from 'pino';
import {
  index,
  message,
  nodeId,
  term,
  type Entry,
  type Message,
  type NodeId,
} from '../../src/raft/index.js';
import type { TransportEvents } from '../../src/transport/transport.js';

export const DEFAULT_TIMEOUT_MS = 10_000;

/** Rejects with a clear message when `promise` takes longer than `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Waiter {
  readonly ready: () => boolean;
  readonly resolve: () => void;
}

/** Something tests can wait on: every change re-checks the registered conditions. */
class Observable {
  private waiters: Waiter[] = [];

  protected changed(): void {
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.ready()) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  /** Resolves when `ready()` holds, checked now and after every change. */
  until(ready: () => boolean, what: string, ms = DEFAULT_TIMEOUT_MS): Promise<void> {
    if (ready()) return Promise.resolve();
    const p = new Promise<void>((resolve) => this.waiters.push({ ready, resolve }));
    return withTimeout(p, ms, what);
  }
}

/** Collects what a transport delivers. */
export class Inbox extends Observable {
  readonly messages: Message[] = [];
  readonly handler = (m: Message): void => {
    this.messages.push(m);
    this.changed();
  };

  from(id: NodeId): Message[] {
    return this.messages.filter((m) => m.from === id);
  }

  count(n: number, ms?: number): Promise<void> {
    return this.until(() => this.messages.length >= n, `${n} messages`, ms);
  }

  first(pred: (m: Message) => boolean, what: string, ms?: number): Promise<Message> {
    return this.until(() => this.messages.some(pred), what, ms).then(() =>
      this.messages.find(pred)!,
    );
  }
}

/** Records transport events. */
export class EventLog extends Observable implements TransportEvents {
  readonly unreachableReports: NodeId[] = [];
  readonly snapshotReports: { to: NodeId; ok: boolean }[] = [];

  unreachable(to: NodeId): void {
    this.unreachableReports.push(to);
    this.changed();
  }

  snapshotStatus(to: NodeId, ok: boolean): void {
    this.snapshotReports.push({ to, ok });
    this.changed();
  }

  /** Resolves at the next unreachable(to) reported after this call. */
  nextUnreachable(to: NodeId, ms?: number): Promise<void> {
    const seen = this.unreachableReports.filter((id) => id === to).length;
    return this.until(
      () => this.unreachableReports.filter((id) => id === to).length > seen,
      `unreachable(${to})`,
      ms,
    );
  }

  /** Resolves with the next snapshot status for `to` reported after this call. */
  nextSnapshotStatus(to: NodeId, ms?: number): Promise<boolean> {
    const seen = this.snapshotReports.length;
    const find = (): { to: NodeId; ok: boolean } | undefined =>
      this.snapshotReports.slice(seen).find((r) => r.to === to);
    return this.until(() => find() !== undefined, `snapshotStatus(${to})`, ms).then(
      () => find()!.ok,
    );
  }
}

/** A pino logger whose output is kept in memory, so tests stay quiet and can wait on it. */
export class LogCapture extends Observable {
  private readonly raw: string[] = [];
  readonly logger: Logger = pino(
    { level: 'debug' },
    {
      write: (s: string): void => {
        this.raw.push(s);
        this.changed();
      },
    },
  );

  lines(): Record<string, unknown>[] {
    return this.raw.map((s) => JSON.parse(s) as Record<string, unknown>);
  }

  /** Resolves once a line with this `msg` was logged. */
  logged(msg: string, ms?: number): Promise<void> {
    return this.until(() => this.lines().some((l) => l.msg === msg), `log "${msg}"`, ms);
  }
}

export function entries(firstIndex: number, count: number, size: number, t = 1): Entry[] {
  const out: Entry[] = [];
  for (let i = 0; i < count; i++) {
    const data = new Uint8Array(size);
    for (let j = 0; j < size; j++) data[j] = (firstIndex + i + j) & 0xff;
    out.push({ term: term(t), index: index(firstIndex + i), type: 0, data });
  }
  return out;
}

export function app(from: number, to: number, idx: number, ents: Entry[] = []): Message {
  return message({
    type: 'MsgApp',
    from: nodeId(from),
    to: nodeId(to),
    term: term(3),
    logTerm: term(2),
    index: index(idx),
    commit: index(idx),
    entries: ents,
  });
}

export function heartbeat(from: number, to: number, commit = 0): Message {
  return message({
    type: 'MsgHeartbeat',
    from: nodeId(from),
    to: nodeId(to),
    term: term(3),
    commit: index(commit),
  });
}

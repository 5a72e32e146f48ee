/**
 * The source of Raft ticks. Production drives the core from a real interval; tests use a
 * manual ticker and decide when time passes.
 */
export interface Ticker {
  start(onTick: () => void): void;
  stop(): void;
}

export class IntervalTicker implements Ticker {
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly intervalMs: number) {}

  start(onTick: () => void): void {
    this.stop();
    this.timer = setInterval(onTick, this.intervalMs);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}

export class ManualTicker implements Ticker {
  private onTick: (() => void) | undefined;

  start(onTick: () => void): void {
    this.onTick = onTick;
  }

  stop(): void {
    this.onTick = undefined;
  }

  /** Advances time by `n` ticks. */
  tick(n = 1): void {
    for (let i = 0; i < n; i++) this.onTick?.();
  }
}

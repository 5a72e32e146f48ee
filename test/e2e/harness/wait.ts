import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** Give up after this long. */
  readonly timeoutMs: number;
  /** Pause between polls (a poll that takes longer simply delays the next one). */
  readonly intervalMs?: number;
  /** Stops waiting early (the cluster was torn down, e.g. after a test timeout). */
  readonly signal?: AbortSignal;
}

/** Thrown when a condition did not hold before its deadline; names it and the last observation. */
export class WaitTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WaitTimeoutError';
  }
}

/**
 * Polls `probe` until it returns a value other than `undefined`, and returns that value. A
 * probe that throws counts as "not yet" (nodes come and go in these tests); the last error or
 * the last `describe()` observation goes into the timeout message, so a failure says what was
 * seen rather than only what was hoped for. This is the only way the tests wait for the
 * cluster: never a fixed sleep.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 20;
  let last = 'no observation';
  for (;;) {
    if (options.signal?.aborted === true) throw new Error(`stopped waiting for ${what}: aborted`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = 'condition not met';
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) {
      throw new WaitTimeoutError(
        `timed out after ${options.timeoutMs} ms waiting for ${what} (last: ${last})`,
      );
    }
    await sleep(interval);
  }
}

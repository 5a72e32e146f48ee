/**
 * Histories of client operations as the fault tests record them, and as the checkers read them.
 *
 * Times are milliseconds on one monotonic clock (performance.now() of the test process). An
 * operation's effect, if it has one, happened at some instant between its invocation and its
 * completion. An operation whose reply never came (a timeout, a lost connection, an error that
 * says "outcome unknown") has status `unknown`: it may have taken effect at any time after its
 * invocation — even long after the client gave up — or never. One that certainly had no effect
 * (the server refused it before proposing it) has status `fail` and is ignored by the checkers;
 * it stays in the history for whoever reads it.
 */

interface OperationBase<I> {
  /** The client that issued it. A client whose operation ended unknown continues as a new one. */
  readonly process: number;
  /** Operations on different keys are independent (checked separately). */
  readonly key: string;
  readonly input: I;
  readonly invoke: number;
}

export interface CompletedOperation<I, O> extends OperationBase<I> {
  readonly status: 'ok';
  readonly output: O;
  readonly complete: number;
}

export interface UnknownOperation<I> extends OperationBase<I> {
  readonly status: 'unknown';
  /** Why the outcome is unknown (the error or timeout), for reports. */
  readonly error?: string;
}

export interface FailedOperation<I> extends OperationBase<I> {
  readonly status: 'fail';
  readonly error: string;
  readonly complete: number;
}

export type Operation<I, O> = CompletedOperation<I, O> | UnknownOperation<I> | FailedOperation<I>;

/** Groups operations by key, keeping their order. */
export function partitionByKey<T extends { readonly key: string }>(
  ops: readonly T[],
): Map<string, T[]> {
  const byKey = new Map<string, T[]>();
  for (const op of ops) {
    let list = byKey.get(op.key);
    if (list === undefined) {
      list = [];
      byKey.set(op.key, list);
    }
    list.push(op);
  }
  return byKey;
}

/**
 * Records operations while a workload runs: `invoke` before sending, then exactly one of
 * `ok`, `fail` or `unknown` on the handle it returns.
 */
export class HistoryRecorder<I, O> {
  private readonly ops: Operation<I, O>[] = [];

  constructor(private clock: () => number = () => performance.now()) {}

  /** Switches clocks (before the first operation): histories that are compared share one. */
  useClock(clock: () => number): void {
    if (this.ops.length > 0) throw new Error('useClock after operations were recorded');
    this.clock = clock;
  }

  invoke(process: number, key: string, input: I): PendingOperation<I, O> {
    return new PendingOperation(this, process, key, input, this.clock());
  }

  /** Like {@link invoke} for an operation that began earlier (its first request was sent then). */
  invokeAt(process: number, key: string, input: I, invoke: number): PendingOperation<I, O> {
    return new PendingOperation(this, process, key, input, invoke);
  }

  /** @internal used by PendingOperation */
  record(op: Operation<I, O>): void {
    this.ops.push(op);
  }

  now(): number {
    return this.clock();
  }

  get operations(): readonly Operation<I, O>[] {
    return this.ops;
  }
}

export class PendingOperation<I, O> {
  private done = false;

  constructor(
    private readonly recorder: HistoryRecorder<I, O>,
    readonly process: number,
    readonly key: string,
    readonly input: I,
    readonly invoke: number,
  ) {}

  ok(output: O): void {
    this.finish({ ...this.base(), status: 'ok', output, complete: this.recorder.now() });
  }

  /** Completed at a time measured by the caller (e.g. the end of a pipelined batch). */
  okAt(output: O, complete: number): void {
    this.finish({ ...this.base(), status: 'ok', output, complete });
  }

  fail(error: string): void {
    this.finish({ ...this.base(), status: 'fail', error, complete: this.recorder.now() });
  }

  unknown(error?: string): void {
    this.finish(
      error === undefined
        ? { ...this.base(), status: 'unknown' }
        : { ...this.base(), status: 'unknown', error },
    );
  }

  private base(): OperationBase<I> {
    return { process: this.process, key: this.key, input: this.input, invoke: this.invoke };
  }

  private finish(op: Operation<I, O>): void {
    // Recording twice would make one client operation look like two.
    if (this.done) throw new Error(`operation of process ${this.process} recorded twice`);
    this.done = true;
    this.recorder.record(op);
  }
}

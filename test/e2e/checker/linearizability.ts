/**
 * A linearizability checker in the Wing & Gong / Lowe style, with the memoization Porcupine
 * and Knossos use: depth-first search over linearization orders, skipping any configuration
 * (set of operations linearized so far, model state) already explored.
 *
 * A history is first split by key (P-compositionality: a history is linearizable iff each
 * key's sub-history is), which keeps each search small.
 *
 * Unknown outcomes: an operation whose reply never came is given a return time of +infinity
 * and an unconstrained output. It can then be linearized at any point after its invocation,
 * and linearizing it after everything else is the same as it never having happened. Unknown
 * operations that cannot change the state (reads) carry no information and are dropped.
 */
import { partitionByKey, type Operation } from './history.js';

export interface Model<S, I, O> {
  readonly init: () => S;
  /**
   * The state after an operation with this input took effect in `state` and produced
   * `output` (`undefined`: the output is unknown), or `undefined` if it cannot have.
   */
  readonly step: (state: S, input: I, output: O | undefined) => { readonly state: S } | undefined;
  /** Equal states must give equal keys (memoization). */
  readonly stateKey: (state: S) => string;
  /** True for operations that never change the state: unknown ones are dropped. */
  readonly readOnly: (input: I) => boolean;
  readonly describeOp: (input: I, output: O | undefined) => string;
  readonly describeState: (state: S) => string;
}

export interface KeyVerdict {
  readonly key: string;
  readonly operations: number;
  readonly result: 'ok' | 'illegal' | 'undecided';
  /** For `illegal` and `undecided`: what the search saw, for a person. */
  readonly explanation?: string;
  /** Configurations explored. */
  readonly steps: number;
}

export interface LinearizabilityResult {
  /** `ok` only if every key is; `illegal` if any is; else `undecided` (search budget spent). */
  readonly result: 'ok' | 'illegal' | 'undecided';
  readonly keys: readonly KeyVerdict[];
}

export interface CheckOptions {
  /** Configurations one key may explore before the verdict is `undecided`. */
  readonly maxSteps?: number;
}

const DEFAULT_MAX_STEPS = 5_000_000;

/** Checks a whole history, one key at a time. */
export function checkLinearizable<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options: CheckOptions = {},
): LinearizabilityResult {
  const keys: KeyVerdict[] = [];
  for (const [key, ops] of partitionByKey(history)) keys.push(checkKey(model, key, ops, options));
  const result = keys.some((k) => k.result === 'illegal')
    ? 'illegal'
    : keys.some((k) => k.result === 'undecided')
      ? 'undecided'
      : 'ok';
  return { result, keys };
}

/** A call or return event in the doubly linked list the search lifts entries out of. */
interface Entry {
  readonly isCall: boolean;
  /** Index into the key's operation array. */
  readonly op: number;
  readonly time: number;
  /** For a call: its return entry. */
  match: Entry | undefined;
  prev: Entry | undefined;
  next: Entry | undefined;
}

interface SearchOp<I, O> {
  readonly input: I;
  readonly output: O | undefined;
  readonly invoke: number;
  readonly complete: number;
  readonly process: number;
}

/** Checks the operations of one key. */
export function checkKey<S, I, O>(
  model: Model<S, I, O>,
  key: string,
  history: readonly Operation<I, O>[],
  options: CheckOptions = {},
): KeyVerdict {
  const ops: SearchOp<I, O>[] = [];
  for (const op of history) {
    if (op.status === 'fail') continue;
    if (op.status === 'unknown') {
      if (model.readOnly(op.input)) continue;
      ops.push({
        input: op.input,
        output: undefined,
        invoke: op.invoke,
        complete: Number.POSITIVE_INFINITY,
        process: op.process,
      });
    } else {
      ops.push({
        input: op.input,
        output: op.output,
        invoke: op.invoke,
        complete: op.complete,
        process: op.process,
      });
    }
  }
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;

  // Events in time order. At equal times calls come first: two operations that touch at an
  // instant are treated as concurrent, which can only accept more histories, never flag a
  // correct one.
  const events: Entry[] = [];
  ops.forEach((op, i) => {
    const call: Entry = {
      isCall: true,
      op: i,
      time: op.invoke,
      match: undefined,
      prev: undefined,
      next: undefined,
    };
    const ret: Entry = {
      isCall: false,
      op: i,
      time: op.complete,
      match: undefined,
      prev: undefined,
      next: undefined,
    };
    call.match = ret;
    events.push(call, ret);
  });
  events.sort(
    (a, b) => a.time - b.time || (a.isCall === b.isCall ? a.op - b.op : a.isCall ? -1 : 1),
  );
  const head: Entry = {
    isCall: false,
    op: -1,
    time: Number.NEGATIVE_INFINITY,
    match: undefined,
    prev: undefined,
    next: undefined,
  };
  let tail = head;
  for (const e of events) {
    tail.next = e;
    e.prev = tail;
    tail = e;
  }

  const lift = (call: Entry): void => {
    call.prev!.next = call.next;
    if (call.next !== undefined) call.next.prev = call.prev;
    const ret = call.match!;
    ret.prev!.next = ret.next;
    if (ret.next !== undefined) ret.next.prev = ret.prev;
  };
  // Exact reverse of lift: the return first (it was unlinked last), then the call.
  const unlift = (call: Entry): void => {
    const ret = call.match!;
    ret.prev!.next = ret;
    if (ret.next !== undefined) ret.next.prev = ret;
    call.prev!.next = call;
    if (call.next !== undefined) call.next.prev = call;
  };

  const linearized = new Uint32Array(Math.ceil(ops.length / 32) + 1);
  const setBit = (i: number): void => {
    linearized[i >>> 5]! |= 1 << (i & 31);
  };
  const clearBit = (i: number): void => {
    linearized[i >>> 5]! &= ~(1 << (i & 31));
  };
  const seen = new Set<string>();
  const stack: { call: Entry; state: S }[] = [];

  let state = model.init();
  let entry = head.next;
  let steps = 0;
  // The deepest point reached, for the explanation of a failure.
  let best: { order: number[]; state: S; blocked: number } | undefined;

  while (head.next !== undefined) {
    if (steps++ > maxSteps) {
      return {
        key,
        operations: ops.length,
        result: 'undecided',
        steps,
        explanation: `search budget of ${maxSteps} configurations spent (${ops.length} operations)`,
      };
    }
    if (entry === undefined) throw new Error('linearizability search ran off the list');
    if (entry.isCall) {
      const op = ops[entry.op]!;
      const next = model.step(state, op.input, op.output);
      if (next !== undefined) {
        setBit(entry.op);
        const memo = `${model.stateKey(next.state)}|${linearized.join(',')}`;
        if (!seen.has(memo)) {
          seen.add(memo);
          stack.push({ call: entry, state });
          state = next.state;
          lift(entry);
          entry = head.next;
          continue;
        }
        clearBit(entry.op);
      }
      entry = entry.next;
    } else {
      // A return whose operation is not linearized yet: every candidate before it failed.
      if (best === undefined || stack.length > best.order.length) {
        best = { order: stack.map((s) => s.call.op), state, blocked: entry.op };
      }
      const top = stack.pop();
      if (top === undefined) {
        return {
          key,
          operations: ops.length,
          result: 'illegal',
          steps,
          explanation: explain(model, key, ops, best),
        };
      }
      state = top.state;
      clearBit(top.call.op);
      unlift(top.call);
      entry = top.call.next;
    }
  }
  return { key, operations: ops.length, result: 'ok', steps };
}

function explain<S, I, O>(
  model: Model<S, I, O>,
  key: string,
  ops: readonly SearchOp<I, O>[],
  best: { order: number[]; state: S; blocked: number },
): string {
  const fmt = (i: number): string => {
    const op = ops[i]!;
    const end = Number.isFinite(op.complete) ? op.complete.toFixed(1) : 'unknown';
    return `#${i} p${op.process} ${model.describeOp(op.input, op.output)} [${op.invoke.toFixed(1)}, ${end}]`;
  };
  const blocked = ops[best.blocked]!;
  const done = new Set(best.order);
  // The operations that could have come next: not linearized and invoked before the blocked
  // one returned. None of them (nor the blocked one) fits the state reached.
  const candidates = ops
    .map((op, i) => ({ op, i }))
    .filter(({ op, i }) => !done.has(i) && op.invoke <= blocked.complete)
    .map(({ i }) => `  ${fmt(i)}`);
  const tail = best.order.slice(-8).map((i) => `  ${fmt(i)}`);
  return [
    `key ${key}: no linearization of ${ops.length} operations.`,
    `Longest linearizable prefix: ${best.order.length} operations, leaving the state ${model.describeState(best.state)}; its last ones:`,
    ...tail,
    `It cannot be extended: ${fmt(best.blocked)} must take effect by its return, and none of the pending operations fits:`,
    ...candidates,
  ].join('\n');
}

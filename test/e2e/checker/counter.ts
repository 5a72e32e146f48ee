/**
 * Checks a counter driven by INCR (and read with GET) for lost and invented increments.
 *
 * Counters are not checked with the general search: its state space (every subset of
 * unknown increments) explodes, and these necessary conditions catch what matters:
 *  - no acknowledged increment is lost: a final read counts at least every acknowledged one;
 *  - nothing is invented: it counts at most every one ever sent;
 *  - an acknowledged INCR's reply is a count no other acknowledged INCR returned, at least one
 *    more than the increments acknowledged before it was sent, at most the increments sent
 *    before it returned;
 *  - a read returns at least the increments acknowledged before it was sent and at most
 *    those sent before it returned.
 */
import { partitionByKey, type Operation } from './history.js';

export type CounterInput = { readonly f: 'incr' } | { readonly f: 'read' };
/** incr: the value INCR returned; read: the number read (null: key absent, i.e. 0). */
export type CounterOutput = number | null;
export type CounterOperation = Operation<CounterInput, CounterOutput>;

export interface CounterVerdict {
  readonly key: string;
  readonly ok: boolean;
  readonly acknowledged: number;
  readonly attempted: number;
  readonly finalValue: number | undefined;
  readonly errors: readonly string[];
}

export interface CounterResult {
  readonly ok: boolean;
  readonly keys: readonly CounterVerdict[];
}

/**
 * `finals` maps each key to the value read once every client had stopped and the cluster was
 * healed; a key missing there is checked without a final read (its in-run reads still are).
 */
export function checkCounters(
  history: readonly CounterOperation[],
  finals: ReadonlyMap<string, number | null>,
): CounterResult {
  const keys: CounterVerdict[] = [];
  const byKey = partitionByKey(history);
  for (const key of finals.keys()) if (!byKey.has(key)) byKey.set(key, []);
  for (const [key, ops] of byKey) keys.push(checkCounterKey(key, ops, finals.get(key)));
  return { ok: keys.every((k) => k.ok), keys };
}

function checkCounterKey(
  key: string,
  ops: readonly CounterOperation[],
  finalRaw: number | null | undefined,
): CounterVerdict {
  const errors: string[] = [];
  const incrs = ops.filter((o) => o.input.f === 'incr' && o.status !== 'fail');
  const acked = incrs.filter((o) => o.status === 'ok');
  // Sorted times let "how many were sent before t" be a binary search.
  const sentTimes = incrs.map((o) => o.invoke).sort((a, b) => a - b);
  const ackTimes = acked.map((o) => o.complete).sort((a, b) => a - b);
  const sentBy = (t: number): number => countAtMost(sentTimes, t);
  const ackedBefore = (t: number): number => countBelow(ackTimes, t);

  const returned = new Map<number, CounterOperation>();
  for (const op of ops) {
    if (op.status !== 'ok') continue;
    const value = op.output ?? 0;
    const lo = ackedBefore(op.invoke);
    const hi = sentBy(op.complete);
    const what = `${op.input.f} by p${op.process} [${op.invoke.toFixed(1)}, ${op.complete.toFixed(1)}] -> ${value}`;
    if (op.input.f === 'incr') {
      const twin = returned.get(value);
      if (twin !== undefined)
        errors.push(`${what}: the same count as an earlier INCR by p${twin.process}`);
      returned.set(value, op);
      if (value < lo + 1)
        errors.push(`${what}: ${lo} INCRs were acknowledged before it was sent (one lost)`);
    } else if (value < lo) {
      errors.push(`${what}: ${lo} INCRs were acknowledged before it was sent (a read went back)`);
    }
    if (value > hi) errors.push(`${what}: only ${hi} INCRs had been sent when it returned`);
  }
  const finalValue = finalRaw === undefined ? undefined : (finalRaw ?? 0);
  if (finalValue !== undefined) {
    if (finalValue < acked.length)
      errors.push(
        `final value ${finalValue} < ${acked.length} acknowledged INCRs: increments lost`,
      );
    if (finalValue > incrs.length)
      errors.push(
        `final value ${finalValue} > ${incrs.length} INCRs ever sent: increments invented`,
      );
  }
  return {
    key,
    ok: errors.length === 0,
    acknowledged: acked.length,
    attempted: incrs.length,
    finalValue,
    errors,
  };
}

/** Number of entries <= t in a sorted array. */
function countAtMost(sorted: readonly number[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of entries < t in a sorted array. */
function countBelow(sorted: readonly number[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

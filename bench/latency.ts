/**
 * Latency samples and their percentiles. Samples go into a growable typed array (a run records
 * millions of them: no per-sample allocation), and percentiles are nearest-rank: the p-th
 * percentile is the smallest sample that at least p% of the samples do not exceed, so every
 * figure reported is a latency some request really had.
 */

export class LatencySamples {
  private data = new Float64Array(1 << 16);
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(ms: number): void {
    if (this.count === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.count++] = ms;
  }

  /** `times` copies of one latency: every request of a pipelined batch waited as long. */
  pushRepeated(ms: number, times: number): void {
    for (let k = 0; k < times; k++) this.push(ms);
  }

  /** A sorted copy (typed-array sort is numeric). */
  sorted(): Float64Array {
    return this.data.slice(0, this.count).sort();
  }
}

/** Nearest-rank percentile of ascending `sorted`, `q` in (0, 1]; NaN when there are none. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  if (!(q > 0 && q <= 1)) throw new RangeError(`percentile wants q in (0, 1], not ${q}`);
  // The epsilon keeps q x n from landing just above an integer through rounding (0.999 x 1000).
  const rank = Math.ceil(q * sorted.length - 1e-9);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface LatencySummary {
  readonly count: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
}

export function summarize(samples: LatencySamples): LatencySummary {
  const sorted = samples.sorted();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    meanMs: sorted.length === 0 ? NaN : sum / sorted.length,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    p999Ms: percentile(sorted, 0.999),
    maxMs: sorted.length === 0 ? NaN : sorted[sorted.length - 1]!,
  };
}

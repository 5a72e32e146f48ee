/**
 * Metrics cheap enough for the per-command path, printed by a prom-client Registry.
 *
 * prom-client's own Histogram and Counter build a label object, a label hash string and a
 * value pair on every observe() or inc(), also through a cached child. Here a hot path holds a
 * cell — a few numbers and a Float64Array of bucket counts — and updating it allocates nothing.
 * All formatting happens at scrape time, through the part of prom-client's metric contract its
 * Registry uses to print a metric: `name`, `help`, `type`, `aggregator`, `get()` and `reset()`.
 */
import type { Metric, Registry } from 'prom-client';

type Labels = Record<string, string | number>;

/** One printed sample: the metric's name, or `metricName` for a histogram's series. */
export interface Sample {
  readonly value: number;
  readonly labels: Labels;
  readonly metricName?: string;
}

type MetricKind = 'counter' | 'gauge' | 'histogram';

interface PrintedMetric {
  readonly name: string;
  readonly help: string;
  readonly type: MetricKind;
  readonly aggregator: 'sum';
  readonly values: Sample[];
}

/** A metric whose samples are computed when it is scraped. */
abstract class ScrapedMetric {
  readonly aggregator = 'sum' as const;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricKind,
  ) {}

  protected abstract samples(): Sample[];

  get(): Promise<PrintedMetric> {
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: this.samples(),
    });
  }

  /** Registry.resetMetrics() calls this; these metrics describe live state and keep it. */
  reset(): void {}

  /**
   * Adds the metric to `registry`. The Registry's typings accept only prom-client's classes,
   * but it relies on nothing beyond the contract above (see the file comment).
   */
  registerIn(registry: Registry): this {
    registry.registerMetric(this as unknown as Metric);
    return this;
  }
}

/** A gauge or counter whose samples a function computes at scrape time. */
export class CollectedMetric extends ScrapedMetric {
  constructor(
    name: string,
    help: string,
    type: 'counter' | 'gauge',
    private readonly collect: () => Sample[],
  ) {
    super(name, help, type);
  }

  protected samples(): Sample[] {
    return this.collect();
  }
}

/** Counts for one label value of a {@link FastHistogram}. */
export class HistogramCell {
  /** Non-cumulative count per bucket; the last one counts values above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: Float64Array) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Records one value, in the histogram's observed unit. */
  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

export interface FastHistogramOptions {
  readonly name: string;
  readonly help: string;
  /** Upper bounds of the buckets as printed (e.g. seconds), ascending. */
  readonly buckets: readonly number[];
  /**
   * Printed unit per observed unit: 0.001 when milliseconds are observed and seconds printed.
   * The hot path then observes its raw measurement and nothing divides per value.
   */
  readonly scale?: number;
  /** The label that tells cells apart; without one the histogram has a single cell. */
  readonly labelName?: string;
  /** Cells printed even before their first observation. */
  readonly initialLabels?: readonly string[];
}

/**
 * A histogram of cells, one per value of its label. A hot path looks its cell up once (or per
 * call, by a name it already holds) and observes into it. A labelled cell is printed once it
 * has a count, so a table of many possible labels costs nothing until used.
 */
export class FastHistogram extends ScrapedMetric {
  private readonly bounds: Float64Array;
  private readonly printedBounds: readonly number[];
  private readonly scale: number;
  private readonly labelName: string | undefined;
  private readonly cells = new Map<string, HistogramCell>();
  private readonly alwaysPrinted = new Set<string>();

  constructor(options: FastHistogramOptions) {
    super(options.name, options.help, 'histogram');
    const sorted = options.buckets.every((b, i) => i === 0 || b > options.buckets[i - 1]!);
    if (options.buckets.length === 0 || !sorted) {
      throw new RangeError(`${options.name}: buckets must be ascending and not empty`);
    }
    this.scale = options.scale ?? 1;
    this.printedBounds = options.buckets;
    this.bounds = Float64Array.from(options.buckets, (b) => b / this.scale);
    this.labelName = options.labelName;
    if (this.labelName === undefined) this.alwaysPrinted.add('');
    for (const l of options.initialLabels ?? []) this.alwaysPrinted.add(l);
  }

  /** The cell for `labelValue` ('' when the histogram has no label), created on first use. */
  cell(labelValue = ''): HistogramCell {
    let cell = this.cells.get(labelValue);
    if (cell === undefined) {
      cell = new HistogramCell(this.bounds);
      this.cells.set(labelValue, cell);
    }
    return cell;
  }

  /** Every cell with its label value, for metrics derived from the same counts. */
  entries(): IterableIterator<[string, HistogramCell]> {
    return this.cells.entries();
  }

  protected samples(): Sample[] {
    for (const l of this.alwaysPrinted) this.cell(l);
    const out: Sample[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const [labelValue, cell] of this.cells) {
      if (cell.count === 0 && !this.alwaysPrinted.has(labelValue)) continue;
      const base: Labels = this.labelName === undefined ? {} : { [this.labelName]: labelValue };
      let cumulative = 0;
      for (let i = 0; i < this.printedBounds.length; i++) {
        cumulative += cell.counts[i]!;
        out.push({
          metricName: bucketName,
          labels: { ...base, le: this.printedBounds[i]! },
          value: cumulative,
        });
      }
      out.push({ metricName: bucketName, labels: { ...base, le: '+Inf' }, value: cell.count });
      out.push({ metricName: `${this.name}_sum`, labels: base, value: cell.sum * this.scale });
      out.push({ metricName: `${this.name}_count`, labels: base, value: cell.count });
    }
    return out;
  }
}

/** A monotonic count the hot path bumps as a plain number field. */
export class CounterCell {
  value = 0;

  inc(by = 1): void {
    this.value += by;
  }
}

/** A counter without labels over one {@link CounterCell}. */
export class FastCounter extends ScrapedMetric {
  readonly cell = new CounterCell();

  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }

  protected samples(): Sample[] {
    return [{ value: this.cell.value, labels: {} }];
  }
}

/** Latency buckets in seconds, from 50 µs (a local read) to 10 s (a stalled disk). */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
  10,
];

/** `count` powers of `base` from 1: for entries per batch, bytes and the like. */
export function powerBuckets(base: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => base ** i);
}

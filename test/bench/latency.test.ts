import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LatencySamples, percentile, summarize } from '../../bench/latency.js';

describe('percentile (nearest rank)', () => {
  const hundred = Float64Array.from({ length: 100 }, (_, i) => i + 1);

  it('is the smallest sample that at least q of the samples do not exceed', () => {
    assert.equal(percentile(hundred, 0.5), 50);
    assert.equal(percentile(hundred, 0.99), 99);
    assert.equal(percentile(hundred, 0.999), 100);
    assert.equal(percentile(hundred, 1), 100);
    assert.equal(percentile(hundred, 0.001), 1);
  });

  it('does not round 0.999 x 1000 up to the maximum', () => {
    const thousand = Float64Array.from({ length: 1000 }, (_, i) => i + 1);
    assert.equal(percentile(thousand, 0.999), 999);
    assert.equal(percentile(thousand, 0.99), 990);
  });

  it('is NaN with no samples and the sample itself with one', () => {
    assert.ok(Number.isNaN(percentile(new Float64Array(0), 0.5)));
    assert.equal(percentile([7], 0.5), 7);
    assert.equal(percentile([7], 0.999), 7);
  });

  it('rejects a q outside (0, 1]', () => {
    assert.throws(() => percentile(hundred, 0), RangeError);
    assert.throws(() => percentile(hundred, 1.5), RangeError);
    assert.throws(() => percentile(hundred, NaN), RangeError);
  });
});

describe('LatencySamples and summarize', () => {
  it('keeps every sample across growth and summarizes them in numeric order', () => {
    const samples = new LatencySamples();
    // More than the initial capacity (65,536), pushed in an order that a string sort would get wrong.
    for (let i = 100_000; i >= 1; i--) samples.push(i / 100);
    assert.equal(samples.length, 100_000);
    const s = summarize(samples);
    assert.equal(s.count, 100_000);
    assert.equal(s.p50Ms, 500);
    assert.equal(s.p99Ms, 990);
    assert.equal(s.p999Ms, 999);
    assert.equal(s.maxMs, 1000);
    assert.ok(Math.abs(s.meanMs - 500.005) < 1e-6);
  });

  it('charges every request of a batch the batch latency', () => {
    const samples = new LatencySamples();
    samples.pushRepeated(2, 16);
    samples.push(10);
    const s = summarize(samples);
    assert.equal(s.count, 17);
    assert.equal(s.p50Ms, 2);
    assert.equal(s.p99Ms, 10);
  });

  it('summarizes no samples as NaN, not as zero', () => {
    const s = summarize(new LatencySamples());
    assert.equal(s.count, 0);
    for (const v of [s.meanMs, s.p50Ms, s.p99Ms, s.p999Ms, s.maxMs]) assert.ok(Number.isNaN(v));
  });
});

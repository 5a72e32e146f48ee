import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { benchmarkArgs, parseBenchmarkOutput } from '../../bench/redis-benchmark.js';

/**
 * redis-benchmark 7.0.15 as it printed `-t get -c 2 -r 1000 -d 64 -n 3000 -P 16` against a
 * redis-server, carriage-returned progress line included.
 */
const GET_OUTPUT =
  ' \rGET: rps=0.0 (overall: -nan) avg_msec=-nan (overall: -nan)\r                                                           \r====== GET ======\n' +
  '  3008 requests completed in 0.01 seconds\n' +
  '  2 parallel clients\n' +
  '  64 bytes payload\n' +
  '  keep alive: 1\n' +
  '  host configuration "save": \n' +
  '  host configuration "appendonly": no\n' +
  '  multi-thread: no\n' +
  '\n' +
  'Latency by percentile distribution:\n' +
  '0.000% <= 0.023 milliseconds (cumulative count 480)\n' +
  '50.000% <= 0.039 milliseconds (cumulative count 2160)\n' +
  '75.000% <= 0.047 milliseconds (cumulative count 2336)\n' +
  '87.500% <= 0.071 milliseconds (cumulative count 2640)\n' +
  '93.750% <= 0.087 milliseconds (cumulative count 2864)\n' +
  '96.875% <= 0.103 milliseconds (cumulative count 2912)\n' +
  '98.438% <= 0.159 milliseconds (cumulative count 2960)\n' +
  '99.219% <= 0.471 milliseconds (cumulative count 2992)\n' +
  '99.805% <= 0.647 milliseconds (cumulative count 3000)\n' +
  '100.000% <= 0.647 milliseconds (cumulative count 3000)\n' +
  '\n' +
  'Cumulative distribution of latencies:\n' +
  '97.067% <= 0.103 milliseconds (cumulative count 2912)\n' +
  '98.667% <= 0.207 milliseconds (cumulative count 2960)\n' +
  '99.733% <= 0.503 milliseconds (cumulative count 2992)\n' +
  '100.000% <= 0.703 milliseconds (cumulative count 3000)\n' +
  '\n' +
  'Summary:\n' +
  '  throughput summary: 501333.34 requests per second\n' +
  '  latency summary (msec):\n' +
  '          avg       min       p50       p95       p99       max\n' +
  '        0.045     0.016     0.039     0.087     0.447     0.647\n' +
  '\n';

describe('parseBenchmarkOutput', () => {
  it('reads throughput, the latency summary and p99.9 from the GET block', () => {
    const s = parseBenchmarkOutput(GET_OUTPUT, 'get');
    assert.deepEqual(s, {
      test: 'GET',
      rps: 501333.34,
      avgMs: 0.045,
      p50Ms: 0.039,
      p99Ms: 0.447,
      // The first step at or above 99.9% is 100.000% here: too few requests for a finer one.
      p999Ms: 0.647,
      maxMs: 0.647,
    });
  });

  it('takes the first percentile step at or above 99.9%', () => {
    const output = [
      '====== SET ======',
      'Latency by percentile distribution:',
      '99.805% <= 0.751 milliseconds (cumulative count 19961)',
      '99.902% <= 1.199 milliseconds (cumulative count 19981)',
      '99.951% <= 1.311 milliseconds (cumulative count 19991)',
      '',
      'Cumulative distribution of latencies:',
      '99.900% <= 1.103 milliseconds (cumulative count 19980)',
      'Summary:',
      '  throughput summary: 47732.70 requests per second',
    ].join('\n');
    const s = parseBenchmarkOutput(output, 'set');
    assert.ok(s !== undefined);
    assert.equal(s.p999Ms, 1.199);
    assert.equal(s.rps, 47732.7);
    // No latency summary table: those figures are unknown, not zero.
    assert.ok(Number.isNaN(s.p50Ms));
  });

  it('finds nothing for another test, or without a throughput line', () => {
    assert.equal(parseBenchmarkOutput(GET_OUTPUT, 'set'), undefined);
    assert.equal(
      parseBenchmarkOutput('====== GET ======\nAll clients disconnected... aborting.', 'get'),
      undefined,
    );
    assert.equal(parseBenchmarkOutput('', 'get'), undefined);
  });
});

describe('benchmarkArgs', () => {
  it('passes -P only when pipelining, and the value size always', () => {
    const spec = {
      port: 7000,
      test: 'set',
      clients: 50,
      keyspace: 100000,
      pipeline: 1,
      valueBytes: 64,
    } as const;
    assert.deepEqual(benchmarkArgs(spec, 1234), [
      '-h',
      '127.0.0.1',
      '-p',
      '7000',
      '-t',
      'set',
      '-c',
      '50',
      '-r',
      '100000',
      '-d',
      '64',
      '-n',
      '1234',
    ]);
    assert.deepEqual(benchmarkArgs({ ...spec, pipeline: 16 }, 1234).slice(-2), ['-P', '16']);
  });
});

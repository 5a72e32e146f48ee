import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryUsage } from '../../src/fsm/commands/memory.js';
import { CommandError, Status } from '../../src/fsm/result.js';
import { FsmDriver } from './state-machine-harness.js';

const message = (r: unknown): string => (r instanceof CommandError ? r.message : String(r));

describe('MEMORY', () => {
  it('USAGE estimates a key with its value and fields, and is nil for a missing key', () => {
    const d = new FsmDriver();
    d.run('SET', 'short', 'v');
    d.run('SET', 'long', 'x'.repeat(1000));
    d.run('HSET', 'h', 'f1', 'a', 'field-two', 'bb');
    const short = d.read('MEMORY', 'USAGE', 'short') as number;
    const long = d.read('MEMORY', 'USAGE', 'long') as number;
    assert.equal(long - short, 999 - 1, 'the estimate follows the value bytes');
    assert.ok(short > 200 && short < 400, String(short));
    const hash = d.read('MEMORY', 'USAGE', 'h') as number;
    const entry = d.fsm.dbs[0]!.entries.get('h')!;
    assert.equal(hash, memoryUsage('h', entry));
    // Each field adds its own cost and bytes.
    d.run('HSET', 'h', 'f3', 'ccc');
    assert.ok((d.read('MEMORY', 'USAGE', 'h') as number) > hash + 5);
    assert.equal(d.read('MEMORY', 'USAGE', 'missing'), null);
    assert.equal(d.read('MEMORY', 'USAGE', 'short', 'SAMPLES', '0'), short);
  });

  it("checks USAGE's options and the subcommands as Redis does", () => {
    const d = new FsmDriver();
    d.run('SET', 'k', 'v');
    assert.equal(
      message(d.read('MEMORY', 'USAGE', 'k', 'SAMPLES', 'x')),
      'ERR value is not an integer or out of range',
    );
    assert.equal(message(d.read('MEMORY', 'USAGE', 'k', 'SAMPLES', '-1')), 'ERR syntax error');
    assert.equal(message(d.read('MEMORY', 'USAGE', 'k', 'BAD', '1')), 'ERR syntax error');
    assert.equal(message(d.read('MEMORY', 'USAGE', 'k', 'SAMPLES')), 'ERR syntax error');
    assert.equal(
      message(d.read('MEMORY', 'USAGE')),
      "ERR wrong number of arguments for 'memory|usage' command",
    );
    assert.equal(
      message(d.read('MEMORY', 'PURGE', 'x')),
      "ERR wrong number of arguments for 'memory|purge' command",
    );
    assert.equal(
      message(d.read('MEMORY', 'FOO')),
      "ERR unknown subcommand 'FOO'. Try MEMORY HELP.",
    );
    assert.equal((d.read('MEMORY', 'PURGE') as Status).text, 'OK');
    assert.equal(
      (d.read('MEMORY', 'MALLOC-STATS') as Buffer).toString(),
      'Stats not supported for the current allocator',
    );
    assert.match((d.read('MEMORY', 'DOCTOR') as Buffer).toString(), /V8/);
    const help = d.read('MEMORY', 'HELP') as Status[];
    assert.ok(help.every((line) => line instanceof Status));
    assert.ok(help.some((line) => line.text.startsWith('USAGE <key>')));
    assert.ok(!help.some((line) => line.text === 'STATS'), 'STATS is not offered');
  });
});

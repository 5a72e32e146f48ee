import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const main = fileURLToPath(new URL('../../bench/main.js', import.meta.url));

/** Runs `npm run bench`'s entry point; none of these cases gets as far as starting anything. */
function bench(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [main, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the bench command line', () => {
  it('--help prints the usage and exits 0', () => {
    const r = bench(['--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^usage: npm run bench -- \[--only LIST\]/);
  });

  it('a wrong option, part or setting is named, with exit status 2 and no stack trace', () => {
    const option = bench(['--bogus']);
    assert.equal(option.status, 2);
    assert.match(option.stderr, /Unknown option '--bogus'/);
    assert.match(option.stderr, /usage: /);
    const part = bench(['--only', 'bogus']);
    assert.equal(part.status, 2);
    assert.match(part.stderr, /--only takes .*; not bogus/);
    const setting = bench(['--only', 'merkle-cost'], { REDRAFT_BENCH_CLIENTS: 'x' });
    assert.equal(setting.status, 2);
    assert.match(setting.stderr, /REDRAFT_BENCH_CLIENTS must list positive integers, not x/);
    for (const r of [option, part, setting]) assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});

/**
 * The README's library example runs as a program of its own and tells the story it claims:
 * a leader, five adds, a refused write on a follower, a linearizable read there, a command
 * every replica rejects, a failover, a restarted node that caught up, and a clean stop.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { childEnv } from '../e2e/harness/index.js';

const EXAMPLE = fileURLToPath(new URL('../../examples/embedded-counter.js', import.meta.url));

function run(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [script],
      // The timeout kills the child: a hung example fails the test instead of outliving it.
      { env: childEnv(), timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('examples/embedded-counter', () => {
  it('runs to completion and prints what happened', async () => {
    const { code, stdout, stderr } = await run(EXAMPLE);
    assert.equal(code, 0, `exit ${String(code)}\n${stdout}\n${stderr}`);
    const lines = stdout.trimEnd().split('\n');
    const patterns = [
      /^leader: node (\d)$/,
      /^counter after five adds: 15$/,
      /^node (\d) refuses writes: leader is node (\d)$/,
      /^linearizable read on node (\d): 15$/,
      /^rejected by every replica: can only add integers, got 0\.5$/,
      /^stopped node (\d); new leader: node (\d)$/,
      /^counter after failover: 25$/,
      /^restarted node (\d) reads 25$/,
      /^cluster stopped$/,
    ];
    assert.equal(lines.length, patterns.length, stdout);
    const m = patterns.map((p, k) => {
      const match = p.exec(lines[k]!);
      assert.ok(
        match !== null,
        `line ${k + 1} ${JSON.stringify(lines[k])} should match ${String(p)}`,
      );
      return match;
    });
    const leader = m[0]![1];
    assert.equal(m[2]![2], leader, 'the follower names the leader');
    assert.notEqual(m[2]![1], leader);
    assert.equal(m[5]![1], leader, 'the leader is the node stopped');
    assert.notEqual(m[5]![2], leader, 'another node took over');
    assert.equal(m[7]![1], leader, 'the stopped node is the one restarted');
  });
});

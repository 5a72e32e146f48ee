import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  PREIMAGE_CAPACITY,
  Sha256Scratch,
  sha256Backend,
  sha256Scratch,
} from '../../src/merkle/sha256.js';

const sha = (data: Uint8Array): Buffer => createHash('sha256').update(data).digest();

/** Inputs of every length up to three blocks, and some tree-key-sized ones. */
function inputs(): Buffer[] {
  const out: Buffer[] = [];
  for (let n = 0; n <= 200; n++) out.push(randomBytes(n));
  for (const n of [511, 512, 1000, PREIMAGE_CAPACITY]) out.push(randomBytes(n));
  // Views that start inside a larger buffer, as values parsed out of a request are.
  const backing = randomBytes(4096);
  for (const [start, end] of [
    [1, 66],
    [3, 3],
    [1000, 1070],
    [4000, 4096],
  ] as const) {
    out.push(backing.subarray(start, end));
  }
  return out;
}

function checkAgainstNodeCrypto(scratch: Sha256Scratch): void {
  for (const input of inputs()) {
    const expected = sha(input);
    scratch.hashToDigest(input);
    assert.deepEqual(Buffer.from(scratch.digest), expected, `hashToDigest, ${input.length} bytes`);

    input.copy(scratch.preimage);
    scratch.digestPreimage(input.length);
    assert.deepEqual(Buffer.from(scratch.digest), expected, `digestPreimage, ${input.length}`);

    const before = Buffer.from(scratch.digest);
    const at = input.length % 40;
    scratch.hashIntoPreimage(input, at);
    assert.deepEqual(scratch.preimage.subarray(at, at + 32), expected, `hashIntoPreimage at ${at}`);
    assert.deepEqual(Buffer.from(scratch.digest), before, 'hashIntoPreimage leaves the digest');

    // Two parts, split anywhere, hash as the joined bytes (past the joining area too).
    const cut = (input.length * 7) % (input.length + 1);
    scratch.hashJoinedIntoPreimage(input.subarray(0, cut), input.subarray(cut), at);
    assert.deepEqual(scratch.preimage.subarray(at, at + 32), expected, `joined, cut at ${cut}`);
    assert.deepEqual(
      Buffer.from(scratch.digest),
      before,
      'hashJoinedIntoPreimage leaves the digest',
    );

    // The words are the digest's bytes, in the platform's order.
    const words = Buffer.from(scratch.digestWords.buffer, scratch.digestWords.byteOffset, 32);
    assert.deepEqual(words, Buffer.from(scratch.digest));
  }
}

describe('SHA-256 scratch area (src/merkle/sha256.ts)', () => {
  it("the process's backend digests exactly as node:crypto", () => {
    checkAgainstNodeCrypto(sha256Scratch);
  });

  it('the node:crypto backend digests exactly as node:crypto', () => {
    checkAgainstNodeCrypto(new Sha256Scratch(undefined));
  });

  it('is the native module wherever CI requires it (REDRAFT_REQUIRE_NATIVE=1)', (t) => {
    if (process.env.REDRAFT_REQUIRE_NATIVE !== '1') {
      t.skip(`REDRAFT_REQUIRE_NATIVE is not 1; backend here: ${sha256Backend.name}`);
      return;
    }
    assert.equal(sha256Backend.name, 'native', sha256Backend.reason);
  });

  it('gives a tree the same root with either backend', () => {
    // The same map, built in a child process forced onto node:crypto and here.
    const script = `
      import { SparseMerkleTree } from ${JSON.stringify(treeModule)};
      import { sha256Backend } from ${JSON.stringify(shaModule)};
      const t = new SparseMerkleTree();
      for (let i = 0; i < 3000; i++) {
        t.set(Buffer.from('key:' + i), Buffer.from('value-' + (i * 7919) % 1000 + '-'.repeat(i % 90)));
      }
      for (let i = 0; i < 3000; i += 3) t.delete(Buffer.from('key:' + i));
      t.root();
      for (let i = 1; i < 3000; i += 5) t.set(Buffer.from('key:' + i), Buffer.from('changed ' + i));
      process.stdout.write(sha256Backend.name + ' ' + Buffer.from(t.root()).toString('hex'));
    `;
    const run = (env: NodeJS.ProcessEnv): string =>
      execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, ...env },
        encoding: 'utf8',
      });
    const forced = run({ REDRAFT_SHA256: 'node-crypto' });
    const chosen = run({ REDRAFT_SHA256: '' });
    assert.match(forced, /^node:crypto [0-9a-f]{64}$/);
    assert.equal(chosen.split(' ')[1], forced.split(' ')[1], `${chosen} vs ${forced}`);
  });
});

const treeModule = new URL('../../src/merkle/index.js', import.meta.url).href;
const shaModule = new URL('../../src/merkle/sha256.js', import.meta.url).href;

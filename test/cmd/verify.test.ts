import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runVerify } from '../../cmd/verify.js';
import { FsmDriver } from '../fsm/state-machine-harness.js';
import { runCli } from '../e2e/harness/index.js';

function run(
  argv: string[],
  files: Record<string, Buffer> = {},
): {
  code: number;
  out: string;
  err: string;
} {
  let out = '';
  let err = '';
  const code = runVerify(argv, {
    out: (t) => (out += t),
    err: (t) => (err += t),
    readFile: (path) => {
      const f = files[path];
      if (f === undefined) throw new Error(`ENOENT: no such file, open '${path}'`);
      return f;
    },
  });
  return { code, out, err };
}

describe('redraft verify', () => {
  const d = new FsmDriver();
  d.run('SET', 'greeting', 'hello');
  d.run('HSET', 'user', 'name', 'ada');
  d.runIn(3, 'SET', 'bin\x00key', 'v');
  const m = d.fsm.merkle!;
  const present = m.prove(0, Buffer.from('greeting'))!;
  const absent = m.prove(0, Buffer.from('nobody'))!;
  const user = m.prove(0, Buffer.from('user'))!;
  const binary = m.prove(3, Buffer.from('bin\x00key'))!;
  const root = present.root.toString('hex');
  const files = {
    present: Buffer.from(present.proof),
    absent: Buffer.from(absent.proof),
    user: Buffer.from(user.proof),
    binary: Buffer.from(binary.proof),
  };

  it('exit 0 for a valid claim, printing what was proven', () => {
    const ok = run(
      ['--root', root, '--key', 'greeting', '--value', 'hello', '--proof', 'present'],
      files,
    );
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.match(ok.out, /^valid: key "greeting" of db 0 holds the string "hello" \(no expiry\)/);

    const gone = run(['--root', root, '--key', 'nobody', '--absent', '--proof', 'absent'], files);
    assert.equal(gone.code, 0, gone.out + gone.err);
    assert.match(gone.out, /is absent under root/);

    const hash = run(
      [
        '--root',
        root,
        '--key',
        'user',
        '--value-hex',
        user.value!.toString('hex'),
        '--proof',
        'user',
      ],
      files,
    );
    assert.equal(hash.code, 0, hash.out + hash.err);
    assert.match(hash.out, /a hash of 1 field\(s\) \{"name": "ada"\}/);

    const bin = run(
      [
        '--root',
        root,
        '--db',
        '3',
        '--key-hex',
        Buffer.from('bin\x00key').toString('hex'),
        '--value',
        'v',
        '--proof',
        'binary',
      ],
      files,
    );
    assert.equal(bin.code, 0, bin.out + bin.err);
    assert.match(bin.out, /key 0x62696e006b6579 of db 3/);
  });

  it('exit 1 for a claim the proof does not support, saying why', () => {
    const cases: [string[], RegExp][] = [
      [['--key', 'greeting', '--value', 'hullo', '--proof', 'present'], /another string/],
      [['--key', 'greeting', '--absent', '--proof', 'present'], /non-existence proof/],
      [['--key', 'nobody', '--value', 'x', '--proof', 'absent'], /existence proof/],
      [['--key', 'greeting', '--db', '1', '--value', 'hello', '--proof', 'present'], /another key/],
      [['--key', 'user', '--value', 'ada', '--proof', 'user'], /holds a hash, not a string/],
    ];
    for (const [args, why] of cases) {
      const r = run(['--root', root, ...args], files);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.out}${r.err}`);
      assert.match(r.out, /^invalid: /);
      assert.match(r.out, why);
    }
    const otherRoot = run(
      ['--root', 'ab'.repeat(32), '--key', 'greeting', '--value', 'hello', '--proof', 'present'],
      files,
    );
    assert.equal(otherRoot.code, 1);
    assert.match(otherRoot.out, /does not match the trusted root/);
  });

  it('exit 2 for a wrong command line', () => {
    const cases: [string[], RegExp][] = [
      [['--key', 'k', '--absent', '--proof', 'absent'], /--root is required/],
      [
        ['--root', 'xyz', '--key', 'k', '--absent', '--proof', 'absent'],
        /--root must be hex digits/,
      ],
      [
        ['--root', 'ab', '--key', 'k', '--absent', '--proof', 'absent'],
        /--root must be 64 hex digits/,
      ],
      [['--root', root, '--absent', '--proof', 'absent'], /exactly one of --key or --key-hex/],
      [
        ['--root', root, '--key', 'k', '--proof', 'absent'],
        /exactly one of --value, --value-hex or --absent/,
      ],
      [
        ['--root', root, '--key', 'k', '--absent', '--value', 'v', '--proof', 'absent'],
        /exactly one of/,
      ],
      [['--root', root, '--key', 'k', '--absent'], /--proof is required/],
      [
        ['--root', root, '--key', 'k', '--absent', '--proof', 'missing-file'],
        /cannot read --proof missing-file/,
      ],
      [
        ['--root', root, '--key', 'k', '--absent', '--proof', 'absent', '--db', 'x'],
        /--db must be a database index/,
      ],
      [['--root', root, '--key', 'k', '--absent', '--proof', 'absent', '--bogus'], /bogus/],
    ];
    for (const [args, why] of cases) {
      const r = run(args, files);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.err, why);
      assert.match(r.err, /usage: redraft verify/);
    }
    assert.equal(run(['--help']).code, 0);
  });

  const dir = mkdtempSync(join(tmpdir(), 'redraft-verify-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(
    'the installed command reads the proof file and exits 0 or 1',
    { timeout: 60_000 },
    async () => {
      const proofFile = join(dir, 'greeting.proof');
      writeFileSync(proofFile, present.proof);
      const ok = await runCli([
        'verify',
        '--root',
        root,
        '--key',
        'greeting',
        '--value',
        'hello',
        '--proof',
        proofFile,
      ]);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /^valid: /);
      const bad = await runCli([
        'verify',
        '--root',
        root,
        '--key',
        'greeting',
        '--value',
        'nope',
        '--proof',
        proofFile,
      ]);
      assert.equal(bad.code, 1, bad.stdout + bad.stderr);
      assert.match(bad.stdout, /^invalid: /);
    },
  );
});

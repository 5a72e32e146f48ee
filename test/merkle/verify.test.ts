import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { encodeTag } from '../../src/fsm/merkle-entry-codec.js';
import { verifyKeyProof, type KeyClaim } from '../../src/merkle/verify.js';
import { FsmDriver } from '../fsm/state-machine-harness.js';

function cluster(): FsmDriver {
  const d = new FsmDriver();
  d.run('SET', 'greeting', 'hello');
  d.run('SET', 'session', 'abc', 'PXAT', '4102444800000');
  d.run('HSET', 'user', 'name', 'ada', 'lang', 'en');
  d.runIn(2, 'SET', 'greeting', 'hallo');
  return d;
}

const text = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('verifyKeyProof (the exported offline verifier)', () => {
  const d = cluster();
  const m = d.fsm.merkle!;
  const greeting = m.prove(0, text('greeting'))!;
  const absent = m.prove(0, text('nobody'))!;
  const user = m.prove(0, text('user'))!;
  const session = m.prove(0, text('session'))!;

  const ask = (
    p: { root: Buffer; proof: Uint8Array },
    key: string,
    claim: KeyClaim,
    db = 0,
  ): ReturnType<typeof verifyKeyProof> =>
    verifyKeyProof({ root: p.root, db, key: text(key), claim, proof: p.proof });

  it('accepts a present string, an exact canonical value and an absence', () => {
    const r = ask(greeting, 'greeting', { kind: 'string', value: text('hello') });
    assert.ok(r.valid && r.value?.type === 'string');
    assert.equal(Buffer.from(r.value.value).toString(), 'hello');
    assert.equal(r.value.expireAt, 0);
    assert.ok(ask(greeting, 'greeting', { kind: 'encoded', value: greeting.value! }).valid);
    assert.deepEqual(ask(absent, 'nobody', { kind: 'absent' }), { valid: true, value: undefined });
  });

  it('reports the proven expiry and hash contents', () => {
    const s = ask(session, 'session', { kind: 'string', value: text('abc') });
    assert.ok(s.valid && s.value?.expireAt === 4102444800000);
    const u = ask(user, 'user', { kind: 'encoded', value: user.value! });
    assert.ok(u.valid && u.value?.type === 'hash');
    assert.deepEqual(
      u.value.fields.map(([f, v]) => [Buffer.from(f).toString(), Buffer.from(v).toString()]),
      [
        ['lang', 'en'],
        ['name', 'ada'],
      ],
    );
  });

  it('refuses wrong claims, other keys, other databases and other roots, saying why', () => {
    const cases: [string, ReturnType<typeof verifyKeyProof>, RegExp][] = [
      [
        'another string',
        ask(greeting, 'greeting', { kind: 'string', value: text('hullo') }),
        /another string/,
      ],
      [
        'a hash as a string',
        ask(user, 'user', { kind: 'string', value: text('ada') }),
        /holds a hash, not a string/,
      ],
      [
        'another key',
        ask(greeting, 'greetings', { kind: 'string', value: text('hello') }),
        /another key/,
      ],
      [
        'another database',
        ask(greeting, 'greeting', { kind: 'string', value: text('hello') }, 2),
        /another key/,
      ],
      [
        'present claimed absent',
        ask(greeting, 'greeting', { kind: 'absent' }),
        /expected a non-existence proof/,
      ],
      [
        'absent claimed present',
        ask(absent, 'nobody', { kind: 'string', value: text('x') }),
        /not an existence proof|expected an existence proof/,
      ],
      [
        'wrong encoded value',
        ask(greeting, 'greeting', { kind: 'encoded', value: text('hello') }),
        /another value/,
      ],
      [
        'another root',
        verifyKeyProof({
          root: Buffer.alloc(32, 1),
          db: 0,
          key: text('greeting'),
          claim: { kind: 'string', value: text('hello') },
          proof: greeting.proof,
        }),
        /does not match the trusted root/,
      ],
      [
        'garbage proof',
        verifyKeyProof({
          root: greeting.root,
          db: 0,
          key: text('greeting'),
          claim: { kind: 'absent' },
          proof: text('junk'),
        }),
        /undecodable proof/,
      ],
      [
        'a bad database',
        verifyKeyProof({
          root: greeting.root,
          db: 300,
          key: text('greeting'),
          claim: { kind: 'absent' },
          proof: absent.proof,
        }),
        /database index 300/,
      ],
    ];
    for (const [what, r, why] of cases) {
      assert.equal(r.valid, false, what);
      assert.match((r as { reason: string }).reason, why, what);
    }
  });

  it('a proof at a tag verifies against the tag root, not the current one', () => {
    const t = cluster();
    t.apply(encodeTag('v1', 4));
    t.run('SET', 'greeting', 'changed');
    const p = t.fsm.merkle!.prove(0, text('greeting'), 'v1')!;
    assert.ok(ask(p, 'greeting', { kind: 'string', value: text('hello') }).valid);
    const now = t.fsm.merkle!.root().root;
    assert.equal(
      ask({ root: now, proof: p.proof }, 'greeting', { kind: 'string', value: text('hello') })
        .valid,
      false,
    );
  });
});

describe('the verifier module has no server dependencies', () => {
  it('imports nothing but its own folder and node:crypto and node:module, transitively', () => {
    const here = dirname(fileURLToPath(import.meta.url));
    const merkleDir = resolve(here, '../../src/merkle');
    const seen = new Set<string>();
    const external = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, 'utf8');
      for (const m of source.matchAll(/^(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]/gm)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec);
          assert.ok(target.startsWith(merkleDir), `${file} imports ${spec}, outside src/merkle`);
          visit(target);
        } else {
          external.add(spec);
        }
      }
    };
    visit(join(merkleDir, 'verify.js'));
    // node:module loads the optional native SHA-256 (sha256.ts), which has no dependencies.
    assert.deepEqual([...external].sort(), ['node:crypto', 'node:module']);
    assert.ok(seen.size >= 5, `followed ${seen.size} modules`);
  });
});

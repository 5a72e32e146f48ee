import { HASH_COMMANDS } from '../../src/fsm/commands/hashes.js';
import { KEY_COMMANDS } from '../../src/fsm/commands/keys.js';
import type { CommandContext, CommandDef } from '../../src/fsm/commands/context.js';
import { Keyspace, keyOf, type StoredEntry } from '../../src/fsm/keyspace.js';
import type { Result } from '../../src/fsm/result.js';

export { show } from './state-machine-harness.js';

/** A command context whose clock, index and database the test moves by hand. */
export interface TestContext extends CommandContext {
  db: Keyspace;
  dbs: Keyspace[];
  dbIndex: number;
  now: number;
  index: number;
  random: (bound: number) => number;
}

/** mulberry32: a small seeded generator, so that random reads are reproducible. */
export function seededRandom(seed: number): (bound: number) => number {
  let s = seed | 0;
  return (bound) => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * bound);
  };
}

/**
 * A fresh context over `db` (and 15 more empty databases, for COPY ... DB and FLUSHALL) at
 * time `now` and log index `index`.
 */
export function ctx(db: Keyspace = new Keyspace(), now = 1_000_000, index = 1): TestContext {
  const dbs = [db, ...Array.from({ length: 15 }, () => new Keyspace())];
  return { db, dbs, dbIndex: 0, now, index, random: seededRandom(1) };
}

const DEFS = new Map<string, CommandDef>(
  [...KEY_COMMANDS, ...HASH_COMMANDS].map((d) => [d.name, d]),
);

export function defOf(name: string): CommandDef {
  const d = DEFS.get(name.toLowerCase());
  if (d === undefined) throw new Error(`no such command in keys.ts/hashes.ts: ${name}`);
  return d;
}

function noRandom(): number {
  throw new Error('a write command drew a random number');
}

/**
 * Runs one command as the state machine would: a write sees a `random` that throws (writes
 * must be deterministic), a read sees the context's seeded one.
 */
export function exec(c: TestContext, ...args: (string | Buffer)[]): Result {
  const argv = args.map((a) => (typeof a === 'string' ? Buffer.from(a, 'latin1') : a));
  const d = defOf(argv[0]!.toString('latin1'));
  return d.fn(d.kind === 'write' ? { ...c, random: noRandom } : c, argv);
}

/** Stores a string directly (the string commands are tested elsewhere). */
export function putString(c: TestContext, key: string, value: string, expireAt = 0): void {
  c.db.set(key, {
    value: { type: 'string', value: Buffer.from(value, 'latin1') },
    expireAt,
    version: 0,
  });
}

export function entry(c: TestContext, key: string): StoredEntry | undefined {
  return c.db.entries.get(keyOf(Buffer.from(key, 'latin1')));
}

/** A canonical, order-independent rendering of a keyspace for equality checks. */
export function canonical(db: Keyspace): unknown[] {
  return [...db.entries.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, e]) => [
      k,
      e.expireAt,
      e.version,
      e.value.type === 'string'
        ? e.value.value.toString('latin1')
        : [...e.value.fields.entries()]
            .map(([f, v]) => [f, v.toString('latin1')])
            .sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0)),
    ]);
}

/** The keyspace's expiry index must list exactly the keys that carry an expiry. */
export function expiresConsistent(db: Keyspace): boolean {
  const want = [...db.entries].filter(([, e]) => e.expireAt !== 0).map(([k]) => k);
  return want.length === db.expires.size && want.every((k) => db.expires.has(k));
}

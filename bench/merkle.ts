/**
 * Costs of the verifiable state, measured on the state machine itself (one thread, no network,
 * no disk): what a write pays on the apply path with Merkle maintenance on and off, a root
 * recompute after 10,000 writes into a 1,000,000-key map, a full rebuild of 1,000,000 keys (what
 * a snapshot restore does), and proofs generated and verified per second. Not a test: run it
 * with `npm run bench:merkle`.
 *
 * Figures are CPU time of this process (user + system), so other load on a shared machine does
 * not count against them; the wall-clock time is printed beside where it differs much.
 *
 *   REDRAFT_BENCH_KEYS     keys in the map (default 1000000)
 *   REDRAFT_BENCH_WRITES   writes before the root recompute (default 10000)
 *   REDRAFT_BENCH_SECONDS  duration of each rate measurement (default 3)
 */
import { cpuUsage } from 'node:process';
import { performance } from 'node:perf_hooks';
import { encodeCommand } from '../src/fsm/entry-codec.js';
import { KvStateMachine } from '../src/fsm/kv-state-machine.js';
import { encodeCheckpoint } from '../src/fsm/merkle-entry-codec.js';
import { buildTree } from '../src/fsm/merkle-values.js';
import { encodeTreeKey, verifyMembership, verifyNonMembership } from '../src/merkle/index.js';
import { index, term } from '../src/raft/index.js';
import { cpus } from 'node:os';
import { loadAverage } from './machine.js';

const KEYS = Number(process.env.REDRAFT_BENCH_KEYS ?? 1_000_000);
const WRITES = Number(process.env.REDRAFT_BENCH_WRITES ?? 10_000);
const SECONDS = Number(process.env.REDRAFT_BENCH_SECONDS ?? 3);
const APPLY_ENTRIES = 200_000;
const gc = (globalThis as { gc?: () => void }).gc;

function heapMb(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

interface Timing {
  readonly cpuMs: number;
  readonly wallMs: number;
}

function timed(fn: () => void): Timing {
  const cpu = cpuUsage();
  const wall = performance.now();
  fn();
  const d = cpuUsage(cpu);
  return { cpuMs: (d.user + d.system) / 1000, wallMs: performance.now() - wall };
}

/** Calls `fn` in batches until SECONDS of CPU time have passed; operations per CPU second. */
function rate(fn: (i: number) => void): number {
  let n = 0;
  const cpu = cpuUsage();
  for (;;) {
    for (let k = 0; k < 1000; k++) fn(n++);
    const d = cpuUsage(cpu);
    const ms = (d.user + d.system) / 1000;
    if (ms >= SECONDS * 1000) return (n * 1000) / ms;
  }
}

function line(what: string, value: string): void {
  console.log(`${what.padEnd(62)} ${value}`);
}

const fmt = (t: Timing): string =>
  t.wallMs > t.cpuMs * 1.3
    ? `${(t.cpuMs / 1000).toFixed(2)} s CPU (${(t.wallMs / 1000).toFixed(2)} s wall)`
    : `${(t.cpuMs / 1000).toFixed(2)} s CPU`;

const key = (i: number): string => `user:${i}`;
const value = (i: number, gen: number): Buffer =>
  Buffer.from(`{"gen":${gen},"id":${i},"pad":"0123456789"}`);

function setEntry(i: number, gen: number, at: number): Uint8Array {
  return encodeCommand(at, 0, [Buffer.from('SET'), Buffer.from(key(i)), value(i, gen)]);
}

console.log(
  `machine: ${cpus().length} cores, ${cpus()[0]?.model ?? '?'}, Node ${process.version}, load ${loadAverage()}`,
);
console.log(
  'note: a shared, loaded machine; figures are CPU time of this one thread and vary with load\n',
);

// 1. The write path: applying SET entries with Merkle maintenance off, on (marking keys only,
//    which is all a write pays), and on with the root computed every CHECKPOINT_EVERY entries
//    (what checkpoints cost, amortized). The entries are encoded beforehand: only apply counts.
{
  const CHECKPOINT_EVERY = 10_000;
  const entries = Array.from({ length: APPLY_ENTRIES }, (_, i) =>
    setEntry((i * 7919) % 100_000, i, 1),
  );
  const run = (merkle: boolean, rootEvery: number): number => {
    const fsm = new KvStateMachine({ merkle });
    gc?.();
    return timed(() => {
      for (let i = 0; i < entries.length; i++) {
        fsm.apply({ index: index(i + 1), term: term(1), data: entries[i]! });
        if ((i + 1) % rootEvery === 0) fsm.merkle?.root();
      }
    }).cpuMs;
  };
  const modes: [string, () => number][] = [
    ['Merkle off', () => run(false, Infinity)],
    ['Merkle on, keys marked only', () => run(true, Infinity)],
    [`Merkle on, root every ${CHECKPOINT_EVERY} entries`, () => run(true, CHECKPOINT_EVERY)],
  ];
  // Warm every path, then alternate rounds to spread the machine's noise over all of them.
  for (const [, f] of modes) f();
  const best = modes.map(() => Infinity);
  for (let round = 0; round < 3; round++) {
    modes.forEach(([, f], m) => {
      best[m] = Math.min(best[m]!, f());
    });
  }
  const off = best[0]!;
  modes.forEach(([name], m) => {
    const us = (best[m]! * 1000) / APPLY_ENTRIES;
    const delta = m === 0 ? '' : ` (+${(((best[m]! - off) / off) * 100).toFixed(1)}%)`;
    line(
      `apply ${APPLY_ENTRIES} SETs over 100k keys, ${name}`,
      `${us.toFixed(2)} us/entry${delta}`,
    );
  });
}

// 2. A 1M-key map: load it, hash it, then 10,000 writes and the recompute.
const fsm = new KvStateMachine();
const merkle = fsm.merkle!;
const base = heapMb();
let nextIndex = 1;
const load = timed(() => {
  for (let i = 0; i < KEYS; i++) {
    fsm.apply({ index: index(nextIndex++), term: term(1), data: setEntry(i, 0, 1) });
  }
});
const loadedMb = heapMb();
line(`apply ${KEYS} SETs (the key space, Merkle marking only)`, fmt(load));
gc?.();
const firstRoot = timed(() => merkle.root());
line(`first root over ${KEYS} keys (encode + insert + hash all)`, fmt(firstRoot));
const withTree = heapMb();
line(
  'memory: key space / Merkle tree',
  `${(((loadedMb - base) / KEYS) * 2 ** 20).toFixed(0)} / ${(((withTree - loadedMb) / KEYS) * 2 ** 20).toFixed(0)} bytes per key`,
);

gc?.();
const rebuild = timed(() => {
  buildTree(fsm.dbs.map((db) => db.entries)).root();
});
line(`full rebuild of ${KEYS} keys (snapshot restore)`, fmt(rebuild));

gc?.();
const writes = timed(() => {
  for (let w = 0; w < WRITES; w++) {
    const i = (w * 7919) % KEYS; // spread over the map
    fsm.apply({ index: index(nextIndex++), term: term(1), data: setEntry(i, 1, 2) });
  }
});
line(`apply ${WRITES} writes into the ${KEYS}-key map`, fmt(writes));
gc?.();
const recompute = timed(() => merkle.root());
line(
  `root recompute after ${WRITES} writes into ${KEYS} keys`,
  `${recompute.cpuMs.toFixed(0)} ms CPU`,
);

// The same again as a checkpoint computes it: the apply only freezes the changed keys (the
// pause every member takes), and the root is computed in steps between later applies.
for (let w = 0; w < WRITES; w++) {
  const i = (w * 6007 + 13) % KEYS;
  fsm.apply({ index: index(nextIndex++), term: term(3), data: setEntry(i, 2, 3) });
}
gc?.();
const frozen = timed(() => {
  fsm.apply({ index: index(nextIndex++), term: term(3), data: encodeCheckpoint(undefined) });
});
let steps = 0;
const stepped = timed(() => {
  while (merkle.step(1024)) steps++;
});
line(
  `  the same at a checkpoint: pause in the apply / ${steps + 1} steps between applies`,
  `${frozen.cpuMs.toFixed(1)} ms / ${stepped.cpuMs.toFixed(0)} ms CPU`,
);

// 3. Proofs: present and absent keys, as PROVE makes them (tree key, canonical value, bytes).
const presentKeys = Array.from({ length: 4096 }, (_, i) => Buffer.from(key((i * 104729) % KEYS)));
const absentKeys = Array.from({ length: 4096 }, (_, i) => Buffer.from(`absent:${i}`));
const generated = rate((i) => {
  merkle.prove(0, presentKeys[i & 4095]!);
});
line('proofs generated (present keys)', `${Math.round(generated).toLocaleString('en')}/s`);
const generatedAbsent = rate((i) => {
  merkle.prove(0, absentKeys[i & 4095]!);
});
line('proofs generated (absent keys)', `${Math.round(generatedAbsent).toLocaleString('en')}/s`);

const present = presentKeys.map((k) => {
  const p = merkle.prove(0, k)!;
  return { treeKey: encodeTreeKey(0, k), value: p.value!, root: p.root, proof: p.proof };
});
const absent = absentKeys.map((k) => {
  const p = merkle.prove(0, k)!;
  return { treeKey: encodeTreeKey(0, k), root: p.root, proof: p.proof };
});
const verified = rate((i) => {
  const p = present[i & 4095]!;
  if (!verifyMembership(p.root, p.treeKey, p.value, p.proof).valid) throw new Error('invalid');
});
line('proofs verified (present keys)', `${Math.round(verified).toLocaleString('en')}/s`);
const verifiedAbsent = rate((i) => {
  const p = absent[i & 4095]!;
  if (!verifyNonMembership(p.root, p.treeKey, p.proof).valid) throw new Error('invalid');
});
line('proofs verified (absent keys)', `${Math.round(verifiedAbsent).toLocaleString('en')}/s`);
console.log(`\nload average after: ${loadAverage()}`);

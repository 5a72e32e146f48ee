/**
 * Sparse Merkle tree costs: set(), root() after 10k and 100k writes into a 1M-key tree, a full
 * rebuild, proofs generated and verified per second, memory per key and per retained version.
 *
 *   npm run build && node --expose-gc dist/test/merkle/smt.bench.js [keys=1000000]
 */
import {
  SparseMerkleTree,
  proveKey,
  verifyMembership,
  verifyNonMembership,
} from '../../src/merkle/index.js';

const N = Number(process.argv[2] ?? 1_000_000);
const gc = (globalThis as { gc?: () => void }).gc;

function heapMb(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/**
 * CPU time (user + system) of this process since `start`, in ms. CPU time rather than wall
 * time, so that other load on a shared machine does not count against the tree; the tree is
 * single-threaded, so the two agree on an idle machine (bar GC threads).
 */
function ms(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

function now(): NodeJS.CpuUsage {
  return process.cpuUsage();
}

function line(what: string, value: string): void {
  console.log(`${what.padEnd(58)} ${value}`);
}

const key = (i: number): Buffer => Buffer.from(`user:${i}`);
const value = (i: number, gen: number): Buffer =>
  Buffer.from(`{"gen":${gen},"id":${i},"pad":"0123456789"}`);

// Keys and values exist before the tree, as they would in the state machine: the tree's own
// memory is the difference.
const keys = Array.from({ length: N }, (_, i) => key(i));
const values = Array.from({ length: N }, (_, i) => value(i, 0));
const before = heapMb();

const t = new SparseMerkleTree();
let start = now();
for (let i = 0; i < N; i++) t.set(keys[i]!, values[i]!);
const buildMs = ms(start);
line(`set() x ${N} into an empty tree (inserts)`, `${((buildMs * 1000) / N).toFixed(2)} us/op`);

start = now();
t.root();
line(`root() full rebuild of ${N} keys`, `${(ms(start) / 1000).toFixed(2)} s`);
const after = heapMb();
line(
  'tree memory per key (excluding key and value bytes)',
  `${(((after - before) * 2 ** 20) / N).toFixed(0)} bytes`,
);

let gen = 1;
for (const writes of [10_000, 100_000]) {
  const batch = Array.from({ length: writes }, (_, j) => {
    const i = (j * 7919 + gen * 104729) % N;
    return [keys[i]!, value(i, gen)] as const;
  });
  gen++;
  // Settle the GC first: cpuUsage counts its helper threads too.
  heapMb();
  start = now();
  for (const [k, v] of batch) t.set(k, v);
  const setMs = ms(start);
  start = now();
  t.root();
  const rootMs = ms(start);
  line(
    `set() x ${writes} overwrites in the ${N}-key tree`,
    `${((setMs * 1000) / writes).toFixed(2)} us/op`,
  );
  line(
    `root() after ${writes} writes`,
    `${rootMs.toFixed(0)} ms (${((rootMs * 1000) / writes).toFixed(2)} us/write)`,
  );
}

// A retained version: what the live tree pays after the snapshot, and what the version pins.
{
  const writes = 100_000;
  const base = heapMb();
  const version = t.snapshot();
  const batch = Array.from({ length: writes }, (_, j) => {
    const i = (j * 7919 + gen * 104729) % N;
    return [keys[i]!, value(i, gen)] as const;
  });
  gen++;
  heapMb();
  start = now();
  for (const [k, v] of batch) t.set(k, v);
  const setMs = ms(start);
  t.root();
  const pinned = heapMb() - base;
  line(
    `set() x ${writes} right after a snapshot (path copying)`,
    `${((setMs * 1000) / writes).toFixed(2)} us/op`,
  );
  line(
    `memory a retained version pins after ${writes} writes`,
    `${pinned.toFixed(0)} MB (${((pinned * 2 ** 20) / writes).toFixed(0)} bytes/write, values included)`,
  );
  if (version.size !== N) throw new Error('version changed');
}

// Proofs. Generation is timed without keeping the proofs (a server sends each one and drops
// it); the ones verified afterwards are made outside the timer.
const root = t.root();
const P = 50_000;
const presentKey = (j: number): Buffer => keys[(j * 7919) % N]!;
const absentKey = (j: number): Buffer => Buffer.from(`missing:${j}`);
let bytes = 0;
start = now();
for (let j = 0; j < P; j++) bytes += proveKey(t, presentKey(j)).proof.length;
let el = ms(start);
line(
  'existence proofs generated',
  `${Math.round((P / el) * 1000)} /s (${Math.round(bytes / P)} bytes avg)`,
);
bytes = 0;
start = now();
for (let j = 0; j < P; j++) bytes += proveKey(t, absentKey(j)).proof.length;
el = ms(start);
line(
  'non-existence proofs generated',
  `${Math.round((P / el) * 1000)} /s (${Math.round(bytes / P)} bytes avg)`,
);

const V = 20_000;
const present = Array.from({ length: V }, (_, j) => {
  const k = presentKey(j);
  return [k, t.get(k)!, proveKey(t, k).proof] as const;
});
start = now();
for (const [k, v, proof] of present) {
  if (!verifyMembership(root, k, v, proof).valid) throw new Error('bad proof');
}
el = ms(start);
line('existence proofs verified', `${Math.round((V / el) * 1000)} /s`);
const absent = Array.from(
  { length: V },
  (_, j) => [absentKey(j), proveKey(t, absentKey(j)).proof] as const,
);
start = now();
for (const [k, proof] of absent) {
  if (!verifyNonMembership(root, k, proof).valid) throw new Error('bad proof');
}
el = ms(start);
line('non-existence proofs verified', `${Math.round((V / el) * 1000)} /s`);

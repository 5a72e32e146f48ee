/**
 * A seeded generator (mulberry32) for the chaos schedules: a failing run prints its seed, and
 * REDRAFT_E2E_SEED=<seed> replays the same choices (timing on a real machine still varies).
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed from REDRAFT_E2E_SEED, or a fresh one. */
export function chaosSeed(): number {
  const fromEnv = process.env.REDRAFT_E2E_SEED;
  if (fromEnv !== undefined && /^\d+$/.test(fromEnv)) return Number(fromEnv);
  return Math.floor(Math.random() * 2 ** 31);
}

/**
 * Randomness is injected into the core so that a run is reproducible from a seed. This is a
 * small, fast, well-distributed generator (SplitMix32 mixing over a Weyl sequence) for
 * simulations and tests; production drivers may pass any source.
 */

/** Returns an integer in [0, bound). */
export type RandomInt = (bound: number) => number;

export function seededRandom(seed: number): RandomInt {
  let state = seed >>> 0;
  return (bound: number): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return Math.floor((z / 0x1_0000_0000) * bound);
  };
}

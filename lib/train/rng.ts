// The counter-based RNG of native/include/bert/rng.h, bit for bit: the draw for element i depends
// only on (seed, i). Used to derive per-call dropout seeds and, in tests, to rebuild native masks.
const MASK64 = (1n << 64n) - 1n;

export function rngU32(seed: bigint, i: bigint): number {
  let z = (seed + (i + 1n) * 0x9e3779b97f4a7c15n) & MASK64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  z ^= z >> 31n;
  return Number(z >> 32n);
}

/** Draws below this are dropped: P(drop) = p. */
export function dropThreshold(p: number): number {
  const t = p * 4294967296;
  return t >= 4294967295 ? 0xffffffff : Math.floor(t);
}

/** Whether element i survives dropout with probability p under seed. */
export function dropoutKeeps(seed: bigint, i: number, p: number): boolean {
  return rngU32(seed, BigInt(i)) >= dropThreshold(p);
}

/** A seed for one dropout site of one step: SplitMix64 over (base, parts…). Distinct parts give unrelated masks. */
export function subSeed(base: bigint, ...parts: number[]): bigint {
  let z = base & MASK64;
  for (const p of parts) {
    z = (z + 0x9e3779b97f4a7c15n + BigInt(p)) & MASK64;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    z ^= z >> 31n;
  }
  return z;
}

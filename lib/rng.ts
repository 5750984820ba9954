// Every seeded draw in bert-cli, in one place. Two kinds:
//   counter-based (SplitMix64 over (seed, i)): rngU32/subSeed, bit for bit the generator of
//     native/include/bert/rng.h, so a dropout mask is a pure function of its seed and index and the
//     tests can rebuild it; subSeed gives each dropout site of each step its own seed.
//   streams (xoshiro128**): uniform/gaussian/Random for initialisation, data order, NSP pairs and
//     masking, seeded by mixSeed of the run's seed and what the stream is for.
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

/**
 * The tags that keep the random streams of a run apart: each is mixed in beside the run's seed, so
 * that no two streams draw the same numbers. Changing one changes every run's numbers (and breaks
 * the resume of runs saved before): they are fixed.
 */
export const SEED_STREAM = {
  /** a pretraining shard's documents → instances (mixSeed(seed, epoch, shard, instances)) */
  instances: 1,
  /** one instance's masks (mixSeed(seed, version, shard, index, masking)) */
  masking: 2,
  /** the held-out set's seed, apart from training's (mixSeed(seed, heldOut)) */
  heldOut: 77,
  /** the head's dropout within a step (subSeed(stepSeed, head)); the encoder's sites use layer + 1 ≤ 1000 */
  head: 1_000_000,
} as const;

/** An encoder layer's dropout sites (subSeed(stepSeed, layer + 1, site)); the embeddings' is (0, 0). */
export const DROPOUT_SITE = { attention: 1, attentionOutput: 2, output: 3 } as const;

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

/** Uniform draws in [0, 1) from a seeded xoshiro128** generator (32-bit lanes). */
export function uniform(seed: number): () => number {
  let s0 = (seed >>> 0) ^ 0x9e3779b9, s1 = Math.imul(seed | 0, 0x85ebca6b) ^ 0xc2b2ae35, s2 = 0x27d4eb2f, s3 = 0x165667b1;
  const next = () => {
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11);
    return r / 4294967296;
  };
  for (let i = 0; i < 8; i++) next();
  return next;
}

/** Standard normal draws (Box–Muller over `uniform`). */
export function gaussian(seed: number): () => number {
  const next = uniform(seed);
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = next();
    const w = next();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * w);
    return r * Math.cos(2 * Math.PI * w);
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export class Random {
  private next: () => number;
  constructor(seed: number) {
    this.next = uniform(seed);
  }
  random(): number {
    return this.next();
  }
  /** an integer in [a, b], both included (Python's randint) */
  randint(a: number, b: number): number {
    return a + Math.floor(this.next() * (b - a + 1));
  }
  shuffle<T>(xs: T[]): void {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
  }
}

/** A deterministic 32-bit seed from several integers. */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p & 0xffff), 0x01000193);
    h = Math.imul(h ^ (p >>> 16), 0x01000193);
    h ^= h >>> 13;
  }
  return h | 0;
}

/** A permutation of 0..n−1 (Fisher–Yates over a seeded stream), the same for a seed and epoch on every machine. */
export function shuffledOrder(n: number, seed: number, epoch: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const next = uniform(Math.imul(seed, 1000003) + Math.imul(epoch, 7919));
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

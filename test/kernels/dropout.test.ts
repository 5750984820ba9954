// Dropout: the mask is the counter RNG's (rebuilt here in TypeScript), its rate is p, backward uses
// the same mask, and nothing depends on the thread count.
import { describe, it, expect, beforeAll } from 'vitest';
import { native } from '../../lib/native.js';
import { expectClose } from '../helpers/compare.js';
import { dropoutRef } from '../helpers/reference.js';
import { mulberry32, randomF32 } from '../helpers/random.js';

describe.each(native.availableIsas())('dropout on %s', (isa) => {
  beforeAll(() => native.setIsa(isa));

  it('forward equals the reference mask, backward applies the same mask', () => {
    const rand = mulberry32(9);
    const x = randomF32(1001, rand);
    for (const [p, seed] of [[0.1, 1n], [0.5, 2n ** 63n + 5n], [0, 3n]] as const) {
      const out = new Float32Array(x.length);
      native.dropoutForward(out, x, p, seed);
      expectClose(out, dropoutRef(x, p, seed), { atol: 0, rtol: 2e-7 }, `p=${p}`);
      const dx = new Float32Array(x.length);
      native.dropoutBackward(dx, x, p, seed);
      expect(dx).toEqual(out);
    }
  });

  it('drops a fraction p of a large buffer, independently of the thread count', () => {
    const n = 1 << 20;
    const ones = new Float32Array(n).fill(1);
    const saved = native.numThreads();
    const outs: Float32Array[] = [];
    for (const t of [1, 2]) {
      native.setNumThreads(t);
      const out = new Float32Array(n);
      native.dropoutForward(out, ones, 0.1, 42);
      outs.push(out);
    }
    native.setNumThreads(saved);
    expect(outs[1]).toEqual(outs[0]);
    let dropped = 0;
    for (const v of outs[0]) dropped += v === 0 ? 1 : 0;
    // binomial sd = √(n·0.09) ≈ 307 elements: 5 sd is 0.0015 of n
    expect(Math.abs(dropped / n - 0.1)).toBeLessThan(0.0015);
    expect(outs[0].find((v) => v !== 0)).toBeCloseTo(1 / 0.9, 6);
  });

  it('different seeds give different masks', () => {
    const ones = new Float32Array(4096).fill(1);
    const a = new Float32Array(4096), b = new Float32Array(4096);
    native.dropoutForward(a, ones, 0.5, 1);
    native.dropoutForward(b, ones, 0.5, 2);
    expect(a).not.toEqual(b);
  });
});

// AdamW against torch.optim.AdamW's update (float64 reference) over several steps, with and without
// a weight-decay mask; the squared norm against a float64 sum, independent of the thread count.
import { describe, it, expect, beforeAll } from 'vitest';
import { native } from '../../lib/native.js';
import { expectClose } from '../helpers/compare.js';
import { adamwRef } from '../helpers/reference.js';
import { mulberry32, randomF32 } from '../helpers/random.js';

describe.each(native.availableIsas())('adamw on %s', (isa) => {
  beforeAll(() => native.setIsa(isa));

  for (const withMask of [true, false]) {
    it(`five steps ${withMask ? 'with' : 'without'} a decay mask`, () => {
      const rand = mulberry32(withMask ? 1 : 2);
      const n = 1037;
      const p = randomF32(n, rand), m = new Float32Array(n), v = new Float32Array(n);
      const decay = withMask ? Uint8Array.from({ length: n }, (_, i) => (i % 3 ? 1 : 0)) : null;
      let ref = { p: Float64Array.from(p), m: new Float64Array(n), v: new Float64Array(n) };
      for (let step = 1; step <= 5; step++) {
        const g = randomF32(n, rand, 0.1);
        const hp = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-6, weightDecay: 0.01, step, gradScale: 0.7 };
        native.adamw(p, g, m, v, decay, hp.lr, hp.beta1, hp.beta2, hp.eps, hp.weightDecay, step, hp.gradScale);
        ref = adamwRef(ref.p, g, ref.m, ref.v, decay, hp);
      }
      expectClose(p, ref.p, { atol: 1e-6, rtol: 1e-5 }, 'params');
      expectClose(m, ref.m, { atol: 1e-8, rtol: 1e-5 }, 'm');
      expectClose(v, ref.v, { atol: 1e-10, rtol: 1e-4 }, 'v');
    });
  }

  it('sumSquares in float64, the same for any thread count', () => {
    const rand = mulberry32(3);
    const x = randomF32(300_001, rand);
    let want = 0;
    for (const v of x) want += v * v;
    const saved = native.numThreads();
    native.setNumThreads(1);
    const one = native.sumSquares(x);
    native.setNumThreads(2);
    const two = native.sumSquares(x);
    native.setNumThreads(saved);
    expect(two).toBe(one);
    expect(Math.abs(one - want) / want).toBeLessThan(1e-6);
  });
});

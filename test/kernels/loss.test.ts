// Softmax cross-entropy (ignore index −100), BCE with logits, MSE and row softmax: losses against
// float64 references, gradients against finite differences of those references.
import { describe, it, expect, beforeAll } from 'vitest';
import { native } from '../../lib/native.js';
import { expectClose } from '../helpers/compare.js';
import { numericGrad } from '../helpers/finite-diff.js';
import { bceRef, crossEntropyRef, mseRef, softmaxRef } from '../helpers/reference.js';
import { mulberry32, randomF32, randomInts } from '../helpers/random.js';

describe.each(native.availableIsas())('losses on %s', (isa) => {
  beforeAll(() => native.setIsa(isa));

  for (const [R, V] of [[1, 2], [7, 5], [4, 33], [3, 1000]]) {
    it(`cross-entropy R=${R} V=${V} with ignored rows`, () => {
      const rand = mulberry32(R * 100 + V);
      const logits = randomF32(R * V, rand, 4), targets = randomInts(R, V, rand);
      if (R > 2) targets[1] = -100;
      const ref = crossEntropyRef(logits, targets, R, V);
      const d = new Float32Array(R * V), losses = new Float32Array(R);
      const scale = 0.5;
      const { loss, count } = native.softmaxCrossEntropy(d, losses, logits, targets, R, V, scale);
      expect(count).toBe(ref.count);
      expect(loss).toBeCloseTo(ref.loss, 5);
      expectClose(losses, ref.losses, { atol: 2e-6, rtol: 1e-5 }, 'per-row losses');
      const idx = Array.from({ length: Math.min(R * V, 120) }, (_, i) => Math.floor((i * R * V) / Math.min(R * V, 120)));
      const num = numericGrad((x) => crossEntropyRef(x, targets, R, V).loss * scale, logits, idx);
      expectClose(idx.map((i) => d[i]), idx.map((i) => num[i]), { atol: 1e-6, rtol: 1e-4 }, 'dlogits');
      if (R > 2) expect(Array.from(d.subarray(V, 2 * V))).toEqual(new Array(V).fill(0));
    });
  }

  it('cross-entropy over a 30522-word vocabulary', () => {
    const rand = mulberry32(8);
    const V = 30522, R = 2;
    const logits = randomF32(R * V, rand, 10), targets = Int32Array.from([5, 30521]);
    const { loss } = native.softmaxCrossEntropy(null, null, logits, targets, R, V, 1);
    expect(loss).toBeCloseTo(crossEntropyRef(logits, targets, R, V).loss, 4);
  });

  it('cross-entropy with every row ignored is NaN with zero gradient, as PyTorch', () => {
    const d = new Float32Array(6).fill(7);
    const r = native.softmaxCrossEntropy(d, null, new Float32Array(6), Int32Array.from([-100, -100]), 2, 3, 1);
    expect(r.loss).toBeNaN();
    expect(r.count).toBe(0);
    expect(Array.from(d)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('softmax rows', () => {
    const rand = mulberry32(9);
    const x = randomF32(5 * 77, rand, 20), out = new Float32Array(5 * 77);
    native.softmaxForward(out, x, 5, 77);
    expectClose(out, softmaxRef(x, 5, 77), { atol: 1e-7, rtol: 1e-5 });
  });

  it('BCE with logits and its gradient', () => {
    const rand = mulberry32(10);
    const x = randomF32(37, rand, 8), y = Float32Array.from({ length: 37 }, () => (rand() < 0.5 ? 0 : 1));
    const d = new Float32Array(37);
    const loss = native.bceWithLogits(d, x, y, 2);
    expect(loss).toBeCloseTo(bceRef(x, y), 5);
    expectClose(d, numericGrad((z) => 2 * bceRef(z, y), x), { atol: 1e-6, rtol: 1e-4 }, 'dlogits');
    expect(native.bceWithLogits(null, Float32Array.from([100]), Float32Array.from([1]), 1)).toBeLessThan(1e-30);
  });

  it('MSE and its gradient', () => {
    const rand = mulberry32(11);
    const x = randomF32(29, rand, 3), y = randomF32(29, rand, 3), d = new Float32Array(29);
    expect(native.mse(d, x, y, 1)).toBeCloseTo(mseRef(x, y), 5);
    expectClose(d, numericGrad((z) => mseRef(z, y), x), { atol: 1e-6, rtol: 1e-4 });
  });
});

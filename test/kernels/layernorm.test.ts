// LayerNorm and residual + LayerNorm against the float64 reference; backward (dx, dgamma, dbeta)
// against central finite differences.
import { describe, it, expect, beforeAll } from 'vitest';
import { native } from '../../lib/native.js';
import { expectClose } from '../helpers/compare.js';
import { numericGrad, weighted } from '../helpers/finite-diff.js';
import { layerNormRef } from '../helpers/reference.js';
import { mulberry32, randomF32 } from '../helpers/random.js';

const SHAPES: [number, number][] = [[1, 1], [3, 7], [5, 33], [4, 768], [130, 17]];

describe.each(native.availableIsas())('layernorm on %s', (isa) => {
  beforeAll(() => native.setIsa(isa));

  for (const [R, C] of SHAPES) {
    it(`forward R=${R} C=${C}`, () => {
      const rand = mulberry32(R * 31 + C);
      const x = randomF32(R * C, rand, 3);
      // A row with a large mean: E[x²] − mean² loses most digits of the 0.25 variance here (x² is
      // near 2500, ulp 2.4e-4), two-pass keeps them. A mean much larger than the spread is beyond
      // float32 itself (ulp(mean)/std bounds any fp32 LayerNorm, PyTorch's too).
      if (R > 1) for (let c = 0; c < C; c++) x[C + c] = 50 + x[C + c] * 0.5;
      const g = randomF32(C, rand), b = randomF32(C, rand);
      for (const eps of [1e-12, 1e-5]) {
        const out = new Float32Array(R * C), mean = new Float32Array(R), rstd = new Float32Array(R);
        native.layerNormForward(out, mean, rstd, x, g, b, R, C, eps);
        const ref = layerNormRef(x, g, b, R, C, eps);
        expectClose(mean, ref.mean, { atol: 1e-6, rtol: 1e-6 }, 'mean');
        expectClose(rstd, ref.rstd, { atol: 1e-6, rtol: 1e-4 }, 'rstd');
        expectClose(out, ref.out, { atol: 1e-4, rtol: 1e-4 }, 'out');
      }
    });

    it(`residual forward R=${R} C=${C}`, () => {
      const rand = mulberry32(R * 37 + C);
      const x = randomF32(R * C, rand), res = randomF32(R * C, rand);
      const g = randomF32(C, rand), b = randomF32(C, rand);
      const out = new Float32Array(R * C), sum = new Float32Array(R * C), mean = new Float32Array(R), rstd = new Float32Array(R);
      native.residualLayerNormForward(out, sum, mean, rstd, x, res, g, b, R, C, 1e-12);
      expect(sum).toEqual(Float32Array.from(x, (v, i) => v + res[i]));
      expectClose(out, layerNormRef(sum, g, b, R, C, 1e-12).out, { atol: 1e-5, rtol: 1e-4 });
      const out2 = new Float32Array(R * C);
      native.residualLayerNormForward(out2, null, null, null, x, res, g, b, R, C, 1e-12);
      expect(out2).toEqual(out);
    });

    it(`backward R=${R} C=${C} matches finite differences`, () => {
      if (C === 1) return; // a single column has zero variance: xhat is 0 and dx vanishes
      const rand = mulberry32(R * 41 + C);
      const n = R * C;
      const x = randomF32(n, rand), g = randomF32(C, rand), b = randomF32(C, rand), w = randomF32(n, rand);
      const eps = 1e-5;
      const out = new Float32Array(n), mean = new Float32Array(R), rstd = new Float32Array(R);
      native.layerNormForward(out, mean, rstd, x, g, b, R, C, eps);
      const dx = new Float32Array(n), dg0 = randomF32(C, rand), db0 = randomF32(C, rand);
      const dg = dg0.slice(), db = db0.slice();
      native.layerNormBackward(dx, dg, db, w, x, mean, rstd, g, R, C, false);
      const limit = Math.min(n, 200);
      const idx = Array.from({ length: limit }, (_, i) => Math.floor((i * n) / limit));
      const ndx = numericGrad((xx) => weighted(layerNormRef(xx, g, b, R, C, eps).out, w), x, idx);
      expectClose(idx.map((i) => dx[i]), idx.map((i) => ndx[i]), { atol: 2e-4, rtol: 2e-3 }, 'dx');
      const ndg = numericGrad((gg) => weighted(layerNormRef(x, gg, b, R, C, eps).out, w), g);
      const ndb = numericGrad((bb) => weighted(layerNormRef(x, g, bb, R, C, eps).out, w), b);
      expectClose(Array.from(dg, (v, i) => v - dg0[i]), ndg, { atol: 1e-4 * R, rtol: 1e-3 }, 'dgamma (accumulated)');
      expectClose(Array.from(db, (v, i) => v - db0[i]), ndb, { atol: 1e-4 * R, rtol: 1e-3 }, 'dbeta (accumulated)');
      // accumulate adds into dx
      const dx2 = Float32Array.from(dx);
      native.layerNormBackward(dx2, null, null, w, x, mean, rstd, g, R, C, true);
      expectClose(dx2, Array.from(dx, (v) => 2 * v), { atol: 1e-6, rtol: 1e-6 }, 'dx accumulate');
    });
  }
});

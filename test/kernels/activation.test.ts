// GELU (erf form) with its bias add, and tanh: forward against float64, backward against finite
// differences.
import { describe, it, expect, beforeAll } from 'vitest';
import { native } from '../../lib/native.js';
import { expectClose } from '../helpers/compare.js';
import { numericGrad } from '../helpers/finite-diff.js';
import { gelu } from '../helpers/reference.js';
import { mulberry32, randomF32 } from '../helpers/random.js';

describe.each(native.availableIsas())('activations on %s', (isa) => {
  beforeAll(() => native.setIsa(isa));

  it('biasGeluForward adds the bias and applies exact GELU', () => {
    const rand = mulberry32(1);
    for (const [R, C] of [[1, 1], [3, 37], [17, 100]]) {
      const pre0 = randomF32(R * C, rand, 6), bias = randomF32(C, rand);
      const pre = pre0.slice(), out = new Float32Array(R * C);
      native.biasGeluForward(out, pre, bias, R, C);
      const sum = Array.from(pre0, (v, i) => Math.fround(v + bias[i % C]));
      expect(Array.from(pre)).toEqual(sum);
      // A&S 7.1.26 erf is within 1.5e-7: gelu within ½|x|·1.5e-7 plus float rounding
      expectClose(out, sum.map(gelu), { atol: 1e-6, rtol: 1e-6 }, 'gelu');
      const noBias = pre0.slice(), out2 = new Float32Array(R * C);
      native.biasGeluForward(out2, noBias, null, R, C);
      expect(noBias).toEqual(pre0);
      expectClose(out2, Array.from(pre0, gelu), { atol: 1e-6, rtol: 1e-6 }, 'gelu without bias');
    }
  });

  it('gelu: known values (BERT uses the erf form, not the tanh approximation)', () => {
    const x = Float32Array.from([-3, -1, 0, 0.5, 1, 3]);
    const out = new Float32Array(6);
    native.biasGeluForward(out, x.slice(), null, 1, 6);
    // torch.nn.functional.gelu(x) (approximate='none')
    expectClose(out, [-0.0040496, -0.1586553, 0, 0.3457312, 0.8413447, 2.9959502], { atol: 1e-6 });
  });

  it('geluBackward matches finite differences', () => {
    const rand = mulberry32(2);
    const pre = randomF32(301, rand, 5), dout = randomF32(301, rand);
    const dpre = new Float32Array(301);
    native.geluBackward(dpre, dout, pre);
    const num = Array.from(pre, (v, i) => numericGrad((x) => gelu(x[0]), [v])[0] * dout[i]);
    expectClose(dpre, num, { atol: 2e-6, rtol: 1e-5 });
  });

  it('tanh forward and backward', () => {
    const rand = mulberry32(3);
    const x = randomF32(257, rand, 4);
    x[0] = 0; x[1] = 1e-4; x[2] = -0.05; x[3] = 20; x[4] = -20;
    const out = new Float32Array(257);
    native.tanhForward(out, x);
    expectClose(out, Array.from(x, Math.tanh), { atol: 2e-7, rtol: 2e-6 }, 'tanh');
    const dout = randomF32(257, rand), dx = new Float32Array(257);
    native.tanhBackward(dx, dout, out);
    const num = Array.from(x, (v, i) => numericGrad((z) => Math.tanh(z[0]), [v])[0] * dout[i]);
    expectClose(dx, num, { atol: 1e-6, rtol: 1e-5 }, 'dtanh');
  });

  it('NaN stays NaN through exp, tanh, GELU and softmax (it used to come out of tanh as ±1); ±Inf and huge values as before', () => {
    // 17 values: past one vector width, so the SIMD lanes and the scalar tail both see a NaN
    const x = Float32Array.from({ length: 17 }, (_, i) => [NaN, Infinity, -Infinity, 3e38, -3e38, 0.5, -0.01][i % 7]);
    const ref = (f: (v: number) => number) => Array.from(x, (v) => (Number.isNaN(v) ? NaN : f(v)));
    const t = new Float32Array(x.length);
    native.tanhForward(t, x);
    Array.from(t).forEach((v, i) => (Number.isNaN(ref(Math.tanh)[i]) ? expect(v, `tanh at ${i}`).toBeNaN() : expect(v).toBeCloseTo(ref(Math.tanh)[i], 6)));
    const pre = Float32Array.from(x), out = new Float32Array(x.length);
    native.biasGeluForward(out, pre, null, 1, x.length);
    Array.from(out).forEach((v, i) => (Number.isNaN(x[i]) ? expect(v, `gelu at ${i}`).toBeNaN() : expect(Number.isNaN(v)).toBe(Number.isNaN(gelu(x[i])))));
    // a softmax row with one NaN is NaN throughout; a row without one sums to 1
    const rows = Float32Array.from([1, NaN, 2, 3, 1, 2, 3, 4]), sm = new Float32Array(8);
    native.softmaxForward(sm, rows, 2, 4);
    for (let j = 0; j < 4; j++) expect(sm[j]).toBeNaN();
    expect(sm[4] + sm[5] + sm[6] + sm[7]).toBeCloseTo(1, 6);
  });
});

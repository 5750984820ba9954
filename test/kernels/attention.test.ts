// Fused self-attention against the float64 reference (forward, saved probabilities, dropout) and
// its backward against central finite differences of that reference.
import { describe, it, expect, beforeAll } from 'vitest';
import { native } from '../../lib/native.js';
import { expectClose } from '../helpers/compare.js';
import { numericGrad, weighted, probeIndices, pick } from '../helpers/finite-diff.js';
import { attentionRef, bf16Round } from '../helpers/reference.js';
import { mulberry32, randomF32 } from '../helpers/random.js';

const NEG = -3.4028234663852886e38; // torch.finfo(float32).min, HF's additive mask value

// [B, T, NH, HS]: odd sizes, a single token, one head, a head size past one vector.
const SHAPES: [number, number, number, number][] = [[2, 5, 2, 3], [1, 1, 1, 4], [1, 17, 3, 7], [3, 9, 2, 20]];

function makeMask(B: number, T: number, rand: () => number, fullyPadded = true): Float32Array {
  // batch 0 unpadded; later ones padded after a random length; batch 2 fully padded if asked
  const mask = new Float32Array(B * T);
  for (let b = 1; b < B; b++) {
    const len = b === 2 && fullyPadded ? 0 : 1 + Math.floor(rand() * T);
    for (let t = len; t < T; t++) mask[b * T + t] = NEG;
  }
  return mask;
}

describe.each(native.availableIsas())('attention on %s', (isa) => {
  beforeAll(() => native.setIsa(isa));

  for (const [B, T, NH, HS] of SHAPES) {
    const C = NH * HS;
    for (const p of [0, 0.3]) {
      it(`forward B=${B} T=${T} NH=${NH} HS=${HS} dropout=${p}`, () => {
        const rand = mulberry32(B * 7 + T * 131 + NH * 17 + HS + p * 1000);
        const qkv = randomF32(B * T * 3 * C, rand, 2);
        const mask = makeMask(B, T, rand);
        const seed = 12345n;
        const out = new Float32Array(B * T * C), probs = new Float32Array(B * NH * T * T);
        native.attentionForward(out, probs, qkv, mask, B, T, NH, HS, p, seed);
        const ref = attentionRef(qkv, mask, B, T, NH, HS, p, seed);
        expectClose(probs, ref.probs, { atol: 2e-6, rtol: 1e-5 }, 'probs');
        expectClose(out, ref.out, { atol: 2e-5, rtol: 1e-4 }, 'out');
        if (p === 0) {
          const inf = new Float32Array(B * T * C);
          native.attentionForward(inf, null, qkv, mask, B, T, NH, HS, 0, 0);
          expect(inf).toEqual(out);
        }
      });

      it(`backward B=${B} T=${T} NH=${NH} HS=${HS} dropout=${p} matches finite differences`, () => {
        const rand = mulberry32(B * 5 + T * 3 + NH * 11 + HS * 13 + p * 100);
        const qkv = randomF32(B * T * 3 * C, rand);
        // No fully padded sequence here: there s + finfo.min saturates even in float64, so finite
        // differences see a flat function, while the analytic softmax gradient (ours, and PyTorch
        // autograd's) is not zero. Those rows' outputs never reach a loss, so either is harmless.
        const mask = makeMask(B, T, rand, false);
        const seed = 777n;
        const w = randomF32(B * T * C, rand);
        const out = new Float32Array(B * T * C), probs = new Float32Array(B * NH * T * T);
        native.attentionForward(out, probs, qkv, mask, B, T, NH, HS, p, seed);
        const dqkv = new Float32Array(qkv.length).fill(NaN);
        native.attentionBackward(dqkv, w, probs, qkv, B, T, NH, HS, p, seed);
        const idx = probeIndices(qkv.length, 60, rand);
        const num = numericGrad((x) => weighted(attentionRef(x, mask, B, T, NH, HS, p, seed).out, w), qkv, idx);
        expectClose(pick(dqkv, idx), pick(num, idx), { atol: 1e-4, rtol: 1e-3 }, 'dqkv');
      });
    }
  }

  it('a fully padded sequence attends uniformly, as HF does with finfo.min', () => {
    const [B, T, NH, HS] = [1, 6, 1, 2];
    const rand = mulberry32(5);
    const qkv = randomF32(B * T * 3 * NH * HS, rand);
    const mask = new Float32Array(T).fill(NEG);
    const probs = new Float32Array(T * T);
    native.attentionForward(new Float32Array(T * NH * HS), probs, qkv, mask, B, T, NH, HS, 0, 0);
    expectClose(probs, new Float32Array(T * T).fill(1 / T), { atol: 1e-7 });
  });
});

// bf16 attention (`--dtype bf16` inference and mixed-precision training; int8 inference): QKᵀ, PV and
// the backward products round their operands to bf16 and sum in float32. Forward: the probabilities
// against the float64 reference on bf16-rounded Q and K (float32 softmax of float32 sums: 1e-5), the
// output within what rounding P and V to 8 bits allows (2⁻⁸ of Σ|p·v| ≤ max|v|); backward: the
// float32 kernel's gradients, in direction (cosine ≥ 0.999) and within 2% of their largest entry.
// Not fp32 in disguise, the same on one thread and on all.
describe.skipIf(!native.bf16Supported())('attention in bf16', () => {
  for (const [B, T, NH, HS] of [...SHAPES, [2, 128, 4, 64]] as [number, number, number, number][]) {
    const C = NH * HS;
    it(`forward and backward B=${B} T=${T} NH=${NH} HS=${HS}`, () => {
      const rand = mulberry32(B * 3 + T * 5 + NH * 7 + HS * 11);
      const qkv = randomF32(B * T * 3 * C, rand, 2);
      const mask = makeMask(B, T, rand, false);
      for (const p of [0, 0.3]) {
        const out = new Float32Array(B * T * C), probs = new Float32Array(B * NH * T * T);
        native.attentionForwardBf16(out, probs, qkv, mask, B, T, NH, HS, p, 9n);
        const ref = attentionRef(qkv.map(bf16Round), mask, B, T, NH, HS, p, 9n);
        expectClose(probs, ref.probs, { atol: 1e-5, rtol: 1e-4 }, 'probs');
        expectClose(out, ref.out, { atol: 2 * 2 ** -8 * (p > 0 ? 1 / (1 - p) : 1) * 1.5, rtol: 0 }, 'out');
        const out32 = new Float32Array(B * T * C);
        native.attentionForward(out32, new Float32Array(B * NH * T * T), qkv, mask, B, T, NH, HS, p, 9n);
        if (T > 1) expect(Math.max(...out.map((v, i) => Math.abs(v - out32[i])))).toBeGreaterThan(1e-6);
        const w = randomF32(B * T * C, rand);
        const d16 = new Float32Array(qkv.length), d32 = new Float32Array(qkv.length);
        native.attentionBackwardBf16(d16, w, probs, qkv, B, T, NH, HS, p, 9n);
        native.attentionBackward(d32, w, probs, qkv, B, T, NH, HS, p, 9n);
        let dot = 0, aa = 0, bb = 0, big = 0;
        for (let i = 0; i < d32.length; i++) (dot += d16[i] * d32[i]), (aa += d16[i] ** 2), (bb += d32[i] ** 2), (big = Math.max(big, Math.abs(d32[i])));
        if (bb > 0) expect(dot / Math.sqrt(aa * bb)).toBeGreaterThan(0.999);
        expectClose(d16, d32, { atol: 2e-2 * big, rtol: 0 }, 'backward');
        const saved = native.numThreads();
        native.setNumThreads(1);
        const one = new Float32Array(B * T * C);
        native.attentionForwardBf16(one, new Float32Array(B * NH * T * T), qkv, mask, B, T, NH, HS, p, 9n);
        native.setNumThreads(saved);
        expect(one).toEqual(out);
      }
    });
  }
});

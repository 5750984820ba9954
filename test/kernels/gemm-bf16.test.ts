// The bf16 GEMMs — inference (`--dtype bf16` on predict…) and mixed-precision training (`--dtype
// bf16` on pretrain/finetune) — against the float64 reference run on bf16-rounded
// inputs: with the rounding of A and W taken out, what is left is float32 summation, so the
// tolerance is the fp32 GEMM's, tight enough to catch any misplaced pair or panel. Runs where the
// CPU has AVX512_BF16; elsewhere gemmBf16 must refuse (and the encoder falls back to fp32).
import { describe, it, expect } from 'vitest';
import { native } from '../../lib/native.js';
import { expectClose } from '../helpers/compare.js';
import { bf16Round, gelu, gemmRef } from '../helpers/reference.js';
import { mulberry32, randomF32 } from '../helpers/random.js';

const supported = native.bf16Supported();

// Off every multiple of the 8×48 tile, K odd (a padded pair), K past the 1,024-deep k-block (C
// accumulated over blocks), N past the ~2,000-column block, M > N and N > M (rows or columns
// split over threads), and a size 1.
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [1, 17, 3], [15, 1, 7], [13, 37, 29], [29, 33, 300], [100, 70, 513], [3, 2100, 5],
  [47, 95, 1], [9, 2100, 260], [300, 49, 2100], [130, 96, 1024], [64, 768, 768],
];

const tolFor = (K: number) => ({ atol: 2e-6 * Math.max(K, 8), rtol: 1e-5 });

function packed(W: Float32Array, N: number, K: number): Uint16Array {
  const p = new Uint16Array(native.bf16PackedLength(N, K));
  native.bf16Pack(p, W, N, K);
  return p;
}

describe.skipIf(!supported)('gemmBf16 (AVX512_BF16)', () => {
  for (const [M, N, K] of SHAPES) {
    it(`M=${M} N=${N} K=${K}`, () => {
      const rand = mulberry32(M * 7919 + N * 104729 + K);
      const A = randomF32(M * K, rand), W = randomF32(N * K, rand), bias = randomF32(N, rand);
      const Wp = packed(W, N, K);
      const want = gemmRef(false, true, M, N, K, 1, A.map(bf16Round), W.map(bf16Round), 0, new Float32Array(M * N), bias);
      const saved = native.numThreads();
      const results: Float32Array[] = [];
      for (const threads of [1, saved]) {
        native.setNumThreads(threads);
        const C = new Float32Array(M * N).fill(NaN); // never read: the first k-block writes C
        native.gemmBf16(M, N, K, A, Wp, C, bias, false);
        expectClose(C, want, tolFor(K), `threads=${threads}`);
        results.push(C);
      }
      native.setNumThreads(saved);
      // every element summed in the same order whatever the thread count
      expect(Buffer.from(results[1].buffer).equals(Buffer.from(results[0].buffer))).toBe(true);
      const noBias = new Float32Array(M * N);
      native.gemmBf16(M, N, K, A, Wp, noBias, null, false);
      expectClose(noBias, gemmRef(false, true, M, N, K, 1, A.map(bf16Round), W.map(bf16Round), 0, noBias, null), tolFor(K), 'no bias');
      // GELU in the epilogue: after the last k-block, on the sum with the bias
      const act = new Float32Array(M * N);
      native.gemmBf16(M, N, K, A, Wp, act, bias, true);
      expectClose(act, want.map(gelu), { atol: tolFor(K).atol + 1e-6, rtol: 1e-5 }, 'gelu');
    });
  }

  it('rounds to nearest even, as vcvtneps2bf16: ties, carries into the exponent, NaN', () => {
    // 1 + 2⁻⁸ is a tie between 1 and 1 + 2⁻⁷ → 1 (even); 1 + 3·2⁻⁸ → 1 + 2⁻⁶; just under 2 → 2
    const xs = [1 + 2 ** -8, 1 + 3 * 2 ** -8, 2 - 2 ** -20, -0.1, 3.14159, 65504];
    const K = xs.length;
    const A = Float32Array.from(xs), W = new Float32Array(K);
    for (let k = 0; k < K; k++) {
      W.fill(0);
      W[k] = 1;
      const C = new Float32Array(1);
      native.gemmBf16(1, 1, K, A, packed(W, 1, K), C, null, false);   // picks A[k]·1: the rounding of A
      const C2 = new Float32Array(1);
      native.gemmBf16(1, 1, K, W, packed(A, 1, K), C2, null, false);  // and of the packed weight
      expect([C[0], C2[0]]).toEqual([bf16Round(xs[k]), bf16Round(xs[k])]);
    }
    expect(bf16Round(1 + 2 ** -8)).toBe(1);
    expect(bf16Round(1 + 3 * 2 ** -8)).toBe(1 + 2 ** -6);
    expect(bf16Round(2 - 2 ** -20)).toBe(2);
  });

  it('checks lengths and types at the boundary', () => {
    const W = new Float32Array(6 * 4), A = new Float32Array(2 * 4), C = new Float32Array(2 * 6);
    const Wp = packed(W, 6, 4);
    expect(Wp.length).toBe(48 * 4);
    expect(native.bf16PackedLength(49, 3)).toBe(96 * 4);
    expect(() => native.gemmBf16(2, 6, 4, A, Wp.subarray(1), C, null, false)).toThrow(/Wp.*length/);
    expect(() => native.gemmBf16(2, 6, 4, A, new Float32Array(Wp.length) as never, C, null, false)).toThrow(TypeError);
    expect(() => native.gemmBf16(2, 6, 4, A.subarray(1), Wp, C, null, false)).toThrow(/A.*length/);
    expect(() => native.gemmBf16(2, 6, 4, A, Wp, C, new Float32Array(5), false)).toThrow(/bias/);
    expect(() => native.bf16Pack(Wp, W.subarray(1), 6, 4)).toThrow(/W.*length/);
    expect(() => native.bf16PackedLength(0, 4)).toThrow(RangeError);
    expect(() => native.gemmBf16(2, 6, 4, A, Wp, C, null, 1 as never)).toThrow(TypeError);
  });
});

// The training GEMM packs op(B) on every call, from rows (B) or from a weight's rows (Bᵀ), and reads
// op(A) by rows or by columns (Aᵀ: the weight gradient dYᵀ·X); α, β and the bias as gemm's.
const MIXED: [number, number, number][] = [
  [1, 1, 1], [13, 37, 29], [29, 33, 300], [100, 70, 513], [3, 2100, 5], [47, 95, 1],
  [300, 49, 2100], [9, 130, 3000], [7, 9, 33],
];

describe.skipIf(!supported)('gemmBf16Mixed (AVX512_BF16)', () => {
  for (const [M, N, K] of MIXED) {
    for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]]) {
      it(`M=${M} N=${N} K=${K} transA=${ta} transB=${tb}`, () => {
        const rand = mulberry32(M * 31 + N * 17 + K + (ta ? 5 : 0) + (tb ? 11 : 0));
        const A = randomF32(M * K, rand), B = randomF32(K * N, rand), bias = randomF32(N, rand);
        const C0 = randomF32(M * N, rand);
        const Ar = A.map(bf16Round), Br = B.map(bf16Round);
        const saved = native.numThreads();
        const results: Float32Array[] = [];
        for (const threads of [1, saved]) {
          native.setNumThreads(threads);
          // C = op(A)·op(B) + bias, C never read (β = 0)
          const C = new Float32Array(M * N).fill(NaN);
          native.gemmBf16Mixed(ta, tb, M, N, K, 1, A, B, 0, C, bias);
          expectClose(C, gemmRef(ta, tb, M, N, K, 1, Ar, Br, 0, new Float32Array(M * N), bias), tolFor(K), `threads=${threads}`);
          results.push(C);
        }
        native.setNumThreads(saved);
        expect(Buffer.from(results[1].buffer).equals(Buffer.from(results[0].buffer))).toBe(true);
        // accumulation, as the weight gradients and dX += … use it; and a scaled product
        const acc = C0.slice();
        native.gemmBf16Mixed(ta, tb, M, N, K, 1, A, B, 1, acc, null);
        expectClose(acc, gemmRef(ta, tb, M, N, K, 1, Ar, Br, 1, C0.slice(), null), tolFor(K), 'beta=1');
        const scaled = C0.slice();
        native.gemmBf16Mixed(ta, tb, M, N, K, -0.5, A, B, 0.25, scaled, bias);
        expectClose(scaled, gemmRef(ta, tb, M, N, K, -0.5, Ar, Br, 0.25, C0.slice(), bias), tolFor(K), 'alpha, beta');
      });
    }
  }

  it('rounds both operands (not float32 products), and the same way as the inference packing', () => {
    const M = 5, N = 50, K = 40;
    const rand = mulberry32(99);
    const A = randomF32(M * K, rand), W = randomF32(N * K, rand);
    const inference = new Float32Array(M * N), mixed = new Float32Array(M * N), fp32 = new Float32Array(M * N);
    native.gemmBf16(M, N, K, A, packed(W, N, K), inference, null, false);
    native.gemmBf16Mixed(false, true, M, N, K, 1, A, W, 0, mixed, null);
    native.gemm(false, true, M, N, K, 1, A, W, 0, fp32, null);
    expect(Buffer.from(mixed.buffer).equals(Buffer.from(inference.buffer))).toBe(true);
    expect(Buffer.from(mixed.buffer).equals(Buffer.from(fp32.buffer))).toBe(false);
  });

  it('checks lengths at the boundary', () => {
    const A = new Float32Array(2 * 4), B = new Float32Array(4 * 6), C = new Float32Array(2 * 6);
    expect(() => native.gemmBf16Mixed(false, false, 2, 6, 4, 1, A.subarray(1), B, 0, C, null)).toThrow(/A.*length/);
    expect(() => native.gemmBf16Mixed(false, false, 2, 6, 4, 1, A, B.subarray(1), 0, C, null)).toThrow(/B.*length/);
    expect(() => native.gemmBf16Mixed(false, false, 2, 6, 4, 1, A, B, 0, C.subarray(1), null)).toThrow(/C.*length/);
    expect(() => native.gemmBf16Mixed(false, false, 2, 6, 4, 1, A, B, 0, C, new Float32Array(5))).toThrow(/bias/);
    expect(() => native.gemmBf16Mixed(false, false, -1, 6, 4, 1, A, B, 0, C, null)).toThrow(RangeError);
    const empty = Float32Array.of(1, 2);  // K = 0: β·C + bias, as gemm
    native.gemmBf16Mixed(false, false, 1, 2, 0, 1, new Float32Array(0), new Float32Array(0), 2, empty, Float32Array.of(1, 1));
    expect([...empty]).toEqual([3, 5]);
  });
});

describe.skipIf(supported)('gemmBf16 without AVX512_BF16', () => {
  it('refuses with a message, so callers keep fp32', () => {
    expect(() => native.gemmBf16(1, 1, 1, new Float32Array(1), new Uint16Array(native.bf16PackedLength(1, 1)), new Float32Array(1), null, false)).toThrow(/AVX512_BF16/);
    expect(() => native.gemmBf16Mixed(false, false, 1, 1, 1, 1, new Float32Array(1), new Float32Array(1), 0, new Float32Array(1), null)).toThrow(/AVX512_BF16/);
  });
});

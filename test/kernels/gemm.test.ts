// GEMM and the bias gradient against the float64 reference, on every instruction set this CPU runs.
import { describe, it, expect, beforeAll } from 'vitest';
import { native } from '../../lib/native.js';
import { expectClose } from '../helpers/compare.js';
import { gemmRef } from '../helpers/reference.js';
import { mulberry32, randomF32 } from '../helpers/random.js';

// Sizes off every multiple of the tile (8×48 on AVX-512, 6×16 on AVX2, 4×8 portable), size 1,
// a K past the 256-deep k-block, and an N past the ~2048-wide column block with a full k-block
// (the case where packing fills the most buffer).
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [1, 17, 3], [15, 1, 7], [13, 37, 29], [29, 33, 300], [100, 70, 513], [3, 2100, 5], [47, 95, 1],
  [9, 2100, 260],
];

// fp32 sums of K products of values in [−1, 1]: error grows like √K·2⁻²⁴; 2e-6·K is a safe bound
// that still catches a wrong index (which gives O(1) errors).
const tolFor = (K: number) => ({ atol: 2e-6 * Math.max(K, 8), rtol: 1e-5 });

describe.each(native.availableIsas())('gemm on %s', (isa) => {
  beforeAll(() => native.setIsa(isa));

  for (const [M, N, K] of SHAPES) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        it(`M=${M} N=${N} K=${K} ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'}`, () => {
          const rand = mulberry32(M * 1000003 + N * 1009 + K * 7 + (ta ? 1 : 0) + (tb ? 2 : 0));
          const A = randomF32(M * K, rand), B = randomF32(K * N, rand);
          const C0 = randomF32(M * N, rand), bias = randomF32(N, rand);
          const saved = native.numThreads();
          // one thread sees the whole N (the threaded split hands each thread a part of it)
          for (const threads of [1, saved]) {
            native.setNumThreads(threads);
            for (const [alpha, beta, withBias] of [[1, 0, false], [0.5, 1, true], [-2, 0.25, false]] as const) {
              const C = C0.slice();
              native.gemm(ta, tb, M, N, K, alpha, A, B, beta, C, withBias ? bias : null);
              const want = gemmRef(ta, tb, M, N, K, alpha, A, B, beta, C0, withBias ? bias : null);
              expectClose(C, want, tolFor(K * Math.abs(alpha)), `threads=${threads} alpha=${alpha} beta=${beta}`);
            }
          }
          native.setNumThreads(saved);
        });
      }
    }
  }

  it('beta = 0 never reads C (NaN in C does not leak)', () => {
    const rand = mulberry32(7);
    const [M, N, K] = [19, 45, 31];
    const A = randomF32(M * K, rand), B = randomF32(K * N, rand);
    const C = new Float32Array(M * N).fill(NaN);
    native.gemm(false, true, M, N, K, 1, A, B, 0, C, null);
    expectClose(C, gemmRef(false, true, M, N, K, 1, A, B, 0, C, null), tolFor(K));
  });

  it('K = 0 gives beta·C + bias', () => {
    const C = Float32Array.from([1, 2, 3, 4, 5, 6]);
    native.gemm(false, false, 2, 3, 0, 1, new Float32Array(0), new Float32Array(0), 2, C, Float32Array.from([10, 20, 30]));
    expect(Array.from(C)).toEqual([12, 24, 36, 18, 30, 42]);
  });

  it('biasBackward adds column sums', () => {
    const rand = mulberry32(11);
    for (const [R, N] of [[1, 1], [7, 33], [130, 17], [3, 1000]]) {
      const dy = randomF32(R * N, rand), db0 = randomF32(N, rand), db = db0.slice();
      native.biasBackward(db, dy, R, N);
      const want = Array.from(db0, (v, j) => {
        let s = v;
        for (let r = 0; r < R; r++) s += dy[r * N + j];
        return s;
      });
      expectClose(db, want, { atol: 1e-5 * R }, `R=${R} N=${N}`);
    }
  });
});

describe('gemm threads', () => {
  // The built-in GEMM sums every output in the same order whatever the split: bit-identical results.
  // A system BLAS (BERT_USE_BLAS builds) promises less: the same up to rounding.
  const blas = native.buildInfo().blas;
  it(blas ? 'with the system BLAS, agrees to rounding for 1 and 2 threads' : 'gives bit-identical results for 1, 2 and 3 threads', () => {
    const rand = mulberry32(3);
    const [M, N, K] = [301, 203, 777];
    const A = randomF32(M * K, rand), B = randomF32(K * N, rand);
    const saved = native.numThreads();
    const counts = blas ? [1, 2] : [1, 2, 3];
    const results: Float32Array[][] = [];
    for (const t of counts) {
      native.setNumThreads(t);
      const pair: Float32Array[] = [];
      for (const [ta, tb] of [[false, true], [true, false]] as const) {
        const C = new Float32Array(M * N);
        native.gemm(ta, tb, M, N, K, 1, A, B, 0, C, null);
        pair.push(C);
      }
      results.push(pair);
    }
    native.setNumThreads(saved);
    for (const r of results.slice(1)) {
      for (const v of [0, 1]) {
        if (blas) expectClose(r[v], results[0][v], tolFor(K), `threads vs 1 thread`);
        else expect(r[v]).toEqual(results[0][v]);
      }
    }
  });
});

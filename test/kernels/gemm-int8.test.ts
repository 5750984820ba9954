// The int8 GEMM (`--dtype int8` on predict…) against references that share none of its code: the
// quantizers against a TypeScript transcription of their arithmetic (float32 via Math.fround, round
// half to even), bit for bit; the GEMM against float64 sums of the same quantized values,
// s_a·s_w·Σ (q_a − z)·q_w + bias — the int32 sums are exact, so what is left is the float32 epilogue,
// and a tolerance a fraction of one quantum (s_a·s_w) catches any sum off by one. Runs where the
// CPU has AVX512-VNNI; elsewhere gemmInt8 must refuse (and the encoder falls back to fp32).
import { describe, it, expect } from 'vitest';
import { native } from '../../lib/native.js';
import { gelu, gemmRef } from '../helpers/reference.js';
import { mulberry32, randomF32 } from '../helpers/random.js';

const supported = native.int8Supported();
const f = Math.fround;
const rne = (x: number) => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

function quantizeWeightsRef(W: Float32Array, N: number, K: number) {
  const q = new Int8Array(N * K), scale = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let amax = 0;
    for (let k = 0; k < K; k++) amax = Math.max(amax, Math.abs(W[n * K + k]));
    const s = f(amax / 127);
    scale[n] = s;
    for (let k = 0; k < K; k++) q[n * K + k] = s > 0 ? clamp(rne(f(W[n * K + k] / s)), -127, 127) : 0;
  }
  return { q, scale };
}

function quantizeRowsRef(A: Float32Array, M: number, K: number) {
  const q = new Uint8Array(M * K), scale = new Float32Array(M), zero = new Int32Array(M);
  for (let i = 0; i < M; i++) {
    let lo = 0, hi = 0;
    for (let k = 0; k < K; k++) (lo = Math.min(lo, A[i * K + k])), (hi = Math.max(hi, A[i * K + k]));
    let s = f(f(hi - lo) / 255);
    if (s === 0) s = 1;
    const z = clamp(rne(f(-lo / s)), 0, 255);
    scale[i] = s;
    zero[i] = z;
    for (let k = 0; k < K; k++) q[i * K + k] = clamp(rne(f(A[i * K + k] / s)) + z, 0, 255);
  }
  return { q, scale, zero };
}

/** float64 C = s_a·s_w·Σ (q_a − z)·q_w + bias from the reference quantizers. */
function gemmInt8Ref(A: Float32Array, W: Float32Array, M: number, N: number, K: number, bias: Float32Array | null) {
  const a = quantizeRowsRef(A, M, K), w = quantizeWeightsRef(W, N, K);
  const C = new Float64Array(M * N), quantum = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (a.q[i * K + k] - a.zero[i]) * w.q[n * K + k];
      quantum[i * N + n] = a.scale[i] * w.scale[n];
      C[i * N + n] = quantum[i * N + n] * s + (bias ? bias[n] : 0);
    }
  return { C, quantum };
}

function packed(W: Float32Array, N: number, K: number): Uint8Array {
  const p = new Uint8Array(native.int8PackedLength(N, K));
  native.int8Pack(p, W, N, K);
  return p;
}

/** |got − want| below a third of a quantum plus float32 rounding of the result. */
function expectWithinQuantum(got: Float32Array, want: Float64Array, quantum: Float64Array, what: string) {
  let worst = -1, at = -1;
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - want[i]) - (quantum[i] / 3 + 2e-7 * Math.abs(want[i]) + 1e-30);
    if (!(err <= 0) && err > worst) (worst = err), (at = i);
  }
  expect(at, `${what}: element ${at} is ${got[at]}, the float64 sum of the quantized values ${want[at]}`).toBe(-1);
}

// Off every multiple of the 8×48 tile; K not a multiple of 4 (a padded quad); M > N and N > M (rows
// or columns over threads); more rows than one MC block; BERT-base's shapes; a size 1.
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [1, 17, 3], [15, 1, 7], [13, 37, 29], [29, 33, 300], [100, 70, 513], [3, 2100, 5],
  [47, 95, 1], [9, 2100, 262], [300, 49, 2100], [130, 96, 1026], [64, 768, 768], [20, 768, 3072],
];

describe('int8 quantization (portable code) against its transcription', () => {
  it('weights: symmetric per output channel; rows: asymmetric uint8 with a zero point', () => {
    const rand = mulberry32(8);
    for (const [N, K] of [[1, 1], [7, 13], [48, 100], [3, 1000]]) {
      const W = randomF32(N * K, rand, 3);
      W[0] = 0.5 * (W[1] ?? 1); // a tie-prone value among them
      const q = new Int8Array(N * K), s = new Float32Array(N);
      native.int8QuantizeWeights(W, N, K, q, s);
      const ref = quantizeWeightsRef(W, N, K);
      expect([...q]).toEqual([...ref.q]);
      expect([...s]).toEqual([...ref.scale]);
      // rows: signed, all-positive (the zero point 0), all-negative (255), all-zero (scale 1)
      const A = randomF32(N * K, rand, 2);
      if (N > 2) for (let k = 0; k < K; k++) (A[k] = Math.abs(A[k])), (A[K + k] = -Math.abs(A[K + k])), (A[2 * K + k] = 0);
      const qa = new Uint8Array(N * K), sa = new Float32Array(N), za = new Int32Array(N);
      native.int8QuantizeRows(A, N, K, qa, sa, za);
      const r = quantizeRowsRef(A, N, K);
      expect([...qa]).toEqual([...r.q]);
      expect([...sa]).toEqual([...r.scale]);
      expect([...za]).toEqual([...r.zero]);
      if (N > 2) expect([za[0], za[1], sa[2]]).toEqual([0, 255, 1]);
    }
  });
});

describe.skipIf(!supported)('gemmInt8 (AVX512-VNNI)', () => {
  for (const [M, N, K] of SHAPES) {
    it(`M=${M} N=${N} K=${K}`, () => {
      const rand = mulberry32(M * 7919 + N * 104729 + K);
      const A = randomF32(M * K, rand), W = randomF32(N * K, rand, 0.1), bias = randomF32(N, rand);
      const Wp = packed(W, N, K);
      const { C: want, quantum } = gemmInt8Ref(A, W, M, N, K, bias);
      const saved = native.numThreads();
      const results: Float32Array[] = [];
      for (const threads of [1, saved]) {
        native.setNumThreads(threads);
        const C = new Float32Array(M * N).fill(NaN);
        native.gemmInt8(M, N, K, A, Wp, C, bias, false);
        expectWithinQuantum(C, want, quantum, `threads=${threads}`);
        results.push(C);
      }
      native.setNumThreads(saved);
      expect(Buffer.from(results[1].buffer).equals(Buffer.from(results[0].buffer))).toBe(true);
      const act = new Float32Array(M * N);
      native.gemmInt8(M, N, K, A, Wp, act, bias, true);
      const g = want.map(gelu);
      for (let i = 0; i < act.length; i++) expect(Math.abs(act[i] - g[i])).toBeLessThanOrEqual(quantum[i] / 3 + 2e-6 * Math.max(1, Math.abs(g[i])));
      // and near the float32 product it stands for: quantization error, not a wrong answer
      if (K >= 256) {
        const exact = gemmRef(false, true, M, N, K, 1, A, W, 0, new Float32Array(M * N), bias);
        let dot = 0, nn = 0, mm = 0;
        for (let i = 0; i < exact.length; i++) (dot += exact[i] * results[0][i]), (nn += exact[i] ** 2), (mm += results[0][i] ** 2);
        expect(dot / Math.sqrt(nn * mm)).toBeGreaterThan(0.999);
      }
    });
  }

  it('quantizes activations at and next to halves exactly as x / s (the kernel multiplies by 1/s and divides where that could round otherwise)', () => {
    // rows of (j + ½)·s and their float neighbours, with 0 and 255·s in them so that s is the scale the
    // quantizer computes; read back through W = I (C = s_a·(q − z), one column per value)
    const K = 64, M = 200, rand = mulberry32(77);
    const A = new Float32Array(M * K);
    for (let i = 0; i < M; i++) {
      const hi = f(255 * (0.001 + rand() * 3));
      const s = f(hi / 255);
      A[i * K] = 0;
      A[i * K + 1] = hi;
      for (let k = 2; k < K; k++) {
        const x = f((Math.floor(rand() * 255) + 0.5) * s);
        const nudge = [0, 1, -1][k % 3] * x * 2 ** -23;
        A[i * K + k] = f(x + nudge);
      }
    }
    const I = new Float32Array(K * K);
    for (let k = 0; k < K; k++) I[k * K + k] = 1;
    const C = new Float32Array(M * K);
    native.gemmInt8(M, K, K, A, packed(I, K, K), C, null, false);
    const ref = quantizeRowsRef(A, M, K);
    let ties = 0;
    for (let i = 0; i < M; i++)
      for (let k = 0; k < K; k++) {
        const q = Math.round(C[i * K + k] / ref.scale[i]) + ref.zero[i];
        expect(q, `row ${i} column ${k}: ${A[i * K + k]} / ${ref.scale[i]}`).toBe(ref.q[i * K + k]);
        if (Math.abs((f(A[i * K + k] / ref.scale[i]) % 1) - 0.5) < 1e-6) ties++;
      }
    expect(ties).toBeGreaterThan(1000); // the case is really there
  });

  it('a row with NaN or Inf gives NaN in that row only, never a finite guess', () => {
    const M = 3, N = 50, K = 20, rand = mulberry32(5);
    const A = randomF32(M * K, rand), W = randomF32(N * K, rand);
    A[K + 3] = NaN;
    A[2 * K + 7] = Infinity;
    const C = new Float32Array(M * N);
    native.gemmInt8(M, N, K, A, packed(W, N, K), C, null, false);
    expect(C.slice(0, N).every(Number.isFinite)).toBe(true);
    expect(C.slice(N).every(Number.isNaN)).toBe(true);
  });

  it('checks its arguments at the boundary', () => {
    const W = new Float32Array(6);
    expect(() => native.gemmInt8(1, 2, 3, new Float32Array(3), new Uint8Array(5), new Float32Array(2), null, false)).toThrow(/int8PackedLength\(N, K\)\) for Wp/);
    expect(() => native.gemmInt8(1, 2, 3, new Float32Array(2), packed(W, 2, 3), new Float32Array(2), null, false)).toThrow(/\(M·K\) for A/);
    expect(() => native.int8Pack(new Uint8Array(1), W, 2, 3)).toThrow(/for dst/);
  });
});

describe.skipIf(supported)('gemmInt8 without AVX512-VNNI', () => {
  it('refuses, naming the instruction set', () => {
    expect(() => native.gemmInt8(1, 1, 1, new Float32Array(1), new Uint8Array(native.int8PackedLength(1, 1)), new Float32Array(1), null, false)).toThrow(/AVX512-VNNI/);
  });
});

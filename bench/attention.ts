// Fused attention against the time of the GEMMs it holds, run as separate per-(batch, head) calls
// on contiguous copies (two for forward: Q·Kᵀ and P·V; four for backward), at BERT-base's head
// shape. The ratio says what the mask, softmax, dropout and strided access cost on top.
import { native } from '../lib/native.js';
import { compare } from './timing.js';
import type { Row } from './table.js';

export function benchAttention(opts: { quick: boolean }): { rows: Row[]; raw: unknown[] } {
  const [T, NH, HS] = [128, 12, 64];
  const C = NH * HS;
  const rows: Row[] = [];
  const raw: unknown[] = [];
  for (const B of opts.quick ? [8] : [1, 8]) {
    const qkv = new Float32Array(B * T * 3 * C).map((_, i) => ((i * 7) % 13) / 13 - 0.5);
    const out = new Float32Array(B * T * C), dout = out.slice().fill(0.01);
    const probs = new Float32Array(B * NH * T * T), dqkv = new Float32Array(qkv.length);
    const mask = new Float32Array(B * T);
    const q = new Float32Array(T * HS).fill(0.1), k = q.slice(), v = q.slice(), o = q.slice();
    const s = new Float32Array(T * T), dS = s.slice();
    const pairs = B * NH;
    const gemmsForward = () => {
      for (let p = 0; p < pairs; p++) {
        native.gemm(false, true, T, T, HS, 0.125, q, k, 0, s, null);
        native.gemm(false, false, T, HS, T, 1, s, v, 0, o, null);
      }
    };
    const gemmsBackward = () => {
      for (let p = 0; p < pairs; p++) {
        native.gemm(true, false, T, HS, T, 1, s, o, 0, v, null);     // dV = Pᵀ·dO
        native.gemm(false, true, T, T, HS, 1, o, v, 0, dS, null);    // dP = dO·Vᵀ
        native.gemm(false, false, T, HS, T, 0.125, dS, k, 0, q, null); // dQ = dS·K
        native.gemm(true, false, T, HS, T, 0.125, dS, q, 0, k, null);  // dK = dSᵀ·Q
      }
    };
    const t = compare({
      'attention fwd (inference)': () => native.attentionForward(out, null, qkv, mask, B, T, NH, HS, 0, 0),
      'attention fwd (training, dropout 0.1)': () => native.attentionForward(out, probs, qkv, mask, B, T, NH, HS, 0.1, 1),
      'attention bwd (dropout 0.1)': () => native.attentionBackward(dqkv, dout, probs, qkv, B, T, NH, HS, 0.1, 1),
      'its 2 GEMMs': gemmsForward,
      'its 4 GEMMs': gemmsBackward,
    }, { rounds: opts.quick ? 3 : 5 });
    const flopsF = pairs * 2 * (2 * T * T * HS);
    const f = t['its 2 GEMMs'].best, b = t['its 4 GEMMs'].best;
    for (const [name, base, flops] of [
      ['attention fwd (inference)', f, flopsF],
      ['attention fwd (training, dropout 0.1)', f, flopsF],
      ['attention bwd (dropout 0.1)', b, 2 * flopsF],
    ] as const) {
      rows.push({
        B, T, NH, HS, kernel: name,
        ms: t[name].best * 1e3,
        'GEMMs alone ms': base * 1e3,
        'ratio (target ≤ 1.5)': t[name].best / base,
        'GFLOP/s': flops / t[name].best / 1e9,
      });
      raw.push({ B, T, NH, HS, kernel: name, s: t[name].best, gemms_s: base });
    }
  }
  return { rows, raw };
}

// Plain float64 TypeScript references for every native kernel: straight loops over the formulas of
// native/include/bert/kernels.h, with no blocking, no SIMD and no shared code with the engine.
import { dropoutKeeps } from '../../lib/rng.js';

type Num = ArrayLike<number>;

export function gemmRef(ta: boolean, tb: boolean, M: number, N: number, K: number, alpha: number,
                        A: Num, B: Num, beta: number, C0: Num, bias: Num | null): Float64Array {
  const C = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (ta ? A[k * M + i] : A[i * K + k]) * (tb ? B[j * K + k] : B[k * N + j]);
      C[i * N + j] = alpha * s + (beta === 0 ? 0 : beta * C0[i * N + j]) + (bias ? bias[j] : 0);
    }
  }
  return C;
}

export function erf(x: number): number {
  // float64 erf by its Maclaurin series below 3 and the asymptotic continued fraction above.
  const ax = Math.abs(x);
  let r: number;
  if (ax < 3) {
    let term = ax, sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    let f = 0;
    for (let n = 60; n >= 1; n--) f = n / 2 / (ax + f);
    r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  }
  return x < 0 ? -r : r;
}

export const gelu = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));

export function attentionRef(qkv: Num, mask: Num | null, B: number, T: number, NH: number, HS: number,
                             p: number, seed: bigint): { out: Float64Array; probs: Float64Array } {
  const C = NH * HS;
  const out = new Float64Array(B * T * C);
  const probs = new Float64Array(B * NH * T * T);
  const scale = 1 / Math.sqrt(HS);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      const bh = b * NH + h;
      for (let i = 0; i < T; i++) {
        const s = new Float64Array(T);
        for (let j = 0; j < T; j++) {
          let d = 0;
          for (let e = 0; e < HS; e++) d += qkv[(b * T + i) * 3 * C + h * HS + e] * qkv[(b * T + j) * 3 * C + C + h * HS + e];
          s[j] = d * scale + (mask ? mask[b * T + j] : 0);
        }
        const m = Math.max(...s);
        let z = 0;
        for (let j = 0; j < T; j++) z += Math.exp(s[j] - m);
        for (let j = 0; j < T; j++) probs[(bh * T + i) * T + j] = Math.exp(s[j] - m) / z;
        for (let e = 0; e < HS; e++) {
          let o = 0;
          for (let j = 0; j < T; j++) {
            const idx = (bh * T + i) * T + j;
            const pd = p > 0 ? (dropoutKeeps(seed, idx, p) ? probs[idx] / (1 - p) : 0) : probs[idx];
            o += pd * qkv[(b * T + j) * 3 * C + 2 * C + h * HS + e];
          }
          out[(b * T + i) * C + h * HS + e] = o;
        }
      }
    }
  }
  return { out, probs };
}

export function layerNormRef(x: Num, gamma: Num, beta: Num, R: number, C: number, eps: number) {
  const out = new Float64Array(R * C), mean = new Float64Array(R), rstd = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    let m = 0;
    for (let c = 0; c < C; c++) m += x[r * C + c];
    m /= C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (x[r * C + c] - m) ** 2;
    v /= C;
    const rs = 1 / Math.sqrt(v + eps);
    mean[r] = m;
    rstd[r] = rs;
    for (let c = 0; c < C; c++) out[r * C + c] = (x[r * C + c] - m) * rs * gamma[c] + beta[c];
  }
  return { out, mean, rstd };
}

export function dropoutRef(x: Num, p: number, seed: bigint): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = dropoutKeeps(seed, i, p) ? x[i] / (1 - p) : 0;
  return out;
}

export function embeddingRef(ids: Num, table: Num, C: number): Float64Array {
  const out = new Float64Array(ids.length * C);
  for (let r = 0; r < ids.length; r++) for (let c = 0; c < C; c++) out[r * C + c] = table[ids[r] * C + c];
  return out;
}

export function softmaxRef(x: Num, R: number, C: number): Float64Array {
  const out = new Float64Array(R * C);
  for (let r = 0; r < R; r++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, x[r * C + c]);
    let z = 0;
    for (let c = 0; c < C; c++) z += Math.exp(x[r * C + c] - m);
    for (let c = 0; c < C; c++) out[r * C + c] = Math.exp(x[r * C + c] - m) / z;
  }
  return out;
}

/** Mean cross-entropy over rows whose target is not −100 (PyTorch's reduction='mean'). */
export function crossEntropyRef(logits: Num, targets: Num, R: number, V: number) {
  const p = softmaxRef(logits, R, V);
  const losses = new Float64Array(R);
  let total = 0, count = 0;
  for (let r = 0; r < R; r++) {
    if (targets[r] === -100) continue;
    losses[r] = -Math.log(p[r * V + targets[r]]);
    total += losses[r];
    count++;
  }
  return { loss: count ? total / count : NaN, losses, count };
}

export function bceRef(x: Num, y: Num): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const sig = 1 / (1 + Math.exp(-x[i]));
    s += -(y[i] * Math.log(sig) + (1 - y[i]) * Math.log(1 - sig));
  }
  return s / x.length;
}

export function mseRef(x: Num, y: Num): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] - y[i]) ** 2;
  return s / x.length;
}

/** torch.optim.AdamW, one step, in float64. */
export function adamwRef(p: Num, g: Num, m: Num, v: Num, decay: Num | null, hp: {
  lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; step: number; gradScale: number;
}) {
  const P = Float64Array.from(p), Mo = Float64Array.from(m), Vo = Float64Array.from(v);
  const bc1 = 1 - hp.beta1 ** hp.step, bc2 = 1 - hp.beta2 ** hp.step;
  for (let i = 0; i < P.length; i++) {
    const gi = g[i] * hp.gradScale;
    if (!decay || decay[i]) P[i] *= 1 - hp.lr * hp.weightDecay;
    Mo[i] = hp.beta1 * Mo[i] + (1 - hp.beta1) * gi;
    Vo[i] = hp.beta2 * Vo[i] + (1 - hp.beta2) * gi * gi;
    P[i] -= (hp.lr / bc1) * Mo[i] / (Math.sqrt(Vo[i]) / Math.sqrt(bc2) + hp.eps);
  }
  return { p: P, m: Mo, v: Vo };
}

/** float32 → nearest bfloat16 (ties to even), back as a number: what the bf16 GEMM rounds its inputs to. */
export function bf16Round(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  if (Number.isNaN(f[0])) return NaN;
  u[0] = (((u[0] + 0x7fff + ((u[0] >>> 16) & 1)) >>> 16) << 16) >>> 0;
  return f[0];
}

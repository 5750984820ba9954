// Fused multi-head self-attention over packed Q|K|V, forward and backward, written once for the
// GEMM it runs on: attention.cc instantiates it with the float32 single-threaded GEMM (every ISA),
// attention_bf16.cc with the bf16 one (QKᵀ, PV and the backward products on vdpbf16ps; mask,
// softmax, dropout and every sum stay float32).
//
// Each thread takes a fixed block of (batch, head) pairs and, per pair, runs two single-threaded
// GEMMs on strided views of qkv (row stride 3C), with the mask, softmax and dropout done on the
// T×T scores in between while they are still in cache. Inference passes probs = null and the scores
// live only in a per-thread scratch buffer. Shapes: B batch, T tokens, NH heads, HS head size,
// C = NH·HS; qkv [B, T, 3C], out [B, T, C], probs [B, NH, T, T], mask [B, T] (additive).
//
// Included by kernel translation units only (BERT_NS names the instruction set).
#pragma once

#include "bert/kernels.h"
#include "bert/parallel.h"
#include "bert/rng.h"
#include "bert/simd.h"

namespace bert {
namespace BERT_NS {

namespace {

// row[0..T) ← softmax(row + mask) in place; mask may be null.
void softmax_row(float* row, const float* mask, int64_t T) {
  vf m = set1(-INFINITY);
  for (int64_t j = 0; j < T; j += W) {
    int n = (int)zmin(W, T - j);
    vf x = load_n(row + j, n, -INFINITY);
    if (mask) x = x + load_n(mask + j, n);
    store_n(row + j, x, n);
    m = vmax(m, x);
  }
  const vf mx = set1(hmax(m));
  vf s = zero();
  for (int64_t j = 0; j < T; j += W) {
    int n = (int)zmin(W, T - j);
    vf e = vexp(load_n(row + j, n, -INFINITY) - mx);  // tail lanes: exp(−∞) = 0
    store_n(row + j, e, n);
    s = s + e;
  }
  const vf inv = set1(1.0f / hsum(s));
  for (int64_t j = 0; j < T; j += W) {
    int n = (int)zmin(W, T - j);
    store_n(row + j, load_n(row + j, n) * inv, n);
  }
}

// dst = src·keep/(1−p) for the T×T block of pair bh (element index ((bh·T)+i)·T+j).
void dropout_block(float* dst, const float* src, int64_t bh, int64_t T, float p, uint64_t seed) {
  const uint32_t thr = drop_threshold(p);
  const float scale = 1.0f / (1.0f - p);
  const uint64_t base = (uint64_t)bh * T * T;
  for (int64_t e = 0; e < T * T; ++e)
    dst[e] = rng_u32(seed, base + e) >= thr ? src[e] * scale : 0.f;
}

}  // namespace

template <class Gemm>
void attention_forward_with(Gemm&& gemm_single, float* out, float* probs, const float* qkv,
                            const float* mask, int64_t B, int64_t T, int64_t NH, int64_t HS,
                            float dropout_p, uint64_t seed) {
  const int64_t C = NH * HS, C3 = 3 * C;
  const float scale = 1.0f / std::sqrt((float)HS);
  const int64_t pairs = B * NH;
  int nth = threads_for(pairs * T * T * HS, int64_t(1) << 18);
  if (pairs < nth) nth = (int)pairs;
  par(nth, [&](int tid, int n) {
    int64_t b0, b1;
    split_range(pairs, tid, n, 1, &b0, &b1);
    float* scratch = (float*)thread_scratch(tid, 2, sizeof(float) * T * T);
    float* dropped = dropout_p > 0.f ? (float*)thread_scratch(tid, 3, sizeof(float) * T * T) : nullptr;
    for (int64_t bh = b0; bh < b1; ++bh) {
      const int64_t b = bh / NH, h = bh % NH;
      const float* q = qkv + b * T * C3 + h * HS;
      const float* k = q + C;
      const float* v = q + 2 * C;
      float* S = probs ? probs + bh * T * T : scratch;
      gemm_single(tid, false, true, T, T, HS, scale, q, C3, k, C3, 0.f, S, T);  // S = QKᵀ/√HS
      const float* mrow = mask ? mask + b * T : nullptr;
      for (int64_t i = 0; i < T; ++i) softmax_row(S + i * T, mrow, T);
      const float* P = S;
      if (dropped) {
        dropout_block(dropped, S, bh, T, dropout_p, seed);
        P = dropped;
      }
      gemm_single(tid, false, false, T, HS, T, 1.f, P, T, v, C3, 0.f, out + b * T * C + h * HS, C);
    }
  });
}

// Backward, per pair (P the saved softmax, D = dropout(P), O = D·V):
//   dV = Dᵀ·dO;  dD = dO·Vᵀ;  dP = dD·keep/(1−p);  dS = P ⊙ (dP − Σ_j P·dP)   (softmax backward);
//   dQ = dS·K/√HS;  dK = dSᵀ·Q/√HS.
template <class Gemm>
void attention_backward_with(Gemm&& gemm_single, float* dqkv, const float* dout, const float* probs,
                             const float* qkv, int64_t B, int64_t T, int64_t NH, int64_t HS,
                             float dropout_p, uint64_t seed) {
  const int64_t C = NH * HS, C3 = 3 * C;
  const float scale = 1.0f / std::sqrt((float)HS);
  const int64_t pairs = B * NH;
  int nth = threads_for(pairs * T * T * HS, int64_t(1) << 18);
  if (pairs < nth) nth = (int)pairs;
  par(nth, [&](int tid, int n) {
    int64_t b0, b1;
    split_range(pairs, tid, n, 1, &b0, &b1);
    float* dP = (float*)thread_scratch(tid, 2, sizeof(float) * T * T);
    float* D = dropout_p > 0.f ? (float*)thread_scratch(tid, 3, sizeof(float) * T * T) : nullptr;
    const uint32_t thr = drop_threshold(dropout_p);
    const float dscale = dropout_p > 0.f ? 1.0f / (1.0f - dropout_p) : 1.0f;
    for (int64_t bh = b0; bh < b1; ++bh) {
      const int64_t b = bh / NH, h = bh % NH;
      const int64_t off = b * T * C3 + h * HS;
      const float* q = qkv + off;
      const float* k = q + C;
      const float* v = q + 2 * C;
      float* dq = dqkv + off;
      float* dk = dq + C;
      float* dv = dq + 2 * C;
      const float* dO = dout + b * T * C + h * HS;
      const float* P = probs + bh * T * T;
      const float* Dp = P;
      if (D) {
        dropout_block(D, P, bh, T, dropout_p, seed);
        Dp = D;
      }
      gemm_single(tid, true, false, T, HS, T, 1.f, Dp, T, dO, C, 0.f, dv, C3);  // dV = Dᵀ·dO
      gemm_single(tid, false, true, T, T, HS, 1.f, dO, C, v, C3, 0.f, dP, T);   // dD = dO·Vᵀ
      const uint64_t base = (uint64_t)bh * T * T;
      for (int64_t i = 0; i < T; ++i) {
        float* dr = dP + i * T;
        const float* pr = P + i * T;
        if (D)
          for (int64_t j = 0; j < T; ++j)
            dr[j] = rng_u32(seed, base + i * T + j) >= thr ? dr[j] * dscale : 0.f;
        vf acc = zero();
        for (int64_t j = 0; j < T; j += W) {
          int n = (int)zmin(W, T - j);
          acc = fmadd(load_n(pr + j, n), load_n(dr + j, n), acc);
        }
        const vf dot = set1(hsum(acc));
        for (int64_t j = 0; j < T; j += W) {
          int n = (int)zmin(W, T - j);
          store_n(dr + j, load_n(pr + j, n) * (load_n(dr + j, n) - dot), n);
        }
      }
      gemm_single(tid, false, false, T, HS, T, scale, dP, T, k, C3, 0.f, dq, C3);  // dQ = dS·K
      gemm_single(tid, true, false, T, HS, T, scale, dP, T, q, C3, 0.f, dk, C3);   // dK = dSᵀ·Q
    }
  });
}

}  // namespace BERT_NS
}  // namespace bert

// Inference GEMM in bfloat16: C[M,N] = A·Wᵀ (+ bias, then optionally GELU), A float32 [M,K]
// row-major, W a Linear weight [N,K] converted to bf16 and packed once (bf16_pack) into the
// micro-kernel's panel layout.
//
// AVX512_BF16's vdpbf16ps multiplies pairs of bf16 and adds both products into one float32 lane:
// acc[j] += a[2j]·b[2j] + a[2j+1]·b[2j+1]. Products of two bf16 are exact in float32, so the only
// rounding bf16 adds is that of the inputs (8-bit mantissas); every sum is float32. Twice the
// multiply-adds per instruction of an fp32 FMA, and half the weight bytes.
//
// Packed W: panels of NR = 48 output columns; panel p holds, for each pair of k (k even, k+1),
// 48 × (w[n][k], w[n][k+1]) — one 32-bit lane per column, so three zmm loads per pair. K is
// padded to even and N to whole panels with zeros. A is converted per MC×KC block into rows of
// bf16 pairs, and the tile broadcasts one 32-bit pair per row.
//
// Loop nest and thread split follow gemm.cc (columns or rows per thread, no barrier, each C
// element summed over k in the same order whatever the thread count). Compiled once, for AVX-512
// with BF16 (BERT_NS=avx512bf16); native/core/bf16.cc packs the weights, checks cpuid and calls in.
#include "bert/bf16.h"
#include "bert/parallel.h"
#include "bert/simd.h"

#include <immintrin.h>

namespace bert {
namespace BERT_NS {

constexpr int NR = kBf16PanelColumns;

namespace {

// KC covers all of K = 768 (and a third of 3072): C is read and written once per k-block, and at
// ~2× the arithmetic rate that traffic costs twice as much as in fp32. Measured on 2 threads at
// BERT-base shapes (bench/NOTES.md): KC 256 → 1024 took the GEMM from ~1.5× to ~2.0× our fp32.
constexpr int MR = 8, NV = 3, KC = 1024, MC = 64;
constexpr int NC = (2048 / NR) * NR;
static_assert(NV * 16 == NR, "a panel is three zmm of pairs");

// Rows [i0, i0+mc) × k [k0, k0+kc) of A (float32, row stride lda) → mc rows of kc/2 bf16 pairs
// (kc even; k past K is zero).
void pack_a(uint32_t* dst, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0,
            int64_t kc, int64_t K) {
  const int64_t kp = kc / 2;
  for (int64_t r = 0; r < mc; ++r) {
    const float* s = A + (i0 + r) * lda + k0;
    uint32_t* d = dst + r * kp;
    const int64_t valid = (int64_t)zmin(K - k0, kc);
    for (int64_t k = 0; k < kc; k += 32) {
      // values past K load as zeros (the padded half of the last pair)
      int64_t left = valid - k;
      int nlo = (int)(left < 0 ? 0 : left < W ? left : W);
      int nhi = (int)(left < W ? 0 : left < 2 * W ? left - W : W);
      // the low 16 bf16 come from the second argument: s[k…k+15], then s[k+16…k+31]
      __m512bh v = _mm512_cvtne2ps_pbh(load_n(s + k + W, nhi).v, load_n(s + k, nlo).v);
      _mm512_mask_storeu_epi32(d + k / 2, tail_mask((int)zmin((kc - k) / 2, 16)), (__m512i)v);
    }
  }
}

// acc[MR][NV] += Σ_pairs a(row, pair) ⊙ b(pair, cols); then C = acc (+ bias) on the first k-block
// or C += acc after it. Rows past mr read row 0 and are not stored; columns past nr are masked.
inline __attribute__((always_inline)) void tile(int64_t kp, const uint32_t* a, int64_t lda_pairs,
                                                const uint32_t* b, float* c, int64_t ldc, int mr,
                                                int nr, const float* bias, bool first, bool gelu) {
  __m512 acc[MR][NV];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
  const uint32_t* ar[MR];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) ar[i] = a + (i < mr ? i : 0) * lda_pairs;

  for (int64_t p = 0; p < kp; ++p) {
    __m512bh bv[NV];
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) bv[v] = (__m512bh)_mm512_loadu_si512(b + v * 16);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      __m512bh av = (__m512bh)_mm512_set1_epi32((int)ar[i][p]);
#pragma GCC unroll 3
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_dpbf16_ps(acc[i][v], av, bv[v]);
    }
    b += NR;
  }

  for (int i = 0; i < mr; ++i) {
    float* cr = c + i * ldc;
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) {
      int n = imin(nr - v * W, W);
      if (n <= 0) break;
      vf r{acc[i][v]};
      if (first) {
        if (bias) r = r + load_n(bias + v * W, n);
      } else {
        r = r + load_n(cr + v * W, n);
      }
      if (gelu) r = vgelu(r);
      store_n(cr + v * W, r, n);
    }
  }
}

// One thread's part: rows [0, M) of A and C, columns [j0, j0+N) of the packed weight (j0 a
// multiple of NR).
void gemm_st(int tid, int64_t M, int64_t N, int64_t K, const float* A, const uint16_t* Wp,
             int64_t j0, float* C, int64_t ldc, const float* bias, bool gelu) {
  const int64_t Kp = (K + 1) / 2 * 2;
  uint32_t* ap = (uint32_t*)thread_scratch(tid, 0, sizeof(uint32_t) * MC * (KC / 2));
  const uint32_t* wp = (const uint32_t*)Wp;  // a pair of bf16 per 32-bit lane
  for (int64_t jc = 0; jc < N; jc += NC) {
    int64_t nc = zmin(N - jc, NC);
    for (int64_t pc = 0; pc < Kp; pc += KC) {
      int64_t kc = zmin(Kp - pc, KC), kp = kc / 2;
      for (int64_t ic = 0; ic < M; ic += MC) {
        int64_t mc = zmin(M - ic, MC);
        pack_a(ap, A, K, ic, mc, pc, kc, K);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          int nr = (int)zmin(nc - jr, NR);
          int64_t panel = (j0 + jc + jr) / NR;
          const uint32_t* bpanel = wp + panel * (Kp / 2) * NR + (pc / 2) * NR;
          const float* bb = bias ? bias + jc + jr : nullptr;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            int mr = (int)zmin(mc - ir, MR);
            tile(kp, ap + ir * kp, kp, bpanel, C + (ic + ir) * ldc + jc + jr, ldc, mr, nr, bb,
                 pc == 0, gelu && pc + kc >= Kp);
          }
        }
      }
    }
  }
}

}  // namespace

void gemm_bf16(int64_t M, int64_t N, int64_t K, const float* A, const uint16_t* Wp, float* C,
               const float* bias, bool gelu) {
  // K == 0 is handled by the caller; M, N, K ≥ 1 here.
  split_gemm(M, N, K, MR, NR, [&](int tid, bool by_columns, int64_t b, int64_t e) {
    if (by_columns)
      gemm_st(tid, M, e - b, K, A, Wp, b, C + b, N, bias ? bias + b : nullptr, gelu);
    else
      gemm_st(tid, e - b, N, K, A + b * K, Wp, 0, C + b * N, N, bias, gelu);
  });
}

}  // namespace BERT_NS
}  // namespace bert

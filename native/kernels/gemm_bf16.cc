// GEMM in bfloat16 with float32 sums. Inference: C[M,N] = A·Wᵀ (+ bias, then optionally GELU), A
// float32 [M,K] row-major, W a Linear weight [N,K] converted to bf16 and packed once (bf16_pack)
// into the micro-kernel's panel layout. Mixed-precision training: C = α·op(A)·op(B) + β·C (+ bias),
// gemm()'s contract, with op(B) packed on every call (pack_b) and op(A) converted per block either
// from rows (A) or from columns (Aᵀ, the weight gradients' dYᵀ·X).
//
// AVX512_BF16's vdpbf16ps multiplies pairs of bf16 and adds both products into one float32 lane:
// acc[j] += a[2j]·b[2j] + a[2j+1]·b[2j+1]. Products of two bf16 are exact in float32, so the only
// rounding bf16 adds is that of the inputs (8-bit mantissas); every sum is float32. Twice the
// multiply-adds per instruction of an fp32 FMA, and half the weight bytes.
//
// Packed W: panels of NR = 48 output columns; panel p holds, for each pair of k (k even, k+1),
// 48 × (w[n][k], w[n][k+1]) — one 32-bit lane per column, so three zmm loads per pair. K is
// padded to even and N to whole panels with zeros. A is converted per MC×KC block into bf16 pairs,
// and the tile broadcasts one 32-bit pair per row: rows of pairs when A is read by rows, blocks of
// MR rows interleaved pair by pair when A is read by columns (so both packings store whole vectors).
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

// The same block of op(A) = Aᵀ (A float32 [K, ·], row stride lda): rows [i0, i0+mc) of op(A) are
// columns of A. Written as blocks of MR rows, pair p of block b at dst[b·kp·MR + p·MR + row]:
// one 256-bit store per pair of k, where rows of pairs would need a scatter. Rows past mc are zero.
void pack_a_cols(uint32_t* dst, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0,
                 int64_t kc, int64_t K) {
  const int64_t kp = kc / 2;
  // lane 2j ← row k's element j, lane 2j+1 ← row k+1's: (lo, hi) bf16 pairs per 32-bit lane
  const __m256i inter = _mm256_setr_epi16(0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
  for (int64_t ib = 0; ib < mc; ib += MR) {
    const __mmask8 rows = (__mmask8)((1u << (int)zmin(mc - ib, MR)) - 1u);
    uint32_t* d = dst + ib * kp;
    const float* col = A + i0 + ib;
    for (int64_t p = 0; p < kp; ++p) {
      int64_t k = k0 + 2 * p;
      __m256 lo = k < K ? _mm256_maskz_loadu_ps(rows, col + k * lda) : _mm256_setzero_ps();
      __m256 hi = k + 1 < K ? _mm256_maskz_loadu_ps(rows, col + (k + 1) * lda) : _mm256_setzero_ps();
      __m256i v = (__m256i)_mm256_cvtne2ps_pbh(hi, lo);  // bf16: lo's 8, then hi's 8
      _mm256_storeu_si256((__m256i*)(d + p * MR), _mm256_permutexvar_epi16(inter, v));
    }
  }
}

// acc[MR][NV] += Σ_pairs a(row, pair) ⊙ b(pair, cols); then C = acc (+ bias) on the first k-block
// or C += acc after it (α·acc and β·C when they are not 1 and 0). Rows past mr are computed but not
// stored; columns past nr are masked. kBlocked: a holds MR-row blocks (pack_a_cols), else rows of
// kp pairs (pack_a).
template <bool kBlocked>
inline __attribute__((always_inline)) void tile(int64_t kp, const uint32_t* a, const uint32_t* b,
                                                float* c, int64_t ldc, int mr, int nr,
                                                const float* bias, bool first, float alpha,
                                                float beta, bool gelu) {
  __m512 acc[MR][NV];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
  const uint32_t* ar[MR];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) ar[i] = kBlocked ? a + i : a + (i < mr ? i : 0) * kp;
  const int64_t step = kBlocked ? MR : 1;

  for (int64_t p = 0; p < kp; ++p) {
    __m512bh bv[NV];
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) bv[v] = (__m512bh)_mm512_loadu_si512(b + v * 16);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      __m512bh av = (__m512bh)_mm512_set1_epi32((int)ar[i][p * step]);
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
      if (alpha != 1.f) r = r * set1(alpha);
      if (first) {
        if (beta != 0.f) r = fmadd(set1(beta), load_n(cr + v * W, n), r);
        if (bias) r = r + load_n(bias + v * W, n);
      } else {
        r = r + load_n(cr + v * W, n);
      }
      if (gelu) r = vgelu(r);
      store_n(cr + v * W, r, n);
    }
  }
}

// op(A) as the kernel reads it: rows of A (lda its row stride) or, trans, columns of A.
struct OpA {
  const float* a;
  int64_t lda;
  bool trans;
};

// One thread's part: rows [0, M) of op(A) and C, columns [j0, j0+N) of the packed B (j0 a multiple
// of NR; Kp its padded depth).
void gemm_st(int tid, int64_t M, int64_t N, int64_t K, OpA A, const uint16_t* Bp, int64_t j0,
             float* C, int64_t ldc, float alpha, float beta, const float* bias, bool gelu) {
  const int64_t Kp = (K + 1) / 2 * 2;
  uint32_t* ap = (uint32_t*)thread_scratch(tid, 0, sizeof(uint32_t) * MC * (KC / 2));
  const uint32_t* bp = (const uint32_t*)Bp;  // a pair of bf16 per 32-bit lane
  for (int64_t jc = 0; jc < N; jc += NC) {
    int64_t nc = zmin(N - jc, NC);
    for (int64_t pc = 0; pc < Kp; pc += KC) {
      int64_t kc = zmin(Kp - pc, KC), kp = kc / 2;
      for (int64_t ic = 0; ic < M; ic += MC) {
        int64_t mc = zmin(M - ic, MC);
        if (A.trans)
          pack_a_cols(ap, A.a, A.lda, ic, mc, pc, kc, K);
        else
          pack_a(ap, A.a, A.lda, ic, mc, pc, kc, K);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          int nr = (int)zmin(nc - jr, NR);
          int64_t panel = (j0 + jc + jr) / NR;
          const uint32_t* bpanel = bp + panel * (Kp / 2) * NR + (pc / 2) * NR;
          const float* bb = bias ? bias + jc + jr : nullptr;
          float* cb = C + ic * ldc + jc + jr;
          bool first = pc == 0, last = gelu && pc + kc >= Kp;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            int mr = (int)zmin(mc - ir, MR);
            if (A.trans)
              tile<true>(kp, ap + ir * kp, bpanel, cb + ir * ldc, ldc, mr, nr, bb, first, alpha, beta, last);
            else
              tile<false>(kp, ap + ir * kp, bpanel, cb + ir * ldc, ldc, mr, nr, bb, first, alpha, beta, last);
          }
        }
      }
    }
  }
}

// Pair q of one panel (columns [n0, n0+48)) of op(B) = B [K,N] row-major → 48 lanes
// (b[2q][n], b[2q+1][n]). The backward GEMMs' op(B): an activation or an untransposed weight.
inline void pack_b_rows_pair(uint32_t* d, const float* B, int64_t ldb, int64_t K, int64_t N,
                             int64_t q, int64_t n0) {
  const __m512i inter = _mm512_setr_epi32(0x00100000, 0x00110001, 0x00120002, 0x00130003,
                                          0x00140004, 0x00150005, 0x00160006, 0x00170007,
                                          0x00180008, 0x00190009, 0x001a000a, 0x001b000b,
                                          0x001c000c, 0x001d000d, 0x001e000e, 0x001f000f);
  const int64_t k = 2 * q;
  for (int v = 0; v < NV; ++v) {
    int64_t n = n0 + v * W;
    int cnt = (int)(n >= N ? 0 : zmin(N - n, W));
    vf lo = k < K && cnt ? load_n(B + k * ldb + n, cnt) : zero();
    vf hi = k + 1 < K && cnt ? load_n(B + (k + 1) * ldb + n, cnt) : zero();
    __m512i x = (__m512i)_mm512_cvtne2ps_pbh(hi.v, lo.v);  // lo's 16 bf16, then hi's 16
    _mm512_storeu_si512(d + v * W, _mm512_permutexvar_epi16(inter, x));
  }
}

// Panels [p0, p1) of op(B) = Bᵀ (B [N,K], row stride ldb, a Linear weight): a column's pairs are
// adjacent in B, so 16 pairs convert in one instruction; a 16-column × 16-pair block goes through
// a small buffer to land column-interleaved.
void pack_b_cols(uint32_t* dst, const float* B, int64_t ldb, int64_t K, int64_t N, int64_t p0,
                 int64_t p1) {
  const int64_t Kp = (K + 1) / 2 * 2, kpairs = Kp / 2;
  alignas(64) uint32_t blk[W][W];
  for (int64_t panel = p0; panel < p1; ++panel) {
    uint32_t* d = dst + panel * kpairs * NR;
    for (int v = 0; v < NV; ++v) {
      int64_t n0 = panel * NR + v * W;
      for (int64_t q0 = 0; q0 < kpairs; q0 += W) {
        int qn = (int)zmin(kpairs - q0, W);
        for (int c = 0; c < W; ++c) {
          int64_t n = n0 + c, k = 2 * q0;
          int cnt = n < N ? (int)zmin(K - k, 2 * W) : 0;
          vf lo = load_n(B + n * ldb + k, cnt < W ? cnt : W);
          vf hi = cnt > W ? load_n(B + n * ldb + k + W, cnt - W) : zero();
          _mm512_store_si512(blk[c], (__m512i)_mm512_cvtne2ps_pbh(hi.v, lo.v));
        }
        for (int q = 0; q < qn; ++q)
          for (int c = 0; c < W; ++c) d[(q0 + q) * NR + v * W + c] = blk[c][q];
      }
    }
  }
}

}  // namespace

void bf16_pack_b(uint16_t* dst, bool transB, const float* B, int64_t ldb, int64_t K, int64_t N) {
  const int64_t panels = (N + NR - 1) / NR, kpairs = (K + 1) / 2;
  uint32_t* d = (uint32_t*)dst;
  // Bᵀ splits over panels; B over pairs of rows, each read whole, left to right (going down one
  // panel's 48 columns instead would touch a new page on every row of a 4,096-row activation).
  const int64_t span = transB ? panels : kpairs;
  int nth = threads_for(K * N, int64_t(1) << 16);
  if (nth > span) nth = (int)span;
  par(nth, [&](int tid, int n) {
    int64_t b, e;
    split_range(span, tid, n, 1, &b, &e);
    if (transB) {
      pack_b_cols(d, B, ldb, K, N, b, e);
      return;
    }
    for (int64_t q = b; q < e; ++q)
      for (int64_t panel = 0; panel < panels; ++panel)
        pack_b_rows_pair(d + (panel * kpairs + q) * NR, B, ldb, K, N, q, panel * NR);
  });
}

namespace {

// Both entry points: the output split over threads (split_gemm), each part one gemm_st.
void run(bool transA, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
         const uint16_t* Bp, float beta, float* C, int64_t ldc, const float* bias, bool gelu) {
  split_gemm(M, N, K, MR, NR, [&](int tid, bool by_columns, int64_t b, int64_t e) {
    if (by_columns)
      gemm_st(tid, M, e - b, K, {A, lda, transA}, Bp, b, C + b, ldc, alpha, beta,
              bias ? bias + b : nullptr, gelu);
    else
      gemm_st(tid, e - b, N, K, {transA ? A + b : A + b * lda, lda, transA}, Bp, 0, C + b * ldc,
              ldc, alpha, beta, bias, gelu);
  });
}

}  // namespace

void gemm_bf16_single(int tid, bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                      const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                      int64_t ldc) {
  if (M <= 0 || N <= 0 || K <= 0) {  // attention never asks this; gemm's contract all the same
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta != 0.f ? beta * C[i * ldc + j] : 0.f;
    return;
  }
  const int64_t panels = (N + NR - 1) / NR, kpairs = (K + 1) / 2;
  uint32_t* bp = (uint32_t*)thread_scratch(tid, 1, sizeof(uint32_t) * panels * kpairs * NR);
  if (transB)
    pack_b_cols(bp, B, ldb, K, N, 0, panels);
  else
    for (int64_t q = 0; q < kpairs; ++q)
      for (int64_t panel = 0; panel < panels; ++panel)
        pack_b_rows_pair(bp + (panel * kpairs + q) * NR, B, ldb, K, N, q, panel * NR);
  gemm_st(tid, M, N, K, {A, lda, transA}, (const uint16_t*)bp, 0, C, ldc, alpha, beta, nullptr, false);
}

void gemm_bf16_packed(bool transA, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                      int64_t lda, const uint16_t* Bp, float beta, float* C, int64_t ldc,
                      const float* bias) {
  run(transA, M, N, K, alpha, A, lda, Bp, beta, C, ldc, bias, false);
}

void gemm_bf16(int64_t M, int64_t N, int64_t K, const float* A, const uint16_t* Wp, float* C,
               const float* bias, bool gelu) {
  // K == 0 is handled by the caller; M, N, K ≥ 1 here.
  run(false, M, N, K, 1.f, A, K, Wp, 0.f, C, N, bias, gelu);
}

}  // namespace BERT_NS
}  // namespace bert

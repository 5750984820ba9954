// Inference GEMM in bfloat16: C[M,N] = A·Wᵀ (+ bias), A float32 [M,K] row-major, W a Linear weight
// [N,K] converted to bf16 and packed once (bf16_pack) into the micro-kernel's panel layout.
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
// element summed over k in the same order whatever the thread count). Unlike the other kernels this
// file is compiled once, without -m flags: only the functions marked BF16_TARGET use the wide
// instructions, so the packing and the cpuid check are safe on any CPU, and callers ask
// bf16_supported() before calling gemm_bf16.
#include "bert/bf16.h"

#include "bert/parallel.h"

#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define BERT_BF16 1
#include <immintrin.h>
#define BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512bf16,fma")))
#endif

namespace bert {

namespace {
constexpr int NR = kBf16PanelColumns;

// float32 → bf16, round to nearest even (as vcvtne2ps2bf16); NaN stays a quiet NaN.
inline uint16_t to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
}
}  // namespace

int64_t bf16_packed_length(int64_t N, int64_t K) {
  return (N + NR - 1) / NR * NR * ((K + 1) / 2 * 2);
}

void bf16_pack(uint16_t* dst, const float* W, int64_t N, int64_t K) {
  const int64_t Kp = (K + 1) / 2 * 2, panels = (N + NR - 1) / NR;
  for (int64_t p = 0; p < panels; ++p) {
    uint16_t* d = dst + p * NR * Kp;
    for (int64_t k = 0; k < Kp; k += 2)
      for (int c = 0; c < NR; ++c) {
        int64_t n = p * NR + c;
        uint16_t* e = d + (k / 2) * NR * 2 + c * 2;
        e[0] = n < N && k < K ? to_bf16(W[n * K + k]) : 0;
        e[1] = n < N && k + 1 < K ? to_bf16(W[n * K + k + 1]) : 0;
      }
  }
}

#if defined(BERT_BF16)
namespace bf16k {
namespace {

// KC covers all of K = 768 (and a third of 3072): C is read and written once per k-block, and at
// ~2× the arithmetic rate that traffic costs twice as much as in fp32. Measured on 2 threads at
// BERT-base shapes (bench/NOTES.md): KC 256 → 1024 took the GEMM from ~1.5× to ~2.0× our fp32.
constexpr int MR = 8, NV = 3, KC = 1024, MC = 64;
constexpr int NC = (2048 / NR) * NR;
static_assert(NV * 16 == NR, "a panel is three zmm of pairs");

// Rows [i0, i0+mc) × k [k0, k0+kc) of A (float32, row stride lda) → mc rows of kc/2 bf16 pairs
// (kc even; k past K is zero).
BF16_TARGET void pack_a(uint32_t* dst, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0,
            int64_t kc, int64_t K) {
  const int64_t kp = kc / 2;
  for (int64_t r = 0; r < mc; ++r) {
    const float* s = A + (i0 + r) * lda + k0;
    uint32_t* d = dst + r * kp;
    int64_t valid = K - k0 < kc ? K - k0 : kc;
    for (int64_t k = 0; k < kc; k += 32) {
      int64_t n = valid - k;
      __m512 lo, hi;
      if (n >= 32) {
        lo = _mm512_loadu_ps(s + k);
        hi = _mm512_loadu_ps(s + k + 16);
      } else {
        int nlo = n <= 0 ? 0 : (n >= 16 ? 16 : (int)n), nhi = n <= 16 ? 0 : (int)(n - 16);
        lo = _mm512_maskz_loadu_ps((__mmask16)((1u << nlo) - 1u), s + k);
        hi = _mm512_maskz_loadu_ps((__mmask16)((1u << nhi) - 1u), s + k + 16);
      }
      __m512bh v = _mm512_cvtne2ps_pbh(hi, lo);  // lanes 0–15 from lo, 16–31 from hi
      int64_t pairs = (kc - k) / 2 < 16 ? (kc - k) / 2 : 16;
      _mm512_mask_storeu_epi32(d + k / 2, (__mmask16)((1u << pairs) - 1u), (__m512i)v);
    }
  }
}

// acc[MR][NV] += Σ_pairs a(row, pair) ⊙ b(pair, cols); then C = acc (+ bias) on the first k-block
// or C += acc after it. Rows past mr read row 0 and are not stored; columns past nr are masked.
BF16_TARGET inline __attribute__((always_inline)) void tile(int64_t kp, const uint32_t* a, int64_t lda_pairs,
                                                const uint32_t* b, float* c, int64_t ldc, int mr,
                                                int nr, const float* bias, bool first) {
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
      int n = nr - v * 16;
      if (n <= 0) break;
      __mmask16 m = n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1u);
      __m512 r = acc[i][v];
      if (first) {
        if (bias) r = _mm512_add_ps(r, _mm512_maskz_loadu_ps(m, bias + v * 16));
      } else {
        r = _mm512_add_ps(r, _mm512_maskz_loadu_ps(m, cr + v * 16));
      }
      _mm512_mask_storeu_ps(cr + v * 16, m, r);
    }
  }
}

// One thread's part: rows [0, M) of A and C, columns [j0, j0+N) of the packed weight (j0 a
// multiple of NR).
BF16_TARGET void gemm_st(int tid, int64_t M, int64_t N, int64_t K, const float* A, const uint16_t* Wp,
             int64_t j0, float* C, int64_t ldc, const float* bias) {
  const int64_t Kp = (K + 1) / 2 * 2;
  uint32_t* ap = (uint32_t*)thread_scratch(tid, 0, sizeof(uint32_t) * MC * (KC / 2));
  const uint32_t* wp = (const uint32_t*)Wp;  // a pair of bf16 per 32-bit lane
  for (int64_t jc = 0; jc < N; jc += NC) {
    int64_t nc = N - jc < NC ? N - jc : NC;
    for (int64_t pc = 0; pc < Kp; pc += KC) {
      int64_t kc = Kp - pc < KC ? Kp - pc : KC, kp = kc / 2;
      for (int64_t ic = 0; ic < M; ic += MC) {
        int64_t mc = M - ic < MC ? M - ic : MC;
        pack_a(ap, A, K, ic, mc, pc, kc, K);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          int nr = (int)(nc - jr < NR ? nc - jr : NR);
          int64_t panel = (j0 + jc + jr) / NR;
          const uint32_t* bpanel = wp + panel * (Kp / 2) * NR + (pc / 2) * NR;
          const float* bb = bias ? bias + jc + jr : nullptr;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            int mr = (int)(mc - ir < MR ? mc - ir : MR);
            tile(kp, ap + ir * kp, kp, bpanel, C + (ic + ir) * ldc + jc + jr, ldc, mr, nr, bb,
                 pc == 0);
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace bf16k

void gemm_bf16(int64_t M, int64_t N, int64_t K, const float* A, const uint16_t* Wp, float* C,
               const float* bias) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) C[i * N + j] = bias ? bias[j] : 0.f;
    return;
  }
  int64_t work = M * N * K;
  int64_t t = work >> 20, n = num_threads();
  int nth = (int)(t < 1 ? 1 : (t < n ? t : n));
  bool split_n = N >= M;
  int64_t span = split_n ? N : M, align = split_n ? NR : bf16k::MR;
  if ((span + align - 1) / align < nth) nth = (int)((span + align - 1) / align);
  struct Ctx {
    int64_t M, N, K, span, align;
    bool split_n;
    const float *A, *bias;
    const uint16_t* Wp;
    float* C;
  } ctx{M, N, K, span, align, split_n, A, bias, Wp, C};
  auto run = [](void* p, int tid, int nt) {
    const Ctx& x = *static_cast<const Ctx*>(p);
    int64_t blocks = (x.span + x.align - 1) / x.align, per = (blocks + nt - 1) / nt;
    int64_t b = per * tid * x.align, e = per * (tid + 1) * x.align;
    if (b > x.span) b = x.span;
    if (e > x.span) e = x.span;
    if (b >= e) return;
    if (x.split_n)
      bf16k::gemm_st(tid, x.M, e - b, x.K, x.A, x.Wp, b, x.C + b, x.N, x.bias ? x.bias + b : nullptr);
    else
      bf16k::gemm_st(tid, e - b, x.N, x.K, x.A + b * x.K, x.Wp, 0, x.C + b * x.N, x.N, x.bias);
  };
  parallel_run(run, &ctx, nth);
}

#else

void gemm_bf16(int64_t, int64_t, int64_t, const float*, const uint16_t*, float*, const float*) {}

#endif

bool bf16_supported() {
#if defined(BERT_BF16)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512bw");
#else
  return false;
#endif
}

}  // namespace bert

// GEMM in int8 with int32 sums, for inference: C[M,N] = A·Wᵀ (+ bias, then optionally GELU), A
// float32 [M,K] row-major quantized per row on every call, W a Linear weight [N,K] quantized per
// output channel and packed once (int8_pack in core/int8.cc). Shapes: M rows (tokens), N output
// columns, K the inner dimension; Kq = K rounded up to 4.
//
// AVX512-VNNI's vpdpbusd multiplies four unsigned bytes of one operand by four signed bytes of the
// other and adds the four products into one int32 lane: acc[j] += Σ_{b<4} a[4j+b]·w[4j+b]. The sums
// are exact (|Σ| ≤ 255·127·K < 2^31 for K < 66,000), so the only rounding is the quantization of
// the inputs and the float32 epilogue. Twice the multiply-adds per instruction of vdpbf16ps and a
// quarter of the weight bytes of float32.
//
// Packed W: panels of NR = 48 columns; panel p holds, for each quad of k, 48 × 4 bytes — one 32-bit
// lane per column, three zmm loads per quad — then float32 scales and int32 sums of the quantized
// weights per column (for the zero point: Σ (q_a − z)·q_w = Σ q_a·q_w − z·Σ q_w). Quantized A is
// row-major uint8 [M, Kq]: a tile broadcasts one row's four bytes per quad, no packing.
//
// Loop nest: A quantized once (rows over threads), then the output split over threads by columns or
// rows (split_gemm); each thread walks blocks of MC rows (MC·Kq ≤ 256 KB, in L2), each of its panels
// (48·Kq bytes, reused by every 8-row tile of the block), the whole of K per tile: no partial sums
// to store, and each C element is summed in the same order whatever the thread count.
#include "bert/int8.h"
#include "bert/parallel.h"
#include "bert/simd.h"

#include <immintrin.h>

namespace bert {
namespace BERT_NS {

constexpr int NR = kInt8PanelColumns;

namespace {

constexpr int MR = 8, NV = 3;
static_assert(NV * 16 == NR, "a panel is three zmm of int32 lanes");

// Row i of A → q (Kq bytes), scale, zero: int8_quantize_rows's arithmetic, 16 lanes at a time.
void quantize_row(const float* a, int64_t K, int64_t Kq, uint8_t* q, float* scale, int32_t* zero) {
  __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
  __mmask16 bad = 0;
  for (int64_t k = 0; k < K; k += W) {
    __mmask16 m = tail_mask((int)zmin(K - k, W));
    __m512 x = _mm512_maskz_loadu_ps(m, a + k);
    bad |= _mm512_mask_fpclass_ps_mask(m, x, 0x99);  // NaN (quiet, signalling) or ±Inf
    lo = _mm512_min_ps(lo, x);
    hi = _mm512_max_ps(hi, x);
  }
  const bool finite = bad == 0;
  const float l = _mm512_reduce_min_ps(lo), h = _mm512_reduce_max_ps(hi);
  float s = finite ? (h - l) / 255.f : NAN;
  if (s == 0.f) s = 1.f;
  float z = finite ? std::nearbyint(-l / s) : 0.f;
  const int32_t zi = z < 0.f ? 0 : z > 255.f ? 255 : (int32_t)z;
  *scale = s;
  *zero = zi;
  // x / s as ONNX's QuantizeLinear defines it, but through x · (1/s): the two differ by at most two
  // units in the last place, so they round to different integers only where x/s is that close to a
  // half; such vectors (~0.2% of them) are divided after all, so the result is x / s's exactly.
  const __m512 S = _mm512_set1_ps(s), inv = _mm512_set1_ps(1.f / s);
  const __m512 half = _mm512_set1_ps(0.5f - 1.f / 8192.f);  // 2⁻¹³ ≫ 2 ulp of |x/s| ≤ 256
  const __m512i Z = _mm512_set1_epi32(zi), Z0 = _mm512_setzero_si512();
  for (int64_t k = 0; k < Kq; k += W) {
    int n = (int)zmin(Kq - k, W);
    __m512i v = Z0;
    if (finite && k < K) {
      __mmask16 m = tail_mask((int)zmin(K - k, W));
      __m512 x = _mm512_maskz_loadu_ps(m, a + k);
      __m512 y = _mm512_mul_ps(x, inv);
      __m512 frac = _mm512_abs_ps(_mm512_sub_ps(y, _mm512_roundscale_ps(y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)));
      if (_mm512_cmp_ps_mask(frac, half, _CMP_GT_OQ)) y = _mm512_div_ps(x, S);
      __m512i r = _mm512_cvtps_epi32(y);                            // round to nearest even
      v = _mm512_maskz_max_epi32(m, _mm512_add_epi32(r, Z), Z0);  // k ≥ K: 0
    }
    _mm_mask_storeu_epi8(q + k, tail_mask(n), _mm512_cvtusepi32_epi8(v));  // saturates at 255
  }
}

// C rows [0, mr) × columns [0, nr) of one tile: acc = Σ_quads a·w over all of K, then the epilogue.
inline __attribute__((always_inline)) void tile(int64_t Q, const uint8_t* a, int64_t lda,
                                                const uint8_t* b, const float* wscale,
                                                const int32_t* wsum, const float* ascale,
                                                const int32_t* azero, float* c, int64_t ldc, int mr,
                                                int nr, const float* bias, bool gelu) {
  __m512i acc[MR][NV];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_si512();
  const uint8_t* ar[MR];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) ar[i] = a + (i < mr ? i : 0) * lda;

  for (int64_t j = 0; j < Q; ++j) {
    __m512i bv[NV];
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) bv[v] = _mm512_loadu_si512(b + v * 64);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      int32_t quad;
      std::memcpy(&quad, ar[i] + 4 * j, 4);
      __m512i av = _mm512_set1_epi32(quad);
#pragma GCC unroll 3
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_dpbusd_epi32(acc[i][v], av, bv[v]);
    }
    b += NR * 4;
  }

  // unrolled with a guard, not a loop to mr: a runtime bound would make GCC keep acc in memory
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    if (i >= mr) break;
    float* cr = c + i * ldc;
    const __m512i z = _mm512_set1_epi32(azero[i]);
    const __m512 sa = _mm512_set1_ps(ascale[i]);
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) {
      int n = imin(nr - v * W, W);
      if (n <= 0) break;
      __m512i d = _mm512_sub_epi32(acc[i][v], _mm512_mullo_epi32(z, _mm512_loadu_si512(wsum + v * W)));
      vf r{_mm512_mul_ps(_mm512_cvtepi32_ps(d), _mm512_mul_ps(sa, _mm512_loadu_ps(wscale + v * W)))};
      if (bias) r = r + load_n(bias + v * W, n);
      if (gelu) r = vgelu(r);
      store_n(cr + v * W, r, n);
    }
  }
}

}  // namespace

void gemm_int8(int64_t M, int64_t N, int64_t K, const float* A, const uint8_t* Wp, float* C,
               const float* bias, bool gelu, uint8_t* qa, float* ascale, int32_t* azero) {
  const int64_t Q = (K + 3) / 4, Kq = 4 * Q;
  const int64_t P = (N + NR - 1) / NR, cols = P * NR;
  const float* wscale = (const float*)(Wp + cols * Kq);
  const int32_t* wsum = (const int32_t*)(wscale + cols);

  int nq = threads_for(M * K, int64_t(1) << 15);
  if (nq > M) nq = (int)M;
  par(nq, [&](int tid, int n) {
    int64_t b, e;
    split_range(M, tid, n, 1, &b, &e);
    for (int64_t i = b; i < e; ++i) quantize_row(A + i * K, K, Kq, qa + i * Kq, ascale + i, azero + i);
  });

  int64_t MC = (int64_t(256) << 10) / Kq / MR * MR;
  MC = MC < MR ? MR : MC > 256 ? 256 : MC;
  split_gemm(M, N, K, MR, NR, [&](int, bool by_columns, int64_t b, int64_t e) {
    const int64_t r0 = by_columns ? 0 : b, r1 = by_columns ? M : e;
    const int64_t j0 = by_columns ? b : 0, j1 = by_columns ? e : N;
    for (int64_t ic = r0; ic < r1; ic += MC) {
      const int64_t mc = zmin(r1 - ic, MC);
      for (int64_t jr = j0; jr < j1; jr += NR) {
        const int nr = (int)zmin(j1 - jr, NR);
        const uint8_t* panel = Wp + (jr / NR) * Q * NR * 4;
        for (int64_t ir = 0; ir < mc; ir += MR) {
          const int64_t i = ic + ir;
          tile(Q, qa + i * Kq, Kq, panel, wscale + jr, wsum + jr, ascale + i, azero + i,
               C + i * N + jr, N, (int)zmin(mc - ir, MR), nr, bias ? bias + jr : nullptr, gelu);
        }
      }
    }
  });
}

}  // namespace BERT_NS
}  // namespace bert

// Small vector primitives, one definition per instruction set.
//
// This header is included only by native/kernels/*.cc, which CMake compiles three times: with
// AVX-512 flags (BERT_NS=avx512), with AVX2+FMA (BERT_NS=avx2) and with none (BERT_NS=scalar, a
// 4-lane GCC vector type that also compiles on aarch64). Everything here lives in bert::BERT_NS so
// the three copies never meet at link time (an inline function compiled with AVX-512 flags must
// not be picked by the linker for code that runs on a CPU without it).
//
// Kernels handle ragged tails with the masked load_n/store_n below instead of scalar leftover
// loops: the last lanes of a row then go through exactly the same arithmetic as the others.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <cmath>

#if !defined(BERT_NS)
#error "simd.h is for kernel translation units: BERT_NS must name the instruction set"
#endif

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

namespace bert {
namespace BERT_NS {

#if defined(__AVX512F__)

constexpr int W = 16;
struct vf { __m512 v; };
struct vi { __m512i v; };
static inline vf zero() { return {_mm512_setzero_ps()}; }
static inline vf set1(float x) { return {_mm512_set1_ps(x)}; }
static inline vf load(const float* p) { return {_mm512_loadu_ps(p)}; }
static inline void store(float* p, vf a) { _mm512_storeu_ps(p, a.v); }
static inline __mmask16 tail_mask(int n) { return (__mmask16)((1u << n) - 1u); }
static inline vf load_n(const float* p, int n, float fill = 0.f) {
  return {_mm512_mask_loadu_ps(_mm512_set1_ps(fill), tail_mask(n), p)};
}
static inline void store_n(float* p, vf a, int n) { _mm512_mask_storeu_ps(p, tail_mask(n), a.v); }
static inline vf operator+(vf a, vf b) { return {_mm512_add_ps(a.v, b.v)}; }
static inline vf operator-(vf a, vf b) { return {_mm512_sub_ps(a.v, b.v)}; }
static inline vf operator*(vf a, vf b) { return {_mm512_mul_ps(a.v, b.v)}; }
static inline vf operator/(vf a, vf b) { return {_mm512_div_ps(a.v, b.v)}; }
// 1/d for finite d ≥ 1: the 14-bit estimate and one Newton step (relative error ~2⁻²⁸), a few times
// cheaper than a division
static inline vf vrcp(vf d) {
  __m512 r = _mm512_rcp14_ps(d.v);
  return {_mm512_mul_ps(r, _mm512_fnmadd_ps(d.v, r, _mm512_set1_ps(2.0f)))};
}
static inline vf fmadd(vf a, vf b, vf c) { return {_mm512_fmadd_ps(a.v, b.v, c.v)}; }   // a*b + c
static inline vf fnmadd(vf a, vf b, vf c) { return {_mm512_fnmadd_ps(a.v, b.v, c.v)}; } // c - a*b
static inline vf vmax(vf a, vf b) { return {_mm512_max_ps(a.v, b.v)}; }
static inline vf vmin(vf a, vf b) { return {_mm512_min_ps(a.v, b.v)}; }
static inline vf vsqrt(vf a) { return {_mm512_sqrt_ps(a.v)}; }
static inline vf vabs(vf a) { return {_mm512_abs_ps(a.v)}; }
static inline float hsum(vf a) { return _mm512_reduce_add_ps(a.v); }
static inline float hmax(vf a) { return _mm512_reduce_max_ps(a.v); }
// lanes where a < b take x, others y
static inline vf select_lt(vf a, vf b, vf x, vf y) {
  return {_mm512_mask_blend_ps(_mm512_cmp_ps_mask(a.v, b.v, _CMP_LT_OQ), y.v, x.v)};
}
static inline vf copysign_of(vf mag, vf sgn) {
  const __m512i m = _mm512_set1_epi32(0x7fffffff);
  return {_mm512_castsi512_ps(_mm512_or_si512(_mm512_and_si512(_mm512_castps_si512(mag.v), m),
                                              _mm512_andnot_si512(m, _mm512_castps_si512(sgn.v))))};
}
static inline vf round_nearest(vf a) { return {_mm512_roundscale_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)}; }
// 2^n for integral-valued n in [-126, 127]
static inline vf exp2_int(vf n) {
  __m512i i = _mm512_cvtps_epi32(n.v);
  return {_mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(i, _mm512_set1_epi32(127)), 23))};
}


// Transposes `rows` ≤ W rows of W floats (row stride lds; missing rows read as zero) into W rows of
// W floats at stride ldd, written in increasing order: with ldd < W a row spills into the next one,
// which the next store then overwrites (the caller leaves W floats of slack at the end).
static inline void transpose_block(const float* src, int64_t lds, int rows, float* dst, int64_t ldd) {
  __m512 r[16], t[16], u[16];
  for (int i = 0; i < 16; ++i) r[i] = i < rows ? _mm512_loadu_ps(src + i * lds) : _mm512_setzero_ps();
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int g = 0; g < 4; ++g) {  // u[4g+c], 128-bit lane l: rows 4g..4g+3 of column 4l+c
    u[4 * g + 0] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
    u[4 * g + 1] = _mm512_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
    u[4 * g + 2] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
    u[4 * g + 3] = _mm512_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
  }
  for (int c = 0; c < 4; ++c) {  // 4×4 transpose of 128-bit lanes
    __m512 x0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x44), x1 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xEE);
    __m512 x2 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x44), x3 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xEE);
    r[c] = _mm512_shuffle_f32x4(x0, x2, 0x88);
    r[4 + c] = _mm512_shuffle_f32x4(x0, x2, 0xDD);
    r[8 + c] = _mm512_shuffle_f32x4(x1, x3, 0x88);
    r[12 + c] = _mm512_shuffle_f32x4(x1, x3, 0xDD);
  }
  for (int i = 0; i < 16; ++i) _mm512_storeu_ps(dst + i * ldd, r[i]);
}

#elif defined(__AVX2__) && defined(__FMA__)

constexpr int W = 8;
struct vf { __m256 v; };
static inline vf zero() { return {_mm256_setzero_ps()}; }
static inline vf set1(float x) { return {_mm256_set1_ps(x)}; }
static inline vf load(const float* p) { return {_mm256_loadu_ps(p)}; }
static inline void store(float* p, vf a) { _mm256_storeu_ps(p, a.v); }
static inline __m256i tail_mask(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline vf load_n(const float* p, int n, float fill = 0.f) {
  __m256i m = tail_mask(n);
  return {_mm256_blendv_ps(_mm256_set1_ps(fill), _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m))};
}
static inline void store_n(float* p, vf a, int n) { _mm256_maskstore_ps(p, tail_mask(n), a.v); }
static inline vf operator+(vf a, vf b) { return {_mm256_add_ps(a.v, b.v)}; }
static inline vf operator-(vf a, vf b) { return {_mm256_sub_ps(a.v, b.v)}; }
static inline vf operator*(vf a, vf b) { return {_mm256_mul_ps(a.v, b.v)}; }
static inline vf operator/(vf a, vf b) { return {_mm256_div_ps(a.v, b.v)}; }
static inline vf vrcp(vf d) {  // 12-bit estimate, one Newton step (~2⁻²²)
  __m256 r = _mm256_rcp_ps(d.v);
  return {_mm256_mul_ps(r, _mm256_fnmadd_ps(d.v, r, _mm256_set1_ps(2.0f)))};
}
static inline vf fmadd(vf a, vf b, vf c) { return {_mm256_fmadd_ps(a.v, b.v, c.v)}; }
static inline vf fnmadd(vf a, vf b, vf c) { return {_mm256_fnmadd_ps(a.v, b.v, c.v)}; }
static inline vf vmax(vf a, vf b) { return {_mm256_max_ps(a.v, b.v)}; }
static inline vf vmin(vf a, vf b) { return {_mm256_min_ps(a.v, b.v)}; }
static inline vf vsqrt(vf a) { return {_mm256_sqrt_ps(a.v)}; }
static inline vf vabs(vf a) { return {_mm256_andnot_ps(_mm256_set1_ps(-0.f), a.v)}; }
static inline float hsum(vf a) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a.v), _mm256_extractf128_ps(a.v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
static inline float hmax(vf a) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(a.v), _mm256_extractf128_ps(a.v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
static inline vf select_lt(vf a, vf b, vf x, vf y) {
  return {_mm256_blendv_ps(y.v, x.v, _mm256_cmp_ps(a.v, b.v, _CMP_LT_OQ))};
}
static inline vf copysign_of(vf mag, vf sgn) {
  const __m256 m = _mm256_set1_ps(-0.f);
  return {_mm256_or_ps(_mm256_andnot_ps(m, mag.v), _mm256_and_ps(m, sgn.v))};
}
static inline vf round_nearest(vf a) { return {_mm256_round_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)}; }
static inline vf exp2_int(vf n) {
  __m256i i = _mm256_cvtps_epi32(n.v);
  return {_mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(i, _mm256_set1_epi32(127)), 23))};
}


// See the AVX-512 version: the same contract, W = 8.
static inline void transpose_block(const float* src, int64_t lds, int rows, float* dst, int64_t ldd) {
  __m256 r[8], t[8], u[8];
  for (int i = 0; i < 8; ++i) r[i] = i < rows ? _mm256_loadu_ps(src + i * lds) : _mm256_setzero_ps();
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int g = 0; g < 2; ++g) {
    u[4 * g + 0] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0x44);
    u[4 * g + 1] = _mm256_shuffle_ps(t[4 * g], t[4 * g + 2], 0xEE);
    u[4 * g + 2] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0x44);
    u[4 * g + 3] = _mm256_shuffle_ps(t[4 * g + 1], t[4 * g + 3], 0xEE);
  }
  for (int c = 0; c < 4; ++c) {
    r[c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x20);
    r[4 + c] = _mm256_permute2f128_ps(u[c], u[4 + c], 0x31);
  }
  for (int i = 0; i < 8; ++i) _mm256_storeu_ps(dst + i * ldd, r[i]);
}

#else  // portable: 4 lanes of GCC's generic vectors (SSE2 on x86-64, NEON on aarch64)

constexpr int W = 4;
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));
struct vf { v4f v; };
static inline vf zero() { return {v4f{0, 0, 0, 0}}; }
static inline vf set1(float x) { return {v4f{x, x, x, x}}; }
static inline vf load(const float* p) { v4f r; std::memcpy(&r, p, sizeof r); return {r}; }
static inline void store(float* p, vf a) { std::memcpy(p, &a.v, sizeof a.v); }
static inline vf load_n(const float* p, int n, float fill = 0.f) {
  vf r = set1(fill);
  for (int i = 0; i < n; ++i) r.v[i] = p[i];
  return r;
}
static inline void store_n(float* p, vf a, int n) { for (int i = 0; i < n; ++i) p[i] = a.v[i]; }
static inline vf operator+(vf a, vf b) { return {a.v + b.v}; }
static inline vf operator-(vf a, vf b) { return {a.v - b.v}; }
static inline vf operator*(vf a, vf b) { return {a.v * b.v}; }
static inline vf operator/(vf a, vf b) { return {a.v / b.v}; }
static inline vf vrcp(vf d) { return {1.0f / d.v}; }
static inline vf fmadd(vf a, vf b, vf c) { return {a.v * b.v + c.v}; }
static inline vf fnmadd(vf a, vf b, vf c) { return {c.v - a.v * b.v}; }
static inline vf vmax(vf a, vf b) { return {a.v > b.v ? a.v : b.v}; }
static inline vf vmin(vf a, vf b) { return {a.v < b.v ? a.v : b.v}; }
static inline vf vsqrt(vf a) { vf r; for (int i = 0; i < W; ++i) r.v[i] = std::sqrt(a.v[i]); return r; }
static inline vf vabs(vf a) { vf r; for (int i = 0; i < W; ++i) r.v[i] = std::fabs(a.v[i]); return r; }
static inline float hsum(vf a) { return (a.v[0] + a.v[2]) + (a.v[1] + a.v[3]); }
static inline float hmax(vf a) {
  float m = a.v[0];
  for (int i = 1; i < W; ++i) m = a.v[i] > m ? a.v[i] : m;
  return m;
}
static inline vf select_lt(vf a, vf b, vf x, vf y) { return {a.v < b.v ? x.v : y.v}; }
static inline vf copysign_of(vf mag, vf sgn) {
  vf r; for (int i = 0; i < W; ++i) r.v[i] = std::copysign(mag.v[i], sgn.v[i]); return r;
}
static inline vf round_nearest(vf a) { vf r; for (int i = 0; i < W; ++i) r.v[i] = std::nearbyint(a.v[i]); return r; }
static inline vf exp2_int(vf n) {
  vf r;
  for (int i = 0; i < W; ++i) {
    // NaN (vexp of NaN) takes 2^0: converting it to int is undefined, and the NaN carries through the
    // polynomial factor anyway; the shift is unsigned (vexp's clamp keeps n + 127 within 1…255)
    const int32_t k = n.v[i] == n.v[i] ? (int32_t)n.v[i] : 0;
    const uint32_t bits = (uint32_t)(k + 127) << 23;
    std::memcpy(&r.v[i], &bits, 4);
  }
  return r;
}


// See the AVX-512 version: the same contract, W = 4.
static inline void transpose_block(const float* src, int64_t lds, int rows, float* dst, int64_t ldd) {
  float tmp[W][W];
  for (int i = 0; i < W; ++i)
    for (int j = 0; j < W; ++j) tmp[j][i] = i < rows ? src[i * lds + j] : 0.f;
  for (int j = 0; j < W; ++j)
    for (int i = 0; i < W; ++i) dst[j * ldd + i] = tmp[j][i];
}

#endif

static inline int imin(int a, int b) { return a < b ? a : b; }
static inline int imax(int a, int b) { return a > b ? a : b; }
static inline size_t zmin(size_t a, size_t b) { return a < b ? a : b; }

// exp(x): Cephes-style range reduction x = n·ln2 + r, |r| ≤ ln2/2, degree-6 polynomial for e^r.
// Below -87.3 it returns exactly 0 (not a denormal), so a -3.4e38 padding mask gives 0 weight as in PyTorch.
// NaN stays NaN: the clamps take x as their second operand, which x86's min/max (and vmin/vmax's
// scalar `a < b ? a : b`) return when either is NaN — clamping it first made exp(NaN) = e^88, so
// tanh(NaN) was ±1 and a NaN attention score a finite weight, and NaN turned into answers.
static inline vf vexp(vf x) {
  const vf hi = set1(88.3762626647949f), lo = set1(-87.3365478515625f);
  vf xc = vmin(hi, x);
  xc = vmax(lo, xc);
  vf n = round_nearest(xc * set1(1.44269504088896341f));
  vf r = fnmadd(n, set1(0.693359375f), xc);
  r = fnmadd(n, set1(-2.12194440e-4f), r);
  vf p = set1(1.9875691500e-4f);
  p = fmadd(p, r, set1(1.3981999507e-3f));
  p = fmadd(p, r, set1(8.3334519073e-3f));
  p = fmadd(p, r, set1(4.1665795894e-2f));
  p = fmadd(p, r, set1(1.6666665459e-1f));
  p = fmadd(p, r, set1(5.0000001201e-1f));
  vf r2 = r * r;
  p = fmadd(p, r2, r + set1(1.0f));
  vf e = p * exp2_int(n);
  return select_lt(x, lo, zero(), e);
}

// erf(x), Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7): the same formula PyTorch's CPU GELU vectorises.
// |x| is clamped at 10 (erf is 1 in float32 from 3.9 on) so that the reciprocal sees a finite
// denominator; NaN passes the clamp (vmin returns its second operand) and stays NaN.
static inline vf verf(vf x) {
  vf ax = vmin(set1(10.0f), vabs(x));
  vf t = vrcp(fmadd(set1(0.3275911f), ax, set1(1.0f)));
  vf p = set1(1.061405429f);
  p = fmadd(p, t, set1(-1.453152027f));
  p = fmadd(p, t, set1(1.421413741f));
  p = fmadd(p, t, set1(-0.284496736f));
  p = fmadd(p, t, set1(0.254829592f));
  vf y = fnmadd(p * t, vexp(zero() - ax * ax), set1(1.0f));
  return copysign_of(y, x);
}

// tanh(x) = sign(x)·(1 − e^{−2|x|}) / (1 + e^{−2|x|}); below |x| = 0.0625 a short odd series avoids
// the cancellation of 1 − e^{−2|x|}.
static inline vf vtanh(vf x) {
  vf ax = vabs(x);
  vf e = vexp(set1(-2.0f) * ax);
  vf big = (set1(1.0f) - e) / (set1(1.0f) + e);
  vf x2 = ax * ax;
  vf small = set1(-17.0f / 315.0f);
  small = fmadd(small, x2, set1(2.0f / 15.0f));
  small = fmadd(small, x2, set1(-1.0f / 3.0f));
  small = fmadd(small * x2, ax, ax);
  return copysign_of(select_lt(ax, set1(0.0625f), small, big), x);
}

// gelu(x) = ½x(1 + erf(x/√2)), BERT's exact form. Here so that GEMM epilogues can apply it.
static inline vf vgelu(vf x) {
  return set1(0.5f) * x * (set1(1.0f) + verf(x * set1(0.70710678118654752f)));
}

}  // namespace BERT_NS
}  // namespace bert

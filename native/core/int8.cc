// The portable half of the int8 path: the cpuid check, quantization and weight packing (plain C++,
// so it runs and is tested anywhere) and the call into the AVX512-VNNI kernel when this build has it.
#include "bert/int8.h"

#include "bert/bf16.h"  // bias_only
#include "bert/kernels.h"

#include <cmath>
#include <cstring>
#include <vector>

namespace bert {
namespace {

constexpr int NR = kInt8PanelColumns;

inline int64_t quads(int64_t K) { return (K + 3) / 4; }
inline int64_t panels(int64_t N) { return (N + NR - 1) / NR; }

}  // namespace

bool int8_supported() {
#if defined(BERT_HAVE_VNNI)
  static const bool yes = cpu_has_avx512("avx512vnni");  // asked on every gemmInt8 call: cpuid once
  return yes;
#else
  return false;
#endif
}

int64_t int8_packed_length(int64_t N, int64_t K) {
  const int64_t cols = panels(N) * NR;
  return cols * quads(K) * 4 + cols * 4 + cols * 4;
}

void int8_quantize_weights(const float* W, int64_t N, int64_t K, int8_t* q, float* scale) {
  for (int64_t n = 0; n < N; ++n) {
    const float* w = W + n * K;
    float amax = 0.f;
    for (int64_t k = 0; k < K; ++k) amax = std::fmax(amax, std::fabs(w[k]));
    const float s = amax / 127.f;
    scale[n] = s;
    for (int64_t k = 0; k < K; ++k) {
      float v = s > 0.f ? std::nearbyint(w[k] / s) : 0.f;
      q[n * K + k] = (int8_t)(v > 127.f ? 127 : v < -127.f ? -127 : (int)v);
    }
  }
}

void int8_quantize_rows(const float* A, int64_t M, int64_t K, uint8_t* q, int64_t ldq, float* scale,
                        int32_t* zero) {
  for (int64_t i = 0; i < M; ++i) {
    const float* a = A + i * K;
    float lo = 0.f, hi = 0.f;
    bool finite = true;
    for (int64_t k = 0; k < K; ++k) {
      if (!std::isfinite(a[k])) finite = false;
      lo = std::fmin(lo, a[k]);
      hi = std::fmax(hi, a[k]);
    }
    float s = finite ? (hi - lo) / 255.f : NAN;  // NaN reaches the outputs through the epilogue
    if (s == 0.f) s = 1.f;                          // an all-zero row
    float z = finite ? std::nearbyint(-lo / s) : 0.f;
    int32_t zi = z < 0.f ? 0 : z > 255.f ? 255 : (int32_t)z;
    scale[i] = s;
    zero[i] = zi;
    uint8_t* d = q + i * ldq;
    for (int64_t k = 0; k < K; ++k) {
      float v = finite ? std::nearbyint(a[k] / s) + (float)zi : 0.f;
      d[k] = (uint8_t)(v < 0.f ? 0 : v > 255.f ? 255 : (int)v);
    }
    for (int64_t k = K; k < ldq; ++k) d[k] = 0;
  }
}

void int8_pack(uint8_t* dst, const float* W, int64_t N, int64_t K) {
  const int64_t P = panels(N), Q = quads(K), cols = P * NR;
  std::vector<int8_t> q((size_t)(N * K));
  std::vector<float> s((size_t)N);
  int8_quantize_weights(W, N, K, q.data(), s.data());
  // panel p, quad j: 48 columns × 4 k, column c's four bytes in lane c
  for (int64_t p = 0; p < P; ++p)
    for (int64_t j = 0; j < Q; ++j)
      for (int c = 0; c < NR; ++c)
        for (int b = 0; b < 4; ++b) {
          int64_t n = p * NR + c, k = 4 * j + b;
          dst[((p * Q + j) * NR + c) * 4 + b] = (uint8_t)(n < N && k < K ? q[n * K + k] : 0);
        }
  float* scale = (float*)(dst + cols * Q * 4);
  int32_t* sum = (int32_t*)(scale + cols);
  for (int64_t n = 0; n < cols; ++n) {
    scale[n] = n < N ? s[n] : 0.f;
    int32_t t = 0;
    if (n < N)
      for (int64_t k = 0; k < K; ++k) t += q[n * K + k];
    sum[n] = t;
  }
}

void gemm_int8(int64_t M, int64_t N, int64_t K, const float* A, const uint8_t* Wp, float* C,
               const float* bias, bool gelu) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) return bias_only(M, N, C, bias, gelu);
#if defined(BERT_HAVE_VNNI)
  // The quantized activations, grown to the largest call and reused: the engine has one caller at a
  // time, as its thread pool and scratch buffers assume.
  static std::vector<uint8_t> qa;
  static std::vector<float> scale;
  static std::vector<int32_t> zero;
  size_t need = (size_t)(M * quads(K) * 4);
  if (qa.size() < need) qa.resize(need);
  if (scale.size() < (size_t)M) scale.resize((size_t)M), zero.resize((size_t)M);
  avx512vnni::gemm_int8(M, N, K, A, Wp, C, bias, gelu, qa.data(), scale.data(), zero.data());
#else
  (void)A, (void)Wp;
#endif
}

}  // namespace bert

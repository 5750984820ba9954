// The portable half of the bf16 path: the cpuid check, weight packing (plain C++, so it runs and
// is tested anywhere) and the call into the AVX512_BF16 kernel when this build has it.
#include "bert/bf16.h"
#include "bert/kernels.h"

#include <cmath>
#include <cstring>
#include <vector>

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

float gelu(float x) { return 0.5f * x * (1.f + std::erf(x * 0.70710678118654752f)); }

}  // namespace

bool bf16_supported() {
#if defined(BERT_HAVE_BF16)
  static const bool yes = cpu_has_avx512("avx512bf16");  // asked on every gemmBf16 call: cpuid once
  return yes;
#else
  return false;
#endif
}

int64_t bf16_packed_length(int64_t N, int64_t K) { return (N + NR - 1) / NR * NR * ((K + 1) / 2 * 2); }

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

void bias_only(int64_t M, int64_t N, float* C, const float* bias, bool gelu) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      float v = bias ? bias[j] : 0.f;
      C[i * N + j] = gelu ? bert::gelu(v) : v;
    }
}

void gemm_bf16(int64_t M, int64_t N, int64_t K, const float* A, const uint16_t* Wp, float* C,
               const float* bias, bool gelu) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) return bias_only(M, N, C, bias, gelu);
#if defined(BERT_HAVE_BF16)
  avx512bf16::gemm_bf16(M, N, K, A, Wp, C, bias, gelu);
#else
  (void)A, (void)Wp;
#endif
}

void gemm_bf16_mixed(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                     const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                     int64_t ldc, const float* bias) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {  // an empty product: β·C (+ bias)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j)
        C[i * ldc + j] = (beta != 0.f ? beta * C[i * ldc + j] : 0.f) + (bias ? bias[j] : 0.f);
    return;
  }
#if defined(BERT_HAVE_BF16)
  // One buffer for op(B), grown to the largest call and reused: the engine has one caller at a
  // time, as its thread pool and scratch buffers assume.
  static std::vector<uint16_t> packed;
  size_t need = (size_t)bf16_packed_length(N, K);
  if (packed.size() < need) packed.resize(need);
  avx512bf16::bf16_pack_b(packed.data(), transB, B, ldb, K, N);
  avx512bf16::gemm_bf16_packed(transA, M, N, K, alpha, A, lda, packed.data(), beta, C, ldc, bias);
#else
  (void)transA, (void)transB, (void)alpha, (void)A, (void)lda, (void)B, (void)ldb;
#endif
}

void attention_forward_bf16(float* out, float* probs, const float* qkv, const float* mask, int64_t B,
                            int64_t T, int64_t NH, int64_t HS, float dropout_p, uint64_t seed) {
#if defined(BERT_HAVE_BF16)
  avx512bf16::attention_forward(out, probs, qkv, mask, B, T, NH, HS, dropout_p, seed);
#else
  (void)out, (void)probs, (void)qkv, (void)mask, (void)B, (void)T, (void)NH, (void)HS, (void)dropout_p, (void)seed;
#endif
}

void attention_backward_bf16(float* dqkv, const float* dout, const float* probs, const float* qkv,
                             int64_t B, int64_t T, int64_t NH, int64_t HS, float dropout_p,
                             uint64_t seed) {
#if defined(BERT_HAVE_BF16)
  avx512bf16::attention_backward(dqkv, dout, probs, qkv, B, T, NH, HS, dropout_p, seed);
#else
  (void)dqkv, (void)dout, (void)probs, (void)qkv, (void)B, (void)T, (void)NH, (void)HS, (void)dropout_p, (void)seed;
#endif
}

}  // namespace bert

// The bfloat16 GEMMs (kernels/gemm_bf16.cc), float32 accumulation: for inference with weights
// packed once, and for mixed-precision training with both operands converted on every call.
// Separate from KernelTable because they exist on one instruction set only; callers check
// bf16_supported() and otherwise keep the float32 path.
#pragma once

#include <cstdint>

namespace bert {

// Output columns per packed panel (three zmm of bf16 pairs).
constexpr int kBf16PanelColumns = 48;

// True when this build has the kernel and the CPU has AVX512_BF16 (and AVX-512 F/BW).
bool bf16_supported();
// uint16 elements that bf16_pack writes for a [N,K] weight: N padded to whole panels, K to even.
int64_t bf16_packed_length(int64_t N, int64_t K);
// W [N,K] float32 (a Linear weight) → bf16 panels, round to nearest even. Portable code.
void bf16_pack(uint16_t* dst, const float* W, int64_t N, int64_t K);
// C[M,N] = A[M,K]·Wᵀ (+ bias[N]), then gelu(C) when asked; W packed by bf16_pack; A and C dense
// row-major. Needs bf16_supported().
void gemm_bf16(int64_t M, int64_t N, int64_t K, const float* A, const uint16_t* Wp, float* C,
               const float* bias, bool gelu);

// C[M,N] = bias (then GELU) on every row: the empty sum (K = 0) of the packed GEMMs, bf16 and int8.
void bias_only(int64_t M, int64_t N, float* C, const float* bias, bool gelu);

// Mixed precision: C = α·op(A)·op(B) + β·C (+ bias[N]), gemm()'s contract (row-major, leading
// dimensions lda/ldb/ldc), with op(A) and op(B) rounded to bf16 and every sum float32 — what
// autocast does to a Linear layer. The master weights stay float32. Needs bf16_supported().
void gemm_bf16_mixed(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                     const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                     int64_t ldc, const float* bias);

// Self-attention with its products in bf16 (kernels/attention_bf16.cc): attention_forward's and
// attention_backward's contracts (kernels.h), QKᵀ, PV and the backward products on vdpbf16ps with
// float32 sums; mask, softmax and dropout float32. Needs bf16_supported().
void attention_forward_bf16(float* out, float* probs, const float* qkv, const float* mask, int64_t B,
                            int64_t T, int64_t NH, int64_t HS, float dropout_p, uint64_t seed);
void attention_backward_bf16(float* dqkv, const float* dout, const float* probs, const float* qkv,
                             int64_t B, int64_t T, int64_t NH, int64_t HS, float dropout_p,
                             uint64_t seed);

// The kernels themselves (kernels/gemm_bf16.cc, attention_bf16.cc), built only for x86-64; M, N, K ≥ 1.
namespace avx512bf16 {
// gemm's contract on one thread (tid's scratch), op(B) packed on the call: attention's products.
void gemm_bf16_single(int tid, bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                      const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                      int64_t ldc);
void attention_forward(float* out, float* probs, const float* qkv, const float* mask, int64_t B,
                       int64_t T, int64_t NH, int64_t HS, float dropout_p, uint64_t seed);
void attention_backward(float* dqkv, const float* dout, const float* probs, const float* qkv,
                        int64_t B, int64_t T, int64_t NH, int64_t HS, float dropout_p, uint64_t seed);
void gemm_bf16(int64_t M, int64_t N, int64_t K, const float* A, const uint16_t* Wp, float* C,
               const float* bias, bool gelu);
// op(B) [K,N] → bf16 panels (bf16_pack's layout) in dst, which holds bf16_packed_length(N, K).
void bf16_pack_b(uint16_t* dst, bool transB, const float* B, int64_t ldb, int64_t K, int64_t N);
// C = α·op(A)·Bp + β·C (+ bias) with Bp from bf16_pack_b.
void gemm_bf16_packed(bool transA, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                      int64_t lda, const uint16_t* Bp, float beta, float* C, int64_t ldc,
                      const float* bias);
}

}  // namespace bert

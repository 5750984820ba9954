// The bfloat16 inference GEMM (kernels/gemm_bf16.cc): weights packed once, activations converted
// on the fly, float32 accumulation. Separate from KernelTable because it exists on one instruction
// set only; callers check bf16_supported() and otherwise keep the float32 path.
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

// The kernel itself (kernels/gemm_bf16.cc), built only for x86-64; M, N, K ≥ 1.
namespace avx512bf16 {
void gemm_bf16(int64_t M, int64_t N, int64_t K, const float* A, const uint16_t* Wp, float* C,
               const float* bias, bool gelu);
}

}  // namespace bert

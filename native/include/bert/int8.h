// The int8 inference GEMM (kernels/gemm_int8.cc): dynamic quantization as ONNX Runtime's
// DynamicQuantizeLinear + MatMulInteger and PyTorch's dynamic Linear do it. Weights are quantized
// once, symmetric per output channel (int8 in [−127, 127], scale = max|w| / 127); each row of the
// activations is quantized on the fly, asymmetric uint8 (scale = (max(0, max) − min(0, min)) / 255,
// zero point = round(−min / scale)); AVX512-VNNI's vpdpbusd sums uint8·int8 products in int32, and
// the epilogue computes C = s_a·s_w·(Σ q_a·q_w − z_a·Σ q_w) + bias (then GELU) in float32.
// Separate from KernelTable because it exists on one instruction set only; callers check
// int8_supported() and otherwise keep the float32 path.
#pragma once

#include <cstdint>

namespace bert {

// Output columns per packed panel (three zmm of int32 lanes, four k per lane).
constexpr int kInt8PanelColumns = 48;

// True when this build has the kernel and the CPU has AVX512-VNNI (and AVX-512 F/BW).
bool int8_supported();
// Bytes int8_pack writes for a [N,K] weight: N padded to whole panels, K to a multiple of 4, then
// the per-column scales (float32) and sums of the quantized weights (int32), one per padded column.
int64_t int8_packed_length(int64_t N, int64_t K);
// W [N,K] float32 → q [N,K] int8 and scale [N] (symmetric per row of W). Portable code.
void int8_quantize_weights(const float* W, int64_t N, int64_t K, int8_t* q, float* scale);
// A [M,K] float32 → q [M, ldq] uint8 (k past K zero), scale [M], zero [M] (asymmetric per row).
// The kernel quantizes with the same arithmetic; exposed so a test can rebuild its exact sums.
void int8_quantize_rows(const float* A, int64_t M, int64_t K, uint8_t* q, int64_t ldq, float* scale,
                        int32_t* zero);
// W [N,K] float32 → the kernel's panels, scales and column sums in dst (int8_packed_length bytes).
void int8_pack(uint8_t* dst, const float* W, int64_t N, int64_t K);
// C[M,N] = A[M,K]·Wᵀ (+ bias[N]), then gelu(C) when asked, W packed by int8_pack; A and C dense
// row-major. Needs int8_supported().
void gemm_int8(int64_t M, int64_t N, int64_t K, const float* A, const uint8_t* Wp, float* C,
               const float* bias, bool gelu);

// The kernel (kernels/gemm_int8.cc), built only for x86-64; M, N, K ≥ 1. qa: scratch of M·Kq bytes
// (Kq = K rounded up to 4), scale and zero: M each.
namespace avx512vnni {
void gemm_int8(int64_t M, int64_t N, int64_t K, const float* A, const uint8_t* Wp, float* C,
               const float* bias, bool gelu, uint8_t* qa, float* scale, int32_t* zero);
}

}  // namespace bert

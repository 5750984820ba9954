// Fused multi-head self-attention on the bf16 GEMM: QKᵀ, PV and, in training, the four backward
// products (dV, dP, dQ, dK) round their operands to bf16 and sum in float32, as torch.autocast runs
// attention's matmuls; the mask, softmax, dropout and the softmax backward stay float32. The algorithm
// is attention_impl.h's, compiled here for AVX-512 with BF16 (BERT_NS=avx512bf16).
#include "attention_impl.h"
#include "bert/bf16.h"

namespace bert {
namespace BERT_NS {

void attention_forward(float* out, float* probs, const float* qkv, const float* mask, int64_t B,
                       int64_t T, int64_t NH, int64_t HS, float dropout_p, uint64_t seed) {
  attention_forward_with(gemm_bf16_single, out, probs, qkv, mask, B, T, NH, HS, dropout_p, seed);
}

void attention_backward(float* dqkv, const float* dout, const float* probs, const float* qkv,
                        int64_t B, int64_t T, int64_t NH, int64_t HS, float dropout_p,
                        uint64_t seed) {
  attention_backward_with(gemm_bf16_single, dqkv, dout, probs, qkv, B, T, NH, HS, dropout_p, seed);
}

}  // namespace BERT_NS
}  // namespace bert

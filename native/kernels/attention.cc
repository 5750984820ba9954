// Fused multi-head self-attention on the float32 GEMM (attention_impl.h holds the algorithm, shared
// with the bf16 path of attention_bf16.cc).
#include "attention_impl.h"

namespace bert {
namespace BERT_NS {

void gemm_single(int tid, bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                 const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                 int64_t ldc);

void attention_forward(float* out, float* probs, const float* qkv, const float* mask, int64_t B,
                       int64_t T, int64_t NH, int64_t HS, float dropout_p, uint64_t seed) {
  attention_forward_with(gemm_single, out, probs, qkv, mask, B, T, NH, HS, dropout_p, seed);
}

void attention_backward(float* dqkv, const float* dout, const float* probs, const float* qkv,
                        int64_t B, int64_t T, int64_t NH, int64_t HS, float dropout_p,
                        uint64_t seed) {
  attention_backward_with(gemm_single, dqkv, dout, probs, qkv, B, T, NH, HS, dropout_p, seed);
}

}  // namespace BERT_NS
}  // namespace bert

// Every numeric kernel of bert-cli, as one table of function pointers per instruction set.
//
// Shape legend (used in every comment below and in the kernel files):
//   B batch, T tokens per sequence, C hidden size, NH heads, HS head size (C = NH·HS),
//   I intermediate size, V vocabulary (or classes), R rows (usually B·T), N elements.
// All buffers are dense row-major float32 (or int32 ids) unless a leading dimension says otherwise.
// Argument order follows llm.c: outputs, saved-for-backward, inputs, weights, then dimensions and
// scalars; a gradient carries a `d` prefix. Parameter gradients (dgamma, dbias, dtable) accumulate
// with += so that one zero_grad per step suffices; activation gradients are overwritten unless an
// `accumulate` flag says otherwise.
//
// Every kernel splits work over threads in fixed blocks that do not change the order in which any
// single output is summed, so results are the same whatever the thread count.
//
// The kernels trust their arguments: native/addon validates every length and shape first.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bert {

struct AdamWParams {
  float lr, beta1, beta2, eps, weight_decay;
  int64_t step;        // 1-based step count, for the bias corrections
  float grad_scale;    // multiplies every gradient first (clipping coefficient, 1/accumulation)
};

struct KernelTable {
  const char* isa;

  // C[M,N] = alpha·op(A)·op(B) + beta·C (+ bias[N] on every row). op(A) is M×K, op(B) is K×N.
  // transA: A is stored K×M; transB: B is stored N×K (a Linear weight [out,in] gives Y = X·Wᵀ).
  // beta == 0 never reads C, so C may hold garbage (NaN) before the call.
  void (*gemm)(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
               const float* A, int64_t lda, const float* B, int64_t ldb, float beta,
               float* C, int64_t ldc, const float* bias);
  // dbias[N] += Σ_rows dy[R,N]
  void (*bias_backward)(float* dbias, const float* dy, int64_t R, int64_t N);

  // out[B,T,C] = softmax(Q·Kᵀ/√HS + mask) (dropout) · V per batch and head, from packed
  // qkv[B,T,3C] (Q | K | V, head h at columns h·HS of each third). mask[B,T] is additive over keys
  // (0 or a large negative number) or null. probs[B,NH,T,T] keeps the softmax (before dropout) for
  // backward; null in inference. Dropout keeps element ((b·NH+h)·T+i)·T+j by the counter RNG.
  void (*attention_forward)(float* out, float* probs, const float* qkv, const float* mask,
                            int64_t B, int64_t T, int64_t NH, int64_t HS, float dropout_p,
                            uint64_t seed);
  // dqkv[B,T,3C] (overwritten) from dout[B,T,C], the saved probs and the forward's qkv.
  void (*attention_backward)(float* dqkv, const float* dout, const float* probs, const float* qkv,
                             int64_t B, int64_t T, int64_t NH, int64_t HS, float dropout_p,
                             uint64_t seed);

  // out[R,C] = (x − mean)·rstd·gamma + beta, saving mean[R] and rstd[R] (null in inference).
  void (*layernorm_forward)(float* out, float* mean, float* rstd, const float* x,
                            const float* gamma, const float* beta, int64_t R, int64_t C, float eps);
  // dx (= or +=), dgamma +=, dbeta += from dout and the forward's x, mean, rstd.
  void (*layernorm_backward)(float* dx, float* dgamma, float* dbeta, const float* dout,
                             const float* x, const float* mean, const float* rstd,
                             const float* gamma, int64_t R, int64_t C, bool accumulate);
  // The end of every BERT sub-layer: sum = x + residual; out = LayerNorm(sum). sum may be null.
  void (*residual_layernorm_forward)(float* out, float* sum, float* mean, float* rstd,
                                     const float* x, const float* residual, const float* gamma,
                                     const float* beta, int64_t R, int64_t C, float eps);

  // pre[R,C] += bias[C] (bias may be null); out = gelu(pre), erf form. pre is kept for backward.
  void (*bias_gelu_forward)(float* out, float* pre, const float* bias, int64_t R, int64_t C);
  // dpre[N] = dout · gelu'(pre)
  void (*gelu_backward)(float* dpre, const float* dout, const float* pre, int64_t N);
  void (*tanh_forward)(float* out, const float* x, int64_t N);
  // dx = dout · (1 − out²)
  void (*tanh_backward)(float* dx, const float* dout, const float* out, int64_t N);

  // out[i] = x[i]·keep(seed, i)/(1−p); backward applies the same mask to dout.
  void (*dropout_forward)(float* out, const float* x, int64_t N, float p, uint64_t seed);
  void (*dropout_backward)(float* dx, const float* dout, int64_t N, float p, uint64_t seed);

  // out[R,C] (= or +=) table[ids[r], :]
  void (*embedding_forward)(float* out, const int32_t* ids, const float* table, int64_t R,
                            int64_t C, bool accumulate);
  // dtable[ids[r], :] += dout[r, :], skipping rows whose id is padding_idx (−1: none)
  void (*embedding_backward)(float* dtable, const float* dout, const int32_t* ids, int64_t R,
                             int64_t C, int64_t padding_idx);

  // Mean cross-entropy of softmax(logits[R,V]) against targets[R]; target −100 is ignored.
  // losses[R] (optional) gets each row's loss (0 where ignored); dlogits[R,V] (optional) gets
  // (softmax − onehot)·grad_scale/count. Returns the mean (NaN when every row is ignored).
  double (*softmax_cross_entropy)(float* dlogits, float* losses, const float* logits,
                                  const int32_t* targets, int64_t R, int64_t V, float grad_scale,
                                  int64_t* count);
  void (*softmax_forward)(float* out, const float* x, int64_t R, int64_t C);
  // Mean sigmoid binary cross-entropy over N logits with float targets in [0,1].
  double (*bce_with_logits)(float* dlogits, const float* logits, const float* targets, int64_t N,
                            float grad_scale);
  // Mean squared error over N predictions.
  double (*mse)(float* dpred, const float* pred, const float* targets, int64_t N, float grad_scale);

  // One AdamW step over a flat buffer; decay[i] != 0 applies weight decay to parameter i (a null
  // mask decays every parameter, as torch does for one parameter group).
  void (*adamw)(float* params, const float* grads, float* m, float* v, const uint8_t* decay,
                int64_t N, const AdamWParams* hp);
  // Σ x² in float64, in fixed blocks (global gradient norm for clipping).
  double (*sum_squares)(const float* x, int64_t N);
};

// Defined once per instruction set in kernels/table.cc.
const KernelTable* kernel_table_scalar();
const KernelTable* kernel_table_avx2();
const KernelTable* kernel_table_avx512();

// dispatch.cc: the table in use, chosen at load from cpuid (or BERT_ISA) and changeable.
const KernelTable& kernels();
const char* active_isa();
// Whether the CPU has the AVX-512 set the avx512 kernels are built for (F, BW, DQ, VL, with AVX2
// and FMA) and, when `extension` is given, that extension too (a __builtin_cpu_supports name:
// "avx512bf16", "avx512vnni"). Read from cpuid once per question.
bool cpu_has_avx512(const char* extension = nullptr);
// Comma-separated list of the paths this CPU and build can run, widest first.
const char* available_isas();
// Switch paths; returns an error message, or null on success.
const char* set_isa(const char* name);
// Plain GEMM through the system BLAS when built with BERT_USE_BLAS, else the active table.
void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
          const float* bias);
bool gemm_uses_blas();

// blas_peer.cc: OpenBLAS (or BLIS) loaded with dlopen for the benchmark; nothing links against it.
bool peer_blas_available(const char** name);
void peer_blas_sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                     const float* A, const float* B, float beta, float* C);
void peer_blas_set_threads(int n);

}  // namespace bert

// Bindings for the kernels: check every argument (args.h), then call the active table.
// Each function's comment gives its JS signature; lib/native.ts types the same contract.
#include <string>

#include "args.h"
#include "bert/bf16.h"
#include "bert/int8.h"
#include "bert/kernels.h"
#include "bindings.h"

namespace bert {
namespace addon {
namespace {

const KernelTable& K() { return kernels(); }

// ids[i] must index a table of `rows` rows (padding ids included).
void check_ids(const Args& a, const int32_t* ids, int64_t n, int64_t rows, const char* name) {
  for (int64_t i = 0; i < n; ++i)
    if (ids[i] < 0 || ids[i] >= rows)
      a.range_error(std::string("Expected ") + name + "[" + std::to_string(i) + "] in [0, " +
                    std::to_string(rows) + ") but received " + std::to_string(ids[i]));
}

// The Uint16Array length bf16Pack fills for a [N,K] weight, after an overflow check.
int64_t bf16_length(const Args& a, int64_t N, int64_t K) {
  a.product({N + kBf16PanelColumns, K + 1});
  return bert::bf16_packed_length(N, K);
}

// The Uint8Array length int8Pack fills for a [N,K] weight, after an overflow check.
int64_t int8_length(const Args& a, int64_t N, int64_t K) {
  a.product({N + kInt8PanelColumns, K + 8});
  return bert::int8_packed_length(N, K);
}

// gemm's arguments (transA, transB, M, N, K, alpha, A, B, beta, C, bias|null), checked: shared by
// the fp32 and the mixed-precision GEMM, which keep one contract.
struct GemmCall {
  bool ta, tb;
  int64_t M, N, K;
  float alpha, beta;
  const float *A, *B, *bias;
  float* C;
};
GemmCall gemm_call(const Args& a) {
  GemmCall g;
  g.ta = a.flag(0, "transA");
  g.tb = a.flag(1, "transB");
  g.M = a.dim(2, "M", true);
  g.N = a.dim(3, "N", true);
  g.K = a.dim(4, "K", true);
  g.alpha = (float)a.number(5, "alpha");
  g.A = a.f32(6, "A", a.product({g.M, g.K}), "M·K");
  g.B = a.f32(7, "B", a.product({g.K, g.N}), "K·N");
  g.beta = (float)a.number(8, "beta");
  g.C = a.f32(9, "C", a.product({g.M, g.N}), "M·N");
  g.bias = a.f32_or_null(10, "bias", g.N, "N");
  return g;
}

}  // namespace

// gemm(transA, transB, M, N, K, alpha, A, B, beta, C, bias|null)
Napi::Value gemm(const Napi::CallbackInfo& info) {
  Args a(info, "gemm", 11);
  GemmCall g = gemm_call(a);
  bert::gemm(g.ta, g.tb, g.M, g.N, g.K, g.alpha, g.A, g.ta ? g.M : g.K, g.B, g.tb ? g.K : g.N, g.beta,
             g.C, g.N, g.bias);
  return info.Env().Undefined();
}

// bf16Supported() → whether gemmBf16 can run here (build and CPU)
Napi::Value bf16Supported(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), bert::bf16_supported());
}

// bf16PackedLength(N, K) → Uint16Array length that bf16Pack fills for a [N,K] weight
Napi::Value bf16PackedLength(const Napi::CallbackInfo& info) {
  Args a(info, "bf16PackedLength", 2);
  int64_t N = a.dim(0, "N"), K = a.dim(1, "K");
  return Napi::Number::New(info.Env(), (double)bf16_length(a, N, K));
}

// bf16Pack(dst, W, N, K): W [N,K] float32 → bf16 panels in dst
Napi::Value bf16Pack(const Napi::CallbackInfo& info) {
  Args a(info, "bf16Pack", 4);
  int64_t N = a.dim(2, "N"), K = a.dim(3, "K");
  uint16_t* dst = a.u16(0, "dst", bf16_length(a, N, K), "bf16PackedLength(N, K)");
  const float* W = a.f32(1, "W", a.product({N, K}), "N·K");
  if (dst) bert::bf16_pack(dst, W, N, K);
  return info.Env().Undefined();
}

// gemmBf16(M, N, K, A, Wp, C, bias|null, gelu): C = A·Wᵀ (+ bias) (then GELU) with W from bf16Pack
Napi::Value gemmBf16(const Napi::CallbackInfo& info) {
  Args a(info, "gemmBf16", 8);
  if (!bert::bf16_supported()) a.range_error("this CPU (or build) has no AVX512_BF16; use gemm");
  int64_t M = a.dim(0, "M", true), N = a.dim(1, "N", true), K = a.dim(2, "K", true);
  const float* A = a.f32(3, "A", a.product({M, K}), "M·K");
  const uint16_t* Wp = a.u16(4, "Wp", bf16_length(a, N, K), "bf16PackedLength(N, K)");
  float* C = a.f32(5, "C", a.product({M, N}), "M·N");
  const float* bias = a.f32_or_null(6, "bias", N, "N");
  bool gelu = a.flag(7, "gelu");
  bert::gemm_bf16(M, N, K, A, Wp, C, bias, gelu);
  return info.Env().Undefined();
}

// int8Supported() → whether gemmInt8 can run here (build and CPU: AVX512-VNNI)
Napi::Value int8Supported(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), bert::int8_supported());
}

// int8PackedLength(N, K) → Uint8Array length that int8Pack fills for a [N,K] weight
Napi::Value int8PackedLength(const Napi::CallbackInfo& info) {
  Args a(info, "int8PackedLength", 2);
  int64_t N = a.dim(0, "N"), K = a.dim(1, "K");
  return Napi::Number::New(info.Env(), (double)int8_length(a, N, K));
}

// int8Pack(dst, W, N, K): W [N,K] float32 → int8 panels, scales and column sums in dst
Napi::Value int8Pack(const Napi::CallbackInfo& info) {
  Args a(info, "int8Pack", 4);
  int64_t N = a.dim(2, "N"), K = a.dim(3, "K");
  uint8_t* dst = a.u8(0, "dst", int8_length(a, N, K), "int8PackedLength(N, K)");
  const float* W = a.f32(1, "W", a.product({N, K}), "N·K");
  if (dst) bert::int8_pack(dst, W, N, K);
  return info.Env().Undefined();
}

// gemmInt8(M, N, K, A, Wp, C, bias|null, gelu): C = A·Wᵀ (+ bias) (then GELU), A quantized per row,
// W from int8Pack
Napi::Value gemmInt8(const Napi::CallbackInfo& info) {
  Args a(info, "gemmInt8", 8);
  if (!bert::int8_supported()) a.range_error("this CPU (or build) has no AVX512-VNNI; use gemm");
  int64_t M = a.dim(0, "M", true), N = a.dim(1, "N", true), K = a.dim(2, "K", true);
  const float* A = a.f32(3, "A", a.product({M, K}), "M·K");
  const uint8_t* Wp = a.u8(4, "Wp", int8_length(a, N, K), "int8PackedLength(N, K)");
  float* C = a.f32(5, "C", a.product({M, N}), "M·N");
  const float* bias = a.f32_or_null(6, "bias", N, "N");
  bool gelu = a.flag(7, "gelu");
  a.product({M, K + 4});  // the quantized copy of A
  bert::gemm_int8(M, N, K, A, Wp, C, bias, gelu);
  return info.Env().Undefined();
}

// int8QuantizeWeights(W, N, K, q, scale): W [N,K] → q [N,K] int8, scale [N] (as int8Pack does)
Napi::Value int8QuantizeWeights(const Napi::CallbackInfo& info) {
  Args a(info, "int8QuantizeWeights", 5);
  int64_t N = a.dim(1, "N"), K = a.dim(2, "K");
  const float* W = a.f32(0, "W", a.product({N, K}), "N·K");
  int8_t* q = a.i8(3, "q", a.product({N, K}), "N·K");
  float* scale = a.f32(4, "scale", N, "N");
  if (N && K) bert::int8_quantize_weights(W, N, K, q, scale);
  return info.Env().Undefined();
}

// int8QuantizeRows(A, M, K, q, scale, zero): A [M,K] → q [M,K] uint8, scale [M], zero [M] (as gemmInt8 does)
Napi::Value int8QuantizeRows(const Napi::CallbackInfo& info) {
  Args a(info, "int8QuantizeRows", 6);
  int64_t M = a.dim(1, "M"), K = a.dim(2, "K");
  const float* A = a.f32(0, "A", a.product({M, K}), "M·K");
  uint8_t* q = a.u8(3, "q", a.product({M, K}), "M·K");
  float* scale = a.f32(4, "scale", M, "M");
  int32_t* zero = a.i32(5, "zero", M, "M");
  if (M && K) bert::int8_quantize_rows(A, M, K, q, K, scale, zero);
  return info.Env().Undefined();
}

// gemmBf16Mixed(transA, transB, M, N, K, alpha, A, B, beta, C, bias|null): gemm's contract with
// both operands rounded to bf16 and float32 sums (mixed-precision training)
Napi::Value gemmBf16Mixed(const Napi::CallbackInfo& info) {
  Args a(info, "gemmBf16Mixed", 11);
  if (!bert::bf16_supported()) a.range_error("this CPU (or build) has no AVX512_BF16; use gemm");
  GemmCall g = gemm_call(a);
  bf16_length(a, g.N, g.K);  // the packed copy of op(B) must be countable too
  bert::gemm_bf16_mixed(g.ta, g.tb, g.M, g.N, g.K, g.alpha, g.A, g.ta ? g.M : g.K, g.B,
                        g.tb ? g.K : g.N, g.beta, g.C, g.N, g.bias);
  return info.Env().Undefined();
}

// biasBackward(dbias, dy, R, N): dbias += column sums of dy
Napi::Value biasBackward(const Napi::CallbackInfo& info) {
  Args a(info, "biasBackward", 4);
  int64_t R = a.dim(2, "R", true), N = a.dim(3, "N");
  float* db = a.f32(0, "dbias", N, "N");
  const float* dy = a.f32(1, "dy", a.product({R, N}), "R·N");
  K().bias_backward(db, dy, R, N);
  return info.Env().Undefined();
}

namespace {

typedef void (*AttentionFn)(float*, float*, const float*, const float*, int64_t, int64_t, int64_t,
                            int64_t, float, uint64_t);
typedef void (*AttentionBackwardFn)(float*, const float*, const float*, const float*, int64_t,
                                    int64_t, int64_t, int64_t, float, uint64_t);

// The checks of attentionForward and attentionForwardBf16, then the call.
Napi::Value attention_forward_call(const Napi::CallbackInfo& info, const char* name, bool bf16) {
  Args a(info, name, 10);
  if (bf16 && !bert::bf16_supported()) a.range_error("this CPU (or build) has no AVX512_BF16; use attentionForward");
  int64_t B = a.dim(4, "B"), T = a.dim(5, "T"), NH = a.dim(6, "NH"), HS = a.dim(7, "HS");
  float p = a.probability(8, "dropoutP");
  uint64_t seed = a.seed(9, "seed");
  float* out = a.f32(0, "out", a.product({B, T, NH, HS}), "B·T·NH·HS");
  float* probs = a.f32_or_null(1, "probs", a.product({B, NH, T, T}), "B·NH·T·T");
  const float* qkv = a.f32(2, "qkv", a.product({B, T, 3, NH, HS}), "B·T·3·NH·HS");
  const float* mask = a.f32_or_null(3, "mask", a.product({B, T}), "B·T");
  if (p > 0 && !probs) a.range_error("Expected probs (saved for backward) when dropoutP > 0");
  AttentionFn f = bf16 ? bert::attention_forward_bf16 : K().attention_forward;
  f(out, probs, qkv, mask, B, T, NH, HS, p, seed);
  return info.Env().Undefined();
}

Napi::Value attention_backward_call(const Napi::CallbackInfo& info, const char* name, bool bf16) {
  Args a(info, name, 10);
  if (bf16 && !bert::bf16_supported()) a.range_error("this CPU (or build) has no AVX512_BF16; use attentionBackward");
  int64_t B = a.dim(4, "B"), T = a.dim(5, "T"), NH = a.dim(6, "NH"), HS = a.dim(7, "HS");
  float p = a.probability(8, "dropoutP");
  uint64_t seed = a.seed(9, "seed");
  float* dqkv = a.f32(0, "dqkv", a.product({B, T, 3, NH, HS}), "B·T·3·NH·HS");
  const float* dout = a.f32(1, "dout", a.product({B, T, NH, HS}), "B·T·NH·HS");
  const float* probs = a.f32(2, "probs", a.product({B, NH, T, T}), "B·NH·T·T");
  const float* qkv = a.f32(3, "qkv", a.product({B, T, 3, NH, HS}), "B·T·3·NH·HS");
  AttentionBackwardFn f = bf16 ? bert::attention_backward_bf16 : K().attention_backward;
  f(dqkv, dout, probs, qkv, B, T, NH, HS, p, seed);
  return info.Env().Undefined();
}

}  // namespace

// attentionForward(out, probs|null, qkv, mask|null, B, T, NH, HS, dropoutP, seed)
Napi::Value attentionForward(const Napi::CallbackInfo& info) {
  return attention_forward_call(info, "attentionForward", false);
}

// attentionForwardBf16(…): attentionForward's contract with QKᵀ and PV in bf16 (float32 sums)
Napi::Value attentionForwardBf16(const Napi::CallbackInfo& info) {
  return attention_forward_call(info, "attentionForwardBf16", true);
}

// attentionBackward(dqkv, dout, probs, qkv, B, T, NH, HS, dropoutP, seed)
Napi::Value attentionBackward(const Napi::CallbackInfo& info) {
  return attention_backward_call(info, "attentionBackward", false);
}

// attentionBackwardBf16(…): attentionBackward's contract with its four products in bf16
Napi::Value attentionBackwardBf16(const Napi::CallbackInfo& info) {
  return attention_backward_call(info, "attentionBackwardBf16", true);
}

// layerNormForward(out, mean|null, rstd|null, x, gamma, beta, R, C, eps)
Napi::Value layerNormForward(const Napi::CallbackInfo& info) {
  Args a(info, "layerNormForward", 9);
  int64_t R = a.dim(6, "R", true), C = a.dim(7, "C");
  float eps = (float)a.number(8, "eps");
  if (eps <= 0) a.range_error("Expected positive number for eps");
  int64_t n = a.product({R, C});
  float* out = a.f32(0, "out", n, "R·C");
  float* mean = a.f32_or_null(1, "mean", R, "R");
  float* rstd = a.f32_or_null(2, "rstd", R, "R");
  const float* x = a.f32(3, "x", n, "R·C");
  const float* g = a.f32(4, "gamma", C, "C");
  const float* b = a.f32(5, "beta", C, "C");
  K().layernorm_forward(out, mean, rstd, x, g, b, R, C, eps);
  return info.Env().Undefined();
}

// layerNormBackward(dx, dgamma|null, dbeta|null, dout, x, mean, rstd, gamma, R, C, accumulate)
Napi::Value layerNormBackward(const Napi::CallbackInfo& info) {
  Args a(info, "layerNormBackward", 11);
  int64_t R = a.dim(8, "R", true), C = a.dim(9, "C");
  bool acc = a.flag(10, "accumulate");
  int64_t n = a.product({R, C});
  float* dx = a.f32(0, "dx", n, "R·C");
  float* dg = a.f32_or_null(1, "dgamma", C, "C");
  float* db = a.f32_or_null(2, "dbeta", C, "C");
  const float* dout = a.f32(3, "dout", n, "R·C");
  const float* x = a.f32(4, "x", n, "R·C");
  const float* mean = a.f32(5, "mean", R, "R");
  const float* rstd = a.f32(6, "rstd", R, "R");
  const float* g = a.f32(7, "gamma", C, "C");
  K().layernorm_backward(dx, dg, db, dout, x, mean, rstd, g, R, C, acc);
  return info.Env().Undefined();
}

// residualLayerNormForward(out, sum|null, mean|null, rstd|null, x, residual, gamma, beta, R, C, eps)
Napi::Value residualLayerNormForward(const Napi::CallbackInfo& info) {
  Args a(info, "residualLayerNormForward", 11);
  int64_t R = a.dim(8, "R", true), C = a.dim(9, "C");
  float eps = (float)a.number(10, "eps");
  if (eps <= 0) a.range_error("Expected positive number for eps");
  int64_t n = a.product({R, C});
  float* out = a.f32(0, "out", n, "R·C");
  float* sum = a.f32_or_null(1, "sum", n, "R·C");
  float* mean = a.f32_or_null(2, "mean", R, "R");
  float* rstd = a.f32_or_null(3, "rstd", R, "R");
  const float* x = a.f32(4, "x", n, "R·C");
  const float* res = a.f32(5, "residual", n, "R·C");
  const float* g = a.f32(6, "gamma", C, "C");
  const float* b = a.f32(7, "beta", C, "C");
  K().residual_layernorm_forward(out, sum, mean, rstd, x, res, g, b, R, C, eps);
  return info.Env().Undefined();
}

// biasGeluForward(out, pre, bias|null, R, C): pre += bias; out = gelu(pre)
Napi::Value biasGeluForward(const Napi::CallbackInfo& info) {
  Args a(info, "biasGeluForward", 5);
  int64_t R = a.dim(3, "R", true), C = a.dim(4, "C");
  int64_t n = a.product({R, C});
  float* out = a.f32(0, "out", n, "R·C");
  float* pre = a.f32(1, "pre", n, "R·C");
  const float* bias = a.f32_or_null(2, "bias", C, "C");
  K().bias_gelu_forward(out, pre, bias, R, C);
  return info.Env().Undefined();
}

// The elementwise pairs share one shape: (out, in1, in2?) of equal length N.
static int64_t same_length(const Args& a, const Napi::CallbackInfo& info, size_t count) {
  for (size_t i = 0; i < count; ++i)
    if (!info[i].IsTypedArray()) a.type_error("Expected Float32Array for argument " + std::to_string(i + 1));
  return (int64_t)info[0].As<Napi::TypedArray>().ElementLength();
}

// geluBackward(dpre, dout, pre)
Napi::Value geluBackward(const Napi::CallbackInfo& info) {
  Args a(info, "geluBackward", 3);
  int64_t n = same_length(a, info, 3);
  float* dpre = a.f32(0, "dpre", n, "N");
  const float* dout = a.f32(1, "dout", n, "N");
  const float* pre = a.f32(2, "pre", n, "N");
  K().gelu_backward(dpre, dout, pre, n);
  return info.Env().Undefined();
}

// tanhForward(out, x)
Napi::Value tanhForward(const Napi::CallbackInfo& info) {
  Args a(info, "tanhForward", 2);
  int64_t n = same_length(a, info, 2);
  K().tanh_forward(a.f32(0, "out", n, "N"), a.f32(1, "x", n, "N"), n);
  return info.Env().Undefined();
}

// tanhBackward(dx, dout, out)
Napi::Value tanhBackward(const Napi::CallbackInfo& info) {
  Args a(info, "tanhBackward", 3);
  int64_t n = same_length(a, info, 3);
  K().tanh_backward(a.f32(0, "dx", n, "N"), a.f32(1, "dout", n, "N"), a.f32(2, "out", n, "N"), n);
  return info.Env().Undefined();
}

// dropoutForward(out, x, p, seed)
Napi::Value dropoutForward(const Napi::CallbackInfo& info) {
  Args a(info, "dropoutForward", 4);
  int64_t n = same_length(a, info, 2);
  float p = a.probability(2, "p");
  uint64_t seed = a.seed(3, "seed");
  K().dropout_forward(a.f32(0, "out", n, "N"), a.f32(1, "x", n, "N"), n, p, seed);
  return info.Env().Undefined();
}

// dropoutBackward(dx, dout, p, seed)
Napi::Value dropoutBackward(const Napi::CallbackInfo& info) {
  Args a(info, "dropoutBackward", 4);
  int64_t n = same_length(a, info, 2);
  float p = a.probability(2, "p");
  uint64_t seed = a.seed(3, "seed");
  K().dropout_backward(a.f32(0, "dx", n, "N"), a.f32(1, "dout", n, "N"), n, p, seed);
  return info.Env().Undefined();
}

// embeddingForward(out, ids, table, R, C, V, accumulate)
Napi::Value embeddingForward(const Napi::CallbackInfo& info) {
  Args a(info, "embeddingForward", 7);
  int64_t R = a.dim(3, "R", true), C = a.dim(4, "C"), V = a.dim(5, "V");
  bool acc = a.flag(6, "accumulate");
  float* out = a.f32(0, "out", a.product({R, C}), "R·C");
  const int32_t* ids = a.i32(1, "ids", R, "R");
  const float* table = a.f32(2, "table", a.product({V, C}), "V·C");
  check_ids(a, ids, R, V, "ids");
  K().embedding_forward(out, ids, table, R, C, acc);
  return info.Env().Undefined();
}

// embeddingBackward(dtable, dout, ids, R, C, V, paddingIdx)
Napi::Value embeddingBackward(const Napi::CallbackInfo& info) {
  Args a(info, "embeddingBackward", 7);
  int64_t R = a.dim(3, "R", true), C = a.dim(4, "C"), V = a.dim(5, "V");
  double pad = a.number(6, "paddingIdx");
  if (pad != std::floor(pad) || pad < -1 || pad >= (double)V)
    a.range_error("Expected paddingIdx in [-1, V) but received " + std::to_string(pad));
  float* dtable = a.f32(0, "dtable", a.product({V, C}), "V·C");
  const float* dout = a.f32(1, "dout", a.product({R, C}), "R·C");
  const int32_t* ids = a.i32(2, "ids", R, "R");
  check_ids(a, ids, R, V, "ids");
  K().embedding_backward(dtable, dout, ids, R, C, (int64_t)pad);
  return info.Env().Undefined();
}

// softmaxCrossEntropy(dlogits|null, losses|null, logits, targets, R, V, gradScale) → {loss, count}
Napi::Value softmaxCrossEntropy(const Napi::CallbackInfo& info) {
  Args a(info, "softmaxCrossEntropy", 7);
  int64_t R = a.dim(4, "R", true), V = a.dim(5, "V");
  float scale = (float)a.number(6, "gradScale");
  int64_t n = a.product({R, V});
  float* dlogits = a.f32_or_null(0, "dlogits", n, "R·V");
  float* losses = a.f32_or_null(1, "losses", R, "R");
  const float* logits = a.f32(2, "logits", n, "R·V");
  const int32_t* targets = a.i32(3, "targets", R, "R");
  for (int64_t i = 0; i < R; ++i)
    if (targets[i] != -100 && (targets[i] < 0 || targets[i] >= V))
      a.range_error("Expected targets[" + std::to_string(i) + "] in [0, " + std::to_string(V) +
                    ") or -100 but received " + std::to_string(targets[i]));
  int64_t count = 0;
  double loss = K().softmax_cross_entropy(dlogits, losses, logits, targets, R, V, scale, &count);
  Napi::Object r = Napi::Object::New(info.Env());
  r.Set("loss", loss);
  r.Set("count", (double)count);
  return r;
}

// softmaxForward(out, x, R, C)
Napi::Value softmaxForward(const Napi::CallbackInfo& info) {
  Args a(info, "softmaxForward", 4);
  int64_t R = a.dim(2, "R", true), C = a.dim(3, "C");
  int64_t n = a.product({R, C});
  K().softmax_forward(a.f32(0, "out", n, "R·C"), a.f32(1, "x", n, "R·C"), R, C);
  return info.Env().Undefined();
}

// The pointwise losses share one contract: (dx|null, x, targets, gradScale) → mean loss.
typedef double (*PointwiseLoss)(float*, const float*, const float*, int64_t, float);
static Napi::Value pointwise_loss(const Napi::CallbackInfo& info, const char* fn, const char* dname,
                                  const char* xname, PointwiseLoss loss) {
  Args a(info, fn, 4);
  if (!info[1].IsTypedArray()) a.type_error(std::string("Expected Float32Array for ") + xname);
  int64_t n = (int64_t)info[1].As<Napi::TypedArray>().ElementLength();
  float* d = a.f32_or_null(0, dname, n, "N");
  const float* x = a.f32(1, xname, n, "N");
  const float* y = a.f32(2, "targets", n, "N");
  float scale = (float)a.number(3, "gradScale");
  return Napi::Number::New(info.Env(), loss(d, x, y, n, scale));
}

// bceWithLogits(dlogits|null, logits, targets, gradScale) → mean loss
Napi::Value bceWithLogits(const Napi::CallbackInfo& info) {
  return pointwise_loss(info, "bceWithLogits", "dlogits", "logits", K().bce_with_logits);
}

// mse(dpred|null, pred, targets, gradScale) → mean loss
Napi::Value mse(const Napi::CallbackInfo& info) {
  return pointwise_loss(info, "mse", "dpred", "pred", K().mse);
}

// adamw(params, grads, m, v, decay|null, lr, beta1, beta2, eps, weightDecay, step, gradScale)
Napi::Value adamw(const Napi::CallbackInfo& info) {
  Args a(info, "adamw", 12);
  if (!info[0].IsTypedArray()) a.type_error("Expected Float32Array for params");
  int64_t n = (int64_t)info[0].As<Napi::TypedArray>().ElementLength();
  float* p = a.f32(0, "params", n, "N");
  const float* g = a.f32(1, "grads", n, "N");
  float* m = a.f32(2, "m", n, "N");
  float* v = a.f32(3, "v", n, "N");
  const uint8_t* decay = a.u8_or_null(4, "decay", n, "N");
  AdamWParams hp;
  hp.lr = (float)a.number(5, "lr");
  hp.beta1 = (float)a.number(6, "beta1");
  hp.beta2 = (float)a.number(7, "beta2");
  hp.eps = (float)a.number(8, "eps");
  hp.weight_decay = (float)a.number(9, "weightDecay");
  hp.step = a.dim(10, "step");
  hp.grad_scale = (float)a.number(11, "gradScale");
  if (hp.beta1 < 0 || hp.beta1 >= 1) a.range_error("Expected beta1 in [0, 1)");
  if (hp.beta2 < 0 || hp.beta2 >= 1) a.range_error("Expected beta2 in [0, 1)");
  if (hp.eps <= 0) a.range_error("Expected positive number for eps");
  K().adamw(p, g, m, v, decay, n, &hp);
  return info.Env().Undefined();
}

// sumSquares(x) → Σx² (float64)
Napi::Value sumSquares(const Napi::CallbackInfo& info) {
  Args a(info, "sumSquares", 1);
  if (!info[0].IsTypedArray()) a.type_error("Expected Float32Array for x");
  int64_t n = (int64_t)info[0].As<Napi::TypedArray>().ElementLength();
  return Napi::Number::New(info.Env(), K().sum_squares(a.f32(0, "x", n, "N"), n));
}

}  // namespace addon
}  // namespace bert

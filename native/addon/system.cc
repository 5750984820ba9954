// Bindings for the engine's state: instruction set, threads, build facts, and the BLAS peer that
// the benchmark measures beside our GEMM.
#include <string>

#include "args.h"
#include "bert/kernels.h"
#include "bert/parallel.h"
#include "bindings.h"

namespace bert {
namespace addon {

// isa() → "avx512" | "avx2" | "scalar"
Napi::Value isa(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), active_isa()); }

// availableIsas() → string[] (widest first)
Napi::Value availableIsas(const Napi::CallbackInfo& info) {
  Napi::Array out = Napi::Array::New(info.Env());
  std::string s = bert::available_isas();
  size_t start = 0;
  uint32_t i = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.Set(i++, s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// setIsa(name)
Napi::Value setIsa(const Napi::CallbackInfo& info) {
  Args a(info, "setIsa", 1);
  if (!info[0].IsString()) a.type_error("Expected string for name");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  if (const char* err = set_isa(name.c_str())) a.range_error("cannot use '" + name + "': " + err);
  return info.Env().Undefined();
}

Napi::Value numThreads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), num_threads()); }

// setNumThreads(n)
Napi::Value setNumThreads(const Napi::CallbackInfo& info) {
  Args a(info, "setNumThreads", 1);
  int64_t n = a.dim(0, "n");
  if (n > kMaxThreads) a.range_error("Expected at most " + std::to_string(kMaxThreads) + " threads");
  set_num_threads((int)n);
  // Linked against a system BLAS, its threads follow ours: one thread budget, never two pools
  // competing for the same cores.
  if (gemm_uses_blas()) peer_blas_set_threads((int)n);
  return info.Env().Undefined();
}

// buildInfo() → { blas: boolean, compiler: string }
Napi::Value buildInfo(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("blas", gemm_uses_blas());
#if defined(__clang__)
  o.Set("compiler", "clang " __clang_version__);
#elif defined(__GNUC__)
  o.Set("compiler", "gcc " __VERSION__);
#else
  o.Set("compiler", "unknown");
#endif
  return o;
}

// peerBlas() → name of the dlopen'ed BLAS, or null
Napi::Value peerBlas(const Napi::CallbackInfo& info) {
  const char* name = nullptr;
  if (!peer_blas_available(&name)) return info.Env().Null();
  return Napi::String::New(info.Env(), name);
}

// peerBlasSgemm(transA, transB, M, N, K, alpha, A, B, beta, C)
Napi::Value peerBlasSgemm(const Napi::CallbackInfo& info) {
  Args a(info, "peerBlasSgemm", 10);
  if (!peer_blas_available(nullptr)) a.range_error("no system BLAS could be loaded");
  bool ta = a.flag(0, "transA"), tb = a.flag(1, "transB");
  int64_t M = a.dim(2, "M"), N = a.dim(3, "N"), K = a.dim(4, "K");
  float alpha = (float)a.number(5, "alpha");
  const float* A = a.f32(6, "A", a.product({M, K}), "M·K");
  const float* B = a.f32(7, "B", a.product({K, N}), "K·N");
  float beta = (float)a.number(8, "beta");
  float* C = a.f32(9, "C", a.product({M, N}), "M·N");
  peer_blas_sgemm(ta, tb, M, N, K, alpha, A, B, beta, C);
  return info.Env().Undefined();
}

// peerBlasSetThreads(n)
Napi::Value peerBlasSetThreads(const Napi::CallbackInfo& info) {
  Args a(info, "peerBlasSetThreads", 1);
  peer_blas_set_threads((int)a.dim(0, "n"));
  return info.Env().Undefined();
}

}  // namespace addon
}  // namespace bert

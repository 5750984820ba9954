// Picks the widest kernel table the CPU runs (AVX-512 → AVX2+FMA → portable) at load time, or the
// one BERT_ISA names, and lets callers switch (tests run every path).
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bert/kernels.h"

#if defined(BERT_USE_BLAS)
#include <cblas.h>
#endif

namespace bert {
namespace {

bool cpu_has(const char* isa) {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (!std::strcmp(isa, "avx512"))
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (!std::strcmp(isa, "avx2")) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return !std::strcmp(isa, "scalar");
}

}  // namespace

bool cpu_has_avx512(const char* extension) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (!cpu_has("avx512")) return false;
  if (!extension) return true;
  if (!std::strcmp(extension, "avx512bf16")) return __builtin_cpu_supports("avx512bf16");
  if (!std::strcmp(extension, "avx512vnni")) return __builtin_cpu_supports("avx512vnni");
  return false;
#else
  (void)extension;
  return false;
#endif
}

namespace {

const KernelTable* table_for(const char* isa) {
  if (!cpu_has(isa)) return nullptr;
#if defined(BERT_HAVE_AVX512)
  if (!std::strcmp(isa, "avx512")) return kernel_table_avx512();
#endif
#if defined(BERT_HAVE_AVX2)
  if (!std::strcmp(isa, "avx2")) return kernel_table_avx2();
#endif
  if (!std::strcmp(isa, "scalar")) return kernel_table_scalar();
  return nullptr;
}

const char* const kOrder[] = {"avx512", "avx2", "scalar"};

const KernelTable* initial_table() {
  if (const char* want = std::getenv("BERT_ISA")) {
    if (*want) {
      if (const KernelTable* t = table_for(want)) return t;
      // An unusable request falls back to the best path; set_isa reports the reason when asked.
    }
  }
  for (const char* isa : kOrder)
    if (const KernelTable* t = table_for(isa)) return t;
  return kernel_table_scalar();
}

std::atomic<const KernelTable*> g_table{nullptr};

}  // namespace

const KernelTable& kernels() {
  const KernelTable* t = g_table.load(std::memory_order_acquire);
  if (!t) {
    t = initial_table();
    g_table.store(t, std::memory_order_release);
  }
  return *t;
}

const char* active_isa() { return kernels().isa; }

const char* available_isas() {
  static std::string list = [] {
    std::string s;
    for (const char* isa : kOrder)
      if (table_for(isa)) s += (s.empty() ? "" : ","), s += isa;
    return s;
  }();
  return list.c_str();
}

const char* set_isa(const char* name) {
  bool known = false;
  for (const char* isa : kOrder) known |= !std::strcmp(isa, name);
  if (!known) return "unknown instruction set (expected avx512, avx2 or scalar)";
  const KernelTable* t = table_for(name);
  if (!t) return "this CPU or this build cannot run that instruction set";
  g_table.store(t, std::memory_order_release);
  return nullptr;
}

bool gemm_uses_blas() {
#if defined(BERT_USE_BLAS)
  return true;
#else
  return false;
#endif
}

void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
          const float* bias) {
#if defined(BERT_USE_BLAS)
  if (M > 0 && N > 0 && K > 0) {
    if (bias) {  // BLAS has no bias: C = beta·C + bias first, then C += alpha·AB.
      for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = (beta == 0.f ? 0.f : beta * C[i * ldc + j]) + bias[j];
      beta = 1.f;
    }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                (int)M, (int)N, (int)K, alpha, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
    return;
  }
#endif
  kernels().gemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, bias);
}

}  // namespace bert

// The benchmark's peer: a system OpenBLAS (or BLIS) opened with dlopen when present, so the bench
// compares against it in the same process and nothing at build time depends on it.
#include <dlfcn.h>

#include "bert/kernels.h"

namespace bert {
namespace {

typedef void (*SgemmFn)(int order, int ta, int tb, int M, int N, int K, float alpha, const float* A,
                        int lda, const float* B, int ldb, float beta, float* C, int ldc);
typedef void (*SetThreadsFn)(int);

struct Peer {
  SgemmFn sgemm = nullptr;
  SetThreadsFn set_threads = nullptr;
  const char* name = nullptr;
  Peer() {
    const char* libs[][2] = {{"libopenblas.so.0", "OpenBLAS"}, {"libopenblas.so", "OpenBLAS"},
                             {"libblis.so.4", "BLIS"}, {"libblis.so", "BLIS"}};
    for (auto& lib : libs) {
      void* h = dlopen(lib[0], RTLD_NOW | RTLD_LOCAL);
      if (!h) continue;
      sgemm = (SgemmFn)dlsym(h, "cblas_sgemm");
      set_threads = (SetThreadsFn)dlsym(h, "openblas_set_num_threads");
      if (!set_threads) set_threads = (SetThreadsFn)dlsym(h, "bli_thread_set_num_threads");
      if (sgemm) {
        name = lib[1];
        return;
      }
      dlclose(h);
    }
  }
};

Peer& peer() {
  static Peer p;
  return p;
}

}  // namespace

bool peer_blas_available(const char** name) {
  if (name) *name = peer().name;
  return peer().sgemm != nullptr;
}

void peer_blas_set_threads(int n) {
  if (peer().set_threads) peer().set_threads(n);
}

void peer_blas_sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                     const float* A, const float* B, float beta, float* C) {
  // CBLAS: RowMajor = 101, NoTrans = 111, Trans = 112.
  peer().sgemm(101, transA ? 112 : 111, transB ? 112 : 111, (int)M, (int)N, (int)K, alpha, A,
               transA ? (int)M : (int)K, B, transB ? (int)K : (int)N, beta, C, (int)N);
}

}  // namespace bert

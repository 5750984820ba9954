// One process-wide thread pool for every kernel (never OpenMP beside a threaded BLAS: on two cores
// they would fight). The calling thread works as thread 0; the others wait spinning briefly, then
// sleep. Work is split by the kernel itself from (tid, nth), in fixed blocks, like ggml.
//
// Only plain C types cross this header: kernel translation units are compiled with wide -m flags
// and must not instantiate templates that the baseline code also uses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace bert {

constexpr int kMaxThreads = 64;

// Threads kernels may use: BERT_NUM_THREADS, else the CPUs this process may run on.
int num_threads();
void set_num_threads(int n);

typedef void (*TaskFn)(void* ctx, int tid, int nth);
// Runs fn(ctx, tid, nth) for tid = 0..nth−1 across the pool and returns when all are done.
// nth is clamped to [1, num_threads()].
void parallel_run(TaskFn fn, void* ctx, int nth);

// A per-thread, per-slot buffer of at least `bytes`, 64-byte aligned, reused across calls.
// Slots: 0–1 GEMM packing, 2–3 attention scores, 4 reductions.
void* thread_scratch(int tid, int slot, size_t bytes);

}  // namespace bert

#if defined(BERT_NS)
namespace bert {
namespace BERT_NS {
// Runs a lambda f(tid, nth) on nth threads. The trampoline's type is unique to this namespace.
template <class F>
static inline void par(int nth, F&& f) {
  if (nth <= 1) { f(0, 1); return; }
  typedef typename std::remove_reference<F>::type Fn;
  parallel_run([](void* c, int tid, int n) { (*static_cast<Fn*>(c))(tid, n); }, (void*)&f, nth);
}
// The half-open range [b, e) of n items that thread tid of nth takes, in blocks of `align`.
static inline void split_range(int64_t n, int tid, int nth, int64_t align, int64_t* b, int64_t* e) {
  int64_t blocks = (n + align - 1) / align;
  int64_t per = (blocks + nth - 1) / nth;
  int64_t lo = per * tid * align, hi = per * (tid + 1) * align;
  *b = lo < n ? lo : n;
  *e = hi < n ? hi : n;
}
// How many threads `work` units deserve when one thread should get at least `grain` of them.
static inline int threads_for(int64_t work, int64_t grain) {
  int64_t t = work / (grain > 0 ? grain : 1);
  int n = num_threads();
  return t < 1 ? 1 : (t < n ? (int)t : n);
}
// A GEMM's output split over threads: by columns in blocks of nr when N ≥ M, else by rows in
// blocks of mr, one thread per ~2 MFLOP (below that the pool's wake-up costs more than it saves).
// f(tid, by_columns, begin, end) computes its part; no part is empty.
template <class F>
static inline void split_gemm(int64_t M, int64_t N, int64_t K, int64_t mr, int64_t nr, F&& f) {
  int nth = threads_for(M * N * (K > 0 ? K : 1), int64_t(1) << 20);
  bool by_columns = N >= M;
  int64_t span = by_columns ? N : M, align = by_columns ? nr : mr;
  if ((span + align - 1) / align < nth) nth = (int)((span + align - 1) / align);
  par(nth, [&](int tid, int n) {
    int64_t b, e;
    split_range(span, tid, n, align, &b, &e);
    if (b < e) f(tid, by_columns, b, e);
  });
}
}  // namespace BERT_NS
}  // namespace bert
#endif

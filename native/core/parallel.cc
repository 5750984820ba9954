// The thread pool behind parallel_run. Workers spin for a short while after each job (kernels come
// in quick succession during a training step, and waking a sleeping thread costs tens of
// microseconds), then sleep on a condition variable so an idle bert-cli uses no CPU.
#include "bert/parallel.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#define BERT_PAUSE() _mm_pause()
#else
#define BERT_PAUSE() std::this_thread::yield()
#endif

namespace bert {
namespace {

constexpr std::chrono::microseconds kSpin{100};

int default_threads() {
  if (const char* env = std::getenv("BERT_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n < kMaxThreads ? n : kMaxThreads;
  }
#if defined(__linux__)
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n < kMaxThreads ? n : kMaxThreads;
  }
#endif
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : (n < (unsigned)kMaxThreads ? (int)n : kMaxThreads);
}

struct Pool {
  std::vector<std::thread> workers;
  std::mutex mu;
  std::condition_variable wake;
  std::atomic<uint64_t> generation{0};
  std::atomic<int> pending{0};
  TaskFn fn = nullptr;
  void* ctx = nullptr;
  int nth = 1;
  bool stop = false;

  void ensure(int n) {  // n − 1 workers (the caller is thread 0)
    while ((int)workers.size() < n - 1) {
      int tid = (int)workers.size() + 1;
      workers.emplace_back([this, tid] { loop(tid); });
    }
  }

  void loop(int tid) {
    uint64_t seen = 0;
    for (;;) {
      // Spin up to kSpin for the next job, then sleep. Long enough to bridge the JS between two
      // kernels of a training step; short enough not to steal a core from another pool (another
      // process, or a BLAS that the benchmark runs beside us) for a whole scheduler slice.
      uint64_t g;
      const auto deadline = std::chrono::steady_clock::now() + kSpin;
      for (int i = 0; (g = generation.load(std::memory_order_acquire)) == seen; ++i) {
        BERT_PAUSE();
        if ((i & 63) == 63 && std::chrono::steady_clock::now() > deadline) break;
      }
      if (g == seen) {
        std::unique_lock<std::mutex> lock(mu);
        wake.wait(lock, [&] { return stop || generation.load(std::memory_order_acquire) != seen; });
        if (stop) return;
        g = generation.load(std::memory_order_acquire);
      }
      seen = g;
      if (tid < nth) {
        fn(ctx, tid, nth);
        pending.fetch_sub(1, std::memory_order_acq_rel);
      }
    }
  }

  void run(TaskFn f, void* c, int n) {
    ensure(n);
    fn = f;
    ctx = c;
    nth = n;
    pending.store(n - 1, std::memory_order_release);
    {
      std::lock_guard<std::mutex> lock(mu);
      generation.fetch_add(1, std::memory_order_acq_rel);
    }
    wake.notify_all();
    f(c, 0, n);
    while (pending.load(std::memory_order_acquire) != 0) BERT_PAUSE();
  }

  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu);
      stop = true;
      generation.fetch_add(1);
    }
    wake.notify_all();
    for (auto& t : workers) t.join();
  }
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: workers may outlive static destruction order
  return *p;
}

std::atomic<int> g_threads{0};

struct Scratch {
  void* ptr = nullptr;
  size_t bytes = 0;
};
Scratch g_scratch[kMaxThreads][8];

}  // namespace

int num_threads() {
  int n = g_threads.load(std::memory_order_relaxed);
  if (n == 0) {
    n = default_threads();
    g_threads.store(n, std::memory_order_relaxed);
  }
  return n;
}

void set_num_threads(int n) {
  if (n < 1) n = 1;
  if (n > kMaxThreads) n = kMaxThreads;
  g_threads.store(n, std::memory_order_relaxed);
}

void parallel_run(TaskFn fn, void* ctx, int nth) {
  int n = num_threads();
  if (nth > n) nth = n;
  if (nth <= 1) {
    fn(ctx, 0, 1);
    return;
  }
  pool().run(fn, ctx, nth);
}

void* thread_scratch(int tid, int slot, size_t bytes) {
  Scratch& s = g_scratch[tid][slot];
  if (s.bytes < bytes) {
    std::free(s.ptr);
    size_t rounded = (bytes + 63) & ~size_t(63);
    s.ptr = std::aligned_alloc(64, rounded);
    if (!s.ptr) throw std::bad_alloc();
    s.bytes = rounded;
  }
  return s.ptr;
}

}  // namespace bert

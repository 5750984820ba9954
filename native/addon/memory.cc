// Large float32 buffers (the parameter and gradient arenas) on transparent huge pages.
//
// Why: the first write to every 4 KiB page of a fresh buffer is a page fault, and in this project's
// virtual machines a fault costs microseconds: loading BERT-base's 440 MB of weights spent ~1.2 s
// in 107,000 of them, against 0.07 s to read the file. With MADV_HUGEPAGE the kernel maps 2 MiB
// pages instead (where it is set to "madvise" or "always"): 512 times fewer faults. Elsewhere, or
// when the mapping fails, the buffer is an ordinary one.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "args.h"
#include "bindings.h"

namespace bert {
namespace addon {

namespace {
constexpr size_t kHuge = size_t(2) << 20;
constexpr size_t kMinBytes = size_t(8) << 20;  // below this, faults are few and malloc is fine
// V8's limits: a typed array holds at most 2^32 elements, and an external ArrayBuffer at most 4 GiB
// (past that its creation fails, and the failure path freed the finalizer's data twice: SIGABRT)
constexpr double kMaxFloats = 4294967296.0;
constexpr size_t kMaxExternalBytes = size_t(1) << 32;

struct Mapping {
  void* base;
  size_t len;
};
}  // namespace

// allocF32(n) → Float32Array of n zeros; 2 MiB-aligned and advised for huge pages when large
Napi::Value allocF32(const Napi::CallbackInfo& info) {
  Args a(info, "allocF32", 1);
  Napi::Env env = info.Env();
  double d = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= 0) || d != std::floor(d)) a.dim(0, "n", true);  // throws its RangeError
  if (d > kMaxFloats)
    throw Napi::RangeError::New(env, "allocF32: n (" + std::to_string((int64_t)d) + " floats) is more than the 4294967296 one Float32Array holds");
  int64_t n = (int64_t)d;
  size_t bytes = (size_t)n * 4;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (bytes >= kMinBytes && bytes <= kMaxExternalBytes) {
    size_t len = (bytes + kHuge - 1) / kHuge * kHuge + kHuge;  // room to align the start
    void* base = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base != MAP_FAILED) {
      uintptr_t start = ((uintptr_t)base + kHuge - 1) & ~(uintptr_t)(kHuge - 1);
      madvise((void*)start, len - (start - (uintptr_t)base), MADV_HUGEPAGE);  // advice only
      auto* m = new Mapping{base, len};
      Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(
          env, (void*)start, bytes,
          [](Napi::Env e, void*, Mapping* m) {
            munmap(m->base, m->len);
            Napi::MemoryManagement::AdjustExternalMemory(e, -(int64_t)m->len);
            delete m;
          },
          m);
      Napi::MemoryManagement::AdjustExternalMemory(env, (int64_t)len);
      return Napi::Float32Array::New(env, (size_t)n, ab, 0);
    }
  }
#endif
  return Napi::Float32Array::New(env, (size_t)n);
}

}  // namespace addon
}  // namespace bert

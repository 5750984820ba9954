// Large float32 buffers (the parameter and gradient arenas) on transparent huge pages.
//
// Why: the first write to every 4 KiB page of a fresh buffer is a page fault, and in this project's
// virtual machines a fault costs microseconds: loading BERT-base's 440 MB of weights spent ~1.2 s
// in 107,000 of them, against 0.07 s to read the file. With MADV_HUGEPAGE the kernel maps 2 MiB
// pages instead (where it is set to "madvise" or "always"): 512 times fewer faults. Elsewhere, or
// when the mapping fails, the buffer is an ordinary one.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#if defined(__linux__)
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
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

#if defined(__linux__)
namespace {
// The ranges of mapped checkpoints, for the SIGBUS handler: a file truncated by another program while
// it is mapped turns a read of its lost pages into SIGBUS, which would otherwise kill the process
// with a core dump. The handler ends it with one line naming the file instead.
struct MappedFile {
  std::atomic<uintptr_t> begin{0}, end{0};
  char path[480];
};
constexpr int kMaxMapped = 32;
MappedFile g_mapped[kMaxMapped];
std::atomic<bool> g_handler{false};
struct sigaction g_previous;

// Files the process is writing that are not done (an output's temporary twin): the SIGBUS handler
// removes them before it ends the process, so a truncated checkpoint leaves no half-written output.
struct PartialFile {
  std::atomic<bool> used{false};
  char path[4096];
};
constexpr int kMaxPartial = 16;
PartialFile g_partial[kMaxPartial];

void on_sigbus(int sig, siginfo_t* si, void* ctx) {
  uintptr_t a = (uintptr_t)si->si_addr;
  for (auto& m : g_mapped) {
    if (a >= m.begin.load() && a < m.end.load()) {
      for (auto& p : g_partial)
        if (p.used.load()) unlink(p.path);  // async-signal-safe
      const char head[] = "bert-cli: ";
      const char tail[] = ": the file was truncated while in use (changed by another program); nothing was written\n";
      ssize_t r = write(2, head, sizeof head - 1);
      r = write(2, m.path, strnlen(m.path, sizeof m.path));
      r = write(2, tail, sizeof tail - 1);
      (void)r;
      _exit(1);
    }
  }
  // not ours: whatever was there before (the default: a core dump)
  if (g_previous.sa_flags & SA_SIGINFO) {
    if (g_previous.sa_sigaction) return g_previous.sa_sigaction(sig, si, ctx);
  } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    return g_previous.sa_handler(sig);
  }
  signal(sig, SIG_DFL);  // returning re-runs the faulting access, which now takes the default action
}

void install_sigbus_handler() {
  if (g_handler.exchange(true)) return;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGBUS, &sa, &g_previous);
}

int register_mapping(uintptr_t begin, uintptr_t end, const std::string& path) {
  for (int i = 0; i < kMaxMapped; i++) {
    if (g_mapped[i].end.load() != 0) continue;
    snprintf(g_mapped[i].path, sizeof g_mapped[i].path, "%s", path.c_str());
    g_mapped[i].begin.store(begin);
    g_mapped[i].end.store(end);
    return i;
  }
  return -1;
}

struct FileMapping {
  void* base;
  size_t len;
  int slot;
};
}  // namespace
#endif

// partialFile(path, on): registers (on) or forgets a file being written that a fault must not leave
// behind (see g_partial). Returns whether it is registered (false: no room, or not Linux).
Napi::Value partialFile(const Napi::CallbackInfo& info) {
  Args a(info, "partialFile", 2);
  Napi::Env env = info.Env();
  if (!info[0].IsString()) a.type_error("Expected string for path");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  bool on = a.flag(1, "on");
#if defined(__linux__)
  if (path.size() >= sizeof g_partial[0].path) return Napi::Boolean::New(env, false);
  for (auto& p : g_partial) {
    if (on && !p.used.load()) {
      snprintf(p.path, sizeof p.path, "%s", path.c_str());
      p.used.store(true);
      return Napi::Boolean::New(env, true);
    }
    if (!on && p.used.load() && path == p.path) {
      p.used.store(false);
      return Napi::Boolean::New(env, true);
    }
  }
#endif
  return Napi::Boolean::New(env, false);
}

// mapF32(path, fileSize, byteOffset, n) → Float32Array of the n floats at byteOffset of the file, or
// null where files cannot be mapped. The mapping is private (writes to the array never reach the
// file) and its pages are the page cache's own until written: a checkpoint loads in the time it takes
// to map it, instead of a first touch of fresh memory (see the top of this file). fileSize is the size
// the caller read the header at: a file that has changed since is refused.
Napi::Value mapF32(const Napi::CallbackInfo& info) {
  Args a(info, "mapF32", 4);
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "mapF32: Expected string for path");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  // byte counts may pass 2^31 (Args::dim's bound): any safe integer
  auto bytes_arg = [&](size_t i, const char* name) {
    double d = info[i].IsNumber() ? info[i].As<Napi::Number>().DoubleValue() : -1;
    if (!(d >= 0) || d != std::floor(d) || d > 9007199254740991.0)
      throw Napi::RangeError::New(env, std::string("mapF32: Expected a non-negative integer for ") + name);
    return (int64_t)d;
  };
  int64_t file_size = bytes_arg(1, "fileSize");
  int64_t offset = bytes_arg(2, "byteOffset");
  int64_t n = a.dim(3, "n");
  if (offset % 4 != 0) throw Napi::RangeError::New(env, "mapF32: byteOffset " + std::to_string(offset) + " is not a multiple of 4");
  if ((double)n > kMaxFloats || (size_t)n * 4 > kMaxExternalBytes)
    throw Napi::RangeError::New(env, "mapF32: n (" + std::to_string(n) + " floats) is more than one Float32Array holds");
  if (offset + 4 * n > file_size)
    throw Napi::RangeError::New(env, "mapF32: " + std::to_string(n) + " floats at byte " + std::to_string(offset) + " end past the file's " + std::to_string(file_size) + " bytes");
#if defined(__linux__)
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return env.Null();
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != file_size) {
    close(fd);
    throw Napi::Error::New(env, path + ": the file changed while being read (" + std::to_string((int64_t)st.st_size) + " bytes, was " + std::to_string(file_size) + ")");
  }
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t start = (size_t)offset / page * page;
  size_t len = (size_t)offset + (size_t)n * 4 - start;
  // read-only while populating: populating a writable private mapping copies every page
  void* base = mmap(nullptr, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, (off_t)start);
  close(fd);
  if (base == MAP_FAILED) return env.Null();
  if (mprotect(base, len, PROT_READ | PROT_WRITE) != 0) {
    munmap(base, len);
    return env.Null();
  }
  install_sigbus_handler();
  int slot = register_mapping((uintptr_t)base, (uintptr_t)base + len, path);
  if (slot < 0) {  // too many at once: read it instead
    munmap(base, len);
    return env.Null();
  }
  auto* m = new FileMapping{base, len, slot};
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(
      env, (char*)base + (offset - (int64_t)start), (size_t)n * 4,
      [](Napi::Env, void*, FileMapping* m) {
        g_mapped[m->slot].begin.store(0);
        g_mapped[m->slot].end.store(0);
        munmap(m->base, m->len);
        delete m;
      },
      m);
  return Napi::Float32Array::New(env, (size_t)n, ab, 0);
#else
  return env.Null();
#endif
}

}  // namespace addon
}  // namespace bert

// bert_mpi.node: data-parallel training's collectives over MPI, a second addon beside the engine.
//
// Built only where CMake finds an MPI library (libopenmpi-dev), and loaded only by a process that
// mpirun started, so a build or a run without MPI never touches it. Every MPI call happens on one
// thread of its own (the "comm thread": it calls MPI_Init_thread and all that follows, which is
// what MPI_THREAD_FUNNELED allows): JavaScript queues jobs — the gradient buckets of a step, as
// each layer's backward finishes, and small control reductions — and the thread runs them in the
// order they were queued, the same on every rank, so results never depend on timing. The engine's
// threads go on computing the lower layers meanwhile.
//
// A wait gives up after the timeout given at init (a dead rank, a cut network, a rank that stopped
// for a signal): it throws, naming what it waited for, instead of hanging the job; collectives
// return their errors (MPI_ERRORS_RETURN) rather than aborting from inside the library.
// the C API only: mpi.h would otherwise pull in the deprecated C++ bindings (libmpi_cxx)
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#include <napi.h>
#include "../addon/args.h"
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <algorithm>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

using bert::addon::Args;
namespace {

enum class Kind { Init, AllreduceF32, AllreduceF64, Broadcast, Barrier, Finalize };

struct Job {
  Kind kind;
  void* data = nullptr;
  int64_t count = 0;
  int root = 0;
  uint64_t id = 0;
};

struct Comm {
  std::mutex mu;
  std::condition_variable work, done;
  std::deque<Job> queue;
  uint64_t queued = 0, finished = 0;  // jobs numbered 1, 2, … in queue order
  std::string error;                  // the first failure; every later wait reports it
  int rank = 0, size = 1, local_rank = 0, local_size = 1;
  std::string library;
  double timeout = 600;
  bool started = false;
};

// never destroyed: at exit the comm thread may still wait on its condition variable (or be stuck in
// MPI), and destroying a condition variable that a thread waits on blocks exit for good
Comm& g = *new Comm;
std::atomic<int> g_signal{0};
std::chrono::steady_clock::time_point g_signal_at;  // when a wait first saw the signal
// After a signal, how long a wait goes on: the ranks got it together and agree to stop after the
// step, so a collective completes at once (0.5 s covers the ranks' skew within a step), while a
// rank that died (mpirun then signals the rest, and kills them about a second later) never answers.
// MPI's end waits for rank 0 to save its checkpoint, which takes longer.
constexpr double kSignalGraceSeconds = 0.5, kSignalGraceFinalizeSeconds = 60;
struct sigaction g_prev_term, g_prev_int;

// A SIGTERM or SIGINT (mpirun passes them on when a rank dies or the user presses Ctrl-C) is seen
// by a wait at once, then handed to whatever handler was there (Node's, which stops the run).
void on_signal(int sig, siginfo_t* si, void* ctx) {
  g_signal.store(sig);
  struct sigaction& p = sig == SIGTERM ? g_prev_term : g_prev_int;
  if (p.sa_flags & SA_SIGINFO) {
    if (p.sa_sigaction) p.sa_sigaction(sig, si, ctx);
  } else if (p.sa_handler != SIG_DFL && p.sa_handler != SIG_IGN && p.sa_handler) {
    p.sa_handler(sig);
  } else if (p.sa_handler == SIG_DFL) {
    signal(sig, SIG_DFL);
    raise(sig);
  }
}

// Our handler in front of SIGTERM and SIGINT, chaining to the one it replaced. Node (libuv) installs
// its own when JavaScript first listens for a signal, which may come after init(): each wait checks.
void ensure_hooked() {
  for (int sig : {SIGTERM, SIGINT}) {
    struct sigaction cur;
    sigaction(sig, nullptr, &cur);
    if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_signal) continue;
    (sig == SIGTERM ? g_prev_term : g_prev_int) = cur;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, nullptr);
  }
}

std::string mpi_error(int code) {
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, msg, &len);
  return std::string(msg, (size_t)len);
}

void run_job(const Job& j) {
  int rc = MPI_SUCCESS;
  const char* what = "";
  // counts above INT_MAX go in pieces (MPI counts are int)
  constexpr int64_t kPiece = int64_t(1) << 30;
  switch (j.kind) {
    case Kind::Init: {
      int provided = 0;
      rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
      what = "MPI_Init_thread";
      if (rc != MPI_SUCCESS) break;
      MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
      MPI_Comm_rank(MPI_COMM_WORLD, &g.rank);
      MPI_Comm_size(MPI_COMM_WORLD, &g.size);
      MPI_Comm local;
      if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, g.rank, MPI_INFO_NULL, &local) == MPI_SUCCESS) {
        MPI_Comm_rank(local, &g.local_rank);
        MPI_Comm_size(local, &g.local_size);
        MPI_Comm_free(&local);
      }
      char lib[MPI_MAX_LIBRARY_VERSION_STRING];
      int len = 0;
      MPI_Get_library_version(lib, &len);
      g.library = std::string(lib, (size_t)len);
      size_t nl = g.library.find_first_of("\r\n,");
      if (nl != std::string::npos) g.library.resize(nl);
      break;
    }
    case Kind::AllreduceF32:
    case Kind::AllreduceF64: {
      bool f32 = j.kind == Kind::AllreduceF32;
      what = "MPI_Allreduce";
      char* p = (char*)j.data;
      for (int64_t off = 0; off < j.count && rc == MPI_SUCCESS; off += kPiece) {
        int n = (int)std::min(kPiece, j.count - off);
        rc = MPI_Allreduce(MPI_IN_PLACE, p + off * (f32 ? 4 : 8), n, f32 ? MPI_FLOAT : MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
      }
      break;
    }
    case Kind::Broadcast:
      what = "MPI_Bcast";
      for (int64_t off = 0; off < j.count && rc == MPI_SUCCESS; off += kPiece)
        rc = MPI_Bcast((char*)j.data + off, (int)std::min(kPiece, j.count - off), MPI_BYTE, j.root, MPI_COMM_WORLD);
      break;
    case Kind::Barrier:
      what = "MPI_Barrier";
      rc = MPI_Barrier(MPI_COMM_WORLD);
      break;
    case Kind::Finalize:
      what = "MPI_Finalize";
      rc = MPI_Finalize();
      break;
  }
  std::lock_guard<std::mutex> lk(g.mu);
  if (rc != MPI_SUCCESS && g.error.empty()) g.error = std::string(what) + " failed: " + mpi_error(rc);
  g.finished = j.id;
  g.done.notify_all();
}

void comm_thread() {
  for (;;) {
    Job j;
    {
      std::unique_lock<std::mutex> lk(g.mu);
      g.work.wait(lk, [] { return !g.queue.empty(); });
      j = g.queue.front();
      g.queue.pop_front();
      // after a failure nothing more is sent: the other ranks are told by the timeout
      if (!g.error.empty()) {
        g.finished = j.id;
        g.done.notify_all();
        continue;
      }
    }
    run_job(j);
    if (j.kind == Kind::Finalize) return;
  }
}

uint64_t enqueue(Job j) {
  std::lock_guard<std::mutex> lk(g.mu);
  j.id = ++g.queued;
  g.queue.push_back(j);
  g.work.notify_one();
  return j.id;
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::Init: return "MPI's start";
    case Kind::AllreduceF32: return "the gradients' sum";
    case Kind::AllreduceF64: return "a step's totals";
    case Kind::Broadcast: return "rank 0's settings";
    case Kind::Barrier: return "the other ranks";
    case Kind::Finalize: return "MPI's end";
  }
  return "";
}

// Waits until job `id` (and all before it) ran; throws on a failure, a timeout or a signal.
void wait_for(Napi::Env env, uint64_t id, Kind kind) {
  ensure_hooked();
  std::unique_lock<std::mutex> lk(g.mu);
  using clock = std::chrono::steady_clock;
  const clock::time_point deadline = clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(g.timeout));
  while (g.finished < id) {
    // woken every 50 ms to see a signal or the deadline
    if (g.done.wait_for(lk, std::chrono::milliseconds(50)) == std::cv_status::timeout) {
      // after a signal, the other ranks get a grace period to finish the step they agreed to stop
      // after (rank 0 saving its checkpoint) before the wait is given up: a dead rank ends it then
      if (g_signal.load() && !g_signal_at.time_since_epoch().count()) g_signal_at = clock::now();
      const double grace = std::min(g.timeout, kind == Kind::Finalize ? kSignalGraceFinalizeSeconds : kSignalGraceSeconds);
      if (g_signal.load() && g.finished < id && clock::now() - g_signal_at >= std::chrono::duration<double>(grace))
        throw Napi::Error::New(env, std::string("stopped by ") + (g_signal.load() == SIGINT ? "SIGINT" : "SIGTERM") +
                                        " while waiting for " + kind_name(kind) + " (another rank may have died)");
      if (clock::now() >= deadline && g.finished < id) {
        char secs[32];
        snprintf(secs, sizeof secs, "%g", g.timeout);
        throw Napi::Error::New(env, std::string("no answer from the other ranks in ") + secs + " s while waiting for " +
                                        kind_name(kind) + " (a rank died, stopped, or the network failed)");
      }
    }
  }
  if (!g.error.empty()) throw Napi::Error::New(env, g.error);
}

void require_started(Napi::Env env, const char* fn) {
  if (!g.started) throw Napi::Error::New(env, std::string(fn) + ": init() first");
}

// init(timeoutSeconds) → { rank, size, localRank, localSize, library }
Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Args args(info, "init", 1);
  const double timeout = args.number(0, "timeoutSeconds");
  if (!(timeout > 0)) args.range_error("Expected a number above 0 for timeoutSeconds but received " + std::to_string(timeout));
  if (!g.started) {
    g.timeout = timeout;
    ensure_hooked();
    (new std::thread(comm_thread))->detach();  // never joined: it may be stuck in MPI when the process ends
    g.started = true;
    wait_for(env, enqueue({Kind::Init}), Kind::Init);
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("rank", g.rank);
  o.Set("size", g.size);
  o.Set("localRank", g.local_rank);
  o.Set("localSize", g.local_size);
  o.Set("library", g.library);
  return o;
}

// allreduce(buf: Float32Array | Float64Array): the sum over ranks, in place; waits.
Napi::Value Allreduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  require_started(env, "allreduce");
  Args args(info, "allreduce", 1);
  size_t n = 0;
  Job j;
  if (args.is_f64(0)) {
    j = {Kind::AllreduceF64, args.f64_any(0, "values", &n)};
  } else {
    j = {Kind::AllreduceF32, args.f32_any(0, "values (a Float32Array or a Float64Array)", &n)};
  }
  j.count = (int64_t)n;
  wait_for(env, enqueue(j), j.kind);
  return env.Undefined();
}

// allreduceStart(buf: Float32Array): queues the sum in place and returns at once; wait() waits for it.
// The buffer must stay untouched (and alive: the caller holds it) until then.
Napi::Value AllreduceStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  require_started(env, "allreduceStart");
  Args args(info, "allreduceStart", 1);
  size_t n = 0;
  float* p = args.f32_any(0, "values", &n);
  Job j{Kind::AllreduceF32, p, (int64_t)n};
  enqueue(j);
  return env.Undefined();
}

// wait(): until every queued job has run.
Napi::Value Wait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  require_started(env, "wait");
  uint64_t last;
  {
    std::lock_guard<std::mutex> lk(g.mu);
    last = g.queued;
  }
  wait_for(env, last, Kind::AllreduceF32);
  return env.Undefined();
}

// broadcast(buf: Uint8Array, root): root's bytes into every rank's buf; waits.
Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  require_started(env, "broadcast");
  Args args(info, "broadcast", 2);
  size_t n = 0;
  uint8_t* p = args.u8_any(0, "bytes", &n);
  int root = (int)args.integer(1, "root", 0, g.size - 1);
  Job j{Kind::Broadcast, p, (int64_t)n, root};
  wait_for(env, enqueue(j), j.kind);
  return env.Undefined();
}

Napi::Value Barrier(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  require_started(env, "barrier");
  wait_for(env, enqueue({Kind::Barrier}), Kind::Barrier);
  return env.Undefined();
}

// finalize(): MPI's orderly end (after the last collective of a run that went well).
Napi::Value Finalize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!g.started) return env.Undefined();
  wait_for(env, enqueue({Kind::Finalize}), Kind::Finalize);
  return env.Undefined();
}

// abort(code): ends every rank of the job (MPI_Abort), from this thread: the comm thread may be stuck.
Napi::Value Abort(const Napi::CallbackInfo& info) {
  int code = (int)Args(info, "abort", 1).integer(0, "code", 0, 255);
  MPI_Abort(MPI_COMM_WORLD, code);
  return info.Env().Undefined();
}

Napi::Object Register(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, Init));
  exports.Set("allreduce", Napi::Function::New(env, Allreduce));
  exports.Set("allreduceStart", Napi::Function::New(env, AllreduceStart));
  exports.Set("wait", Napi::Function::New(env, Wait));
  exports.Set("broadcast", Napi::Function::New(env, Broadcast));
  exports.Set("barrier", Napi::Function::New(env, Barrier));
  exports.Set("finalize", Napi::Function::New(env, Finalize));
  exports.Set("abort", Napi::Function::New(env, Abort));
  return exports;
}

}  // namespace

NODE_API_MODULE(bert_mpi, Register)

// The export table, and the one wrapper every export goes through: it serialises calls (the kernels
// share per-thread scratch buffers and one pool, and worker_threads may each call in), and turns any
// C++ exception into a JS Error carrying the function's name.
#include <mutex>
#include <string>

#include "bindings.h"

namespace bert {
namespace addon {
namespace {

std::mutex g_call_mutex;

template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value guarded(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> lock(g_call_mutex);
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(info.Env(), "bert-cli native: out of memory");
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string("bert-cli native: ") + e.what());
  }
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
#define BERT_EXPORT(name) exports.Set(#name, Napi::Function::New(env, guarded<name>, #name));
  BERT_BINDINGS(BERT_EXPORT)
#undef BERT_EXPORT
  return exports;
}

}  // namespace
}  // namespace addon
}  // namespace bert

static Napi::Object InitBert(Napi::Env env, Napi::Object exports) { return bert::addon::Init(env, exports); }

NODE_API_MODULE(bert_native, InitBert)

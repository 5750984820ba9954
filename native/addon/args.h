// Argument checking at the JS boundary: every buffer's type and exact length, every dimension's
// range, with one error format ("gemm: Expected Float32Array of length 4096 (M·K) for A but received
// length 100"). Nothing reaches a kernel unchecked, so a wrong call is a JS exception, never a crash.
#pragma once

#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

namespace bert {
namespace addon {

// Largest dimension accepted; products are checked for overflow separately.
constexpr int64_t kMaxDim = int64_t(1) << 31;

class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* fn, size_t count) : info_(info), fn_(fn) {
    if (info.Length() != count)
      type_error("Expected " + std::to_string(count) + " arguments but received " +
                 std::to_string(info.Length()));
  }

  // A positive (or, with allow_zero, non-negative) integer dimension.
  int64_t dim(size_t i, const char* name, bool allow_zero = false) const {
    const Napi::Value v = info_[i];
    double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
    if (!(d == std::floor(d)) || d < (allow_zero ? 0 : 1) || d > (double)kMaxDim)
      range_error(std::string("Expected ") + (allow_zero ? "non-negative" : "positive") +
                  " integer for " + name + " but received " + show(v));
    return (int64_t)d;
  }

  double number(size_t i, const char* name) const {
    const Napi::Value v = info_[i];
    if (!v.IsNumber()) type_error(std::string("Expected number for ") + name + " but received " + show(v));
    double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d)) range_error(std::string("Expected finite number for ") + name + " but received " + show(v));
    return d;
  }

  // A probability p with 0 ≤ p < 1 (dropout).
  float probability(size_t i, const char* name) const {
    double p = number(i, name);
    if (p < 0 || p >= 1) range_error(std::string("Expected number in [0, 1) for ") + name + " but received " + show(info_[i]));
    return (float)p;
  }

  bool flag(size_t i, const char* name) const {
    const Napi::Value v = info_[i];
    if (!v.IsBoolean()) type_error(std::string("Expected boolean for ") + name + " but received " + show(v));
    return v.As<Napi::Boolean>().Value();
  }

  // A seed: a safe non-negative integer Number or a BigInt (taken modulo 2^64).
  uint64_t seed(size_t i, const char* name) const {
    const Napi::Value v = info_[i];
    if (v.IsBigInt()) {
      bool lossless;
      return v.As<Napi::BigInt>().Uint64Value(&lossless);
    }
    double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
    if (!(d == std::floor(d)) || d < 0 || d > 9007199254740991.0)
      range_error(std::string("Expected non-negative safe integer or BigInt for ") + name + " but received " + show(v));
    return (uint64_t)d;
  }

  float* f32(size_t i, const char* name, int64_t len, const char* shape) const {
    return array<float>(i, name, len, shape, napi_float32_array, "Float32Array", false);
  }
  float* f32_or_null(size_t i, const char* name, int64_t len, const char* shape) const {
    return array<float>(i, name, len, shape, napi_float32_array, "Float32Array", true);
  }
  int32_t* i32(size_t i, const char* name, int64_t len, const char* shape) const {
    return array<int32_t>(i, name, len, shape, napi_int32_array, "Int32Array", false);
  }
  uint16_t* u16(size_t i, const char* name, int64_t len, const char* shape) const {
    return array<uint16_t>(i, name, len, shape, napi_uint16_array, "Uint16Array", false);
  }
  uint8_t* u8(size_t i, const char* name, int64_t len, const char* shape) const {
    return array<uint8_t>(i, name, len, shape, napi_uint8_array, "Uint8Array", false);
  }
  int8_t* i8(size_t i, const char* name, int64_t len, const char* shape) const {
    return array<int8_t>(i, name, len, shape, napi_int8_array, "Int8Array", false);
  }
  uint8_t* u8_or_null(size_t i, const char* name, int64_t len, const char* shape) const {
    return array<uint8_t>(i, name, len, shape, napi_uint8_array, "Uint8Array", true);
  }

  // A typed array of any length (the collectives take whatever the caller sums): its elements, its count in *n.
  float* f32_any(size_t i, const char* name, size_t* n) const {
    return any_length<float>(i, name, napi_float32_array, "Float32Array", n);
  }
  double* f64_any(size_t i, const char* name, size_t* n) const {
    return any_length<double>(i, name, napi_float64_array, "Float64Array", n);
  }
  uint8_t* u8_any(size_t i, const char* name, size_t* n) const {
    return any_length<uint8_t>(i, name, napi_uint8_array, "Uint8Array", n);
  }
  bool is_f64(size_t i) const {
    return info_[i].IsTypedArray() && info_[i].As<Napi::TypedArray>().TypedArrayType() == napi_float64_array;
  }

  // An integer in [lo, hi].
  int64_t integer(size_t i, const char* name, int64_t lo, int64_t hi) const {
    const Napi::Value v = info_[i];
    double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
    if (!(d == std::floor(d)) || d < (double)lo || d > (double)hi)
      range_error(std::string("Expected integer in [") + std::to_string(lo) + ", " + std::to_string(hi) + "] for " + name + " but received " + show(v));
    return (int64_t)d;
  }

  // a·b (·c) with overflow and size checks, for expected lengths.
  int64_t product(std::initializer_list<int64_t> dims) const {
    int64_t p = 1;
    for (int64_t d : dims)
      if (__builtin_mul_overflow(p, d, &p) || p > (int64_t(1) << 40))
        range_error("Expected a buffer size below 2^40 elements; the dimensions multiply past it");
    return p;
  }

  [[noreturn]] void range_error(const std::string& msg) const {
    throw Napi::RangeError::New(info_.Env(), std::string(fn_) + ": " + msg);
  }
  [[noreturn]] void type_error(const std::string& msg) const {
    throw Napi::TypeError::New(info_.Env(), std::string(fn_) + ": " + msg);
  }

 private:
  template <class T>
  T* array(size_t i, const char* name, int64_t len, const char* shape, napi_typedarray_type type,
           const char* type_name, bool nullable) const {
    const Napi::Value v = info_[i];
    if (nullable && (v.IsNull() || v.IsUndefined())) return nullptr;
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
      type_error(std::string("Expected ") + type_name + (nullable ? " or null" : "") + " for " + name +
                 " but received " + show(v));
    Napi::TypedArray ta = v.As<Napi::TypedArray>();
    if ((int64_t)ta.ElementLength() != len)
      range_error(std::string("Expected ") + type_name + " of length " + std::to_string(len) + " (" + shape +
                  ") for " + name + " but received length " + std::to_string(ta.ElementLength()));
    if (len == 0) return nullptr;
    uint8_t* base = static_cast<uint8_t*>(ta.ArrayBuffer().Data());
    return reinterpret_cast<T*>(base + ta.ByteOffset());
  }

  template <class T>
  T* any_length(size_t i, const char* name, napi_typedarray_type type, const char* type_name, size_t* n) const {
    const Napi::Value v = info_[i];
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
      type_error(std::string("Expected ") + type_name + " for " + name + " but received " + show(v));
    Napi::TypedArray ta = v.As<Napi::TypedArray>();
    *n = ta.ElementLength();
    return reinterpret_cast<T*>(static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset());
  }

  std::string show(const Napi::Value& v) const {
    if (v.IsNumber()) {
      double d = v.As<Napi::Number>().DoubleValue();
      if (d == std::floor(d) && std::fabs(d) < 1e15) return std::to_string((long long)d);
      return std::to_string(d);
    }
    if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? "true" : "false";
    if (v.IsNull()) return "null";
    if (v.IsUndefined()) return "undefined";
    if (v.IsString()) return "string";
    if (v.IsTypedArray()) {
      switch (v.As<Napi::TypedArray>().TypedArrayType()) {
        case napi_float32_array: return "Float32Array";
        case napi_float64_array: return "Float64Array";
        case napi_int32_array: return "Int32Array";
        case napi_uint8_array: return "Uint8Array";
        case napi_uint16_array: return "Uint16Array";
        default: return "another typed array";
      }
    }
    if (v.IsArray()) return "Array";
    return "object";
  }

  const Napi::CallbackInfo& info_;
  const char* fn_;
};

}  // namespace addon
}  // namespace bert

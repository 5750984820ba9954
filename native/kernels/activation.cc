// GELU (exact erf form, as BERT and HF "gelu") fused with the bias add, and tanh (the pooler).
//   gelu(x)  = x·Φ(x) = ½x(1 + erf(x/√2))
//   gelu'(x) = Φ(x) + x·φ(x),  φ(x) = e^{−x²/2}/√(2π)
//   tanh'(x) = 1 − tanh(x)²   (backward reads the forward's output)
#include "bert/kernels.h"
#include "bert/parallel.h"
#include "bert/simd.h"

namespace bert {
namespace BERT_NS {
namespace {

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

inline vf gelu_grad(vf x) {
  vf cdf = set1(0.5f) * (set1(1.0f) + verf(x * set1(kInvSqrt2)));
  vf pdf = set1(kInvSqrt2Pi) * vexp(set1(-0.5f) * x * x);
  return fmadd(x, pdf, cdf);
}

// Calls f(begin, end) over [0, N) in vector-aligned blocks split across threads.
template <class F>
inline void elementwise(int64_t N, F&& f) {
  par(threads_for(N, 1 << 15), [&](int tid, int n) {
    int64_t b, e;
    split_range(N, tid, n, 64, &b, &e);
    if (b < e) f(b, e);
  });
}

}  // namespace

void bias_gelu_forward(float* out, float* pre, const float* bias, int64_t R, int64_t C) {
  par(threads_for(R * C, 1 << 15), [&](int tid, int n) {
    int64_t b, e;
    split_range(R, tid, n, 1, &b, &e);
    for (int64_t r = b; r < e; ++r) {
      float* p = pre + r * C;
      float* o = out + r * C;
      for (int64_t j = 0; j < C; j += W) {
        int cnt = (int)zmin(W, C - j);
        vf x = load_n(p + j, cnt);
        if (bias) {
          x = x + load_n(bias + j, cnt);
          store_n(p + j, x, cnt);
        }
        store_n(o + j, vgelu(x), cnt);
      }
    }
  });
}

void gelu_backward(float* dpre, const float* dout, const float* pre, int64_t N) {
  elementwise(N, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i += W) {
      int cnt = (int)zmin(W, e - i);
      store_n(dpre + i, load_n(dout + i, cnt) * gelu_grad(load_n(pre + i, cnt)), cnt);
    }
  });
}

void tanh_forward(float* out, const float* x, int64_t N) {
  elementwise(N, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i += W) {
      int cnt = (int)zmin(W, e - i);
      store_n(out + i, vtanh(load_n(x + i, cnt)), cnt);
    }
  });
}

void tanh_backward(float* dx, const float* dout, const float* out, int64_t N) {
  elementwise(N, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; i += W) {
      int cnt = (int)zmin(W, e - i);
      vf y = load_n(out + i, cnt);
      store_n(dx + i, load_n(dout + i, cnt) * fnmadd(y, y, set1(1.0f)), cnt);
    }
  });
}

}  // namespace BERT_NS
}  // namespace bert

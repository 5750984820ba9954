// Losses with their gradients in the same pass (the forward's softmax is the backward's input):
// softmax cross-entropy over rows with ignore index −100 (MLM, NSP, classification, QA start/end),
// sigmoid binary cross-entropy (multi-label) and mean squared error (regression); plus a row
// softmax for predictions. Means divide by the count of counted elements, as PyTorch's
// reduction='mean'. Per-row losses are summed in row order in float64: deterministic.
#include "bert/kernels.h"
#include "bert/parallel.h"
#include "bert/simd.h"

namespace bert {
namespace BERT_NS {
namespace {

constexpr int32_t kIgnoreIndex = -100;

// max and log Σ exp(x − max) of one row
inline void row_lse(const float* x, int64_t C, float* mx_out, float* sum_out) {
  vf m = set1(-INFINITY);
  for (int64_t j = 0; j < C; j += W) m = vmax(m, load_n(x + j, (int)zmin(W, C - j), -INFINITY));
  const float mx = hmax(m);
  const vf mv = set1(mx);
  vf s = zero();
  for (int64_t j = 0; j < C; j += W) s = s + vexp(load_n(x + j, (int)zmin(W, C - j), -INFINITY) - mv);
  *mx_out = mx;
  *sum_out = hsum(s);
}

}  // namespace

void softmax_forward(float* out, const float* x, int64_t R, int64_t C) {
  par(threads_for(R * C, 1 << 14), [&](int tid, int n) {
    int64_t b, e;
    split_range(R, tid, n, 1, &b, &e);
    for (int64_t r = b; r < e; ++r) {
      float mx, s;
      row_lse(x + r * C, C, &mx, &s);
      const vf mv = set1(mx), inv = set1(1.0f / s);
      for (int64_t j = 0; j < C; j += W) {
        int cnt = (int)zmin(W, C - j);
        store_n(out + r * C + j, vexp(load_n(x + r * C + j, cnt) - mv) * inv, cnt);
      }
    }
  });
}

double softmax_cross_entropy(float* dlogits, float* losses, const float* logits,
                             const int32_t* targets, int64_t R, int64_t V, float grad_scale,
                             int64_t* count_out) {
  int64_t count = 0;
  for (int64_t r = 0; r < R; ++r) count += targets[r] != kIgnoreIndex;
  if (count_out) *count_out = count;
  float* row_loss = losses ? losses : (float*)thread_scratch(0, 4, sizeof(float) * (R > 0 ? R : 1));
  const float gscale = count > 0 ? grad_scale / (float)count : 0.f;
  par(threads_for(R * V, 1 << 14), [&](int tid, int n) {
    int64_t b, e;
    split_range(R, tid, n, 1, &b, &e);
    for (int64_t r = b; r < e; ++r) {
      const float* x = logits + r * V;
      const int32_t t = targets[r];
      if (t == kIgnoreIndex) {
        row_loss[r] = 0.f;
        if (dlogits)
          for (int64_t j = 0; j < V; ++j) dlogits[r * V + j] = 0.f;
        continue;
      }
      float mx, s;
      row_lse(x, V, &mx, &s);
      row_loss[r] = (mx + std::log(s)) - x[t];
      if (dlogits) {
        float* d = dlogits + r * V;
        const vf mv = set1(mx), k = set1(gscale / s);
        for (int64_t j = 0; j < V; j += W) {
          int cnt = (int)zmin(W, V - j);
          store_n(d + j, vexp(load_n(x + j, cnt) - mv) * k, cnt);
        }
        d[t] -= gscale;
      }
    }
  });
  if (count == 0) return NAN;
  double total = 0;
  for (int64_t r = 0; r < R; ++r) total += row_loss[r];
  return total / (double)count;
}

// loss = max(x,0) − x·y + log(1 + e^{−|x|});  dloss/dx = σ(x) − y
double bce_with_logits(float* dlogits, const float* logits, const float* targets, int64_t N,
                       float grad_scale) {
  double total = 0;
  const float k = N > 0 ? grad_scale / (float)N : 0.f;
  for (int64_t i = 0; i < N; ++i) {
    const float x = logits[i], y = targets[i];
    total += (double)(std::fmax(x, 0.f) - x * y + std::log1p(std::exp(-std::fabs(x))));
    if (dlogits) {
      const float sig = x >= 0 ? 1.0f / (1.0f + std::exp(-x)) : std::exp(x) / (1.0f + std::exp(x));
      dlogits[i] = (sig - y) * k;
    }
  }
  return N > 0 ? total / (double)N : NAN;
}

double mse(float* dpred, const float* pred, const float* targets, int64_t N, float grad_scale) {
  double total = 0;
  const float k = N > 0 ? 2.0f * grad_scale / (float)N : 0.f;
  for (int64_t i = 0; i < N; ++i) {
    const float d = pred[i] - targets[i];
    total += (double)d * d;
    if (dpred) dpred[i] = d * k;
  }
  return N > 0 ? total / (double)N : NAN;
}

}  // namespace BERT_NS
}  // namespace bert

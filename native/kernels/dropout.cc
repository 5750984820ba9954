// Inverted dropout with a counter-based mask: keep(i) = rng_u32(seed, i) ≥ p·2³², kept values
// scaled by 1/(1−p). Backward regenerates the mask from the same seed rather than storing it.
#include "bert/kernels.h"
#include "bert/parallel.h"
#include "bert/rng.h"
#include "bert/simd.h"

namespace bert {
namespace BERT_NS {
namespace {

void apply_mask(float* out, const float* in, int64_t N, float p, uint64_t seed) {
  const uint32_t thr = drop_threshold(p);
  const float scale = 1.0f / (1.0f - p);
  par(threads_for(N, 1 << 15), [&](int tid, int n) {
    int64_t b, e;
    split_range(N, tid, n, 64, &b, &e);
    for (int64_t i = b; i < e; ++i) out[i] = rng_u32(seed, (uint64_t)i) >= thr ? in[i] * scale : 0.f;
  });
}

}  // namespace

void dropout_forward(float* out, const float* x, int64_t N, float p, uint64_t seed) {
  apply_mask(out, x, N, p, seed);
}

void dropout_backward(float* dx, const float* dout, int64_t N, float p, uint64_t seed) {
  apply_mask(dx, dout, N, p, seed);
}

}  // namespace BERT_NS
}  // namespace bert

// AdamW over one flat parameter buffer, with torch.optim.AdamW's arithmetic (decoupled weight
// decay applied first, bias corrections, eps added after the corrected square root):
//   p ← p·(1 − lr·wd)            where decay[i]
//   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²       (g = grad·grad_scale)
//   p ← p − (lr/(1−β1ᵗ)) · m / (√v/√(1−β2ᵗ) + eps)
// and Σx² for the global gradient norm, in fixed 4096-element blocks summed in order.
#include "bert/kernels.h"
#include "bert/parallel.h"
#include "bert/simd.h"

namespace bert {
namespace BERT_NS {

void adamw(float* params, const float* grads, float* m, float* v, const uint8_t* decay, int64_t N,
           const AdamWParams* hp) {
  const float b1 = hp->beta1, b2 = hp->beta2;
  const double bc1 = 1.0 - std::pow((double)b1, (double)hp->step);
  const double bc2 = 1.0 - std::pow((double)b2, (double)hp->step);
  const float step_size = (float)(hp->lr / bc1);
  const float inv_bc2_sqrt = (float)(1.0 / std::sqrt(bc2));
  const float shrink = 1.0f - hp->lr * hp->weight_decay;
  const vf vb1 = set1(b1), vb2 = set1(b2), vc1 = set1(1.0f - b1), vc2 = set1(1.0f - b2);
  const vf vgs = set1(hp->grad_scale), vss = set1(step_size), vib = set1(inv_bc2_sqrt), veps = set1(hp->eps);
  par(threads_for(N, 1 << 15), [&](int tid, int n) {
    int64_t b, e;
    split_range(N, tid, n, 64, &b, &e);
    for (int64_t i = b; i < e; i += W) {
      int cnt = (int)zmin(W, e - i);
      vf g = load_n(grads + i, cnt) * vgs;
      vf mi = fmadd(vb1, load_n(m + i, cnt), vc1 * g);
      vf vi = fmadd(vb2, load_n(v + i, cnt), vc2 * g * g);
      store_n(m + i, mi, cnt);
      store_n(v + i, vi, cnt);
      vf p = load_n(params + i, cnt);
      if (decay) {
        alignas(64) float f[W];
        for (int l = 0; l < cnt; ++l) f[l] = decay[i + l] ? shrink : 1.0f;
        p = p * load_n(f, cnt);
      } else {
        p = p * set1(shrink);
      }
      vf denom = fmadd(vsqrt(vi), vib, veps);
      store_n(params + i, fnmadd(vss, mi / denom, p), cnt);
    }
  });
}

double sum_squares(const float* x, int64_t N) {
  constexpr int64_t kBlock = 4096;
  const int64_t blocks = (N + kBlock - 1) / kBlock;
  double* partial = (double*)thread_scratch(0, 5, sizeof(double) * (blocks > 0 ? blocks : 1));
  par(threads_for(N, 1 << 16), [&](int tid, int n) {
    int64_t b, e;
    split_range(blocks, tid, n, 1, &b, &e);
    for (int64_t blk = b; blk < e; ++blk) {
      const int64_t lo = blk * kBlock, hi = zmin(N, lo + kBlock);
      vf acc = zero();
      for (int64_t i = lo; i < hi; i += W) {
        vf xv = load_n(x + i, (int)zmin(W, hi - i));
        acc = fmadd(xv, xv, acc);
      }
      partial[blk] = hsum(acc);
    }
  });
  double total = 0;
  for (int64_t blk = 0; blk < blocks; ++blk) total += partial[blk];
  return total;
}

}  // namespace BERT_NS
}  // namespace bert

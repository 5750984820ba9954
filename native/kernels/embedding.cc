// Embedding lookup and its backward (scatter-add of rows) for the word, position and token-type
// tables. Backward splits over columns: each thread adds its column range of every row in row
// order, so repeated ids need no atomics and sums do not depend on the thread count.
#include "bert/kernels.h"
#include "bert/parallel.h"
#include "bert/simd.h"

namespace bert {
namespace BERT_NS {

void embedding_forward(float* out, const int32_t* ids, const float* table, int64_t R, int64_t C,
                       bool accumulate) {
  par(threads_for(R * C, 1 << 15), [&](int tid, int n) {
    int64_t b, e;
    split_range(R, tid, n, 1, &b, &e);
    for (int64_t r = b; r < e; ++r) {
      const float* src = table + (int64_t)ids[r] * C;
      float* dst = out + r * C;
      for (int64_t j = 0; j < C; j += W) {
        int cnt = (int)zmin(W, C - j);
        vf v = load_n(src + j, cnt);
        if (accumulate) v = v + load_n(dst + j, cnt);
        store_n(dst + j, v, cnt);
      }
    }
  });
}

void embedding_backward(float* dtable, const float* dout, const int32_t* ids, int64_t R, int64_t C,
                        int64_t padding_idx) {
  int nth = threads_for(R * C, 1 << 15);
  if ((C + W - 1) / W < nth) nth = (int)((C + W - 1) / W);
  par(nth, [&](int tid, int n) {
    int64_t b, e;
    split_range(C, tid, n, W, &b, &e);
    if (b >= e) return;
    for (int64_t r = 0; r < R; ++r) {
      if (ids[r] == padding_idx) continue;
      float* dst = dtable + (int64_t)ids[r] * C;
      const float* src = dout + r * C;
      for (int64_t j = b; j < e; j += W) {
        int cnt = (int)zmin(W, e - j);
        store_n(dst + j, load_n(dst + j, cnt) + load_n(src + j, cnt), cnt);
      }
    }
  });
}

}  // namespace BERT_NS
}  // namespace bert

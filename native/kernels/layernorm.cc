// LayerNorm over the last dimension, forward and backward, and the fused residual-add + LayerNorm
// that closes every BERT sub-layer. Two-pass variance (mean first, then Σ(x−mean)²): E[x²]−mean²
// cancels badly on activations with a large mean, which training meets.
#include "bert/kernels.h"
#include "bert/parallel.h"
#include "bert/simd.h"

namespace bert {
namespace BERT_NS {
namespace {

// One row: out = (x − mean)·rstd·gamma + beta; returns mean and rstd.
inline void ln_row(float* out, const float* x, const float* gamma, const float* beta, int64_t C,
                   float eps, float* mean_out, float* rstd_out) {
  vf s = zero();
  for (int64_t j = 0; j < C; j += W) s = s + load_n(x + j, (int)zmin(W, C - j));
  const float mean = hsum(s) / (float)C;
  const vf mv = set1(mean);
  vf ss = zero();
  for (int64_t j = 0; j < C; j += W) {
    int n = (int)zmin(W, C - j);
    vf d = load_n(x + j, n, mean) - mv;
    ss = fmadd(d, d, ss);
  }
  const float rstd = 1.0f / std::sqrt(hsum(ss) / (float)C + eps);
  const vf rv = set1(rstd);
  for (int64_t j = 0; j < C; j += W) {
    int n = (int)zmin(W, C - j);
    vf y = (load_n(x + j, n) - mv) * rv;
    store_n(out + j, fmadd(y, load_n(gamma + j, n), load_n(beta + j, n)), n);
  }
  if (mean_out) *mean_out = mean;
  if (rstd_out) *rstd_out = rstd;
}

}  // namespace

void layernorm_forward(float* out, float* mean, float* rstd, const float* x, const float* gamma,
                       const float* beta, int64_t R, int64_t C, float eps) {
  par(threads_for(R * C, 1 << 14), [&](int tid, int n) {
    int64_t b, e;
    split_range(R, tid, n, 1, &b, &e);
    for (int64_t r = b; r < e; ++r)
      ln_row(out + r * C, x + r * C, gamma, beta, C, eps, mean ? mean + r : nullptr,
             rstd ? rstd + r : nullptr);
  });
}

void residual_layernorm_forward(float* out, float* sum, float* mean, float* rstd, const float* x,
                                const float* residual, const float* gamma, const float* beta,
                                int64_t R, int64_t C, float eps) {
  par(threads_for(R * C, 1 << 14), [&](int tid, int n) {
    int64_t b, e;
    split_range(R, tid, n, 1, &b, &e);
    float* tmp = sum ? nullptr : (float*)thread_scratch(tid, 4, sizeof(float) * C);
    for (int64_t r = b; r < e; ++r) {
      float* s = sum ? sum + r * C : tmp;
      for (int64_t j = 0; j < C; j += W) {
        int cnt = (int)zmin(W, C - j);
        store_n(s + j, load_n(x + r * C + j, cnt) + load_n(residual + r * C + j, cnt), cnt);
      }
      ln_row(out + r * C, s, gamma, beta, C, eps, mean ? mean + r : nullptr, rstd ? rstd + r : nullptr);
    }
  });
}

// With xhat = (x − mean)·rstd and g = dout·gamma:
//   dx = rstd · (g − mean_j(g) − xhat · mean_j(g·xhat)),  dgamma += Σ_r dout·xhat,  dbeta += Σ_r dout.
// dx splits over rows; dgamma/dbeta split over columns so every sum runs over rows in order.
void layernorm_backward(float* dx, float* dgamma, float* dbeta, const float* dout, const float* x,
                        const float* mean, const float* rstd, const float* gamma, int64_t R,
                        int64_t C, bool accumulate) {
  const int nth = threads_for(R * C, 1 << 14);
  par(nth, [&](int tid, int n) {
    int64_t b, e;
    split_range(R, tid, n, 1, &b, &e);
    for (int64_t r = b; r < e; ++r) {
      const float* xr = x + r * C;
      const float* dr = dout + r * C;
      const vf mv = set1(mean[r]), rv = set1(rstd[r]);
      vf sg = zero(), sgx = zero();
      for (int64_t j = 0; j < C; j += W) {
        int cnt = (int)zmin(W, C - j);
        vf g = load_n(dr + j, cnt) * load_n(gamma + j, cnt);
        vf xh = (load_n(xr + j, cnt) - mv) * rv;
        sg = sg + g;
        sgx = fmadd(g, xh, sgx);
      }
      const vf mg = set1(hsum(sg) / (float)C), mgx = set1(hsum(sgx) / (float)C);
      float* dxr = dx + r * C;
      for (int64_t j = 0; j < C; j += W) {
        int cnt = (int)zmin(W, C - j);
        vf g = load_n(dr + j, cnt) * load_n(gamma + j, cnt);
        vf xh = (load_n(xr + j, cnt) - mv) * rv;
        vf d = rv * fnmadd(xh, mgx, g - mg);
        if (accumulate) d = d + load_n(dxr + j, cnt);
        store_n(dxr + j, d, cnt);
      }
    }
  });
  if (!dgamma && !dbeta) return;
  int cth = nth;
  if ((C + W - 1) / W < cth) cth = (int)((C + W - 1) / W);
  par(cth, [&](int tid, int n) {
    int64_t b, e;
    split_range(C, tid, n, W, &b, &e);
    for (int64_t j = b; j < e; j += W) {
      int cnt = (int)zmin(W, e - j);
      vf ag = zero(), ab = zero();
      for (int64_t r = 0; r < R; ++r) {
        vf d = load_n(dout + r * C + j, cnt);
        vf xh = (load_n(x + r * C + j, cnt) - set1(mean[r])) * set1(rstd[r]);
        ag = fmadd(d, xh, ag);
        ab = ab + d;
      }
      if (dgamma) store_n(dgamma + j, load_n(dgamma + j, cnt) + ag, cnt);
      if (dbeta) store_n(dbeta + j, load_n(dbeta + j, cnt) + ab, cnt);
    }
  });
}

}  // namespace BERT_NS
}  // namespace bert

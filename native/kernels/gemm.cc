// GEMM in the BLIS layout: C[M,N] = alpha·op(A)·op(B) + beta·C (+ bias), row-major.
//
// Loops (outer to inner): jc over N by NC → pc over K by KC (pack a KC×NC block of op(B) into
// NR-wide panels) → ic over M by MC (pack an MC×KC block of op(A) into MR-tall panels) → jr over
// the B panels → ir over the A panels → an MR×NR register tile. The B micro-panel (KC×NR) stays in
// L1 across the ir loop, the packed A block in L2, the packed B block in L2/L3.
//
// Threads split C into column ranges (or row ranges when M > N) aligned to the tile, each running
// the whole loop nest on its part: no barrier, and every C element is summed over k in the same
// order whatever the thread count. The smaller operand is packed by every thread (cheap: its
// packing is O(MK) or O(KN) against O(MNK/nth) of arithmetic).
//
// bias_backward (the column sum that a Linear layer's bias gradient needs) sits at the bottom.
#include "bert/kernels.h"
#include "bert/parallel.h"
#include "bert/simd.h"

namespace bert {
namespace BERT_NS {
namespace {

// Tile MR×NR and blocks, per instruction set. 8×48 on AVX-512 divides every BERT shape exactly
// (rows = 128·batch, columns 768 or 3072), so no edge tile wastes work; 24 zmm accumulators + 3 for B.
// Blocks selected on 1 thread over seven BERT shapes (M 128–3072, K/N 768–3072, NT/NN/TN): KC from
// 256 to 512 and MC from 64 to 128 all gave 1.03–1.05× OpenBLAS (geometric mean), within noise.
#if defined(__AVX512F__)
#ifndef BERT_GEMM_MR
#define BERT_GEMM_MR 8
#define BERT_GEMM_NV 3
#define BERT_GEMM_KC 256
#define BERT_GEMM_MC 128
#endif
#elif defined(__AVX2__)
#define BERT_GEMM_MR 6
#define BERT_GEMM_NV 2
#define BERT_GEMM_KC 256
#define BERT_GEMM_MC 144
#else
#define BERT_GEMM_MR 4
#define BERT_GEMM_NV 2
#define BERT_GEMM_KC 256
#define BERT_GEMM_MC 128
#endif
constexpr int MR = BERT_GEMM_MR, NV = BERT_GEMM_NV, KC = BERT_GEMM_KC, MC = BERT_GEMM_MC;
constexpr int NR = NV * W;
constexpr int NC = (2048 / NR) * NR;  // whole panels: packing fills ceil(nc/NR)·NR columns
static_assert(MC % MR == 0, "MC must hold whole MR-row panels");
static_assert(MR <= W, "pack_a transposes MR rows at a time through a W×W block");

struct Operand {  // op(X) element (r, c) = trans ? p[c·ld + r] : p[r·ld + c]
  const float* p;
  int64_t ld;
  bool trans;
};

// Packs rows [i0, i0+mc) × cols [k0, k0+kc) of op(A) into MR-tall panels: panel p holds, for each
// k, the MR values of rows i0+p·MR… (zero past M) contiguously.
void pack_a(float* dst, Operand A, int64_t i0, int64_t mc, int64_t k0, int64_t kc) {
  for (int64_t ip = 0; ip < mc; ip += MR) {
    int rows = (int)zmin(MR, mc - ip);
    float* d = dst + ip * kc;
    if (!A.trans) {
      // rows along k → W×W transposes, MR at a time (MR ≤ W; the spill past MR is overwritten).
      const float* s = A.p + (i0 + ip) * A.ld + k0;
      int64_t k = 0;
      for (; k + W <= kc; k += W) transpose_block(s + k, A.ld, rows, d + k * MR, MR);
      for (; k < kc; ++k)
        for (int r = 0; r < MR; ++r) d[k * MR + r] = r < rows ? s[r * A.ld + k] : 0.f;
    } else {
      for (int64_t k = 0; k < kc; ++k) {
        const float* s = A.p + (k0 + k) * A.ld + i0 + ip;
        float* dk = d + k * MR;
        int r = 0;
        for (; r < rows; ++r) dk[r] = s[r];
        for (; r < MR; ++r) dk[r] = 0.f;
      }
    }
  }
}

// Packs rows [k0, k0+kc) × cols [j0, j0+nc) of op(B) into NR-wide panels (zero past N).
void pack_b(float* dst, Operand B, int64_t k0, int64_t kc, int64_t j0, int64_t nc) {
  for (int64_t jp = 0; jp < nc; jp += NR) {
    int cols = (int)zmin(NR, nc - jp);
    float* d = dst + jp * kc;
    if (!B.trans) {
      for (int64_t k = 0; k < kc; ++k) {
        const float* s = B.p + (k0 + k) * B.ld + j0 + jp;
        float* dk = d + k * NR;
        if (cols == NR) {
          for (int v = 0; v < NV; ++v) store(dk + v * W, load(s + v * W));
        } else {
          for (int v = 0; v < NV; ++v) {
            int n = imin(W, imax(0, cols - v * W));
            store(dk + v * W, n == W ? load(s + v * W) : load_n(s + v * W, n));
          }
        }
      }
    } else {
      // B stored N×K (a Linear weight): W×W transposes of W columns by W k's at a time.
      for (int v = 0; v < NV; ++v) {
        int vc = imin(W, imax(0, cols - v * W));
        const float* s = B.p + (j0 + jp + v * W) * B.ld + k0;
        int64_t k = 0;
        for (; k + W <= kc; k += W) transpose_block(s + k, B.ld, vc, d + k * NR + v * W, NR);
        for (; k < kc; ++k)
          for (int c = 0; c < W; ++c) d[k * NR + v * W + c] = c < vc ? s[c * B.ld + k] : 0.f;
      }
    }
  }
}

struct Store {  // what happens to C after a tile's k-block
  float alpha, beta;
  const float* bias;  // at the tile's first column, or null
  bool first;         // first k-block: C = alpha·acc + beta·C + bias; later blocks: C += alpha·acc
};

// The register tile: acc[MR][NV] += a(k) ⊗ b(k) over kc, then merged into C (mr×nr valid).
inline __attribute__((always_inline)) void tile(int64_t kc, const float* __restrict a,
                                                const float* __restrict b, float* __restrict c,
                                                int64_t ldc, int mr, int nr, const Store& st) {
  vf acc[MR][NV];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = zero();

  for (int64_t k = 0; k < kc; ++k) {
    vf bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) bv[v] = load(b + v * W);
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
      vf av = set1(a[i]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = fmadd(av, bv[v], acc[i][v]);
    }
    a += MR;
    b += NR;
  }

  const vf alpha = set1(st.alpha), beta = set1(st.beta);
  if (mr == MR && nr == NR) {
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
      float* cr = c + i * ldc;
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) {
        vf r = acc[i][v] * alpha;
        if (st.first) {
          if (st.beta != 0.f) r = fmadd(beta, load(cr + v * W), r);
          if (st.bias) r = r + load(st.bias + v * W);
        } else {
          r = r + load(cr + v * W);
        }
        store(cr + v * W, r);
      }
    }
    return;
  }
  // Edge tile: spill with constant indices (keeps acc in registers above), then masked stores.
  alignas(64) float tmp[MR * NR];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) store(tmp + i * NR + v * W, acc[i][v]);
  for (int i = 0; i < mr; ++i) {
    float* cr = c + i * ldc;
    for (int v = 0; v < NV; ++v) {
      int n = imin(W, nr - v * W);
      if (n <= 0) break;
      vf r = load(tmp + i * NR + v * W) * alpha;
      if (st.first) {
        if (st.beta != 0.f) r = fmadd(beta, load_n(cr + v * W, n), r);
        if (st.bias) r = r + load_n(st.bias + v * W, n);
      } else {
        r = r + load_n(cr + v * W, n);
      }
      store_n(cr + v * W, r, n);
    }
  }
}

// C = beta·C + bias, for K == 0.
void scale_c(int64_t M, int64_t N, float beta, float* C, int64_t ldc, const float* bias) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j)
      C[i * ldc + j] = (beta == 0.f ? 0.f : beta * C[i * ldc + j]) + (bias ? bias[j] : 0.f);
}

// The whole loop nest on one thread, with that thread's packing buffers.
void gemm_st(int tid, Operand A, Operand B, int64_t M, int64_t N, int64_t K, float alpha,
             float beta, float* C, int64_t ldc, const float* bias) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    scale_c(M, N, beta, C, ldc, bias);
    return;
  }
  float* ap = (float*)thread_scratch(tid, 0, sizeof(float) * (MC * KC + W * W));  // + transpose spill
  float* bp = (float*)thread_scratch(tid, 1, sizeof(float) * KC * (int64_t)zmin(NC, (N + NR - 1) / NR * NR));
  for (int64_t jc = 0; jc < N; jc += NC) {
    int64_t nc = zmin(NC, N - jc);
    for (int64_t pc = 0; pc < K; pc += KC) {
      int64_t kc = zmin(KC, K - pc);
      pack_b(bp, B, pc, kc, jc, nc);
      for (int64_t ic = 0; ic < M; ic += MC) {
        int64_t mc = zmin(MC, M - ic);
        pack_a(ap, A, ic, mc, pc, kc);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          int nr = (int)zmin(NR, nc - jr);
          Store st{alpha, beta, bias ? bias + jc + jr : nullptr, pc == 0};
          const float* bpanel = bp + jr * kc;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            int mr = (int)zmin(MR, mc - ir);
            tile(kc, ap + ir * kc, bpanel, C + (ic + ir) * ldc + jc + jr, ldc, mr, nr, st);
          }
        }
      }
    }
  }
}

}  // namespace

// Also used by attention.cc for its per-head products (single-threaded inside its own split).
void gemm_single(int tid, bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                 const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                 int64_t ldc) {
  gemm_st(tid, Operand{A, lda, transA}, Operand{B, ldb, transB}, M, N, K, alpha, beta, C, ldc,
          nullptr);
}

void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
          const float* bias) {
  if (M <= 0 || N <= 0) return;
  const Operand opA{A, lda, transA}, opB{B, ldb, transB};
  split_gemm(M, N, K, MR, NR, [&](int tid, bool split_n, int64_t b, int64_t e) {
    if (split_n) {
      Operand bsub = opB;
      bsub.p = transB ? B + b * ldb : B + b;
      gemm_st(tid, opA, bsub, M, e - b, K, alpha, beta, C + b, ldc, bias ? bias + b : nullptr);
    } else {
      Operand asub = opA;
      asub.p = transA ? A + b : A + b * lda;
      gemm_st(tid, asub, opB, e - b, N, K, alpha, beta, C + b * ldc, ldc, bias);
    }
  });
}

// dbias[N] += Σ_r dy[r, :]. Threads take column ranges, so each sum runs over rows in order.
void bias_backward(float* dbias, const float* dy, int64_t R, int64_t N) {
  int nth = threads_for(R * N, int64_t(1) << 16);
  if ((N + W - 1) / W < nth) nth = (int)((N + W - 1) / W);
  par(nth, [&](int tid, int n) {
    int64_t b, e;
    split_range(N, tid, n, W, &b, &e);
    for (int64_t j = b; j < e; j += W) {
      int cnt = (int)zmin(W, e - j);
      vf acc = zero();
      for (int64_t r = 0; r < R; ++r) acc = acc + load_n(dy + r * N + j, cnt);
      store_n(dbias + j, load_n(dbias + j, cnt) + acc, cnt);
    }
  });
}

}  // namespace BERT_NS
}  // namespace bert

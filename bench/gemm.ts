// GEMM at BERT's linear-layer shapes, ours beside the system OpenBLAS in the same process and run.
// For a layer in→out over M = batch·seq rows: forward Y = X·Wᵀ (NT), input gradient dX = dY·W (NN),
// weight gradient dW = dYᵀ·X (TN). The forward shape also runs the bf16 inference GEMM (weights
// packed once, as `--dtype bf16` does at load) where the CPU has AVX512_BF16.
import { native } from '../lib/native.js';
import { compare } from './timing.js';
import type { Row } from './table.js';

const LAYERS: [number, number][] = [[768, 768], [768, 3072], [3072, 768]];

export function benchGemm(opts: { quick: boolean }): { rows: Row[]; raw: unknown[]; summary: Row[] } {
  const peer = native.peerBlas();
  const bf16 = native.bf16Supported();
  const rowsM = opts.quick ? [128, 1024] : [128, 512, 1024, 4096];
  const rows: Row[] = [];
  const raw: unknown[] = [];
  const maxThreads = native.numThreads();
  const threadCounts = [...new Set([1, maxThreads])];
  for (const threads of threadCounts) {
    native.setNumThreads(threads);
    if (peer) native.peerBlasSetThreads(threads);
    for (const M of rowsM) {
      for (const [fin, fout] of LAYERS) {
        const cases: [string, boolean, boolean, number, number, number][] = [
          ['fwd NT', false, true, M, fout, fin],
          ['dX NN', false, false, M, fin, fout],
          ['dW TN', true, false, fout, fin, M],
        ];
        for (const [name, ta, tb, m, n, k] of cases) {
          const A = new Float32Array(m * k).map((_, i) => ((i * 7) % 13) / 13 - 0.5);
          const B = new Float32Array(k * n).map((_, i) => ((i * 5) % 11) / 11 - 0.5);
          const C = new Float32Array(m * n);
          const cands: Record<string, () => void> = {
            'bert-cli': () => native.gemm(ta, tb, m, n, k, 1, A, B, 0, C, null),
          };
          if (peer) cands[peer] = () => native.peerBlasSgemm(ta, tb, m, n, k, 1, A, B, 0, C);
          const withBf16 = bf16 && name === 'fwd NT';
          if (withBf16) {
            const packed = new Uint16Array(native.bf16PackedLength(n, k));
            native.bf16Pack(packed, B, n, k);
            cands['bf16'] = () => native.gemmBf16(m, n, k, A, packed, C, null, false);
          }
          const t = compare(cands, { rounds: opts.quick ? 3 : 5 });
          const flops = 2 * m * n * k;
          const ours = flops / t['bert-cli'].best / 1e9;
          const theirs = peer ? flops / t[peer].best / 1e9 : NaN;
          rows.push({
            threads, op: name, M: m, N: n, K: k,
            'bert-cli GFLOP/s': ours,
            [`${peer ?? 'OpenBLAS'} GFLOP/s`]: peer ? theirs : 'skipped',
            ratio: peer ? ours / theirs : 'n/a',
            'bf16 GFLOP/s': withBf16 ? flops / t['bf16'].best / 1e9 : '',
            'bf16 ÷ fp32': withBf16 ? t['bert-cli'].best / t['bf16'].best : '',
          });
          raw.push({ threads, op: name, M: m, N: n, K: k, ours_s: t['bert-cli'].best, peer: peer ?? null, peer_s: peer ? t[peer].best : null, bf16_s: withBf16 ? t['bf16'].best : null });
        }
      }
    }
  }
  native.setNumThreads(maxThreads);
  return { rows, raw, summary: summarize(rows) };
}

/** Per thread count: the geometric mean and the minimum of the ratios. */
function summarize(rows: Row[]): Row[] {
  const out: Row[] = [];
  for (const threads of [...new Set(rows.map((r) => r.threads))]) {
    const ratios = rows.filter((r) => r.threads === threads && typeof r.ratio === 'number').map((r) => r.ratio as number);
    if (ratios.length === 0) continue;
    const geo = Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / ratios.length);
    out.push({ threads, shapes: ratios.length, 'geo-mean ratio': geo, 'min ratio': Math.min(...ratios) });
  }
  return out;
}

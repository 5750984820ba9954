// Loads the native engine once and types its whole contract. Every function checks its arguments
// natively (a wrong length or shape throws a RangeError/TypeError naming the argument) and works on
// the caller's typed arrays in place, without copies. Shapes use the legend of
// native/include/bert/kernels.h: B batch, T tokens, C hidden, NH heads, HS head size, R rows, V vocab.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { BertError } from './errors.js';
import { fileURLToPath } from 'node:url';

export type Isa = 'avx512' | 'avx2' | 'scalar';
type F32 = Float32Array;
type Maybe<T> = T | null;

export interface NativeEngine {
  /** C[M,N] = alpha·op(A)·op(B) + beta·C (+ bias on every row); transB with a Linear weight [out,in] gives X·Wᵀ. */
  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
       A: F32, B: F32, beta: number, C: F32, bias: Maybe<F32>): void;
  /** Whether gemmBf16 runs here: built for x86-64 and the CPU has AVX512_BF16. */
  bf16Supported(): boolean;
  /** Length of the Uint16Array that bf16Pack fills for a [N,K] weight (N to whole 48-column panels, K to even). */
  bf16PackedLength(N: number, K: number): number;
  /** W [N,K] (a Linear weight) → bfloat16 panels for gemmBf16, rounded to nearest even. */
  bf16Pack(dst: Uint16Array, W: F32, N: number, K: number): void;
  /** C[M,N] = A[M,K]·Wᵀ (+ bias), then GELU when `gelu`, in bf16 with float32 sums; Wp from bf16Pack. Throws without AVX512_BF16. */
  gemmBf16(M: number, N: number, K: number, A: F32, Wp: Uint16Array, C: F32, bias: Maybe<F32>, gelu: boolean): void;
  /** Whether gemmInt8 runs here: built for x86-64 and the CPU has AVX512-VNNI. */
  int8Supported(): boolean;
  /** Length of the Uint8Array that int8Pack fills for a [N,K] weight: 48-column panels of int8 (K to a multiple of 4), then per-column float32 scales and int32 sums. */
  int8PackedLength(N: number, K: number): number;
  /** W [N,K] (a Linear weight) → int8 panels for gemmInt8: symmetric per output channel, scale max|w|/127. */
  int8Pack(dst: Uint8Array, W: F32, N: number, K: number): void;
  /** C[M,N] = A[M,K]·Wᵀ (+ bias), then GELU when `gelu`: A quantized per row (uint8, asymmetric), int32 sums (vpdpbusd), float32 epilogue; Wp from int8Pack. Throws without AVX512-VNNI. */
  gemmInt8(M: number, N: number, K: number, A: F32, Wp: Uint8Array, C: F32, bias: Maybe<F32>, gelu: boolean): void;
  /** int8Pack's quantization, unpacked: q [N,K], scale [N]. */
  int8QuantizeWeights(W: F32, N: number, K: number, q: Int8Array, scale: F32): void;
  /** gemmInt8's quantization of A: q [M,K] uint8, scale [M], zero point [M]; A ≈ scale·(q − zero). */
  int8QuantizeRows(A: F32, M: number, K: number, q: Uint8Array, scale: F32, zero: Int32Array): void;
  /** gemm's contract with op(A) and op(B) rounded to bfloat16 and float32 sums (mixed-precision training). Throws without AVX512_BF16. */
  gemmBf16Mixed(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
                A: F32, B: F32, beta: number, C: F32, bias: Maybe<F32>): void;
  /** dbias[N] += Σ_rows dy[R,N] */
  biasBackward(dbias: F32, dy: F32, R: number, N: number): void;
  /** out[B,T,NH·HS] from packed qkv[B,T,3·NH·HS]; probs[B,NH,T,T] saved for backward (null in inference). */
  attentionForward(out: F32, probs: Maybe<F32>, qkv: F32, mask: Maybe<F32>, B: number, T: number,
                   NH: number, HS: number, dropoutP: number, seed: number | bigint): void;
  attentionBackward(dqkv: F32, dout: F32, probs: F32, qkv: F32, B: number, T: number, NH: number,
                    HS: number, dropoutP: number, seed: number | bigint): void;
  /** attentionForward's contract with QKᵀ and PV in bfloat16 (float32 sums; mask, softmax, dropout float32). Throws without AVX512_BF16. */
  attentionForwardBf16(out: F32, probs: Maybe<F32>, qkv: F32, mask: Maybe<F32>, B: number, T: number,
                   NH: number, HS: number, dropoutP: number, seed: number | bigint): void;
  /** attentionBackward's contract with its four products in bfloat16. Throws without AVX512_BF16. */
  attentionBackwardBf16(dqkv: F32, dout: F32, probs: F32, qkv: F32, B: number, T: number, NH: number,
                    HS: number, dropoutP: number, seed: number | bigint): void;
  layerNormForward(out: F32, mean: Maybe<F32>, rstd: Maybe<F32>, x: F32, gamma: F32, beta: F32,
                   R: number, C: number, eps: number): void;
  /** dx (overwritten, or added to with accumulate), dgamma += , dbeta += */
  layerNormBackward(dx: F32, dgamma: Maybe<F32>, dbeta: Maybe<F32>, dout: F32, x: F32, mean: F32,
                    rstd: F32, gamma: F32, R: number, C: number, accumulate: boolean): void;
  /** sum = x + residual (kept for backward when given); out = LayerNorm(sum) */
  residualLayerNormForward(out: F32, sum: Maybe<F32>, mean: Maybe<F32>, rstd: Maybe<F32>, x: F32,
                           residual: F32, gamma: F32, beta: F32, R: number, C: number, eps: number): void;
  /** pre += bias; out = gelu(pre) (erf form) */
  biasGeluForward(out: F32, pre: F32, bias: Maybe<F32>, R: number, C: number): void;
  geluBackward(dpre: F32, dout: F32, pre: F32): void;
  tanhForward(out: F32, x: F32): void;
  /** dx = dout·(1 − out²) */
  tanhBackward(dx: F32, dout: F32, out: F32): void;
  dropoutForward(out: F32, x: F32, p: number, seed: number | bigint): void;
  dropoutBackward(dx: F32, dout: F32, p: number, seed: number | bigint): void;
  /** out[R,C] (= or +=) table[ids[r]] for a table of V rows */
  embeddingForward(out: F32, ids: Int32Array, table: F32, R: number, C: number, V: number,
                   accumulate: boolean): void;
  /** dtable[ids[r]] += dout[r], skipping paddingIdx (−1: none) */
  embeddingBackward(dtable: F32, dout: F32, ids: Int32Array, R: number, C: number, V: number,
                    paddingIdx: number): void;
  /** Mean cross-entropy over rows whose target is not −100; dlogits = (softmax − onehot)·gradScale/count. */
  softmaxCrossEntropy(dlogits: Maybe<F32>, losses: Maybe<F32>, logits: F32, targets: Int32Array,
                      R: number, V: number, gradScale: number): { loss: number; count: number };
  softmaxForward(out: F32, x: F32, R: number, C: number): void;
  bceWithLogits(dlogits: Maybe<F32>, logits: F32, targets: F32, gradScale: number): number;
  mse(dpred: Maybe<F32>, pred: F32, targets: F32, gradScale: number): number;
  /** One torch.optim.AdamW step; decay[i] ≠ 0 applies weight decay to parameter i. */
  adamw(params: F32, grads: F32, m: F32, v: F32, decay: Maybe<Uint8Array>, lr: number, beta1: number,
        beta2: number, eps: number, weightDecay: number, step: number, gradScale: number): void;
  sumSquares(x: F32): number;

  /** n float32 zeros; large ones on transparent huge pages (far fewer first-touch page faults). */
  allocF32(n: number): Float32Array;
  /**
   * The n float32 values at byteOffset of a file, mapped privately (writes stay in this process) from
   * the page cache; null where mapping is not possible. fileSize: the size the caller saw.
   */
  mapF32(path: string, fileSize: number, byteOffset: number, n: number): Float32Array | null;
  /** Registers (on) or forgets a file being written that a fault ending the process (SIGBUS) must remove. */
  partialFile(path: string, on: boolean): boolean;

  isa(): Isa;
  availableIsas(): Isa[];
  setIsa(name: Isa): void;
  numThreads(): number;
  setNumThreads(n: number): void;
  buildInfo(): { blas: boolean; compiler: string };
  /** The system BLAS opened for benchmarking ("OpenBLAS", "BLIS"), or null. */
  peerBlas(): string | null;
  peerBlasSgemm(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
                A: F32, B: F32, beta: number, C: F32): void;
  peerBlasSetThreads(n: number): void;
}

/** The package root: the nearest folder above this file holding package.json (works from lib/ and dist/lib/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'CMakeLists.txt'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('bert-cli: cannot find the package root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** This package's version (package.json). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * The command that builds the engine where this package is: inside a user's project (the package
 * is under node_modules) `npm rebuild bert-cli`, in a clone of the repository `npm run build:native`.
 */
export function buildCommand(root = packageRoot()): string {
  return root.split(sep).includes('node_modules') ? 'npm rebuild bert-cli' : 'npm run build:native';
}

let engine: NativeEngine | null = null;

/** Files being written that a fault ending the process must remove (registered with the engine once it loads). */
const partialFiles = new Set<string>();

/**
 * Marks (on) or unmarks a file this process is writing and has not finished (an output's temporary
 * twin): the engine's SIGBUS handler — a mapped checkpoint truncated underneath — removes it before
 * ending the process. Cheap before the engine loads (kept until it does).
 */
export function markPartialFile(path: string, on: boolean): void {
  if (on) partialFiles.add(path);
  else partialFiles.delete(path);
  engine?.partialFile(path, on);
}

/** The addon, loaded on first use: commands that need no native code run without it. */
export function loadNative(): NativeEngine {
  if (engine) return engine;
  const root = packageRoot();
  const candidates = [process.env.BERT_NATIVE_PATH, join(root, 'build', 'Release', 'bert_native.node')]
    .filter((p): p is string => !!p);
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    throw new BertError('the native engine is not built', { where: candidates[candidates.length - 1], hint: `run \`${buildCommand(root)}\`: it compiles it with CMake and a C++17 compiler` });
  }
  try {
    engine = createRequire(import.meta.url)(path) as NativeEngine;
    for (const p of partialFiles) engine.partialFile(p, true);
  } catch (err) {
    throw new BertError(`the native engine does not load (${(err as Error).message.split('\n')[0]})`, { where: path, hint: `rebuild it: \`${buildCommand(root)}\`` });
  }
  return engine;
}

/**
 * The engine. Loaded on first use, not at import: importing the library (and running --help,
 * tokenize, vocab or info of a model directory) needs no native build.
 */
export const native: NativeEngine = new Proxy({} as NativeEngine, {
  get: (_, key) => (loadNative() as unknown as Record<string | symbol, unknown>)[key],
});

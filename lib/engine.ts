// What the native engine is running on: instruction set, threads, BLAS. Shown by `bert-cli info`.
import { native, type Isa } from './native.js';
import { UsageError } from './errors.js';
import type { Dtype, InferenceDtype } from './model/encoder.js';

export interface EngineInfo {
  isa: Isa;
  availableIsas: Isa[];
  threads: number;
  gemm: string;
  /** whether --dtype bf16 runs in bf16 here (AVX512_BF16) */
  bf16: boolean;
  /** whether --dtype int8 runs in int8 here (AVX512-VNNI) */
  int8: boolean;
  compiler: string;
  node: string;
}

export function engineInfo(): EngineInfo {
  const build = native.buildInfo();
  return {
    isa: native.isa(),
    availableIsas: native.availableIsas(),
    threads: native.numThreads(),
    gemm: build.blas ? 'system BLAS (BERT_USE_BLAS)' : 'built-in',
    bf16: native.bf16Supported(),
    int8: native.int8Supported(),
    compiler: build.compiler,
    node: process.version,
  };
}

/** Applies --threads to the engine (BERT_NUM_THREADS is read natively at start). */
export function setThreads(n: number | undefined): void {
  if (n === undefined) return;
  try {
    native.setNumThreads(n);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw new UsageError(`${n} threads is more than the engine runs (${err.message.replace(/^setNumThreads: Expected /, '')})`, { where: '--threads' });
  }
}

const fallbackNotice = (want: InferenceDtype, got: InferenceDtype) =>
  `bert-cli: --dtype ${want} needs ${want === 'int8' ? 'AVX512-VNNI' : 'AVX512_BF16'}, which this CPU lacks; running ${got}`;

/**
 * --dtype for training (pretrain, finetune): bf16 mixed precision where the CPU has AVX512_BF16,
 * else fp32 with the same notice as setDtype's, through `say`.
 */
export function trainingDtype(want: Dtype | 'auto' | undefined, say: (line: string) => void): Dtype {
  if (want === 'auto') return native.bf16Supported() ? 'bf16' : 'fp32'; // bf16 where the CPU has it, silently
  if (want === 'bf16' && !native.bf16Supported()) {
    say(fallbackNotice('bf16', 'fp32'));
    return 'fp32';
  }
  return want ?? 'fp32';
}

/**
 * Applies --dtype to a loaded model's encoder. bf16 on a CPU without AVX512_BF16 runs fp32 and
 * says so once through `say` (a notice, not an error: the results are the fp32 ones).
 */
export function setDtype(model: { encoder: { setDtype(d: InferenceDtype): InferenceDtype } }, dtype: InferenceDtype | undefined, say: (line: string) => void): InferenceDtype {
  const want = dtype ?? 'fp32';
  const got = model.encoder.setDtype(want);
  if (got !== want) say(fallbackNotice(want, got));
  return got;
}

// What the native engine is running on: instruction set, threads, BLAS. Shown by `bert-cli info`.
import { native, type Isa } from './native.js';

export interface EngineInfo {
  isa: Isa;
  availableIsas: Isa[];
  threads: number;
  gemm: string;
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
    compiler: build.compiler,
    node: process.version,
  };
}

/** Applies --threads to the engine (BERT_NUM_THREADS is read natively at start). */
export function setThreads(n: number | undefined): void {
  if (n !== undefined) native.setNumThreads(n);
}

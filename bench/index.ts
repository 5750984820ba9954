// npm run bench [-- --quick] [-- --only gemm,attention]: every section, bert-cli beside the peers
// installed on this machine, measured in one run; ratios > 1 mean bert-cli is faster. Raw figures go
// to bench/results/latest.json. A peer that is missing is reported as skipped.
// OpenBLAS's workers spin for a long while after each call; beside our pool on two cores that steals
// a core from whichever library runs next. Its shortest spin keeps the interleaved rounds fair. It is
// read when the library is opened, at the first peerBlas() call below.
process.env.OPENBLAS_THREAD_TIMEOUT ??= '4';
// HF tokenizers' Rust thread pool reads this when it starts: the single-thread comparison.
process.env.RAYON_NUM_THREADS ??= '1';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { native } from '../lib/native.js';
import { benchAttention } from './attention.js';
import { benchGemm } from './gemm.js';
import { benchTokenizer } from './tokenizer.js';
import { benchMemory } from './memory.js';
import { benchTraining } from './training.js';
import { benchPredict } from './predict.js';
import { benchOnnx } from './onnx.js';
import { benchInt8 } from './int8.js';
import { benchMpi } from './mpi.js';
import { benchServe } from './serve.js';
import { printTable } from './table.js';
import { peakRssMiB } from './timing.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.indexOf('--only');
const only = onlyArg >= 0 ? new Set(args[onlyArg + 1].split(',')) : null;
const want = (name: string) => !only || only.has(name);

/** cpuid's family and model (/proc/cpuinfo), which name the microarchitecture where the model name does not (AMD 26 = Zen 5, 25 = Zen 3/4). */
function cpuid(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const field = (k: string) => new RegExp(`^${k}\\s*:\\s*(.+)$`, 'm').exec(info)?.[1]?.trim() ?? '?';
    return `family ${field('cpu family')} model ${field('model')}`;
  } catch {
    return 'unknown';
  }
}

const machine = {
  date: new Date().toISOString(),
  cpu: cpus()[0]?.model ?? 'unknown',
  cpuid: cpuid(),
  int8: native.int8Supported(),
  bf16: native.bf16Supported(),
  cores: cpus().length,
  isa: native.isa(),
  threads: native.numThreads(),
  node: process.version,
  peers: { blas: native.peerBlas() ?? 'skipped (apt-get install libopenblas-dev)' },
};
process.stdout.write(`bert-cli bench — ${machine.cpu} (cpuid ${machine.cpuid}), ${machine.threads} threads, ${machine.isa} kernels${machine.bf16 ? ', AVX512_BF16' : ''}${machine.int8 ? ', AVX512-VNNI' : ''}\n`);
process.stdout.write(`peers: BLAS ${machine.peers.blas}\n`);

const results: Record<string, unknown> = { machine };
if (want('gemm')) {
  const r = benchGemm({ quick });
  printTable('GEMM (GFLOP/s; ratio = bert-cli ÷ peer, ≥ 0.90 is the bar)', r.rows);
  printTable('GEMM summary', r.summary);
  results.gemm = r.raw;
}
if (want('attention')) {
  const r = benchAttention({ quick });
  printTable('Attention (ratio = fused kernel ÷ the GEMMs it holds)', r.rows);
  results.attention = r.raw;
}
if (want('tokenizer')) {
  const r = await benchTokenizer({ quick });
  printTable('Tokenization (State of the Union, 10.7 MB; ratio = HF best single-thread time ÷ ours, target ≥ 4)', r.rows);
  results.tokenizer = r.raw;
}
if (want('onnx')) {
  const r = await benchOnnx({ quick });
  printTable(`Inference vs ONNX Runtime (${r.peer}; same weights, threads and shapes; ratio = ORT time ÷ ours)`, r.rows);
  results.onnx = r.raw;
}
if (want('int8')) {
  const r = await benchInt8({ quick });
  printTable('int8 inference (--dtype int8) beside bf16, fp32, ONNX Runtime int8 and PyTorch dynamic int8 (same shapes and threads)', r.rows);
  results.int8 = r.raw;
}
if (want('training')) {
  const r = benchTraining({ quick });
  printTable('Training and inference steps vs PyTorch CPU (same shapes and threads; ratio = PyTorch time ÷ ours)', r.rows);
  results.training = r.raw;
}
if (want('predict')) {
  const r = await benchPredict({ quick });
  printTable('bert-cli predict end to end on SpamAssassin e-mails (peak RSS flat as the input grows: predict streams)', r.rows);
  results.predict = r.raw;
}
if (want('serve')) {
  const soakArg = args.indexOf('--soak');
  const r = await benchServe({ quick, soakSeconds: soakArg >= 0 ? Number(args[soakArg + 1]) : undefined });
  printTable('bert-cli serve under load (autocannon) beside fastify + transformers.js, POST /v1/embeddings, one e-mail per request', r.rows);
  results.serve = r.raw;
}
if (want('mpi')) {
  const r = benchMpi({ quick });
  printTable('Data-parallel pretraining over MPI on this machine (same global batch; fp32; ratios of step times)', r.rows);
  results.mpi = r.raw;
}
if (want('memory')) {
  const r = benchMemory({ quick });
  printTable('Training memory (RSS flat over the steps; by count = params, grads, Adam m and v, activations)', r.rows);
  results.memory = r.raw;
}
const rss = peakRssMiB();
process.stdout.write(`\npeak RSS ${rss.toFixed(0)} MiB\n`);
results.peakRssMiB = rss;
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'results', 'latest.json'), JSON.stringify(results, null, 2) + '\n');

// bert-cli info: the engine this machine runs (instruction set, threads, GEMM backend) and, with
// --model, what a model directory holds.
import { Command } from 'commander';
import { engineInfo, setThreads, type EngineInfo } from '../../lib/engine.js';
import { formatError } from '../../lib/errors.js';
import { loadNative, packageVersion } from '../../lib/native.js';
import { parsePositiveInt } from '../options.js';
import { describeModelDir, type ModelInfo } from '../../lib/model-dir/describe.js';

export interface InfoReport {
  version: string;
  /** null when the native engine is not built here (engineError says why and what fixes it) */
  engine: EngineInfo | null;
  engineError?: string;
  model?: ModelInfo;
}

/** What info shows; a model directory is described without the native engine, which may be missing. */
export function collectInfo(opts: { threads?: number; model?: string }): InfoReport {
  const report: InfoReport = { version: packageVersion(), engine: null };
  try {
    loadNative();
    setThreads(opts.threads);
    report.engine = engineInfo();
  } catch (err) {
    if (!opts.model) throw err;
    report.engineError = formatError(err);
  }
  if (opts.model) report.model = describeModelDir(opts.model);
  return report;
}

export function printInfo(info: InfoReport): string {
  const e = info.engine;
  const lines: string[] = [`bert-cli   ${info.version}`];
  if (info.model) {
    const m = info.model;
    lines.push(
      `model      ${m.dir}`,
      `arch       ${m.architecture} (L${m.layers} H${m.hidden} A${m.heads}, intermediate ${m.intermediate}, ${m.maxPositions} positions)`,
      `parameters ${m.parameters.toLocaleString('en-US')} (${(m.parameters / 1e6).toFixed(1)}M)`,
      `vocabulary ${m.vocabSize} tokens, ${m.lowercase ? 'uncased' : 'cased'}`,
    );
    if (m.labels.length) lines.push(`labels     ${m.labels.join(', ')}${m.problemType ? ` (${m.problemType})` : ''}`);
  }
  if (!e) {
    lines.push(`engine     ${info.engineError}`);
    return lines.join('\n');
  }
  lines.push(
    `engine     ${e.isa} kernels (this CPU can run: ${e.availableIsas.join(', ')})`,
    `threads    ${e.threads}`,
    `gemm       ${e.gemm}`,
    `bf16       ${e.bf16 ? 'yes (AVX512_BF16): --dtype bf16 available' : 'no: --dtype bf16 runs fp32'}`,
    `int8       ${e.int8 ? 'yes (AVX512-VNNI): --dtype int8 available' : 'no: --dtype int8 runs fp32'}`,
    `compiler   ${e.compiler}`,
    `node       ${e.node}`,
  );
  return lines.join('\n');
}

export function infoCommand(): Command {
  return new Command('info')
    .description('show the native engine (instruction set, threads, GEMM) and, with --model, a model directory')
    .option('--model <dir>', 'a model directory: architecture, parameters, labels, vocabulary')
    .option('--threads <n>', 'threads the kernels use (default: every core, or BERT_NUM_THREADS)', parsePositiveInt)
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  $ bert-cli info\n  $ bert-cli info --model out/model\n  $ BERT_ISA=avx2 bert-cli info --json\n')
    .action((opts: { threads?: number; json?: boolean; model?: string }) => {
      const info = collectInfo(opts);
      process.stdout.write(opts.json ? JSON.stringify(info, null, 2) + '\n' : printInfo(info) + '\n');
    });
}

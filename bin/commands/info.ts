// bert-cli info: the engine this machine runs (instruction set, threads, GEMM backend).
import { Command } from 'commander';
import { engineInfo, setThreads, type EngineInfo } from '../../lib/engine.js';
import { parsePositiveInt } from '../../lib/cli/options.js';

export function collectInfo(opts: { threads?: number }): { engine: EngineInfo } {
  setThreads(opts.threads);
  return { engine: engineInfo() };
}

export function printInfo(info: { engine: EngineInfo }): string {
  const e = info.engine;
  return [
    `engine     ${e.isa} kernels (this CPU can run: ${e.availableIsas.join(', ')})`,
    `threads    ${e.threads}`,
    `gemm       ${e.gemm}`,
    `compiler   ${e.compiler}`,
    `node       ${e.node}`,
  ].join('\n');
}

export function infoCommand(): Command {
  return new Command('info')
    .description('show the native engine: instruction set, threads, GEMM backend')
    .option('--threads <n>', 'threads the kernels use (default: every core, or BERT_NUM_THREADS)', parsePositiveInt)
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  $ bert-cli info\n  $ BERT_ISA=avx2 bert-cli info --json\n')
    .action((opts: { threads?: number; json?: boolean }) => {
      const info = collectInfo(opts);
      process.stdout.write(opts.json ? JSON.stringify(info, null, 2) + '\n' : printInfo(info) + '\n');
    });
}

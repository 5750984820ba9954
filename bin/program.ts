// The program: every subcommand, and the one error handler (one line on stderr, exit code 2 for
// usage errors and 1 for everything else, a stack trace only with --verbose or BERT_DEBUG=1).
import { Command, CommanderError } from 'commander';
import { exitCodeFor, formatError, UsageError } from '../lib/errors.js';
import { infoCommand } from './commands/info.js';
import { tokenizeCommand } from './commands/tokenize.js';
import { vocabCommand } from './commands/vocab.js';
import { pretrainCommand } from './commands/pretrain.js';
import { fillMaskCommand } from './commands/fill-mask.js';
import { datasetCommand } from './commands/dataset.js';
import { finetuneCommand } from './commands/finetune.js';
import { predictCommand } from './commands/predict.js';
import { evalCommand } from './commands/eval.js';
import { embedCommand } from './commands/embed.js';
import { exportCommand } from './commands/export.js';
import { quickstartCommand } from './commands/quickstart.js';
import { serveCommand } from './commands/serve.js';
import { loadSpinner, stopAllProgress } from './progress.js';
import { hfFlagHintFor } from '../lib/cli/hf-flags.js';
import { packageVersion } from '../lib/native.js';
import { watchStdout } from './signals.js';

export function buildProgram(): Command {
  const program = new Command('bert-cli')
    .description('BERT end to end: tokenize, pretrain, fine-tune and predict on a native SIMD engine')
    .version(packageVersion(), '-V, --version', 'print the version')
    .option('--verbose', 'print stack traces on errors');
  program.addCommand(quickstartCommand());
  program.addCommand(tokenizeCommand());
  program.addCommand(vocabCommand());
  program.addCommand(pretrainCommand());
  program.addCommand(finetuneCommand());
  program.addCommand(predictCommand());
  program.addCommand(evalCommand());
  program.addCommand(embedCommand());
  program.addCommand(fillMaskCommand());
  program.addCommand(serveCommand());
  program.addCommand(exportCommand());
  program.addCommand(datasetCommand());
  program.addCommand(infoCommand());
  for (const cmd of [program, ...program.commands]) {
    // commander's own messages ("error: unknown option '--x'") get our one-line prefix.
    cmd.exitOverride().configureOutput({ outputError: (str, write) => write(`bert-cli: ${str.trim().replace(/\s*\n\s*/g, ' ')}\n`) });
  }
  return program;
}

export async function run(argv: string[]): Promise<void> {
  const program = buildProgram();
  const verbose = argv.includes('--verbose') || process.env.BERT_DEBUG === '1';
  watchStdout();
  try {
    await loadSpinner();
    hfFlagHint(program, argv.slice(2));
    await program.parseAsync(argv);
  } catch (err) {
    stopAllProgress();
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0 and their text already printed.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (verbose && err instanceof Error) process.stderr.write((err.stack ?? err.message) + '\n');
    process.stderr.write(`bert-cli: error: ${formatError(err)}\n`);
    process.exitCode = exitCodeFor(err);
  } finally {
    // a command that ended, however it ended, leaves no spinner turning (its timer keeps the process alive)
    stopAllProgress();
  }
}

/**
 * HF's flag names typed from habit (--learning_rate, --num-train-epochs) name ours before commander
 * parses: its spelling-distance guess cannot see that --learning-rate is --lr, and it would first
 * report a missing required option.
 */
function hfFlagHint(program: Command, args: string[]): void {
  const cmd = program.commands.find((c) => c.name() === args.find((a) => !a.startsWith('-')));
  if (!cmd) return;
  const longs = cmd.options.map((o) => o.long).filter((l): l is string => !!l);
  for (const a of args) {
    if (a === '--') return;
    if (!a.startsWith('--') || longs.includes(a.split('=')[0])) continue;
    const hint = hfFlagHintFor(a, longs);
    if (hint) throw new UsageError(`unknown option '${a.split('=')[0]}' (${hint})`);
  }
}

export { UsageError };

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
import { quickstartCommand } from './commands/quickstart.js';

export function buildProgram(): Command {
  const program = new Command('bert-cli')
    .description('BERT end to end: tokenize, pretrain, fine-tune and predict on a native SIMD engine')
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
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0 and their text already printed.
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (verbose && err instanceof Error) process.stderr.write((err.stack ?? err.message) + '\n');
    process.stderr.write(`bert-cli: error: ${formatError(err)}\n`);
    process.exitCode = exitCodeFor(err);
  }
}

export { UsageError };

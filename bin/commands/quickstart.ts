// bert-cli quickstart: the whole course on bundled real data, offline, with no other flags needed.
import { Command } from 'commander';
import { setThreads } from '../../lib/engine.js';
import { parsePositiveInt, THREADS_HELP } from '../options.js';
import { quickstart } from '../../lib/quickstart.js';
import { runJob } from '../job.js';
import type { JobContext } from '../job.js';

interface Flags { out: string; fast?: boolean; threads?: number; json?: boolean; quiet?: boolean }

export function quickstartCommand(): Command {
  return new Command('quickstart')
    .description('the whole course on bundled real data: vocabulary, pretraining (SOTU), fine-tuning (spam), evaluation, predictions, fill-mask')
    .option('--out <dir>', 'where the data, models and reports go', 'bert-quickstart')
    .option('--fast', 'a smoke test of every stage in about half a minute (small steps, a few hundred e-mails)')
    .option('--threads <n>', THREADS_HELP, parsePositiveInt)
    .option('--json', 'print the figures as one JSON object on stdout at the end (the stages\' text goes to stderr)')
    .option('--quiet', 'no progress line (the stages\' figures still print)')
    .addHelpText('after', `
Stages (each prints what it does and its figures; measured: 8 min 32 s from a fresh clone on a 2-core
machine, 2026-12-02 — docs/quickstart.md; --fast under a minute):
  1 data        the State of the Union addresses (5% held out) and SpamAssassin e-mails (80/20 split)
  2 vocab       an 8,000-token WordPiece vocabulary learned from the addresses and the training e-mails
  3 pretrain    a mini BERT (4 layers, 256 hidden) trained with MLM + NSP for 5 minutes on the addresses
                and the training e-mails
  4 finetune    every parameter under a new classifier head: spam or ham
  5 eval        accuracy and spam F1 on the held-out e-mails, beside naive Bayes and logistic regression
  6 predict     a few held-out e-mails with their predicted label and probability
  7 fill-mask   the pretrained model's guesses for a [MASK]
Outputs stay in --out (data/, vocab.txt, pretrained/, spam/, each model with report.html); a rerun
reuses finished stages, and Ctrl-C during training saves so that the rerun resumes.

Examples:
  $ npx bert-cli quickstart
  $ npx bert-cli quickstart --fast --out /tmp/qs
  $ npx bert-cli predict --model bert-quickstart/spam bert-quickstart/data/spam/test.tsv | head -3
`)
    .action((f: Flags) => runJob('quickstart', { f }, { quiet: f.quiet }));
}

/** The command's work, in the job worker (bin/job.ts). */
export async function quickstartJob({ f }: { f: Flags }, ctx: JobContext): Promise<{ stopped: boolean }> {
  setThreads(f.threads);
  // with --json stdout holds the JSON alone (for `| jq`): the stages' text goes to stderr
  const print = f.json ? (text: string) => ctx.progress.log(text.replace(/^\n|\n$/g, '')) : ctx.print;
  const r = await quickstart({ out: f.out, fast: f.fast, progress: ctx.progress, print, shouldStop: ctx.stopRequested });
  if (r.stopped) ctx.progress.done(`stopped; run the same command again to resume`, false);
  if (f.json) ctx.print(JSON.stringify(r) + '\n');
  return { stopped: r.stopped };
}

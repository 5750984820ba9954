// bert-cli pretrain: MLM + NSP pretraining on plain text, from scratch or from a checkpoint
// (lib/api/pretrain.ts does the work; this parses the flags and prints).
import { DEFAULTS } from '../../lib/defaults.js';
import { Command } from 'commander';
import { pretrain, type PretrainRequest } from '../../lib/api/pretrain.js';
import { PRESET_NAMES } from '../../lib/config.js';
import { DEFAULT_PRETRAIN_STEPS } from '../../lib/train/pretrain.js';
import { parseDropout, parseDuration, parseTrainingDtype, parsePositiveNumber, parseNonNegativeInt, parsePositiveInt, parseProbability, THREADS_HELP } from '../options.js';
import { Eta, formatDuration, plural } from '../progress.js';
import type { JobContext } from '../job.js';
import { runJob } from '../job.js';

type PretrainFlags = Omit<PretrainRequest, 'files' | 'budget' | `on${string}`> & { budget?: number; quiet?: boolean; json?: boolean };

export function pretrainCommand(): Command {
  return new Command('pretrain')
    .description('pretrain BERT on plain text: masked language model (MLM) and next sentence prediction (NSP)')
    .argument('<files...>', 'corpus: text files or folders (.gz too), one sentence per line, a blank line between documents')
    .requiredOption('--out <dir>', 'the model directory to write (checkpoints, metrics.jsonl)')
    .option('--config <preset|file>', `size: ${PRESET_NAMES.join(', ')}, or a config.json`, DEFAULTS.pretrain.config)
    .option('--vocab <file>', 'a vocab.txt to use')
    .option('--vocab-size <n>', 'learn a WordPiece vocabulary of N tokens from the corpus first', parsePositiveInt)
    .option('--no-lowercase', 'a cased model (with --vocab-size)')
    .option('--init <dir>', 'continue pretraining from this checkpoint')
    .option('--init-missing', "with --init: initialise the encoder tensors the checkpoint lacks (else an error names the first)")
    .option('--steps <n>', `optimizer steps (default ${DEFAULT_PRETRAIN_STEPS}, or what --budget fits)`, parsePositiveInt)
    .option('--budget <duration>', 'train for this long (30m, 1h, 90s): the steps are planned from the measured pace, the schedule decays to zero at the last, and a clock stops the run on time', parseDuration)
    .option('--batch-size <n>', 'sequences per step', parsePositiveInt, DEFAULTS.pretrain.batchSize)
    .option('--max-length <n>', 'tokens per sequence, [CLS] and [SEP] included', parsePositiveInt, DEFAULTS.pretrain.maxLength)
    .option('--lr <x>', 'peak learning rate (measured for small models; BERT-base used 1e-4)', parsePositiveNumber, DEFAULTS.pretrain.lr)
    .option('--warmup <n>', 'warmup steps (default: --warmup-ratio of the steps)', parseNonNegativeInt)
    .option('--warmup-ratio <x>', 'fraction of the steps spent warming up, when --warmup is not given', parseProbability, DEFAULTS.pretrain.warmupRatio)
    .option('--dropout <p>', "hidden and attention dropout, written to config.json (default 0 from scratch, as Cramming — fine-tuning puts BERT's 0.1 back; with --init the checkpoint's)", parseDropout)
    .option('--short-length <n>', "BERT's length schedule: the first --short-ratio of the steps on sequences this long, the rest at --max-length (default: half of --max-length)", parsePositiveInt)
    .option('--short-ratio <x>', 'the fraction of the steps on short sequences (0: none, every step at --max-length)', parseProbability, DEFAULTS.pretrain.shortRatio)
    .option('--mask-prob <p>', 'fraction of tokens to predict', parseProbability, DEFAULTS.pretrain.maskProb)
    .option('--max-predictions <n>', 'at most this many predictions per sequence', parsePositiveInt, DEFAULTS.pretrain.maxPredictions)
    .option('--whole-word-mask', 'mask all ## pieces of a word together')
    .option('--no-nsp', 'MLM only, with full-length single segments')
    .option('--dupe-factor <n>', 'static masks: N fixed maskings cycled by epoch (0: new masks every epoch)', parseNonNegativeInt, DEFAULTS.pretrain.dupeFactor)
    .option('--eval <files...>', 'held-out text: MLM accuracy, perplexity, NSP accuracy')
    .option('--eval-every <n>', 'evaluate every N steps', parsePositiveInt)
    .option('--save-every <n>', 'checkpoint every N steps', parsePositiveInt, DEFAULTS.pretrain.saveEvery)
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .option('--overwrite', 'start a new run in an --out that already holds a model (else refused)')
    .option('--skip-nonfinite', 'skip (and count) a step whose loss or gradients are NaN/Inf instead of stopping')
    .option('--seed <n>', 'seed for data, masks, dropout and initialisation', parseNonNegativeInt, DEFAULTS.seed)
    .option('--dtype <type>', 'auto: bf16 where the CPU has AVX512_BF16, else fp32; fp32; or bf16: mixed precision — linear layers in bfloat16 with float32 sums and float32 weights (else fp32 with a notice)', parseTrainingDtype, DEFAULTS.pretrain.dtype)
    .option('--threads <n>', THREADS_HELP, parsePositiveInt)
    .option('--json', 'print the final summary as JSON on stdout')
    .option('--quiet', 'no progress')
    .addHelpText('after', `
The output is a model directory (config.json, vocab.txt, tokenizer_config.json, model.safetensors)
that finetune, predict, fill-mask and HuggingFace's BertForPreTraining load, with metrics.jsonl and
the training state beside it. Ctrl-C finishes the step, saves, and exits with 130; --resume goes on.

Examples:
  $ bert-cli dataset sotu --out data/sotu
  $ bert-cli pretrain data/sotu/train.txt --eval data/sotu/heldout.txt --vocab-size 8000 --config mini --steps 2000 --out out/sotu-mini
  $ bert-cli pretrain more-text/ --init out/sotu-mini --steps 500 --out out/domain
`)
    .action((files: string[], f: PretrainFlags) => runJob('pretrain', { files, f }, { quiet: f.quiet }));
}

/** The command's work, in the job worker (bin/job.ts). */
export async function pretrainJob({ files, f }: { files: string[]; f: PretrainFlags }, ctx: JobContext): Promise<{ stopped: boolean }> {
  const { progress } = ctx;
  const t0 = Date.now();
  let evalLine = '';
  let eta: Eta | undefined;
  const pct = (x: number, d = 1) => `${(100 * x).toFixed(d)}%`;
  const r = await pretrain({
    ...f, files, shouldStop: ctx.stopRequested,
    onNotice: (l) => progress.log(l),
    onWarning: (l) => progress.warn(l),
    onProgress: (t) => progress.update(t, true),
    onStep: (s) => progress.update(`step ${s.step}/${s.steps}  loss ${s.loss.toFixed(3)}  mlm acc ${pct(s.mlmAccuracy)}` + (f.nsp ? `  nsp acc ${pct(s.nspAccuracy, 0)}` : '') +
      `  lr ${s.lr.toExponential(2)}  ${Math.round(s.tokensPerSecond)} tok/s  ${f.budget !== undefined ? `${formatDuration(Math.max(0, f.budget - (Date.now() - t0) / 1000))} left` : (eta ??= new Eta(s.steps)).text(s.step, s.elapsed)}${evalLine}`),
    onEval: (e) => {
      const nsp = !Number.isNaN(e.nspAccuracy);
      evalLine = `  | held-out mlm ${pct(e.mlmAccuracy)}` + (nsp ? ` nsp ${pct(e.nspAccuracy)}` : '');
      progress.log(`eval at step ${e.step}: MLM accuracy ${pct(e.mlmAccuracy, 2)}, perplexity ${e.perplexity.toFixed(1)}` + (nsp ? `, NSP accuracy ${pct(e.nspAccuracy, 2)}` : '') +
        ` (${e.instances} held-out sequences; most-frequent-token baseline ${pct(e.mlmBaseline)}` + (Number.isNaN(e.nspBaseline) ? ')' : `, majority NSP ${pct(e.nspBaseline)})`));
    },
  });
  const e = r.eval;
  progress.done(`${r.stopped ? 'stopped and saved' : 'pretrained'} ${f.out}: ${r.stepsThisRun === r.steps ? plural(r.steps, 'step') : `${plural(r.stepsThisRun, 'step')} (${r.steps} in all)`} in ${formatDuration(r.seconds)}` +
    (e ? `, held-out MLM accuracy ${pct(e.mlmAccuracy)}` + (Number.isNaN(e.nspAccuracy) ? '' : `, NSP ${pct(e.nspAccuracy)}`) : '') +
    (r.skippedSteps.length ? `; ${plural(r.skippedSteps.length, 'step')} skipped for a non-finite loss or gradient` : ''), !r.stopped);
  if (f.json) ctx.print(JSON.stringify({ ...r, eval: r.eval ?? undefined }) + '\n');
  return { stopped: r.stopped };
}

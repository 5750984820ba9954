// Fine-tuning as a library call: `await finetune({ model, task, train, out })` reads and encodes the
// data through the task's family, fills in what is not given by the model's size
// (finetune-defaults.ts), and runs the one fine-tuning loop. Notices come through `onNotice`,
// progress through `onStep` / `onEval`; an AbortSignal (or `shouldStop`) ends it after the current
// step with a resumable checkpoint. `bert-cli finetune` is this, parsed and printed.
import { assertResumeOrOverwrite } from '../train/out-dir.js';
import { FINETUNE_RULES, validateRequest } from '../validate.js';
import { DEFAULTS } from '../defaults.js';
import { pretrainedLength } from '../config.js';
import { setThreads, trainingDtype } from '../engine.js';
import { BertError, UsageError } from '../errors.js';
import { modelDirConfig } from '../model-dir/model-dir.js';
import type { Dtype } from '../model/encoder.js';
import { plural } from '../report/format.js';
import type { Columns, FamilyContext, QaFlags } from '../tasks/family.js';
import { family as familyByName, MIN_MAX_LENGTH, trainingMaxLength, type Task } from '../tasks/registry.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import { finetuneDefaults, finetuneDropout, type FinetuneSettings } from '../train/finetune-defaults.js';
import { finetuneLoop, type DevReport } from '../train/finetune.js';
import { communicator, threadsPerRank } from '../train/distributed.js';

export interface FinetuneRequest {
  /** the pretrained model directory */
  model: string;
  task: Task;
  /** training data; for tag CoNLL or .jsonl, for qa SQuAD JSON, else .tsv/.csv/.jsonl */
  train: string;
  /** evaluated after each epoch (and every evalEvery steps); the best model is kept */
  dev?: string;
  out: string;
  /** by the model's size when not given (finetune-defaults.ts) */
  epochs?: number;
  lr?: number;
  batchSize?: number;
  warmupRatio?: number;
  /** tag: train every piece of a word on its tag (HF's label_all_tokens; a B- tag as I- on later pieces), so that runtimes reading every token's label (transformers.js's aggregation) see whole words */
  labelAllTokens?: boolean;
  /** default: the model's; BERT's 0.1 for a model pretrained without */
  dropout?: number;
  /** tokens per example (default 128; 384 for qa), at most the model's positions */
  maxLength?: number;
  weightDecay?: number;
  maxGradNorm?: number;
  gradAccum?: number;
  scheduler?: 'linear' | 'constant';
  shuffle?: boolean;
  seed?: number;
  evalEvery?: number;
  earlyStopping?: number;
  columns?: Partial<Columns>;
  qa?: Pick<QaFlags, 'docStride' | 'maxQueryLength'>;
  skipBad?: boolean;
  skipNonfinite?: boolean;
  /** continue from out/last */
  resume?: boolean;
  /** start anew in an out that holds a model */
  overwrite?: boolean;
  saveEvery?: number;
  /** auto: bf16 where the CPU has AVX512_BF16 */
  dtype?: Dtype | 'auto';
  threads?: number;
  signal?: AbortSignal;
  shouldStop?: () => boolean;
  onNotice?: (line: string) => void;
  /** notices that change what the run computes (a --dtype the CPU lacks, run as fp32); default onNotice */
  onWarning?: (line: string) => void;
  onStep?: (s: { step: number; steps: number; epoch: number; epochs: number; loss: number; lr: number; examplesPerSecond: number; elapsed: number }) => void;
  onEval?: (e: DevReport & { metric: string }) => void;
}

export interface FinetuneResult {
  out: string;
  /** the settings used: given, or by the model's size */
  settings: FinetuneSettings;
  /** steps done (a resumed run's included) */
  steps: number;
  /** steps this call took (steps − the resumed run's), in `seconds` */
  stepsThisRun: number;
  seconds: number;
  /** ended early by the signal; `resume: true` goes on */
  stopped: boolean;
  /** why the run ended: its epochs done, early stopping (counted from the end of the warmup), or a stop request */
  endedBy: 'epochs' | 'early stopping' | 'stop request';
  skippedSteps: number[];
  best: { step: number; score: number; loss: number } | null;
  /** what best.score is */
  metric: string;
}

const flagName = (k: string) => `--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`;

export async function finetune(r: FinetuneRequest): Promise<FinetuneResult> {
  // under mpirun: this rank's place, and threads shared among the ranks on this machine
  const comm = communicator();
  validateRequest(r, FINETUNE_RULES);
  assertResumeOrOverwrite(r); // before anything of out/ is read (a missing last/ would be said first)
  setThreads(r.threads ?? threadsPerRank(comm));
  const say = r.onNotice ?? (() => {});
  const fam = familyByName(r.task);
  const from = r.resume ? `${r.out}/last` : r.model;
  const tok = Tokenizer.fromModelDir(from);
  const base = modelDirConfig(from);
  // an explicit maxLength must fit the model's positions; the defaults shrink to fit a small model
  const positions = base.max_position_embeddings;
  if (r.maxLength !== undefined && r.maxLength < MIN_MAX_LENGTH) throw new UsageError(`--max-length ${r.maxLength} leaves no room for a token between [CLS] and [SEP] (at least ${MIN_MAX_LENGTH})`, { where: '--max-length' });
  if (r.maxLength !== undefined && r.maxLength > positions) throw new UsageError(`--max-length ${r.maxLength} is over the model's max_position_embeddings ${positions}`, { where: '--max-length' });
  const trained = pretrainedLength(base);
  const maxLength = r.maxLength ?? trainingMaxLength(fam, base);
  if (r.labelAllTokens && fam.name !== 'tag') throw new UsageError(`--label-all-tokens is for --task tag, not ${fam.name}`, { where: '--label-all-tokens' });
  const ctx: FamilyContext = { tokenizer: tok, maxLength, columns: r.columns, qa: r.qa, skipBad: r.skipBad, labelAllTokens: r.labelAllTokens };
  const train = fam.read(r.train, ctx, null);
  const headConfig = fam.config(train, ctx);
  const dev = r.dev ? fam.read(r.dev, { ...ctx, config: { ...base, ...headConfig } }, train.labels) : null;
  for (const [name, d] of [['train', train], ['dev', dev]] as const) {
    if (!d) continue;
    for (const n of d.notes) say(`${name}: ${n}`);
    const lines = d.skipped;
    if (lines.length) say(`${name}: skipped ${plural(lines.length, 'malformed row')} (${typeof lines[0] === 'number' ? (lines.length === 1 ? 'line ' : 'lines ') : ''}${lines.slice(0, 10).join(', ')}${lines.length > 10 ? ', …' : ''})`);
    if (d.truncated) say(`${name}: ${d.truncated} of ${d.examples.length} examples cut to ${ctx.maxLength} tokens${d.wordsCut ? ` (${plural(d.wordsCut, 'word')} after the cut left out)` : ''}`);
  }
  if (!train.examples.length) throw new BertError('no training examples', { where: r.train });
  if (r.maxLength === undefined && trained !== undefined && trained < Math.min(positions, fam.maxLength)) {
    say(`max length ${maxLength}: the model was pretrained on sequences of ${trained} tokens, its positions past that untrained (--max-length to change)`);
  }
  const sized = finetuneDefaults(base, { lr: r.lr, epochs: r.epochs, batchSize: r.batchSize, warmupRatio: r.warmupRatio });
  const dropout = r.resume ? r.dropout : finetuneDropout(base, r.dropout); // a resumed run keeps its own
  if (dropout !== undefined && r.dropout === undefined) say(`dropout ${dropout}: the model was pretrained without it; BERT fine-tunes with 0.1 (--dropout to change)`);
  const { lr, epochs, batchSize, warmupRatio } = sized.settings;
  if (sized.defaulted.length) say(`settings for a ${sized.row} model: lr ${lr}, ${plural(epochs, 'epoch')}, batch ${batchSize}, warmup ratio ${warmupRatio}` +
    (sized.defaulted.length < 4 ? ` (${sized.defaulted.map(flagName).join(', ')} by size; the rest as given)` : ' (by size; each flag overrides)'));
  const metric = fam.metric(train.labels);
  const t0 = Date.now();
  const res = await finetuneLoop({
    comm,
    modelDir: r.model, out: r.out, family: fam, train, dev,
    labelConfig: { ...headConfig, ...(dropout !== undefined ? { hidden_dropout_prob: dropout, attention_probs_dropout_prob: dropout } : {}) },
    maxLength: ctx.maxLength, epochs, lr, batchSize, warmupRatio,
    sizeDefaults: sized.defaulted.length ? { row: sized.row, flags: sized.defaulted.map(flagName) } : undefined,
    weightDecay: r.weightDecay ?? DEFAULTS.finetune.weightDecay, maxGradNorm: r.maxGradNorm ?? DEFAULTS.finetune.maxGradNorm, gradAccum: r.gradAccum ?? DEFAULTS.finetune.gradAccum, scheduler: r.scheduler ?? DEFAULTS.finetune.scheduler,
    shuffle: r.shuffle ?? true, seed: r.seed ?? DEFAULTS.seed, evalEvery: r.evalEvery, earlyStopping: r.earlyStopping,
    resume: r.resume, overwrite: r.overwrite, saveEvery: r.saveEvery, skipNonfinite: r.skipNonfinite,
    shouldStop: () => !!r.signal?.aborted || !!r.shouldStop?.(),
    dtype: trainingDtype(r.dtype, r.onWarning ?? say),
    onStep: r.onStep && ((s) => r.onStep!({ ...s, epochs })),
    onEval: r.onEval && ((e) => r.onEval!({ ...e, metric })),
  }, tok);
  return {
    out: r.out, settings: sized.settings, steps: res.steps, stepsThisRun: res.steps - res.firstStep, seconds: (Date.now() - t0) / 1000, stopped: res.stopped, endedBy: res.endedBy, skippedSteps: res.skipped,
    best: res.best ? { step: res.best.step, score: res.best.score, loss: res.best.loss } : null, metric,
  };
}

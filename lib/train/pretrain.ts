// The pretraining loop behind `bert-cli pretrain`: batches of masked instances (padded to their
// longest), MLM + NSP loss, AdamW with linear warmup and decay and clipping at 1.0, held-out
// evaluation, a metrics log (JSON Lines), checkpoints with the training state for an exact resume.
// The data position (epoch, shard, offset) and every seed are part of the state, so a run stopped
// at step k and resumed reaches step n with the same losses as one that never stopped.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type BertConfig } from '../config.js';
import { BertError } from '../errors.js';
import { loadModelDir } from '../model-dir/model-dir.js';
import { BertForTask, type Architecture, type StepResult, type Targets } from '../model/bert.js';
import type { Batch, Dtype } from '../model/encoder.js';
import { assertMemoryFits, shardBytes } from '../model/memory.js';
import { argmax, padBatch } from '../tasks/batching.js';
import { mixSeed, Random, SEED_STREAM, subSeed } from '../rng.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { Budget, evalsWithin, PLANNED_EVALS, timeIt, type BudgetPlan } from './budget.js';
import { AdamW, linearSchedule } from './optimizer.js';
import { DEFAULT_SHARD_TOKENS, maskInstance, pretrainingShards, type Instance, type PretrainingOptions, type SpecialIds } from './pretraining-data.js';
import { trainingLoop, type Micro, type StepSource } from './loop.js';
import { TrainingRun, withRun } from './run.js';
import { communicator, fileStamps, runSettings, share, shareOf, startTogether, sumAcross, type Communicator } from './distributed.js';
import { DEFAULT_WARMUP_FRACTION, DEFAULTS } from '../defaults.js';

export interface PretrainOptions {
  /** skip (and count) steps whose loss or gradients are not finite, instead of stopping */
  skipNonfinite?: boolean;
  files: string[];
  out: string;
  config: BertConfig;
  tokenizer: Tokenizer;
  /** continue from this model directory's weights (a fresh optimizer) */
  init?: string;
  /** with init: initialise the encoder tensors the checkpoint lacks (else refused), and say which */
  initMissing?: boolean;
  /** told which tensors were initialised rather than loaded (initMissing, a fresh MLM/NSP head) */
  onInitialized?: (names: string[]) => void;
  resume?: boolean;
  /** start a new run in an `out` that holds a model (else refused; see prepareOutDir) */
  overwrite?: boolean;
  /** optimizer steps; with `budget` (and not given) planned from the measured pace */
  steps?: number;
  batchSize: number;
  lr: number;
  /** warmup steps (default: warmupFraction of the steps) */
  warmup?: number;
  /** with budget or without warmup: the fraction of the steps spent warming up (default 0.01) */
  warmupFraction?: number;
  /** seconds the run may take: its steps are planned from its pace, and a clock stops it on time (budget.ts) */
  budget?: number;
  /** told the plan, before the first step */
  onPlan?: (p: BudgetPlan) => void;
  data: PretrainingOptions;
  evalFiles?: string[];
  /** held-out evaluation every N steps (default: PLANNED_EVALS over the run), or 'end': once, at the end */
  evalEvery?: number | 'end';
  evalBatches?: number;
  saveEvery?: number;
  seed: number;
  /** documents per shard are grouped up to this many tokens */
  shardTokens?: number;
  onStep?: (s: StepReport) => void;
  onEval?: (e: EvalReport) => void;
  shouldStop?: () => boolean;
  /** bf16: mixed-precision linear layers (BertForTask.setTrainingDtype); default fp32 */
  dtype?: Dtype;
  /**
   * BERT's length schedule: the first shortRatio of the steps on sequences of shortLength tokens
   * (max predictions scaled alike), the rest at data.maxLength — short sequences are cheaper and
   * teach most of what the full ones do; the last steps train the positions beyond.
   */
  shortLength?: number;
  shortRatio?: number;
  /** the ranks of a data-parallel run (default: mpirun's, else this process alone); batchSize is each rank's */
  comm?: Communicator;
}

/** The data options of a phase: the short one scales the length and the predictions. */
function phaseData(o: Pick<PretrainOptions, 'data' | 'shortLength'>, phase: number): PretrainingOptions {
  if (phase === 1 || !o.shortLength) return o.data;
  return { ...o.data, maxLength: o.shortLength, maxPredictions: Math.max(1, Math.round((o.data.maxPredictions * o.shortLength) / o.data.maxLength)) };
}

/**
 * The batches of a run with a length schedule: phase 0's (short) until `switchAt()` steps are done,
 * then phase 1's from the start of the data. Without shortLength, phase 1 only.
 */
async function* phasedBatches(o: PretrainOptions, sp: SpecialIds, isCont: (id: number) => boolean, start: Position, cost: { seconds: number; instances: number }, done: () => number, switchAt: () => number) {
  let phase = o.shortLength ? start.phase ?? 0 : 1;
  let from: Position = start;
  for (;;) {
    const gen = pretrainingBatches({ ...o, data: phaseData(o, phase) }, sp, isCont, from, cost);
    for await (const b of gen) {
      if (phase === 0 && done() >= switchAt()) break;
      yield { items: b.items, next: { ...b.next, phase } };
    }
    if (phase === 1) return;
    phase = 1;
    from = { epoch: 0, shard: 0, offset: 0 };
  }
}

/** Steps when neither --steps nor --budget says. */
export const DEFAULT_PRETRAIN_STEPS = DEFAULTS.pretrain.steps;

/** The length schedule's default (README, "Pretraining on a budget"): half the length for 90% of the steps. */
export const DEFAULT_SHORT_RATIO = DEFAULTS.pretrain.shortRatio;
export function defaultShortLength(maxLength: number): number | undefined {
  return Math.floor(maxLength / 2) >= 16 ? Math.floor(maxLength / 2) : undefined;
}

export interface StepReport {
  step: number;
  steps: number;
  loss: number;
  mlmLoss: number;
  nspLoss: number;
  mlmAccuracy: number;
  nspAccuracy: number;
  lr: number;
  tokensPerSecond: number;
  elapsed: number;
  /** the batch's padded length (a length schedule's phase shows in it) */
  seqLength: number;
}

export interface EvalReport {
  step: number;
  mlmAccuracy: number;
  mlmLoss: number;
  perplexity: number;
  nspAccuracy: number;
  instances: number;
  /** always guessing the held-out set's most frequent masked token */
  mlmBaseline: number;
  /** always guessing the majority NSP label */
  nspBaseline: number;
}

interface Position {
  epoch: number;
  shard: number;
  offset: number;
  /** with shortLength: 0 while the short sequences last, 1 after (the data starts over at full length) */
  phase?: number;
}

/** Accuracy of argmax(logits) over the rows of [rows, V] against targets. */
function accuracy(logits: Float32Array, targets: ArrayLike<number>, V: number): [number, number] {
  let right = 0;
  for (let r = 0; r < targets.length; r++) if (argmax(logits, r * V, r * V + V) === targets[r]) right++;
  return [right, targets.length];
}

/** Stacks masked instances into a batch padded to the longest (padBatch), with their MLM and NSP labels. */
export function collate(items: { inputIds: Int32Array; labels: Int32Array; typeIds: Uint8Array; nspLabel: number }[], padId: number): { batch: Batch; mlmLabels: Int32Array; nspLabels: Int32Array } {
  const batch = padBatch(items.map((x) => ({ ids: x.inputIds, typeIds: x.typeIds })), padId);
  const mlmLabels = new Int32Array(batch.B * batch.T).fill(-100);
  items.forEach((x, b) => mlmLabels.set(x.labels, b * batch.T));
  return { batch, mlmLabels, nspLabels: Int32Array.from(items, (x) => x.nspLabel) };
}

/**
 * The training batches from `start` on, epoch after epoch. With dupeFactor N the data is static, as
 * Google's create_pretraining_data makes it: N versions of every instance (its segments, its NSP
 * pair and its masks), which epoch e takes the (e mod N)-th of — epoch N repeats epoch 0 exactly.
 * Without it (0) every epoch builds and masks its instances anew (dynamic masking, as RoBERTa).
 */
export async function* pretrainingBatches(o: Pick<PretrainOptions, 'files' | 'tokenizer' | 'data' | 'seed' | 'shardTokens' | 'batchSize'>, sp: SpecialIds, isCont: (id: number) => boolean, start: Position, cost?: { seconds: number; instances: number }): AsyncGenerator<{ items: ReturnType<typeof maskOne>[]; next: Position }> {
  let pending: ReturnType<typeof maskOne>[] = [];
  for (let epoch = start.epoch; ; epoch++) {
    let shard = 0;
    let any = false;
    const version = o.data.dupeFactor > 0 ? epoch % o.data.dupeFactor : epoch;
    const shards = pretrainingShards(o.files, o.tokenizer, o.data, sp, o.seed, version, o.shardTokens);
    for (;;) {
      const t0 = performance.now();
      const got = await shards.next(); // reading, tokenizing and making a shard's instances
      if (got.done) break;
      const inst = got.value;
      if (cost) {
        cost.seconds += (performance.now() - t0) / 1000;
        cost.instances += inst.length;
      }
      any = true;
      if (epoch === start.epoch && shard < start.shard) { shard++; continue; }
      const from = epoch === start.epoch && shard === start.shard ? start.offset : 0;
      for (let i = from; i < inst.length; i++) {
        pending.push(maskOne(inst[i], o, sp, isCont, version, shard, i));
        if (pending.length === o.batchSize) {
          const next = i + 1 < inst.length ? { epoch, shard, offset: i + 1 } : { epoch, shard: shard + 1, offset: 0 };
          yield { items: pending, next };
          pending = [];
        }
      }
      shard++;
    }
    if (!any) throw new BertError('the corpus has no text', { where: o.files.join(', ') });
  }
}

function maskOne(inst: Instance, o: Pick<PretrainOptions, 'data' | 'seed'>, sp: SpecialIds, isCont: (id: number) => boolean, version: number, shard: number, index: number) {
  const m = maskInstance(inst, o.data, sp, new Random(mixSeed(o.seed, version, shard, index, SEED_STREAM.masking)), isCont);
  return { inputIds: m.inputIds, labels: m.labels, typeIds: inst.typeIds, nspLabel: inst.nspLabel };
}

export interface PretrainLoopResult {
  model: BertForTask;
  step: number;
  stopped: boolean;
  lastEval: EvalReport | null;
  losses: number[];
  /** steps skipped for a non-finite loss or gradient (--skip-nonfinite) */
  skipped: number[];
  /** the steps the run was planned for, and whether the budget's clock ended it first */
  steps: number;
  warmup: number;
  plan: BudgetPlan | null;
  outOfTime: boolean;
  /** the step this run started from (0, or a resumed run's) */
  firstStep: number;
  /** what the run can have gone wrong in though it ended (pretrainingChecks) */
  warnings: string[];
}

export async function pretrainLoop(o: PretrainOptions): Promise<PretrainLoopResult> {
  const comm = o.comm ?? communicator();
  // ranks other than 0 write nothing; a stop request is agreed on by all ranks before a step
  return startTogether(comm, (agree) => withRun({ ...o, writer: comm.rank === 0, shouldStop: comm.size > 1 ? undefined : o.shouldStop }, (run) => runPretraining(o, run, comm, agree)));
}

/** What pretraining keeps of a run in its checkpoint's training state, beside step, seed and data. */
interface SavedPlan {
  steps?: number;
  warmup?: number;
  elapsed?: number;
  plan?: BudgetPlan;
  budget?: number;
  shortLength?: number;
  shortRatio?: number;
}

/** The steps and warmup: given, else those of the run being resumed, else (undefined) planned from the budget. */
function resumedPlan(o: PretrainOptions, saved: SavedPlan) {
  return {
    steps: o.steps ?? saved.steps,
    warmup: o.warmup ?? (o.steps === undefined ? saved.warmup : undefined),
    plan: o.steps === undefined ? saved.plan ?? null : null,
  };
}

/** The budget's clock (a resumed run keeps its own, and its elapsed time) and the length schedule (a resumed run keeps its own: none, for a run saved without one). */
function resumedClock(o: PretrainOptions, saved: SavedPlan) {
  const priorSeconds = o.resume ? saved.elapsed ?? 0 : 0;
  const budgetSeconds = o.budget ?? (o.steps === undefined ? saved.budget : undefined);
  const clock0 = Date.now();
  const shortLength = o.resume ? saved.shortLength : o.shortLength;
  const shortRatio = shortLength ? (o.resume ? saved.shortRatio : o.shortRatio) ?? DEFAULT_SHORT_RATIO : 0;
  return {
    budgetSeconds, shortRatio,
    elapsedSeconds: () => priorSeconds + (Date.now() - clock0) / 1000,
    ph: { ...o, shortLength: shortRatio > 0 ? shortLength : undefined },
  };
}

/** A masked batch's targets: MLM labels, and NSP labels when the objective has NSP. */
function targetsOf(c: ReturnType<typeof collate>, nsp: boolean): Targets {
  return { mlmLabels: c.mlmLabels, nspLabels: nsp ? c.nspLabels : undefined };
}

/** The model a run trains: a resumed run's, one initialised from --init, or a fresh one; its optimizer and saved state. */
function startModel(o: PretrainOptions, run: TrainingRun, arch: Architecture) {
  const from = o.resume ? o.out : o.init;
  const cfg0 = from && existsSync(join(from, 'config.json')) ? loadConfig(join(from, 'config.json')) : o.config;
  // refuse a batch that cannot fit before a byte is allocated
  assertMemoryFits(cfg0, o.batchSize, o.data.maxLength, { training: true, mlmRows: o.batchSize * o.data.maxPredictions, bf16: o.dtype === 'bf16', dataBytes: shardBytes(o.shardTokens ?? DEFAULT_SHARD_TOKENS, !!o.evalFiles?.length), what: 'pretraining' });
  if (o.resume) {
    run.assertResumable(o.out);
    const model = loadModelDir(o.out, { arch }).model;
    const opt = new AdamW(model.store, { lr: o.lr, maxGradNorm: 1.0 });
    const st = run.restore(o.out, model, opt);
    return { model, opt, step: st.step, start: st.data as unknown as Position, saved: st as SavedPlan };
  }
  let model: BertForTask;
  if (o.init) {
    const loaded = loadModelDir(o.init, { arch, seed: o.seed, initMissing: o.initMissing });
    model = loaded.model;
    if (loaded.initialized.length) o.onInitialized?.(loaded.initialized);
  } else {
    model = new BertForTask(o.config, arch);
    model.initialize(o.seed);
  }
  return { model, opt: new AdamW(model.store, { lr: o.lr, maxGradNorm: 1.0 }), step: 0, start: { epoch: 0, shard: 0, offset: 0 } as Position, saved: {} as SavedPlan };
}

async function runPretraining(o: PretrainOptions, run: TrainingRun, comm: Communicator, agree: (settings: () => Record<string, unknown>) => void): Promise<PretrainLoopResult> {
  const tok = o.tokenizer;
  const sp: SpecialIds = { cls: tok.vocab.special('[CLS]'), sep: tok.vocab.special('[SEP]'), mask: tok.vocab.special('[MASK]'), vocabSize: tok.vocab.size };
  const padId = tok.vocab.special('[PAD]');
  const isCont = (id: number) => tok.vocab.tokens[id].startsWith('##');
  const { model, opt, start, saved, ...st } = startModel(o, run, o.data.nsp ? 'BertForPreTraining' : 'BertForMaskedLM');
  let step = st.step;
  const dtype = model.setTrainingDtype(o.dtype ?? 'fp32');
  run.startMetrics(o.resume ? step : null);
  let { steps, warmup, plan } = resumedPlan(o, saved);
  const { budgetSeconds, elapsedSeconds, shortRatio, ph } = resumedClock(o, saved);
  let pos = start;
  const save = () => run.checkpoint(o.out, model, tok, opt, { step, seed: o.seed, data: { ...pos }, steps, warmup, elapsed: elapsedSeconds(), plan, budget: budgetSeconds, shortLength: ph.shortLength, shortRatio }, step);
  const evalSet = o.evalFiles?.length ? await evalInstances(o, sp, isCont, comm.size) : null;
  const evaluate = () => (evalSet ? evaluateHeldOut(model, evalSet, o, padId, comm, step) : null);

  const t0 = Date.now(), firstStep = step, losses: number[] = [];
  let tokens = 0, lastEval: EvalReport | null = null, lastStep: StepReport | null = null;
  const dataCost = { seconds: 0, instances: 0 };
  let totalSteps = Infinity; // until planned
  // every rank makes the same global batches of size × batchSize instances and trains on its slice:
  // the run does not depend on the number of ranks (resume on any), and N ranks × B are one rank × N·B
  const batches = phasedBatches({ ...ph, batchSize: o.batchSize * comm.size }, sp, isCont, start, dataCost, () => step, () => Math.round(totalSteps * shortRatio));
  const first = await batches.next();
  const mine = <T>(items: T[]): T[] => (comm.size > 1 ? items.slice(...share(items.length, comm.rank, comm.size)) : items);
  agree(() => runSettings(model, tok, dtype, {
    files: fileStamps(o.files), evalFiles: fileStamps(o.evalFiles), step, position: start,
    options: { batchSize: o.batchSize, lr: o.lr, steps: o.steps, warmup: o.warmup, warmupFraction: o.warmupFraction, budget: o.budget, data: o.data, evalEvery: o.evalEvery, evalBatches: o.evalBatches, saveEvery: o.saveEvery, seed: o.seed, shardTokens: o.shardTokens, shortLength: ph.shortLength, shortRatio },
  }));
  let budget: Budget | null = null, plannedAtStart: number | null = null;
  if (steps === undefined && budgetSeconds !== undefined) {
    budget = planBudget(o, model, comm, { budgetSeconds, elapsedSeconds, warmup, dataCost, shortRatio, step, padId, evalSet, first: first.done ? null : collate(mine(first.value.items), padId), firstPhase: first.value?.next.phase ?? 1 });
    plan = budget.plan!;
    steps = plan.steps;
    warmup = plan.warmup;
    plannedAtStart = plan.steps;
    o.onPlan?.(plan);
  }
  steps ??= DEFAULT_PRETRAIN_STEPS;
  warmup ??= Math.round(steps * (o.warmupFraction ?? DEFAULT_WARMUP_FRACTION));
  totalSteps = steps;
  let schedule = linearSchedule(o.lr, warmup, totalSteps);
  // the planned evaluations spread over the steps (a budget's plan may hold fewer than PLANNED_EVALS)
  const evalsPlanned = () => (plan && plan.evals > 0 ? plan.evals : PLANNED_EVALS);
  let evalEvery = o.evalEvery === 'end' ? undefined : o.evalEvery ?? (evalSet ? Math.max(1, Math.round(totalSteps / evalsPlanned())) : undefined);
  const source = maskedSource(first, batches, o, mine, padId, () => totalSteps, (next) => { pos = next; });
  const V = model.cfg.vocab_size;
  const result = await trainingLoop({
    model, opt, run, comm, step, gradAccum: 1, source, save, lr: (k) => schedule(k),
    shouldStop: comm.size > 1 ? o.shouldStop : undefined,
    outOfClock: () => budgetSeconds !== undefined && elapsedSeconds() >= budgetSeconds,
    shares: (mine, all) => ({ mlm: shareOf(mine[0], all[0]), nsp: shareOf(mine[1], all[1]) }),
    statsLength: 7,
    stats: (r, m) => pretrainingStats(r, m, V),
    afterUpdate: (k, loss, [mlmLoss, nspLoss, ma, mn, na, nn, batchTokens], info) => {
      step = k;
      losses.push(loss);
      tokens += batchTokens;
      const elapsed = (Date.now() - t0) / 1000;
      const report: StepReport = {
        step: k, steps: totalSteps, loss, mlmLoss, nspLoss, mlmAccuracy: ma / Math.max(1, mn), nspAccuracy: nn ? na / nn : NaN,
        lr: schedule(k - 1), tokensPerSecond: tokens / Math.max(elapsed, 1e-9), elapsed, seqLength: info.T,
      };
      run.log('train', { ...report });
      if (budget?.observe(k)) {
        // the warmup is over: the decay is fitted to the steps the measured pace leaves room for
        plan = comm.size > 1 ? (budget.plan = comm.fromRankZero(budget.plan!)) : budget.plan!;
        steps = totalSteps = plan.steps;
        schedule = linearSchedule(o.lr, warmup!, totalSteps);
        if (!o.evalEvery && evalSet) evalEvery = Math.max(1, Math.round(totalSteps / evalsPlanned()));
        o.onPlan?.(plan);
      }
      lastStep = report;
      o.onStep?.(report);
      if (evalEvery && k % evalEvery === 0) lastEval = logEval(run, o, evaluate()) ?? lastEval;
      return false;
    },
    afterStep: (k) => {
      step = k;
      return false;
    },
  });
  step = result.step;
  const evaluated = lastEval as EvalReport | null; // (assigned in the hooks)
  if (!run.stopped && evalSet && (!evaluated || evaluated.step !== step)) lastEval = logEval(run, o, evaluate()) ?? lastEval;
  run.finalCheckpoint(step, save);
  const warnings = pretrainingChecks(o, lastEval, { done: step - firstStep, plannedAtStart, stopped: run.stopped });
  reportPretraining(o, run, model, dtype, { step, totalSteps, firstStep, warmup, plan, budgetSeconds, outOfTime: result.outOfTime, seconds: (Date.now() - t0) / 1000, tokens, lastStep, evalEvery: o.evalEvery === 'end' ? 'end' : evalEvery, shortLength: ph.shortLength, shortRatio, ranks: comm.size, warnings });
  return { model, step, stopped: run.stopped, lastEval, losses, skipped: run.health.skipped, steps: totalSteps, warmup, plan, outOfTime: result.outOfTime, firstStep, warnings };
}

type MaskedBatches = AsyncGenerator<{ items: ReturnType<typeof maskOne>[]; next: Position }>;

/** The steps of pretraining: one micro-batch each, this rank's slice of a global batch of masked instances. */
function maskedSource(first: IteratorResult<{ items: ReturnType<typeof maskOne>[]; next: Position }>, batches: MaskedBatches, o: PretrainOptions,
  mine: <T>(items: T[]) => T[], padId: number, totalSteps: () => number, moveTo: (p: Position) => void): StepSource<{ T: number }> {
  let pending: typeof first | null = first;
  return {
    async next(k) {
      const got = pending ?? await batches.next();
      pending = null;
      if (got.done || k >= totalSteps()) return null;
      const c = collate(mine(got.value.items), padId);
      let masked = 0, pairs = 0;
      for (const l of c.mlmLabels) if (l !== -100) masked++;
      if (o.data.nsp) for (const l of c.nspLabels) if (l !== -100) pairs++;
      const micro = { batch: c.batch, targets: targetsOf(c, o.data.nsp), seed: subSeed(BigInt(o.seed), k), counts: [masked, pairs] };
      return { micros: [micro], info: { T: c.batch.T }, commit: () => moveTo(got.value.next) };
    },
  };
}

/** A pretraining micro-batch's figures: MLM loss, NSP loss, MLM right/total, NSP right/total, real tokens. */
function pretrainingStats(r: StepResult, m: Micro, V: number): number[] {
  const mlmLabels = m.targets!.mlmLabels!;
  const [ma, mn] = accuracy(r.logits!, Int32Array.from(r.mlmRows!, (x) => mlmLabels[x]), V);
  const [na, nn] = r.nspLogits ? accuracy(r.nspLogits, m.targets!.nspLabels!, 2) : [0, 0];
  let real = 0;
  for (const v of m.batch!.attentionMask) real += v;
  return [r.parts.mlm ?? NaN, r.parts.nsp ?? NaN, ma, mn, na, nn, real];
}

function logEval(run: TrainingRun, o: PretrainOptions, e: EvalReport | null): EvalReport | null {
  if (e) {
    run.log('eval', { ...e });
    o.onEval?.(e);
  }
  return e;
}

/**
 * The budget's first plan: held-out evaluations timed on one batch's forward and paid for out of the
 * budget; forward and backward timed on the first batch without an update, so the run's steps stay
 * exactly those of --steps N. Every rank runs rank 0's plan.
 */
function planBudget(o: PretrainOptions, model: BertForTask, comm: Communicator, a: {
  budgetSeconds: number; elapsedSeconds: () => number; warmup: number | undefined; dataCost: { seconds: number; instances: number }; shortRatio: number;
  step: number; padId: number; evalSet: ReturnType<typeof maskOne>[] | null; first: ReturnType<typeof collate> | null; firstPhase: number;
}): Budget {
  let evalSeconds = 0;
  if (a.evalSet) {
    const e = collate(a.evalSet.slice(0, o.batchSize), a.padId);
    evalSeconds = Math.ceil(a.evalSet.length / o.batchSize / comm.size) * timeIt(() => model.step(e.batch, targetsOf(e, o.data.nsp), { training: false }), 1);
  }
  const budget = new Budget(a.budgetSeconds, a.elapsedSeconds, {
    warmupFraction: o.warmupFraction ?? DEFAULT_WARMUP_FRACTION, warmup: a.warmup, evalSeconds, evals: a.evalSet && !o.evalEvery ? evalsWithin(a.budgetSeconds, evalSeconds) : 0,
    // every epoch builds its instances anew: the first shard's cost per instance, per step
    dataSecondsPerStep: () => (a.dataCost.instances ? (a.dataCost.seconds / a.dataCost.instances) * o.batchSize * comm.size : 0),
  });
  const timeStep = (c: ReturnType<typeof collate>) => {
    const t = timeIt(() => {
      model.store.zeroGrad();
      model.step(c.batch, targetsOf(c, o.data.nsp), { training: true, backward: true, seed: subSeed(BigInt(o.seed), a.step) });
    }, 2);
    model.store.zeroGrad();
    return t;
  };
  const firstSeconds = a.first ? timeStep(a.first) : 0;
  // with a length schedule the full-length steps cost more: their pace relative to the first
  // batch's (timed on held-out sequences, which are full length) scales the measured one
  if (a.shortRatio && a.firstPhase === 0 && a.evalSet) {
    const fullSeconds = timeStep(collate(a.evalSet.slice(0, o.batchSize), a.padId));
    budget.paceScale = a.shortRatio + (1 - a.shortRatio) * (fullSeconds / firstSeconds);
  }
  budget.calibrate(firstSeconds, a.step);
  if (comm.size > 1) budget.plan = comm.fromRankZero(budget.plan); // every rank runs rank 0's plan
  return budget;
}

/** Held-out MLM (and NSP) accuracy, loss and perplexity beside the majority baselines; each rank its batches, summed. */
function evaluateHeldOut(model: BertForTask, evalSet: ReturnType<typeof maskOne>[], o: PretrainOptions, padId: number, comm: Communicator, step: number): EvalReport {
  const V = model.cfg.vocab_size;
  let right = 0, total = 0, lossSum = 0, nspRight = 0, nspTotal = 0;
  const freq = new Map<number, number>();
  let nspOnes = 0, nspCount = 0;
  for (const x of evalSet) {
    for (const l of x.labels) if (l !== -100) freq.set(l, (freq.get(l) ?? 0) + 1);
    if (x.nspLabel !== -100) { nspOnes += x.nspLabel; nspCount++; }
  }
  const mlmBaseline = Math.max(0, ...freq.values()) / Math.max(1, [...freq.values()].reduce((a, b) => a + b, 0));
  const nspBaseline = nspCount ? Math.max(nspOnes, nspCount - nspOnes) / nspCount : NaN;
  for (let i = 0; i < evalSet.length; i += o.batchSize) {
    if ((i / o.batchSize) % comm.size !== comm.rank) continue; // each rank its batches; the sums below
    const c = collate(evalSet.slice(i, i + o.batchSize), padId);
    const r = model.step(c.batch, targetsOf(c, o.data.nsp), { training: false });
    const [a, n] = accuracy(r.logits!, Int32Array.from(r.mlmRows!, (x) => c.mlmLabels[x]), V);
    right += a;
    total += n;
    lossSum += (r.parts.mlm ?? 0) * n;
    if (r.nspLogits) {
      const [na, nn] = accuracy(r.nspLogits, c.nspLabels, 2);
      nspRight += na;
      nspTotal += nn;
    }
  }
  [right, total, lossSum, nspRight, nspTotal] = sumAcross(comm, [right, total, lossSum, nspRight, nspTotal]);
  const mlmLoss = lossSum / Math.max(1, total);
  return { step, mlmAccuracy: right / Math.max(1, total), mlmLoss, perplexity: Math.exp(mlmLoss), nspAccuracy: nspTotal ? nspRight / nspTotal : NaN, instances: evalSet.length, mlmBaseline, nspBaseline };
}

function reportPretraining(o: PretrainOptions, run: TrainingRun, model: BertForTask, dtype: string, r: {
  step: number; totalSteps: number; firstStep: number; warmup: number; plan: BudgetPlan | null; budgetSeconds: number | undefined; outOfTime: boolean;
  seconds: number; tokens: number; lastStep: StepReport | null; evalEvery: number | 'end' | undefined; shortLength: number | undefined; shortRatio: number; ranks: number;
  warnings: string[];
}): void {
  const { step, totalSteps, plan, seconds, lastStep } = r;
  run.report({
    kind: 'pretrain', out: o.out, config: model.cfg,
    options: { files: o.files, ...(r.ranks > 1 ? { ranks: r.ranks, globalBatchSize: o.batchSize * r.ranks } : {}), steps: totalSteps, ...(r.shortLength ? { shortLength: r.shortLength, shortRatio: r.shortRatio } : {}), batchSize: o.batchSize, lr: o.lr, warmup: r.warmup, seed: o.seed, init: o.init, resume: !!o.resume, evalFiles: o.evalFiles, evalEvery: r.evalEvery, saveEvery: o.saveEvery, dtype, ...o.data, ...(r.budgetSeconds !== undefined ? { budget: r.budgetSeconds } : {}) },
    summary: [
      ['steps', `${step} of ${totalSteps}${run.stopped ? ' (stopped; --resume goes on)' : r.outOfTime ? ' (the budget ran out first)' : ''}`],
      ...(plan ? [['budget', `${Math.round(r.budgetSeconds ?? 0)} s: ${plan.steps} steps planned at ${plan.stepSeconds.toFixed(3)} s a step` +
        (plan.evals ? ` and ${plan.evals} evaluations of ${plan.evalSeconds.toFixed(1)} s` : '') + `; --steps ${totalSteps} --warmup ${r.warmup} reproduces the run`]] as [string, string][] : []),
      ['this run', `${(step - r.firstStep)} steps in ${seconds.toFixed(1)} s, ${Math.round(r.tokens / Math.max(seconds, 1e-9))} tokens/s, ${((step - r.firstStep) / Math.max(seconds, 1e-9)).toFixed(2)} steps/s`],
      // the headline names its loss: the sum when NSP is on, its parts beside it (as the charts plot them)
      [o.data.nsp ? 'final training loss (MLM + NSP)' : 'final training loss (MLM)', lastStep ? lastStep.loss.toFixed(4) : '—'],
      ...(o.data.nsp && lastStep ? [['final MLM loss', lastStep.mlmLoss.toFixed(4)], ['final NSP loss', lastStep.nspLoss.toFixed(4)]] as [string, string][] : []),
      ['parameters', model.store.size.toLocaleString('en-US')],
      ...r.warnings.map((w): [string, string] => ['check', w]),
    ],
  });
}

/**
 * What a run that ended cleanly can still have gone wrong in, said in the report and to the caller:
 * NSP no better than always guessing the majority (its head has not learned), and a budget that fit
 * far fewer steps than it planned at its start (the machine got slower: another load).
 */
export function pretrainingChecks(o: PretrainOptions, e: EvalReport | null, r: { done: number; plannedAtStart: number | null; stopped: boolean }): string[] {
  const out: string[] = [];
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  if (o.data.nsp && e && !Number.isNaN(e.nspBaseline) && e.nspAccuracy <= e.nspBaseline + 0.01) {
    out.push(`held-out NSP accuracy ${pct(e.nspAccuracy)} is at the majority baseline ${pct(e.nspBaseline)}: the NSP head has not learned yet (more steps; or --no-nsp)`);
  }
  if (!r.stopped && r.plannedAtStart && r.done < r.plannedAtStart / 2) {
    out.push(`the budget fit ${r.done} steps of the ${r.plannedAtStart} planned at its start: the pace fell (another load on the machine?), and so few steps learn less; a longer --budget or a quieter machine`);
  }
  return out;
}

/** The held-out set's seed, apart from training's, and its default size in batches. */
export const heldOutSeed = (seed: number) => mixSeed(seed, SEED_STREAM.heldOut);
export const DEFAULT_EVAL_BATCHES = DEFAULTS.pretrain.evalBatches;

/** Held-out instances with fixed masks (seeded apart from training), at most evalBatches batches. */
async function evalInstances(o: PretrainOptions, sp: SpecialIds, isCont: (id: number) => boolean, ranks: number) {
  const out: ReturnType<typeof maskOne>[] = [];
  // batches of the global batch size: the same held-out set on any number of ranks
  const limit = (o.evalBatches ?? DEFAULT_EVAL_BATCHES) * o.batchSize * ranks;
  const seed = heldOutSeed(o.seed);
  let shard = 0;
  for await (const inst of pretrainingShards(o.evalFiles!, o.tokenizer, o.data, sp, seed, 0, o.shardTokens)) {
    for (let i = 0; i < inst.length && out.length < limit; i++) {
      const m = maskInstance(inst[i], o.data, sp, new Random(mixSeed(seed, shard, i)), isCont);
      out.push({ inputIds: m.inputIds, labels: m.labels, typeIds: inst[i].typeIds, nspLabel: inst[i].nspLabel });
    }
    shard++;
    if (out.length >= limit) break;
  }
  if (!out.length) throw new BertError('the evaluation corpus has no text', { where: o.evalFiles!.join(', ') });
  return out;
}

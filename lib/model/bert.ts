// BERT with a task head, as HF's BertFor… classes: the parameter list (HF names, `bert.` prefix),
// forward to logits, the head's loss, and backward into one gradient arena.
import { firstNonFinite } from './finite.js';
import type { BertConfig } from '../config.js';
import { BertError } from '../errors.js';
import { native } from '../native.js';
import { subSeed } from '../rng.js';
import { Encoder, layerNames, trainingGemm, type Batch, type Dtype } from './encoder.js';
import { LinearHead, MlmHead } from './heads.js';
import { ParamStore, type ParamSpec } from './params.js';

export const ARCHITECTURES = [
  'BertModel', 'BertForPreTraining', 'BertForMaskedLM', 'BertForSequenceClassification',
  'BertForTokenClassification', 'BertForQuestionAnswering', 'BertForMultipleChoice',
] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

const POOLED: Architecture[] = ['BertModel', 'BertForPreTraining', 'BertForSequenceClassification', 'BertForMultipleChoice'];

export function numLabelsOf(cfg: BertConfig): number {
  return cfg.id2label ? Object.keys(cfg.id2label).length : 2;
}

export function parameterSpecs(cfg: BertConfig, arch: Architecture): ParamSpec[] {
  const { hidden_size: H, intermediate_size: I } = cfg;
  const p = arch === 'BertModel' ? '' : 'bert.';
  const specs: ParamSpec[] = [
    { name: `${p}embeddings.word_embeddings.weight`, shape: [cfg.vocab_size, H], init: 'normal-pad-zero', decay: true },
    { name: `${p}embeddings.position_embeddings.weight`, shape: [cfg.max_position_embeddings, H], init: 'normal', decay: true },
    { name: `${p}embeddings.token_type_embeddings.weight`, shape: [cfg.type_vocab_size, H], init: 'normal', decay: true },
    { name: `${p}embeddings.LayerNorm.weight`, shape: [H], init: 'ones', decay: false },
    { name: `${p}embeddings.LayerNorm.bias`, shape: [H], init: 'zeros', decay: false },
  ];
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    const n = layerNames(p, l);
    specs.push(
      { name: n.qw, shape: [H, H], init: 'normal', decay: true },
      { name: n.kw, shape: [H, H], init: 'normal', decay: true },
      { name: n.vw, shape: [H, H], init: 'normal', decay: true },
      { name: n.qb, shape: [H], init: 'zeros', decay: false },
      { name: n.kb, shape: [H], init: 'zeros', decay: false },
      { name: n.vb, shape: [H], init: 'zeros', decay: false },
      { name: n.ow, shape: [H, H], init: 'normal', decay: true },
      { name: n.ob, shape: [H], init: 'zeros', decay: false },
      { name: n.ln1w, shape: [H], init: 'ones', decay: false },
      { name: n.ln1b, shape: [H], init: 'zeros', decay: false },
      { name: n.iw, shape: [I, H], init: 'normal', decay: true },
      { name: n.ib, shape: [I], init: 'zeros', decay: false },
      { name: n.outw, shape: [H, I], init: 'normal', decay: true },
      { name: n.outb, shape: [H], init: 'zeros', decay: false },
      { name: n.ln2w, shape: [H], init: 'ones', decay: false },
      { name: n.ln2b, shape: [H], init: 'zeros', decay: false },
    );
  }
  if (POOLED.includes(arch)) {
    specs.push(
      { name: `${p}pooler.dense.weight`, shape: [H, H], init: 'normal', decay: true },
      { name: `${p}pooler.dense.bias`, shape: [H], init: 'zeros', decay: false },
    );
  }
  if (arch === 'BertForPreTraining' || arch === 'BertForMaskedLM') specs.push(...MlmHead.specs(cfg));
  if (arch === 'BertForPreTraining') specs.push(...LinearHead.specs('cls.seq_relationship.weight', 'cls.seq_relationship.bias', 2, H));
  if (arch === 'BertForSequenceClassification' || arch === 'BertForTokenClassification') {
    specs.push(...LinearHead.specs('classifier.weight', 'classifier.bias', numLabelsOf(cfg), H));
  }
  if (arch === 'BertForMultipleChoice') specs.push(...LinearHead.specs('classifier.weight', 'classifier.bias', 1, H));
  if (arch === 'BertForQuestionAnswering') specs.push(...LinearHead.specs('qa_outputs.weight', 'qa_outputs.bias', 2, H));
  return specs;
}

export interface Targets {
  /** MLM: [B·T] token ids to predict, −100 elsewhere */
  mlmLabels?: Int32Array;
  /** NSP: [B], 0 IsNext, 1 NotNext */
  nspLabels?: Int32Array;
  /** class ids [B] (or [B·T] for token classification, −100 ignored; [B/choices] for multiple choice) */
  labels?: Int32Array;
  /** regression targets [B] or multi-label targets [B·numLabels] */
  floatLabels?: Float32Array;
  startPositions?: Int32Array;
  endPositions?: Int32Array;
}

export interface StepResult {
  loss: number;
  /** the parts that add up to loss (mlm, nsp, start, end …) */
  parts: Record<string, number>;
  hidden: Float32Array;
  pooled: Float32Array | null;
  /** the head's logits: [M,V] at masked rows for MLM; [B,L]; [B·T,L]; [B·T,2] for QA; [B,choices] */
  logits: Float32Array | null;
  nspLogits?: Float32Array;
  /** for MLM: the rows of the logits */
  mlmRows?: Int32Array;
}

/**
 * Data-parallel training's weights of each loss (BertForTask.step): this rank's count of what the
 * loss averages over (masked tokens, NSP pairs, labelled examples or tokens) ÷ the count over every
 * rank, so that the ranks' losses and gradients add up to the global batch's mean.
 */
export interface LossShares {
  mlm?: number;
  nsp?: number;
  head?: number;
}

export class BertForTask {
  readonly cfg: BertConfig;
  readonly arch: Architecture;
  readonly store: ParamStore;
  readonly encoder: Encoder;
  readonly numLabels: number;
  private mlm: MlmHead | null = null;
  private nsp: LinearHead | null = null;
  private head: LinearHead | null = null;
  private dHidden = new Float32Array(0);
  private dLogits = new Float32Array(0);

  constructor(cfg: BertConfig, arch: Architecture) {
    this.cfg = cfg;
    this.arch = arch;
    this.numLabels = numLabelsOf(cfg);
    this.store = new ParamStore(parameterSpecs(cfg, arch));
    const prefix = arch === 'BertModel' ? '' : 'bert.';
    this.encoder = new Encoder(cfg, this.store, prefix, POOLED.includes(arch));
    const H = cfg.hidden_size, drop = cfg.hidden_dropout_prob;
    if (arch === 'BertForPreTraining' || arch === 'BertForMaskedLM') this.mlm = new MlmHead(cfg, this.store, `${prefix}embeddings.word_embeddings.weight`);
    if (arch === 'BertForPreTraining') this.nsp = new LinearHead(this.store, 'cls.seq_relationship.weight', 'cls.seq_relationship.bias', 2, H, 0);
    if (arch === 'BertForSequenceClassification' || arch === 'BertForTokenClassification') {
      this.head = new LinearHead(this.store, 'classifier.weight', 'classifier.bias', this.numLabels, H, drop);
    }
    if (arch === 'BertForMultipleChoice') this.head = new LinearHead(this.store, 'classifier.weight', 'classifier.bias', 1, H, drop);
    if (arch === 'BertForQuestionAnswering') this.head = new LinearHead(this.store, 'qa_outputs.weight', 'qa_outputs.bias', 2, H, 0);
  }

  /**
   * The arithmetic of training steps: fp32, or bf16 mixed precision for the encoder's linear layers,
   * the pooler and the MLM head (the small NSP/task heads, embeddings, LayerNorm, attention, the
   * loss and AdamW stay float32). Forward passes in between (held-out evaluation) use it too, unless
   * encoder.setDtype('bf16') packed weights for inference. Returns the dtype in effect: fp32 without
   * AVX512_BF16.
   */
  setTrainingDtype(dtype: Dtype): Dtype {
    const [gemm, got] = trainingGemm(dtype);
    this.encoder.gemm = gemm;
    if (this.mlm) this.mlm.gemm = gemm;
    return got;
  }

  /** BERT's initialisation of every parameter (or of those `only` selects: a new head). */
  initialize(seed: number, only?: (name: string) => boolean): void {
    this.store.initialize(seed, this.cfg.initializer_range, this.cfg.pad_token_id, only);
  }

  private grow(buf: 'dHidden' | 'dLogits', n: number): Float32Array {
    if (this[buf].length < n) this[buf] = new Float32Array(n);
    return this[buf].subarray(0, n);
  }

  /**
   * Forward, loss (when targets are given) and, when `backward`, gradients accumulated into
   * store.grads scaled by gradScale (1/accumulation steps). Dropout only when training.
   */
  step(batch: Batch, targets: Targets | null, opts: { training: boolean; seed?: bigint; backward?: boolean; gradScale?: number; shares?: LossShares }): StepResult {
    const seed = opts.seed ?? 0n, gs = opts.gradScale ?? 1;
    // data-parallel: each loss is this rank's part of the global batch's mean (shares: 1 alone)
    const mlmShare = opts.shares?.mlm ?? 1, nspShare = opts.shares?.nsp ?? 1, headShare = opts.shares?.head ?? 1;
    const doBackward = !!opts.backward;
    if (doBackward && !opts.training) throw new BertError('backward needs training mode');
    const { B, T } = batch;
    const R = B * T, H = this.cfg.hidden_size, V = this.cfg.vocab_size;
    const { hidden, pooled } = this.encoder.forward(batch, opts.training, seed);
    const res: StepResult = { loss: 0, parts: {}, hidden, pooled, logits: null };
    let dHidden: Float32Array | null = null;
    let dPooled: Float32Array | null = null;
    const headSeed = subSeed(seed, 1_000_000);

    if (this.mlm) {
      const labels = targets?.mlmLabels;
      let rows: Int32Array;
      if (labels) {
        const r: number[] = [];
        for (let i = 0; i < R; i++) if (labels[i] !== -100) r.push(i);
        rows = Int32Array.from(r);
      } else {
        rows = Int32Array.from({ length: R }, (_, i) => i);
      }
      const logits = this.mlm.forward(hidden, rows);
      res.logits = logits;
      res.mlmRows = rows;
      if (labels) {
        const t = Int32Array.from(rows, (r) => labels[r]);
        const d = doBackward ? this.grow('dLogits', rows.length * V) : null;
        const ce = native.softmaxCrossEntropy(d, null, logits, t, rows.length, V, gs * mlmShare);
        res.parts.mlm = ce.loss * mlmShare;
        res.loss += ce.loss * mlmShare;
        if (doBackward && rows.length) {
          dHidden = this.grow('dHidden', R * H).fill(0);
          this.mlm.backward(d!, dHidden);
        }
      }
    }
    if (this.nsp) {
      const logits = this.nsp.forward(pooled!, B, opts.training, headSeed);
      res.nspLogits = logits;
      if (targets?.nspLabels) {
        const dl = doBackward ? new Float32Array(B * 2) : null;
        const ce = native.softmaxCrossEntropy(dl, null, logits, targets.nspLabels, B, 2, gs * nspShare);
        res.parts.nsp = ce.loss * nspShare;
        res.loss += ce.loss * nspShare;
        if (doBackward) dPooled = this.nsp.backward(dl!);
      }
    }
    if (this.head) {
      const hgs = gs * headShare;
      const pooledInput = this.arch === 'BertForSequenceClassification' || this.arch === 'BertForMultipleChoice';
      const x = pooledInput ? pooled! : hidden;
      const N = pooledInput ? B : R;
      const logits = this.head.forward(x, N, opts.training, headSeed);
      res.logits = logits;
      const dl = doBackward ? new Float32Array(logits.length) : null;
      let have = false;
      if (this.arch === 'BertForSequenceClassification') {
        const pt = this.cfg.problem_type ?? (this.numLabels === 1 ? 'regression' : 'single_label_classification');
        if (pt === 'regression' && targets?.floatLabels) {
          res.loss = native.mse(dl, logits, targets.floatLabels, hgs);
          have = true;
        } else if (pt === 'multi_label_classification' && targets?.floatLabels) {
          res.loss = native.bceWithLogits(dl, logits, targets.floatLabels, hgs);
          have = true;
        } else if (targets?.labels) {
          res.loss = native.softmaxCrossEntropy(dl, null, logits, targets.labels, B, this.numLabels, hgs).loss;
          have = true;
        }
      } else if (this.arch === 'BertForTokenClassification' && targets?.labels) {
        res.loss = native.softmaxCrossEntropy(dl, null, logits, targets.labels, R, this.numLabels, hgs).loss;
        have = true;
      } else if (this.arch === 'BertForMultipleChoice' && targets?.labels) {
        const nb = targets.labels.length; // B = nb · choices
        res.loss = native.softmaxCrossEntropy(dl, null, logits, targets.labels, nb, B / nb, hgs).loss;
        have = true;
      } else if (this.arch === 'BertForQuestionAnswering' && targets?.startPositions && targets.endPositions) {
        // logits [B·T, 2] → start [B, T] and end [B, T]; positions past T are ignored, as HF clamps them
        const start = new Float32Array(R), end = new Float32Array(R);
        for (let i = 0; i < R; i++) {
          start[i] = logits[2 * i];
          end[i] = logits[2 * i + 1];
        }
        const clampT = (p: Int32Array) => Int32Array.from(p, (x) => (x < 0 || x >= T ? -100 : x));
        const dS = doBackward ? new Float32Array(R) : null, dE = doBackward ? new Float32Array(R) : null;
        const ls = native.softmaxCrossEntropy(dS, null, start, clampT(targets.startPositions), B, T, hgs / 2).loss;
        const le = native.softmaxCrossEntropy(dE, null, end, clampT(targets.endPositions), B, T, hgs / 2).loss;
        res.parts.start = ls;
        res.parts.end = le;
        res.loss = (ls + le) / 2;
        if (dl) for (let i = 0; i < R; i++) {
          dl[2 * i] = dS![i];
          dl[2 * i + 1] = dE![i];
        }
        have = true;
      }
      if (have && headShare !== 1) {
        res.loss *= headShare;
        for (const k of Object.keys(res.parts)) res.parts[k] *= headShare;
      }
      if (doBackward && have) {
        const dx = this.head.backward(dl!);
        if (pooledInput) dPooled = dx;
        else dHidden = dx;
      }
    }
    if (doBackward) this.encoder.backward(dHidden, dPooled);
    // inference never answers from values that are not numbers: NaN or Inf in what it answers from
    // (weights that overflow on this input) is an error, not a confident label. A head's logits carry
    // any NaN of the hidden states it reads, so those are scanned only when they are the answer (a
    // bare encoder: embed), not on every batch of predict
    if (!opts.training) {
      const answers = res.logits || res.nspLogits ? [['logits', res.logits], ['NSP logits', res.nspLogits]] as const : [['hidden states', hidden]] as const;
      for (const [what, out] of answers) {
        if (out && firstNonFinite(out) >= 0) throw new BertError(`the model's ${what} are not finite (NaN or Inf) for this batch: its weights overflow on this input`);
      }
    }
    return res;
  }
}

// BERT with a task head, as HF's BertFor… classes: the parameter list (HF names, `bert.` prefix),
// and a training or inference step over the encoder and the architecture's head (heads/), with
// gradients into one arena.
import { firstNonFinite } from './finite.js';
import type { BertConfig } from '../config.js';
import { BertError } from '../errors.js';
import { SEED_STREAM, subSeed } from '../rng.js';
import { Encoder, layerNames, trainingGemm, type Batch, type Dtype } from './encoder.js';
import type { EncoderGrads, Head, LossShares, Targets } from './heads/head.js';
import { architectureRow, type Architecture } from './heads/index.js';
import { ParamStore, type ParamSpec } from './params.js';

export { ARCHITECTURES, type Architecture } from './heads/index.js';
export type { LossShares, Targets } from './heads/head.js';

export function numLabelsOf(cfg: BertConfig): number {
  return cfg.id2label ? Object.keys(cfg.id2label).length : 2;
}

/** Every parameter of an architecture, in arena order: the encoder's, the pooler's, the head's. */
export function parameterSpecs(cfg: BertConfig, arch: Architecture): ParamSpec[] {
  const { hidden_size: H, intermediate_size: I } = cfg;
  const row = architectureRow(arch), p = row.prefix;
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
  if (row.pooler) {
    specs.push(
      { name: `${p}pooler.dense.weight`, shape: [H, H], init: 'normal', decay: true },
      { name: `${p}pooler.dense.bias`, shape: [H], init: 'zeros', decay: false },
    );
  }
  if (row.head) specs.push(...row.head.specs({ cfg, prefix: p, numLabels: numLabelsOf(cfg) }));
  return specs;
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

export class BertForTask {
  readonly cfg: BertConfig;
  readonly arch: Architecture;
  readonly store: ParamStore;
  readonly encoder: Encoder;
  readonly numLabels: number;
  /** the head (heads/<kind>.ts); null for a bare encoder */
  readonly head: Head | null;

  constructor(cfg: BertConfig, arch: Architecture) {
    this.cfg = cfg;
    this.arch = arch;
    this.numLabels = numLabelsOf(cfg);
    this.store = new ParamStore(parameterSpecs(cfg, arch));
    const row = architectureRow(arch);
    this.encoder = new Encoder(cfg, this.store, row.prefix, row.pooler);
    this.head = row.head ? row.head.create({ cfg, store: this.store, prefix: row.prefix, numLabels: this.numLabels }) : null;
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
    this.head?.setGemm(gemm);
    return got;
  }

  /** BERT's initialisation of every parameter (or of those `only` selects: a new head). */
  initialize(seed: number, only?: (name: string) => boolean): void {
    this.store.initialize(seed, this.cfg.initializer_range, this.cfg.pad_token_id, only);
  }

  /**
   * Forward, loss (when targets are given) and, when `backward`, gradients accumulated into
   * store.grads scaled by gradScale (1/accumulation steps). Dropout only when training.
   * encoder forward → head forward → loss → head backward → encoder backward.
   */
  step(batch: Batch, targets: Targets | null, opts: { training: boolean; seed?: bigint; backward?: boolean; gradScale?: number; shares?: LossShares }): StepResult {
    const seed = opts.seed ?? 0n;
    const doBackward = !!opts.backward;
    if (doBackward && !opts.training) throw new BertError('backward needs training mode');
    const { hidden, pooled } = this.encoder.forward(batch, opts.training, seed);
    const res: StepResult = { loss: 0, parts: {}, hidden, pooled, logits: null };
    let grads: EncoderGrads = { dHidden: null, dPooled: null };
    if (this.head) {
      Object.assign(res, this.head.forward({ hidden, pooled }, batch, opts.training, subSeed(seed, SEED_STREAM.head), targets));
      const l = targets ? this.head.loss(targets, batch, doBackward ? { scale: opts.gradScale ?? 1 } : null, opts.shares) : null;
      if (l) {
        res.loss = l.loss;
        res.parts = l.parts;
        if (doBackward) grads = this.head.backward();
      }
    }
    if (doBackward) this.encoder.backward(grads.dHidden, grads.dPooled);
    // inference never answers from values that are not numbers: NaN or Inf in what it answers from
    // (weights that overflow on this input) is an error, not a confident label. A head's logits carry
    // any NaN of the hidden states it reads, so those are scanned only when they are the answer (a
    // bare encoder: embed), not on every batch of predict
    if (!opts.training) {
      // a mapped checkpoint written in place during this forward pass: no answer from mixed weights
      this.store.assertWeightsUnchanged();
      const answers = res.logits || res.nspLogits ? [['logits', res.logits], ['NSP logits', res.nspLogits]] as const : [['hidden states', hidden]] as const;
      for (const [what, out] of answers) {
        if (out && firstNonFinite(out) >= 0) throw new BertError(`the model's ${what} are not finite (NaN or Inf) for this batch: its weights overflow on this input`);
      }
    }
    return res;
  }
}

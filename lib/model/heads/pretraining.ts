// BertForPreTraining's and BertForMaskedLM's head, with HF's names and arithmetic:
//   MLM  cls.predictions: dense → GELU → LayerNorm → decoder tied to the word embeddings + bias,
//        computed only at the rows that have a label (the masked positions) — the loss is the same;
//        at every row when no labels are given (inference).
//   NSP  cls.seq_relationship on the pooled output (BertForPreTraining only).
// Loss: mean cross-entropy over the masked tokens, plus mean cross-entropy over the NSP pairs.
import type { BertConfig } from '../../config.js';
import { native, type NativeEngine } from '../../native.js';
import type { ParamSpec, ParamStore } from '../params.js';
import { Dense } from './dense.js';
import type { EncoderGrads, EncoderOutput, Head, HeadContext, HeadDef, HeadLogits, HeadLoss, LossShares, OnnxGraph, Targets } from './head.js';
import { grown } from './head.js';
import type { Batch } from '../encoder.js';

/** The MLM transform and the tied decoder, at chosen rows of the hidden states. */
class MlmPredictions {
  private rows: Int32Array = new Int32Array(0);
  private M = 0;
  private buf: Record<string, Float32Array> = {};
  gemm: NativeEngine['gemm'] = native.gemm;

  constructor(private cfg: BertConfig, private store: ParamStore, private wordEmbeddings: string) {}

  static specs(cfg: Pick<BertConfig, 'hidden_size' | 'vocab_size'>): ParamSpec[] {
    const H = cfg.hidden_size;
    return [
      { name: 'cls.predictions.bias', shape: [cfg.vocab_size], init: 'zeros', decay: false },
      { name: 'cls.predictions.transform.dense.weight', shape: [H, H], init: 'normal', decay: true },
      { name: 'cls.predictions.transform.dense.bias', shape: [H], init: 'zeros', decay: false },
      { name: 'cls.predictions.transform.LayerNorm.weight', shape: [H], init: 'ones', decay: false },
      { name: 'cls.predictions.transform.LayerNorm.bias', shape: [H], init: 'zeros', decay: false },
    ];
  }

  private ensure(M: number): void {
    const H = this.cfg.hidden_size, V = this.cfg.vocab_size;
    if ((this.buf.x?.length ?? 0) >= M * H) return;
    const f = (n: number) => new Float32Array(n);
    this.buf = { x: f(M * H), pre: f(M * H), act: f(M * H), mean: f(M), rstd: f(M), t: f(M * H), logits: f(M * V), dT: f(M * H), dX: f(M * H) };
  }

  /** Logits [M, V] at the given rows of hidden [R, H]. */
  forward(hidden: Float32Array, rows: Int32Array): Float32Array {
    const H = this.cfg.hidden_size, V = this.cfg.vocab_size, M = rows.length;
    this.ensure(Math.max(M, 1));
    this.rows = rows;
    this.M = M;
    const x = this.buf.x.subarray(0, M * H);
    for (let i = 0; i < M; i++) x.set(hidden.subarray(rows[i] * H, rows[i] * H + H), i * H);
    const pre = this.buf.pre.subarray(0, M * H), act = this.buf.act.subarray(0, M * H), t = this.buf.t.subarray(0, M * H);
    this.gemm(false, true, M, H, H, 1, x, this.store.view('cls.predictions.transform.dense.weight'), 0, pre, null);
    native.biasGeluForward(act, pre, this.store.view('cls.predictions.transform.dense.bias'), M, H);
    native.layerNormForward(t, this.buf.mean.subarray(0, M), this.buf.rstd.subarray(0, M), act,
      this.store.view('cls.predictions.transform.LayerNorm.weight'), this.store.view('cls.predictions.transform.LayerNorm.bias'), M, H, this.cfg.layer_norm_eps);
    const logits = this.buf.logits.subarray(0, M * V);
    this.gemm(false, true, M, V, H, 1, t, this.store.view(this.wordEmbeddings), 0, logits, this.store.view('cls.predictions.bias'));
    return logits;
  }

  /** Adds the gradient of the rows' hidden states into dHidden [R, H]. */
  backward(dLogits: Float32Array, dHidden: Float32Array): void {
    const H = this.cfg.hidden_size, V = this.cfg.vocab_size, M = this.M;
    if (M === 0) return;
    const t = this.buf.t.subarray(0, M * H), dT = this.buf.dT.subarray(0, M * H), dX = this.buf.dX.subarray(0, M * H);
    this.gemm(true, false, V, H, M, 1, dLogits, t, 1, this.store.grad(this.wordEmbeddings), null); // tied decoder
    native.biasBackward(this.store.grad('cls.predictions.bias'), dLogits, M, V);
    this.gemm(false, false, M, H, V, 1, dLogits, this.store.view(this.wordEmbeddings), 0, dT, null);
    const dAct = dX;
    native.layerNormBackward(dAct, this.store.grad('cls.predictions.transform.LayerNorm.weight'), this.store.grad('cls.predictions.transform.LayerNorm.bias'),
      dT, this.buf.act.subarray(0, M * H), this.buf.mean.subarray(0, M), this.buf.rstd.subarray(0, M), this.store.view('cls.predictions.transform.LayerNorm.weight'), M, H, false);
    native.geluBackward(dAct, dAct, this.buf.pre.subarray(0, M * H));
    this.gemm(true, false, H, H, M, 1, dAct, this.buf.x.subarray(0, M * H), 1, this.store.grad('cls.predictions.transform.dense.weight'), null);
    native.biasBackward(this.store.grad('cls.predictions.transform.dense.bias'), dAct, M, H);
    this.gemm(false, false, M, H, H, 1, dAct, this.store.view('cls.predictions.transform.dense.weight'), 0, dT, null);
    for (let i = 0; i < M; i++) {
      const r = this.rows[i];
      for (let j = 0; j < H; j++) dHidden[r * H + j] += dT[i * H + j];
    }
  }
}

class PretrainingHead implements Head {
  readonly kind = 'pretraining' as const;
  readonly maskedLm = true;
  readonly pooled: boolean;
  private mlm: MlmPredictions;
  private nsp: Dense | null;
  private out: HeadLogits = { logits: null };
  private dLogits = { a: new Float32Array(0) };
  private dHidden = { a: new Float32Array(0) };
  private dNsp: Float32Array | null = null;
  private dMlm: Float32Array | null = null;
  private mlmLoss = false;
  /** rows of the last forward's batch, B·T */
  private R = 0;

  constructor(private ctx: HeadContext, withNsp: boolean) {
    this.mlm = new MlmPredictions(ctx.cfg, ctx.store, `${ctx.prefix}embeddings.word_embeddings.weight`);
    this.nsp = withNsp ? new Dense(ctx.store, 'cls.seq_relationship.weight', 'cls.seq_relationship.bias', 2, ctx.cfg.hidden_size, 0) : null;
    this.pooled = withNsp;
  }

  setGemm(gemm: NativeEngine['gemm']): void {
    this.mlm.gemm = gemm;
  }

  forward(enc: EncoderOutput, batch: Batch, training: boolean, seed: bigint, targets: Targets | null): HeadLogits {
    const R = (this.R = batch.B * batch.T), labels = targets?.mlmLabels;
    let rows: Int32Array;
    if (labels) {
      const r: number[] = [];
      for (let i = 0; i < R; i++) if (labels[i] !== -100) r.push(i);
      rows = Int32Array.from(r);
    } else {
      rows = Int32Array.from({ length: R }, (_, i) => i);
    }
    this.out = { logits: this.mlm.forward(enc.hidden, rows), mlmRows: rows };
    if (this.nsp) this.out.nspLogits = this.nsp.forward(enc.pooled!, batch.B, training, seed);
    return this.out;
  }

  loss(targets: Targets, batch: Batch, grad: { scale: number } | null, shares: LossShares = {}): HeadLoss | null {
    const V = this.ctx.cfg.vocab_size, B = batch.B;
    const res: HeadLoss = { loss: 0, parts: {} };
    let any = false;
    this.mlmLoss = false;
    this.dNsp = null;
    const labels = targets.mlmLabels;
    if (labels) {
      const rows = this.out.mlmRows!, mlmShare = shares.mlm ?? 1;
      const t = Int32Array.from(rows, (r) => labels[r]);
      const d = (this.dMlm = grad ? grown(this.dLogits, rows.length * V) : null);
      const ce = native.softmaxCrossEntropy(d, null, this.out.logits!, t, rows.length, V, (grad?.scale ?? 1) * mlmShare);
      res.parts.mlm = ce.loss * mlmShare;
      res.loss += ce.loss * mlmShare;
      this.mlmLoss = rows.length > 0;
      any = true;
    }
    if (this.nsp && targets.nspLabels) {
      const nspShare = shares.nsp ?? 1;
      this.dNsp = grad ? new Float32Array(B * 2) : null;
      const ce = native.softmaxCrossEntropy(this.dNsp, null, this.out.nspLogits!, targets.nspLabels, B, 2, (grad?.scale ?? 1) * nspShare);
      res.parts.nsp = ce.loss * nspShare;
      res.loss += ce.loss * nspShare;
      any = true;
    }
    return any ? res : null;
  }

  backward(): EncoderGrads {
    let dHidden: Float32Array | null = null;
    if (this.mlmLoss) {
      dHidden = grown(this.dHidden, this.R * this.ctx.cfg.hidden_size).fill(0);
      this.mlm.backward(this.dMlm!, dHidden);
    }
    return { dHidden, dPooled: this.dNsp && this.nsp ? this.nsp.backward(this.dNsp) : null };
  }

  onnx(g: OnnxGraph): [string, string][] {
    const t = g.layerNorm(g.gelu(g.linear(g.hidden, 'cls.predictions.transform.dense.weight', 'cls.predictions.transform.dense.bias')),
      'cls.predictions.transform.LayerNorm.weight', 'cls.predictions.transform.LayerNorm.bias');
    // the decoder is tied to the word embeddings: a Transpose of that initializer (folded once by the runtime), not a copy
    const decoder = g.one('Transpose', [`${g.prefix}embeddings.word_embeddings.weight`], [g.ints('perm', [1, 0])]);
    return [[g.one('Add', [g.one('MatMul', [t, decoder]), g.param('cls.predictions.bias')]), 'logits']];
  }

  onnxOutputs() {
    return [{ name: 'logits', shape: ['batch_size', 'sequence_length', this.ctx.cfg.vocab_size] }];
  }
}

/** BertForPreTraining's head (MLM + NSP), or BertForMaskedLM's (MLM alone). */
export function pretrainingHead(withNsp: boolean): HeadDef {
  return {
    kind: 'pretraining',
    specs: ({ cfg }) => [
      ...MlmPredictions.specs(cfg),
      ...(withNsp ? Dense.specs('cls.seq_relationship.weight', 'cls.seq_relationship.bias', 2, cfg.hidden_size) : []),
    ],
    create: (ctx) => new PretrainingHead(ctx, withNsp),
  };
}

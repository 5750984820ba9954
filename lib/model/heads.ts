// The heads that turn the encoder into a pretrainer or a fine-tuned model, with HF's names and
// arithmetic. Each maps encoder outputs to logits and, backward, logit gradients to gradients of the
// encoder outputs (parameter gradients accumulate in the store).
//   MLM        cls.predictions: dense → GELU → LayerNorm → decoder tied to the word embeddings + bias,
//              computed only at the rows asked for (the masked positions) — the loss is the same.
//   NSP        cls.seq_relationship on the pooled output.
//   Linear     classifier / qa_outputs on the pooled output or on every token, with dropout before
//              it where HF has one.
import type { BertConfig } from '../config.js';
import { native, type NativeEngine } from '../native.js';
import type { ParamSpec, ParamStore } from './params.js';

export class MlmHead {
  private rows: Int32Array = new Int32Array(0);
  private M = 0;
  private buf: Record<string, Float32Array> = {};
  /** The transform's and the tied decoder's GEMM: float32 or mixed precision, as the encoder's. */
  gemm: NativeEngine['gemm'] = native.gemm;

  constructor(private cfg: BertConfig, private store: ParamStore, private wordEmbeddings: string) {}

  static specs(cfg: BertConfig): ParamSpec[] {
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

/** A dense layer [out, H] on the pooled output or on every token, with optional dropout before it. */
export class LinearHead {
  private x: Float32Array = new Float32Array(0);
  private xDrop = new Float32Array(0);
  private logits = new Float32Array(0);
  private dX = new Float32Array(0);
  private N = 0;
  private seed = 0n;
  private p = 0;

  constructor(private store: ParamStore, readonly weight: string, readonly bias: string, readonly out: number, readonly H: number, private dropout: number) {}

  static specs(weight: string, bias: string, out: number, H: number): ParamSpec[] {
    return [
      { name: weight, shape: [out, H], init: 'normal', decay: true },
      { name: bias, shape: [out], init: 'zeros', decay: false },
    ];
  }

  /** Logits [N, out] from x [N, H]. */
  forward(x: Float32Array, N: number, training: boolean, seed: bigint): Float32Array {
    const H = this.H;
    this.N = N;
    this.x = x.subarray(0, N * H);
    this.p = training ? this.dropout : 0;
    this.seed = seed;
    let input = this.x;
    if (this.p > 0) {
      if (this.xDrop.length < N * H) this.xDrop = new Float32Array(N * H);
      input = this.xDrop.subarray(0, N * H);
      native.dropoutForward(input, this.x, this.p, seed);
    }
    if (this.logits.length < N * this.out) this.logits = new Float32Array(N * this.out);
    const logits = this.logits.subarray(0, N * this.out);
    native.gemm(false, true, N, this.out, H, 1, input, this.store.view(this.weight), 0, logits, this.store.view(this.bias));
    return logits;
  }

  /** Gradient of x [N, H] (a view valid until the next call). */
  backward(dLogits: Float32Array): Float32Array {
    const H = this.H, N = this.N;
    const input = this.p > 0 ? this.xDrop.subarray(0, N * H) : this.x;
    native.gemm(true, false, this.out, H, N, 1, dLogits, input, 1, this.store.grad(this.weight), null);
    native.biasBackward(this.store.grad(this.bias), dLogits, N, this.out);
    if (this.dX.length < N * H) this.dX = new Float32Array(N * H);
    const dX = this.dX.subarray(0, N * H);
    native.gemm(false, false, N, H, this.out, 1, dLogits, this.store.view(this.weight), 0, dX, null);
    if (this.p > 0) native.dropoutBackward(dX, dX, this.p, this.seed);
    return dX;
  }
}


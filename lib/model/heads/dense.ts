// The layer most heads are: dense [out, H] on the pooled output or on every token, with dropout
// before it where HF has one (classifier dropout, hidden_dropout_prob), forward and backward.
import { native, type NativeEngine } from '../../native.js';
import type { Batch } from '../encoder.js';
import type { ParamSpec, ParamStore } from '../params.js';
import type { EncoderGrads, EncoderOutput, Head, HeadContext, HeadKind, HeadLogits, HeadLoss, LossShares, OnnxGraph, OnnxOutput, Targets } from './head.js';

export class Dense {
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

  /** Logits [N, out] from x [N, H] (a view valid until the next call). */
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

  /** Gradient of x [N, H] from the logits' (a view valid until the next call). */
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

/**
 * A head that is one Dense layer on the pooled output or on every token: forward, the share of a
 * data-parallel loss, and backward, written once; each kind (sequence, token, span, choice) says
 * what its input is and what its loss is.
 */
export abstract class DenseHead implements Head {
  abstract readonly kind: HeadKind;
  protected dense: Dense;
  protected logits: Float32Array = new Float32Array(0);
  protected dLogits: Float32Array | null = null;

  constructor(protected ctx: HeadContext, weight: string, bias: string, out: number, dropout: number, readonly pooled: boolean) {
    this.dense = new Dense(ctx.store, weight, bias, out, ctx.cfg.hidden_size, dropout);
  }

  setGemm(_gemm: NativeEngine['gemm']): void {} // a head this small stays float32

  forward(enc: EncoderOutput, batch: Batch, training: boolean, seed: bigint): HeadLogits {
    const x = this.pooled ? enc.pooled! : enc.hidden;
    this.logits = this.dense.forward(x, this.pooled ? batch.B : batch.B * batch.T, training, seed);
    return { logits: this.logits };
  }

  /** The unshared loss, with the logits' gradient written into d (when given) scaled by `scale`. */
  protected abstract lossOf(targets: Targets, batch: Batch, d: Float32Array | null, scale: number): HeadLoss | null;

  loss(targets: Targets, batch: Batch, grad: { scale: number } | null, shares: LossShares = {}): HeadLoss | null {
    const share = shares.head ?? 1;
    this.dLogits = grad ? new Float32Array(this.logits.length) : null;
    const r = this.lossOf(targets, batch, this.dLogits, (grad?.scale ?? 1) * share);
    if (!r) {
      this.dLogits = null;
      return null;
    }
    if (share !== 1) {
      r.loss *= share;
      for (const k of Object.keys(r.parts)) r.parts[k] *= share;
    }
    return r;
  }

  backward(): EncoderGrads {
    if (!this.dLogits) return { dHidden: null, dPooled: null };
    const dx = this.dense.backward(this.dLogits);
    return this.pooled ? { dHidden: null, dPooled: dx } : { dHidden: dx, dPooled: null };
  }

  abstract onnx(g: OnnxGraph): [string, string][];
  abstract onnxOutputs(): OnnxOutput[];
}

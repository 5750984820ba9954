// AdamW over a model's whole parameter arena in one native call: BERT's settings (β1 0.9, β2 0.999,
// eps 1e-6, weight decay 0.01 except biases and LayerNorm weights), torch.optim.AdamW's arithmetic,
// optional clipping by global gradient norm (torch's clip_grad_norm_: scale by max/(norm + 1e-6)
// when the norm is over max), and a scale for gradient accumulation.
import { native } from '../native.js';
import type { ParamStore } from '../model/params.js';

export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** clip the global gradient norm to this (0 or undefined: no clipping) */
  maxGradNorm?: number;
}

export class AdamW {
  readonly store: ParamStore;
  readonly m: Float32Array;
  readonly v: Float32Array;
  readonly opts: Required<AdamWOptions>;
  /** steps taken (1-based inside step()) */
  t = 0;

  constructor(store: ParamStore, opts: AdamWOptions) {
    this.store = store;
    this.m = native.allocF32(store.size);
    this.v = native.allocF32(store.size);
    this.opts = { beta1: 0.9, beta2: 0.999, eps: 1e-6, weightDecay: 0.01, maxGradNorm: 0, ...opts };
  }

  /** The global L2 norm of the gradients (before clipping). */
  gradNorm(): number {
    return Math.sqrt(native.sumSquares(this.store.grads));
  }

  /**
   * One update with learning rate `lr`; gradients are multiplied by gradScale first (1/accumulation).
   * Returns the gradient norm before clipping; when it is not finite, nothing is updated.
   */
  step(lr: number, gradScale = 1): number {
    const o = this.opts;
    const norm = this.gradNorm() * gradScale;
    if (!Number.isFinite(norm)) return norm;
    let scale = gradScale;
    if (o.maxGradNorm > 0 && norm > o.maxGradNorm) scale *= o.maxGradNorm / (norm + 1e-6);
    this.t++;
    native.adamw(this.store.params, this.store.grads, this.m, this.v, this.store.decayMask, lr, o.beta1, o.beta2, o.eps, o.weightDecay, this.t, scale);
    return norm;
  }
}

/** Linear warmup to `peak` over `warmup` steps, then linear decay to 0 at `total` (HF's linear schedule). */
export function linearSchedule(peak: number, warmup: number, total: number): (step: number) => number {
  return (step) => {
    if (step < warmup) return (peak * step) / Math.max(1, warmup);
    return peak * Math.max(0, (total - step) / Math.max(1, total - warmup));
  };
}

/** Linear warmup, then constant. */
export function constantSchedule(peak: number, warmup: number): (step: number) => number {
  return (step) => (step < warmup ? (peak * step) / Math.max(1, warmup) : peak);
}

// Every parameter of a model as a view into one flat Float32Array (and its gradient into another),
// so the optimizer is one fused kernel call over the arena and a checkpoint is one pass over it.
// Tensors are named and shaped as HuggingFace names them; a layer's query, key and value weights
// (then their biases) sit next to each other, so one GEMM computes Q|K|V packed as the attention
// kernel reads them.
import { BertError } from '../errors.js';
import { native } from '../native.js';

export type Init = 'normal' | 'zeros' | 'ones' | 'normal-pad-zero';

export interface ParamSpec {
  name: string;
  shape: number[];
  init: Init;
  /** AdamW weight decay applies (not to biases and LayerNorm weights) */
  decay: boolean;
}

export class ParamStore {
  readonly specs: ParamSpec[];
  readonly offsets = new Map<string, number>();
  readonly size: number;
  readonly params: Float32Array;
  private gradArena: Float32Array | null = null;
  private decay: Uint8Array | null = null;

  constructor(specs: ParamSpec[]) {
    this.specs = specs;
    let off = 0;
    for (const s of specs) {
      if (this.offsets.has(s.name)) throw new Error(`duplicate parameter ${s.name}`);
      this.offsets.set(s.name, off);
      off += numel(s.shape);
    }
    this.size = off;
    // on huge pages: the first write to each page of a 440 MB arena is otherwise ~a second of faults
    this.params = native.allocF32(off);
  }

  /** 1 where AdamW's weight decay applies; built on first use (an optimizer's), like the gradients. */
  get decayMask(): Uint8Array {
    if (!this.decay) {
      this.decay = new Uint8Array(this.size);
      for (const s of this.specs) if (s.decay) this.decay.fill(1, this.offsets.get(s.name)!, this.offsets.get(s.name)! + numel(s.shape));
    }
    return this.decay;
  }

  /** The gradient arena, allocated on first use: inference never needs it (440 MB for BERT-base). */
  get grads(): Float32Array {
    return (this.gradArena ??= native.allocF32(this.size));
  }

  has(name: string): boolean {
    return this.offsets.has(name);
  }

  spec(name: string): ParamSpec {
    const s = this.specs.find((x) => x.name === name);
    if (!s) throw new BertError(`no parameter named ${name}`);
    return s;
  }

  /** The parameter as a view (writes go to the arena). */
  view(name: string): Float32Array {
    return this.slice(this.params, name);
  }

  grad(name: string): Float32Array {
    return this.slice(this.grads, name);
  }

  /** A view over consecutive parameters, first..last inclusive (e.g. query, key, value). */
  span(arena: Float32Array, first: string, last: string): Float32Array {
    const b = this.offsets.get(first), e = this.offsets.get(last);
    if (b === undefined || e === undefined) throw new BertError(`no parameter named ${b === undefined ? first : last}`);
    return arena.subarray(b, e + numel(this.spec(last).shape));
  }

  private slice(arena: Float32Array, name: string): Float32Array {
    const off = this.offsets.get(name);
    if (off === undefined) throw new BertError(`no parameter named ${name}`);
    return arena.subarray(off, off + numel(this.spec(name).shape));
  }

  zeroGrad(): void {
    this.grads.fill(0);
  }

  /** BERT's initialisation, by seed: N(0, std) weights, zero biases, LayerNorm γ = 1, β = 0. */
  initialize(seed: number, std: number, padRow: number, only?: (name: string) => boolean): void {
    const normal = gaussian(seed);
    for (const s of this.specs) {
      if (only && !only(s.name)) continue;
      const v = this.view(s.name);
      if (s.init === 'zeros') v.fill(0);
      else if (s.init === 'ones') v.fill(1);
      else {
        for (let i = 0; i < v.length; i++) v[i] = normal() * std;
        if (s.init === 'normal-pad-zero' && padRow >= 0) v.fill(0, padRow * s.shape[1], (padRow + 1) * s.shape[1]);
      }
    }
  }
}

export function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Uniform draws in [0, 1) from a seeded xoshiro128** generator (32-bit lanes). */
export function uniform(seed: number): () => number {
  let s0 = (seed >>> 0) ^ 0x9e3779b9, s1 = Math.imul(seed | 0, 0x85ebca6b) ^ 0xc2b2ae35, s2 = 0x27d4eb2f, s3 = 0x165667b1;
  const next = () => {
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11);
    return r / 4294967296;
  };
  for (let i = 0; i < 8; i++) next();
  return next;
}

/** Standard normal draws (Box–Muller over `uniform`). */
export function gaussian(seed: number): () => number {
  const next = uniform(seed);
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = next();
    const w = next();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * w);
    return r * Math.cos(2 * Math.PI * w);
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

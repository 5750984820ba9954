// Every parameter of a model as a view into one flat Float32Array (and its gradient into another),
// so the optimizer is one fused kernel call over the arena and a checkpoint is one pass over it.
// Tensors are named and shaped as HuggingFace names them; a layer's query, key and value weights
// (then their biases) sit next to each other, so one GEMM computes Q|K|V packed as the attention
// kernel reads them.
import { statSync } from 'node:fs';
import { BertError } from '../errors.js';
import { native } from '../native.js';
import { gaussian } from '../rng.js';

export type Init = 'normal' | 'zeros' | 'ones' | 'normal-pad-zero';

export interface ParamSpec {
  name: string;
  shape: number[];
  init: Init;
  /** AdamW weight decay applies (not to biases and LayerNorm weights) */
  decay: boolean;
}

/** A checkpoint file mapped as an arena: its identity and change time when mapped. */
export interface MappedFile {
  path: string;
  ino: bigint;
  size: bigint;
  ctimeNs: bigint;
}

export class ParamStore {
  readonly specs: ParamSpec[];
  readonly offsets = new Map<string, number>();
  private readonly byName = new Map<string, ParamSpec>();
  readonly size: number;
  private arena: Float32Array | null = null;
  private gradArena: Float32Array | null = null;
  private decay: Uint8Array | null = null;

  constructor(specs: ParamSpec[]) {
    this.specs = specs;
    let off = 0;
    for (const s of specs) {
      if (this.offsets.has(s.name)) throw new BertError(`duplicate parameter ${s.name}`);
      this.offsets.set(s.name, off);
      this.byName.set(s.name, s);
      off += numel(s.shape);
    }
    this.size = off;
  }

  /** The parameters, every one a view into this arena; allocated on first use unless adopted. */
  get params(): Float32Array {
    // on huge pages: the first write to each page of a 440 MB arena is otherwise ~a second of faults
    return (this.arena ??= native.allocF32(this.size));
  }

  /**
   * Takes `arena` as the parameters (a checkpoint mapped from the page cache), before any are read
   * or written; false once the arena exists.
   */
  adopt(arena: Float32Array, source?: MappedFile): boolean {
    if (this.arena || arena.length !== this.size) return false;
    this.arena = arena;
    this.mapped = source ?? null;
    return true;
  }

  /** The file a mapped arena's pages come from, as it was when mapped. */
  private mapped: MappedFile | null = null;

  /**
   * A mapped arena's pages are the file's until written: a program that writes the file in place
   * (`dd conv=notrunc`, some sync tools) would change the weights under a running model. Throws when
   * the file's change time or size moved since it was mapped (a kernel updates ctime before a write's
   * data reaches the page cache, so a batch checked after its forward pass read the old weights
   * only). A file replaced by a rename leaves the mapping on the old one: nothing changed for us.
   */
  assertWeightsUnchanged(): void {
    const m = this.mapped;
    if (!m) return;
    let st;
    try {
      st = statSync(m.path, { bigint: true });
    } catch {
      return; // removed (unlinked): the mapping keeps the old file's pages
    }
    if (st.ino !== m.ino) return;
    if (st.ctimeNs !== m.ctimeNs || st.size !== m.size) {
      throw new BertError('the weights file was written while this model was using it: its answers would mix two sets of weights', { where: m.path, hint: 'replace a model by writing a new file and renaming it over the old one (as bert-cli does), then run again' });
    }
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
    const s = this.byName.get(name);
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

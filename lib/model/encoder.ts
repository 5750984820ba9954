// BERT's encoder as the course draws it: embeddings (word + position + token type → LayerNorm →
// dropout), L post-LN layers (self-attention → dense → dropout → add & LayerNorm → dense + GELU →
// dense → dropout → add & LayerNorm), and the pooler (tanh dense on [CLS]); forward and backward
// over the native kernels. Activations live in buffers planned for the largest batch seen and
// reused, so a training step allocates no buffers. Backward accumulates parameter gradients (+=)
// into the ParamStore and follows the forward line by line, in reverse.
import type { BertConfig } from '../config.js';
import { BertError } from '../errors.js';
import { native, type NativeEngine } from '../native.js';
import { DROPOUT_SITE, subSeed } from '../rng.js';
import type { ParamStore } from './params.js';

/** Arithmetic of the linear layers in training: float32, or bfloat16 weights and inputs with float32 sums. */
export type Dtype = 'fp32' | 'bf16';
/** Inference adds int8: weights quantized per output channel, activations per row, int32 sums. */
export type InferenceDtype = Dtype | 'int8';

/**
 * The GEMM a model's linear layers train with: float32, or mixed precision (both operands rounded
 * to bf16 on every call, float32 sums, float32 master weights and gradients — autocast's Linear).
 * Returns it and the dtype in effect: fp32 when the CPU has no AVX512_BF16.
 */
export function trainingGemm(dtype: Dtype): [NativeEngine['gemm'], Dtype] {
  return dtype === 'bf16' && native.bf16Supported() ? [native.gemmBf16Mixed, 'bf16'] : [native.gemm, 'fp32'];
}

/** HF's additive mask value for padding: torch.finfo(float32).min. */
export const MASK_VALUE = -3.4028234663852886e38;

export interface Batch {
  B: number;
  T: number;
  inputIds: Int32Array;     // [B·T]
  typeIds: Int32Array;      // [B·T]
  attentionMask: Int32Array; // [B·T], 1 real token, 0 padding
}

interface LayerActs {
  x: Float32Array;    // input [R,H] (the previous layer's y)
  qkv: Float32Array;  // [R,3H]
  probs: Float32Array; // [B,NH,T,T]
  ctx: Float32Array;  // [R,H]
  s1: Float32Array;   // x + dropout(ctx·Woᵀ + bo) [R,H]
  mean1: Float32Array; rstd1: Float32Array;
  a: Float32Array;    // LayerNorm(s1) [R,H]
  pre: Float32Array;  // a·Wiᵀ + bi [R,I]
  act: Float32Array;  // gelu(pre) [R,I]
  s2: Float32Array;   // a + dropout(act·Woutᵀ + bout) [R,H]
  mean2: Float32Array; rstd2: Float32Array;
  y: Float32Array;    // LayerNorm(s2) [R,H]
  /** the dropout seeds forward drew with (attention probabilities, attention output, FFN output): backward reads them here */
  seeds: DropoutSeeds;
}

/** One layer's dropout sites, each with its own seed (subSeed of the step's seed, the layer and the site). */
export interface DropoutSeeds {
  attention: bigint;
  attentionOutput: bigint;
  output: bigint;
}

/** The seeds of layer l's dropout sites for a step's seed; the embeddings' site is subSeed(seed, 0, 0) (Encoder.forward). */
export function dropoutSeeds(seed: bigint, l: number): DropoutSeeds {
  return { attention: subSeed(seed, l + 1, DROPOUT_SITE.attention), attentionOutput: subSeed(seed, l + 1, DROPOUT_SITE.attentionOutput), output: subSeed(seed, l + 1, DROPOUT_SITE.output) };
}

/**
 * The encoder's buffers, in floats, for R = B·T rows and `probs` attention probabilities: what the
 * encoder allocates and what memory.ts counts before anything is allocated, from this one table.
 * Training keeps every layer's activations for backward (a layer's x is the previous layer's y);
 * inference keeps one layer's, its x and y ping-ponging, and no pre-activation (GELU overwrites it).
 */
export function bufferPlan(cfg: Pick<BertConfig, 'hidden_size' | 'intermediate_size'>, R: number, B: number, probs: number) {
  const { hidden_size: H, intermediate_size: I } = cfg;
  return {
    training: {
      layer: { qkv: 3 * R * H, probs, ctx: R * H, s1: R * H, mean1: R, rstd1: R, a: R * H, pre: R * I, act: R * I, s2: R * H, mean2: R, rstd2: R, y: R * H },
      /** the first layer's input, h0 */
      x: R * H,
      shared: { emb: R * H, embMean: R, embRstd: R, mask: R, tmpH: R * H, dA: R * H, dB: R * H, dI: R * I, dQKV: 3 * R * H, cls: B * H, pooledPre: B * H, pooled: B * H, dCls: B * H },
    },
    inference: {
      layer: { qkv: 3 * R * H, ctx: R * H, a: R * H, act: R * I },
      /** x and y, ping-pong */
      xs: 2 * R * H,
      shared: { emb: R * H, mask: R, tmpH: R * H, cls: B * H, pooledPre: B * H, pooled: B * H },
    },
  };
}

/** Floats the encoder's buffers take for a batch of B × T with L layers (bufferPlan, summed). */
export function encoderFloats(cfg: Pick<BertConfig, 'hidden_size' | 'intermediate_size' | 'num_attention_heads' | 'num_hidden_layers'>, B: number, T: number, training: boolean): number {
  const p = bufferPlan(cfg, B * T, B, B * cfg.num_attention_heads * T * T);
  const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
  return training ? cfg.num_hidden_layers * sum(p.training.layer) + p.training.x + sum(p.training.shared) : sum(p.inference.layer) + p.inference.xs + sum(p.inference.shared);
}

/** Names of one layer's parameters, HF style. */
export function layerNames(prefix: string, l: number) {
  const p = `${prefix}encoder.layer.${l}.`;
  return {
    qw: `${p}attention.self.query.weight`, kw: `${p}attention.self.key.weight`, vw: `${p}attention.self.value.weight`,
    qb: `${p}attention.self.query.bias`, kb: `${p}attention.self.key.bias`, vb: `${p}attention.self.value.bias`,
    ow: `${p}attention.output.dense.weight`, ob: `${p}attention.output.dense.bias`,
    ln1w: `${p}attention.output.LayerNorm.weight`, ln1b: `${p}attention.output.LayerNorm.bias`,
    iw: `${p}intermediate.dense.weight`, ib: `${p}intermediate.dense.bias`,
    outw: `${p}output.dense.weight`, outb: `${p}output.dense.bias`,
    ln2w: `${p}output.LayerNorm.weight`, ln2b: `${p}output.LayerNorm.bias`,
  };
}

export class Encoder {
  readonly cfg: BertConfig;
  readonly store: ParamStore;
  readonly prefix: string;
  readonly withPooler: boolean;
  private capR = 0;
  private capProbs = 0;
  private capB = 0;
  private acts: LayerActs[] = [];
  private buf: Record<string, Float32Array> = {};
  /** Inference buffers: one layer's worth reused by every layer (nothing is kept for backward), x and y ping-pong. */
  private inf: { capR: number; capB: number; layer: LayerActs; xs: [Float32Array, Float32Array]; buf: Record<string, Float32Array> } | null = null;
  private batch: Batch | null = null;
  private training = false;
  /** the embeddings' dropout seed of the last forward, for backward */
  private embeddingSeed = 0n;
  private posIds = new Int32Array(0);
  /**
   * Told, during backward, each range [begin, end) of the gradient arena whose gradients are complete
   * (data-parallel training starts their sum across ranks there); the ranges cover the arena once.
   */
  gradientsDone: ((begin: number, end: number) => void) | null = null;
  /** the packed copies of the linear weights for bf16 or int8 inference, by weight name */
  private packs: { dtype: 'bf16' | 'int8'; map: Map<string, Uint16Array | Uint8Array> } | null = null;
  /** The GEMM behind every linear layer when no inference pack is active (see trainingGemm). */
  gemm: NativeEngine['gemm'] = native.gemm;

  /**
   * Attention's products in bf16 (QKᵀ, PV and their backward; softmax float32): under mixed-precision
   * training (and its held-out passes) and in bf16 inference. int8 inference keeps attention float32,
   * as ONNX Runtime's quantized graph does (so the two agree to float rounding at one token).
   */
  private attention(): { forward: NativeEngine['attentionForward']; backward: NativeEngine['attentionBackward'] } {
    const bf16 = this.packs ? this.packs.dtype === 'bf16' : this.gemm === native.gemmBf16Mixed;
    return bf16 ? { forward: native.attentionForwardBf16, backward: native.attentionBackwardBf16 } : { forward: native.attentionForward, backward: native.attentionBackward };
  }

  constructor(cfg: BertConfig, store: ParamStore, prefix: string, withPooler: boolean) {
    this.cfg = cfg;
    this.store = store;
    this.prefix = prefix;
    this.withPooler = withPooler;
  }

  /** The arithmetic the linear layers use now. */
  get dtype(): InferenceDtype {
    return this.packs?.dtype ?? 'fp32';
  }

  /**
   * Switches the linear layers to bf16, int8 or back to fp32, packing a copy of their weights once,
   * here. bf16 (2 bytes per weight): Q/K/V, attention output, FFN and pooler. int8 (1 byte per weight,
   * symmetric per output channel; the activations quantized per row on every call, as ONNX Runtime's
   * and PyTorch's dynamic quantization): Q/K/V, attention output and FFN — the pooler and the heads
   * stay float32. LayerNorm, softmax, GELU and the embeddings stay float32; attention's two products
   * run in bf16 under bf16 (see attention()) and in float32 under int8. Pack again after
   * the weights change. Returns the dtype in effect: fp32 when the CPU lacks AVX512_BF16 (bf16) or
   * AVX512-VNNI (int8).
   */
  setDtype(dtype: InferenceDtype): InferenceDtype {
    const can = dtype === 'bf16' ? native.bf16Supported() : dtype === 'int8' ? native.int8Supported() : false;
    if (dtype === 'fp32' || !can) {
      this.packs = null;
      return 'fp32';
    }
    const { hidden_size: H, intermediate_size: I, num_hidden_layers: L } = this.cfg;
    const packs = new Map<string, Uint16Array | Uint8Array>();
    const pack = (key: string, w: Float32Array, N: number, K: number) => {
      if (dtype === 'int8') {
        const dst = new Uint8Array(native.int8PackedLength(N, K));
        native.int8Pack(dst, w, N, K);
        packs.set(key, dst);
      } else {
        const dst = new Uint16Array(native.bf16PackedLength(N, K));
        native.bf16Pack(dst, w, N, K);
        packs.set(key, dst);
      }
    };
    for (let l = 0; l < L; l++) {
      const n = layerNames(this.prefix, l);
      pack(n.qw, this.store.span(this.store.params, n.qw, n.vw), 3 * H, H);
      pack(n.ow, this.v(n.ow), H, H);
      pack(n.iw, this.v(n.iw), I, H);
      pack(n.outw, this.v(n.outw), H, I);
    }
    if (this.withPooler && dtype === 'bf16') pack(`${this.prefix}pooler.dense.weight`, this.v(`${this.prefix}pooler.dense.weight`), H, H);
    this.packs = { dtype, map: packs };
    return dtype;
  }

  /**
   * out[R,N] = x[R,K]·Wᵀ + bias (then GELU when `gelu`: inference only, nothing kept for backward)
   * through the active dtype; `w` is the float32 weight, `key` its pack.
   */
  private linear(key: string, w: Float32Array, x: Float32Array, R: number, N: number, K: number,
                 out: Float32Array, bias: Float32Array | null, gelu = false): void {
    const packed = this.packs?.map.get(key);
    if (packed instanceof Uint8Array) {
      native.gemmInt8(R, N, K, x, packed, out, bias, gelu);
    } else if (packed) {
      native.gemmBf16(R, N, K, x, packed, out, bias, gelu);
    } else if (gelu) {
      // fp32: GELU as its own pass, in place (in the GEMM's epilogue it measured slower)
      this.gemm(false, true, R, N, K, 1, x, w, 0, out, null);
      native.biasGeluForward(out, out, bias, R, N);
    } else {
      this.gemm(false, true, R, N, K, 1, x, w, 0, out, bias);
    }
  }

  /** Plans buffers for R = B·T rows (grown when a larger batch comes). */
  private plan(B: number, T: number): void {
    const R = B * T, { num_attention_heads: NH, num_hidden_layers: L } = this.cfg;
    const probs = B * NH * T * T;
    if (R <= this.capR && probs <= this.capProbs && B <= this.capB) return;
    this.capR = Math.max(R, this.capR);
    this.capProbs = Math.max(probs, this.capProbs);
    this.capB = Math.max(B, this.capB);
    const cR = this.capR;
    const f = (n: number) => new Float32Array(n);
    const alloc = <K extends string>(sizes: Record<K, number>) => Object.fromEntries(Object.entries(sizes).map(([k, n]) => [k, f(n as number)])) as Record<K, Float32Array>;
    const p = bufferPlan(this.cfg, cR, this.capB, this.capProbs).training;
    this.acts = [];
    let x: Float32Array = f(p.x);
    for (let l = 0; l < L; l++) {
      const a = alloc(p.layer);
      this.acts.push({ ...a, x, seeds: dropoutSeeds(0n, l) });
      x = a.y;
    }
    this.buf = { ...alloc(p.shared), h0: L ? this.acts[0].x : x, last: x };
    if (L === 0) this.buf.h0 = x;
  }

  /**
   * Plans inference buffers for B×T: a single layer's activations, since no layer's are needed
   * once the next has run — L times less memory than training's plan and a working set that stays
   * in cache from one layer to the next. No pre-activation either: GELU overwrites it.
   */
  private planInference(B: number, T: number): NonNullable<Encoder['inf']> {
    const R = B * T;
    if (this.inf && R <= this.inf.capR && B <= this.inf.capB) return this.inf;
    const cR = Math.max(R, this.inf?.capR ?? 0), cB = Math.max(B, this.inf?.capB ?? 0);
    const f = (n: number) => new Float32Array(n);
    const alloc = <K extends string>(sizes: Record<K, number>) => Object.fromEntries(Object.entries(sizes).map(([k, n]) => [k, f(n as number)])) as Record<K, Float32Array>;
    const p = bufferPlan(this.cfg, cR, cB, 0).inference;
    const none = f(0);
    const xs: [Float32Array, Float32Array] = [f(p.xs / 2), f(p.xs / 2)];
    const layer: LayerActs = {
      ...alloc(p.layer), x: xs[0], y: xs[1], probs: none, s1: none, mean1: none, rstd1: none, pre: none, s2: none, mean2: none, rstd2: none, seeds: dropoutSeeds(0n, 0),
    };
    const buf = alloc(p.shared);
    this.inf = { capR: cR, capB: cB, layer, xs, buf };
    return this.inf;
  }

  private v(name: string): Float32Array {
    return this.store.view(name);
  }
  private g(name: string): Float32Array {
    return this.store.grad(name);
  }

  /**
   * Runs the encoder. Returns the last hidden states [B·T, H] and, with a pooler, the pooled output
   * [B, H]; both are views valid until the next call. Dropout only when training, seeded by `seed`.
   */
  forward(batch: Batch, training: boolean, seed: bigint): { hidden: Float32Array; pooled: Float32Array | null } {
    const { B, T } = batch;
    const R = B * T;
    const { hidden_size: H, intermediate_size: I, num_attention_heads: NH, layer_norm_eps: eps } = this.cfg;
    if (training && this.packs) throw new BertError(`the packed ${this.packs.dtype} weights are for inference (they go stale as training updates the weights): setDtype('fp32') first; mixed-precision training is BertForTask.setTrainingDtype('bf16')`);
    if (T > this.cfg.max_position_embeddings) throw new BertError(`sequence length ${T} is over max_position_embeddings ${this.cfg.max_position_embeddings}`);
    const inf = training ? null : this.planInference(B, T);
    if (training) this.plan(B, T);
    const buf = inf ? inf.buf : this.buf;
    const L = this.cfg.num_hidden_layers;
    // training keeps every layer's activations for backward; inference reuses one set
    const layerActs = (l: number): LayerActs => inf ? { ...inf.layer, x: inf.xs[l % 2], y: inf.xs[(l + 1) % 2] } : this.acts[l];
    const stat = (a: Float32Array) => (inf ? null : a.subarray(0, R));
    this.batch = batch;
    this.training = training;
    const pH = training ? this.cfg.hidden_dropout_prob : 0;
    const pA = training ? this.cfg.attention_probs_dropout_prob : 0;
    const rows = (a: Float32Array, w: number) => a.subarray(0, R * w);
    const p = this.prefix;

    // embeddings
    if (this.posIds.length < R) this.posIds = new Int32Array(R);
    const pos = this.posIds.subarray(0, R);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) pos[b * T + t] = t;
    const emb = rows(buf.emb, H);
    checkIds(batch, this.cfg);
    native.embeddingForward(emb, batch.inputIds, this.v(`${p}embeddings.word_embeddings.weight`), R, H, this.cfg.vocab_size, false);
    native.embeddingForward(emb, pos, this.v(`${p}embeddings.position_embeddings.weight`), R, H, this.cfg.max_position_embeddings, true);
    native.embeddingForward(emb, batch.typeIds, this.v(`${p}embeddings.token_type_embeddings.weight`), R, H, this.cfg.type_vocab_size, true);
    const h0 = rows(inf ? inf.xs[0] : this.buf.h0, H);
    native.layerNormForward(h0, stat(this.buf.embMean), stat(this.buf.embRstd), emb,
      this.v(`${p}embeddings.LayerNorm.weight`), this.v(`${p}embeddings.LayerNorm.bias`), R, H, eps);
    this.embeddingSeed = subSeed(seed, 0, 0);
    if (pH > 0) native.dropoutForward(h0, h0, pH, this.embeddingSeed);

    const mask = buf.mask.subarray(0, R);
    for (let i = 0; i < R; i++) mask[i] = batch.attentionMask[i] ? 0 : MASK_VALUE;

    const attention = this.attention();
    for (let l = 0; l < L; l++) {
      const A = layerActs(l), n = layerNames(p, l);
      const x = rows(A.x, H), qkv = rows(A.qkv, 3 * H), ctx = rows(A.ctx, H), tmp = rows(buf.tmpH, H);
      const seeds = (A.seeds = dropoutSeeds(seed, l));
      this.linear(n.qw, this.store.span(this.store.params, n.qw, n.vw), x, R, 3 * H, H, qkv,
        this.store.span(this.store.params, n.qb, n.vb));
      attention.forward(ctx, training ? A.probs.subarray(0, B * NH * T * T) : null, qkv, mask, B, T, NH, H / NH, pA, seeds.attention);
      this.linear(n.ow, this.v(n.ow), ctx, R, H, H, tmp, this.v(n.ob));
      if (pH > 0) native.dropoutForward(tmp, tmp, pH, seeds.attentionOutput);
      const a = rows(A.a, H);
      native.residualLayerNormForward(a, inf ? null : rows(A.s1, H), stat(A.mean1), stat(A.rstd1), tmp, x,
        this.v(n.ln1w), this.v(n.ln1b), R, H, eps);
      const pre = rows(A.pre, I), act = rows(A.act, I);
      if (inf) {
        this.linear(n.iw, this.v(n.iw), a, R, I, H, act, this.v(n.ib), true);
      } else {
        this.linear(n.iw, this.v(n.iw), a, R, I, H, pre, null);
        native.biasGeluForward(act, pre, this.v(n.ib), R, I);
      }
      this.linear(n.outw, this.v(n.outw), act, R, H, I, tmp, this.v(n.outb));
      if (pH > 0) native.dropoutForward(tmp, tmp, pH, seeds.output);
      native.residualLayerNormForward(rows(A.y, H), inf ? null : rows(A.s2, H), stat(A.mean2), stat(A.rstd2), tmp, a,
        this.v(n.ln2w), this.v(n.ln2b), R, H, eps);
    }
    const hidden = rows(inf ? inf.xs[L % 2] : this.buf.last, H);
    let pooled: Float32Array | null = null;
    if (this.withPooler) {
      const cls = buf.cls.subarray(0, B * H);
      for (let b = 0; b < B; b++) cls.set(hidden.subarray(b * T * H, b * T * H + H), b * H);
      const pre = buf.pooledPre.subarray(0, B * H);
      this.linear(`${p}pooler.dense.weight`, this.v(`${p}pooler.dense.weight`), cls, B, H, H, pre, this.v(`${p}pooler.dense.bias`));
      pooled = buf.pooled.subarray(0, B * H);
      native.tanhForward(pooled, pre);
    }
    return { hidden, pooled };
  }

  /**
   * Backward from gradients of the last hidden states [B·T, H] and/or the pooled output [B, H].
   * dHidden is used as scratch (overwritten). Parameter gradients accumulate.
   */
  backward(dHidden: Float32Array | null, dPooled: Float32Array | null): void {
    const batch = this.batch;
    if (!batch || !this.training) throw new BertError('backward needs a training forward first');
    const { B, T } = batch;
    const R = B * T;
    const { hidden_size: H, intermediate_size: I, num_attention_heads: NH, hidden_dropout_prob: pH, attention_probs_dropout_prob: pA } = this.cfg;
    const p = this.prefix;
    const rows = (a: Float32Array, w: number) => a.subarray(0, R * w);
    const attention = this.attention();
    let dY = rows(this.buf.dA, H);
    if (dHidden) dY.set(dHidden.subarray(0, R * H));
    else dY.fill(0);

    if (this.withPooler && dPooled) {
      const pooled = this.buf.pooled.subarray(0, B * H), dPre = this.buf.pooledPre.subarray(0, B * H);
      native.tanhBackward(dPre, dPooled, pooled);
      const cls = this.buf.cls.subarray(0, B * H), dCls = this.buf.dCls.subarray(0, B * H);
      this.gemm(true, false, H, H, B, 1, dPre, cls, 1, this.g(`${p}pooler.dense.weight`), null);
      native.biasBackward(this.g(`${p}pooler.dense.bias`), dPre, B, H);
      this.gemm(false, false, B, H, H, 1, dPre, this.v(`${p}pooler.dense.weight`), 0, dCls, null);
      for (let b = 0; b < B; b++) {
        const row = dY.subarray(b * T * H, b * T * H + H);
        for (let j = 0; j < H; j++) row[j] += dCls[b * H + j];
      }
    }

    // the gradients complete so far, as ranges of the arena, for a data-parallel sum that overlaps
    // the rest of the backward pass: the heads and the pooler (the arena's tail), then each layer
    // from the top, then the embeddings (their word embeddings also hold the MLM decoder's share)
    const done = this.gradientsDone;
    const ranges = done ? this.gradientRanges() : [];
    const L = this.acts.length;
    if (done) done(...ranges[0]);

    let dX = rows(this.buf.dB, H);
    const dI = rows(this.buf.dI, I), dQKV = rows(this.buf.dQKV, 3 * H), tmp = rows(this.buf.tmpH, H);
    for (let l = this.acts.length - 1; l >= 0; l--) {
      const A = this.acts[l], n = layerNames(p, l);
      // y = LN2(s2), s2 = a + dropout(act·Woutᵀ + bout)
      const dA = dX; // receives ds2 (the residual path), then the FFN's contribution
      native.layerNormBackward(dA, this.g(n.ln2w), this.g(n.ln2b), dY, rows(A.s2, H), A.mean2.subarray(0, R), A.rstd2.subarray(0, R), this.v(n.ln2w), R, H, false);
      const dOut = tmp;
      if (pH > 0) native.dropoutBackward(dOut, dA, pH, A.seeds.output);
      else dOut.set(dA);
      this.gemm(true, false, H, I, R, 1, dOut, rows(A.act, I), 1, this.g(n.outw), null);
      native.biasBackward(this.g(n.outb), dOut, R, H);
      this.gemm(false, false, R, I, H, 1, dOut, this.v(n.outw), 0, dI, null); // d act
      native.geluBackward(dI, dI, rows(A.pre, I)); // d pre
      this.gemm(true, false, I, H, R, 1, dI, rows(A.a, H), 1, this.g(n.iw), null);
      native.biasBackward(this.g(n.ib), dI, R, I);
      this.gemm(false, false, R, H, I, 1, dI, this.v(n.iw), 1, dA, null); // dA += dpre·Wi
      // a = LN1(s1), s1 = x + dropout(ctx·Woᵀ + bo)
      const dXl = dY; // reuse: dY is no longer needed; receives ds1 (the residual path to x)
      native.layerNormBackward(dXl, this.g(n.ln1w), this.g(n.ln1b), dA, rows(A.s1, H), A.mean1.subarray(0, R), A.rstd1.subarray(0, R), this.v(n.ln1w), R, H, false);
      const dProj = tmp;
      if (pH > 0) native.dropoutBackward(dProj, dXl, pH, A.seeds.attentionOutput);
      else dProj.set(dXl);
      this.gemm(true, false, H, H, R, 1, dProj, rows(A.ctx, H), 1, this.g(n.ow), null);
      native.biasBackward(this.g(n.ob), dProj, R, H);
      const dCtx = dA; // dA is consumed: reuse for d ctx
      this.gemm(false, false, R, H, H, 1, dProj, this.v(n.ow), 0, dCtx, null);
      attention.backward(dQKV, dCtx, A.probs.subarray(0, B * NH * T * T), rows(A.qkv, 3 * H), B, T, NH, H / NH, pA, A.seeds.attention);
      this.gemm(true, false, 3 * H, H, R, 1, dQKV, rows(A.x, H), 1, this.store.span(this.store.grads, n.qw, n.vw), null);
      native.biasBackward(this.store.span(this.store.grads, n.qb, n.vb), dQKV, R, 3 * H);
      this.gemm(false, false, R, H, 3 * H, 1, dQKV, this.store.span(this.store.params, n.qw, n.vw), 1, dXl, null); // dx += dqkv·Wqkv
      // the layer's input gradient becomes the next (lower) layer's output gradient
      dY = dXl;
      dX = dA;
      if (done) done(...ranges[L - l]);
    }
    // embeddings: h0 = dropout(LN(word + position + type))
    if (pH > 0) native.dropoutBackward(dY, dY, pH, this.embeddingSeed);
    const dEmb = dX;
    native.layerNormBackward(dEmb, this.g(`${p}embeddings.LayerNorm.weight`), this.g(`${p}embeddings.LayerNorm.bias`), dY,
      rows(this.buf.emb, H), this.buf.embMean.subarray(0, R), this.buf.embRstd.subarray(0, R), this.v(`${p}embeddings.LayerNorm.weight`), R, H, false);
    native.embeddingBackward(this.g(`${p}embeddings.word_embeddings.weight`), dEmb, batch.inputIds, R, H, this.cfg.vocab_size, this.cfg.pad_token_id);
    native.embeddingBackward(this.g(`${p}embeddings.position_embeddings.weight`), dEmb, this.posIds.subarray(0, R), R, H, this.cfg.max_position_embeddings, -1);
    native.embeddingBackward(this.g(`${p}embeddings.token_type_embeddings.weight`), dEmb, batch.typeIds, R, H, this.cfg.type_vocab_size, -1);
    if (done) done(...ranges[L + 1]);
  }

  /**
   * The gradient arena in the order backward completes it: the tail after the last layer (pooler and
   * heads), each layer from the top, then the embeddings — one range each, together the whole arena.
   */
  gradientRanges(): [number, number][] {
    const p = this.prefix, L = this.cfg.num_hidden_layers, H = this.cfg.hidden_size;
    const start = (l: number) => this.store.offsets.get(layerNames(p, l).qw)!;
    const tail = L ? this.store.offsets.get(layerNames(p, L - 1).ln2b)! + H : this.store.offsets.get(`${p}embeddings.LayerNorm.bias`)! + H;
    const out: [number, number][] = [[tail, this.store.size]];
    for (let l = L - 1; l >= 0; l--) out.push([start(l), l + 1 < L ? start(l + 1) : tail]);
    out.push([0, L ? start(0) : tail]);
    return out;
  }
}

/**
 * Ids the embedding tables have no row for are named here, with what causes them: a vocab.txt longer
 * (or tokenizer.json) than config.json's vocab_size, or a text pair for a model with one segment (type_vocab_size 1).
 */
function checkIds(batch: Batch, cfg: BertConfig): void {
  let maxId = 0, maxType = 0;
  for (let i = 0; i < batch.inputIds.length; i++) if (batch.inputIds[i] > maxId) maxId = batch.inputIds[i];
  for (let i = 0; i < batch.typeIds.length; i++) if (batch.typeIds[i] > maxType) maxType = batch.typeIds[i];
  if (maxId >= cfg.vocab_size) {
    throw new BertError(`token id ${maxId} is past the model's ${cfg.vocab_size} embeddings: the vocabulary (vocab.txt, tokenizer.json) has more tokens than config.json's vocab_size`);
  }
  if (maxType >= cfg.type_vocab_size) {
    throw new BertError(`a text pair needs two segments, and this model has ${cfg.type_vocab_size} (type_vocab_size in config.json): give it single texts`);
  }
}

// What a head is: the part of a model after the encoder. Each head kind (one file beside this one)
// owns its parameters (HF's names), its forward from the encoder's outputs to logits, its loss and
// the logits' gradient, its backward into the encoder's outputs, and its ONNX outputs. BertForTask
// runs every head the same way: encoder forward → head forward → loss → head backward → encoder
// backward. heads/index.ts maps HF's architecture names to head kinds.
import type { BertConfig } from '../../config.js';
import type { NativeEngine } from '../../native.js';
import type { Batch } from '../encoder.js';
import type { ParamSpec, ParamStore } from '../params.js';

export type HeadKind = 'pretraining' | 'sequence' | 'token' | 'span' | 'choice';

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

/**
 * Data-parallel training's weights of each loss: this rank's count of what the loss averages over
 * (masked tokens, NSP pairs, labelled examples or tokens) ÷ the count over every rank, so that the
 * ranks' losses and gradients add up to the global batch's mean.
 */
export interface LossShares {
  mlm?: number;
  nsp?: number;
  head?: number;
}

export interface EncoderOutput {
  /** [B·T, H] */
  hidden: Float32Array;
  /** [B, H], when the architecture has a pooler */
  pooled: Float32Array | null;
}

export interface HeadLogits {
  /** [M,V] at the MLM rows; [B,L]; [B·T,L]; [B·T,2] for QA; [B/choices, choices] */
  logits: Float32Array | null;
  nspLogits?: Float32Array;
  /** MLM: the rows of hidden the logits are for */
  mlmRows?: Int32Array;
}

export interface HeadLoss {
  loss: number;
  /** the parts that add up to loss (mlm, nsp, start, end …) */
  parts: Record<string, number>;
}

/** The gradients a head's backward hands to the encoder. */
export interface EncoderGrads {
  dHidden: Float32Array | null;
  dPooled: Float32Array | null;
}

/** The pieces of an ONNX graph a head adds its outputs with (lib/io/onnx.ts builds them). */
export interface OnnxGraph {
  /** the encoder's last hidden state [batch, sequence, H] */
  hidden: string;
  /** the pooler's output [batch, H] (built on first use) */
  pooler(): string;
  linear(x: string, weight: string, bias: string): string;
  layerNorm(x: string, weight: string, bias: string): string;
  gelu(x: string): string;
  param(name: string): string;
  one(op: string, input: string[], attribute?: OnnxAttr[]): string;
  node(op: string, input: string[], attribute: OnnxAttr[], nOut: number): string[];
  /** an integer attribute (axis …) and an integer-list one (perm …) */
  int(name: string, i: number): OnnxAttr;
  ints(name: string, ints: number[]): OnnxAttr;
  constI(name: string, v: number[], dims?: number[]): string;
  /** the size of an input axis, as a 0-d int64 tensor */
  dim(axis: number): string;
  /** the encoder's tensor-name prefix ('bert.') */
  prefix: string;
}

export interface OnnxAttr {
  name: string;
  i?: number;
  ints?: number[];
  type: number;
}

/** An ONNX output: its name and its shape (names are dynamic axes). */
export interface OnnxOutput {
  name: string;
  shape: (string | number)[];
}

export interface HeadContext {
  cfg: BertConfig;
  store: ParamStore;
  /** the encoder's tensor-name prefix ('bert.', '' for a bare encoder) */
  prefix: string;
  numLabels: number;
}

export interface Head {
  readonly kind: HeadKind;
  /** whether the head reads the pooler's output */
  readonly pooled: boolean;
  /** ONNX inputs carry a choices axis [batch, choices, sequence] */
  readonly choices?: boolean;
  /** whether the head predicts tokens (fill-mask) */
  readonly maskedLm?: boolean;
  /** the GEMM of the head's large layers in training (float32 or mixed precision, as the encoder's) */
  setGemm(gemm: NativeEngine['gemm']): void;
  forward(enc: EncoderOutput, batch: Batch, training: boolean, seed: bigint, targets: Targets | null): HeadLogits;
  /**
   * The loss of the last forward against `targets` (null when they hold nothing this head learns
   * from). With `grad`, the logits' gradient (scaled by grad.scale and the rank's share) is kept for backward.
   */
  loss(targets: Targets, batch: Batch, grad: { scale: number } | null, shares?: LossShares): HeadLoss | null;
  /** Parameter gradients accumulate in the store; returns the encoder outputs' gradients. */
  backward(): EncoderGrads;
  onnx(g: OnnxGraph): [tensor: string, output: string][];
  onnxOutputs(): OnnxOutput[];
}

/** A head kind: its parameters and how to make one over a store that holds them. */
export interface HeadDef {
  kind: HeadKind;
  specs(ctx: Omit<HeadContext, 'store'>): ParamSpec[];
  create(ctx: HeadContext): Head;
}

/** Grows a reusable buffer to n floats; returns a view of n. */
export function grown(buf: { a: Float32Array }, n: number): Float32Array {
  if (buf.a.length < n) buf.a = new Float32Array(n);
  return buf.a.subarray(0, n);
}

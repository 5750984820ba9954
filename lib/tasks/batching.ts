// The one way examples go through a model outside training: sorted by length (least padding),
// collated by their family, one forward pass per batch that gives the loss (when labelled) and the
// logits together, and each example's outputs scattered back to input order. The server's batcher
// (lib/serve/batcher.ts) forms its batches across requests and runs each through runBatch.
import type { BertForTask } from '../model/bert.js';
import type { Batch } from '../model/encoder.js';
import { native } from '../native.js';
import type { AnyFamily } from './family.js';

/** A batch of token sequences padded to the longest: ids, segment ids and the attention mask. */
export function padBatch(xs: { ids: Int32Array; typeIds: Int32Array | Uint8Array }[], padId: number): Batch {
  const B = xs.length;
  let T = 0;
  for (const x of xs) T = Math.max(T, x.ids.length);
  const inputIds = new Int32Array(B * T).fill(padId), typeIds = new Int32Array(B * T), attentionMask = new Int32Array(B * T);
  xs.forEach((x, b) => {
    inputIds.set(x.ids, b * T);
    typeIds.set(x.typeIds, b * T);
    attentionMask.fill(1, b * T, b * T + x.ids.length);
  });
  return { B, T, inputIds, typeIds, attentionMask };
}

/** Indexes 0…n−1 by increasing length, ties in input order. */
export function lengthOrder(n: number, length: (i: number) => number): number[] {
  return Array.from({ length: n }, (_, i) => i).sort((a, b) => length(a) - length(b) || a - b);
}

export interface BatchRun<O> {
  /** the mean of the batches' losses weighted by their examples; NaN when unlabelled */
  loss: number;
  /** each example's outputs, in input order */
  outputs: O[];
}

/** One forward pass over one batch of a family's examples: the loss (NaN unlabelled) and each example's outputs, in the batch's order. */
export function runBatch<E, O>(model: BertForTask, family: AnyFamily, xs: E[], padId: number, labelled: boolean): { loss: number; outputs: O[] } {
  const { batch, targets } = family.collate(xs, padId, labelled);
  const r = model.step(batch, labelled ? targets : null, { training: false });
  return { loss: labelled ? r.loss : NaN, outputs: family.outputs(r, xs, batch) as O[] };
}

/** runBatches's loop, one batch per step of the generator. */
function* batchSteps<E, O>(model: BertForTask, family: AnyFamily, xs: E[], o: { batchSize: number; padId: number; labelled: boolean; onBatch?: (done: number) => void }, run: BatchRun<O>): Generator<void> {
  const order = lengthOrder(xs.length, (i) => family.length(xs[i]));
  let loss = 0;
  for (let i = 0; i < order.length; i += o.batchSize) {
    const idx = order.slice(i, i + o.batchSize);
    const b = idx.map((k) => xs[k]);
    const r = runBatch<E, O>(model, family, b, o.padId, o.labelled);
    if (o.labelled) loss += r.loss * b.length;
    const outs = r.outputs;
    idx.forEach((k, j) => (run.outputs[k] = outs[j]));
    o.onBatch?.(i + idx.length);
    yield;
  }
  run.loss = o.labelled ? loss / Math.max(1, xs.length) : NaN;
}

/** One pass over `xs`: the outputs of every example and, when `labelled`, the loss. */
export function runBatches<E, O>(model: BertForTask, family: AnyFamily, xs: E[], o: { batchSize: number; padId: number; labelled: boolean; onBatch?: (done: number) => void }): BatchRun<O> {
  const run: BatchRun<O> = { loss: NaN, outputs: new Array(xs.length) };
  for (const _ of batchSteps(model, family, xs, o, run)) void _;
  return run;
}

/**
 * runBatches with a turn of the event loop after every batch, for the commands a person waits on
 * (predict): a Ctrl-C, a closed pipe or a spinner's redraw is seen within one batch, not after the
 * whole chunk (thousands of texts) has run.
 */
export async function runBatchesYielding<E, O>(model: BertForTask, family: AnyFamily, xs: E[], o: { batchSize: number; padId: number; labelled: boolean; onBatch?: (done: number) => void }): Promise<BatchRun<O>> {
  const run: BatchRun<O> = { loss: NaN, outputs: new Array(xs.length) };
  for (const _ of batchSteps(model, family, xs, o, run)) await new Promise<void>((resolve) => setImmediate(resolve));
  return run;
}

/** Probabilities from scores, by the engine's softmax (float32, max-subtracted). */
export function softmax(scores: ArrayLike<number>): Float32Array {
  const x = Float32Array.from(scores), out = new Float32Array(x.length);
  if (x.length) native.softmaxForward(out, x, 1, x.length);
  return out;
}

/** The index of the largest value (the first, on ties). */
export function argmax(xs: ArrayLike<number>, from = 0, to = xs.length): number {
  let best = from;
  for (let i = from + 1; i < to; i++) if (xs[i] > xs[best]) best = i;
  return best - from;
}

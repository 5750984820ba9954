// Text embeddings from an encoder: the last hidden state at [CLS], the pooler output, the masked
// mean or the max of the last hidden states (padding excluded), or every token's vector.
import { BertError } from '../errors.js';
import type { BertForTask } from './bert.js';
import type { Batch } from './encoder.js';

export const POOLINGS = ['cls', 'pooler', 'mean', 'max', 'tokens'] as const;
export type Pooling = (typeof POOLINGS)[number];

/** Vectors for each row of the batch: [H] per text, or [T_b, H] per text with 'tokens'. */
export function embedBatch(model: BertForTask, batch: Batch, pooling: Pooling): Float32Array[] | Float32Array[][] {
  const { B, T } = batch;
  const H = model.cfg.hidden_size;
  const r = model.step(batch, null, { training: false });
  const h = r.hidden;
  const len = (b: number) => {
    let n = 0;
    for (let t = 0; t < T; t++) n += batch.attentionMask[b * T + t];
    return n;
  };
  if (pooling === 'tokens') return Array.from({ length: B }, (_, b) => Array.from({ length: len(b) }, (_, t) => h.slice((b * T + t) * H, (b * T + t + 1) * H)));
  if (pooling === 'pooler') {
    if (!r.pooled) throw new BertError('this model has no pooler');
    return Array.from({ length: B }, (_, b) => r.pooled!.slice(b * H, (b + 1) * H));
  }
  if (pooling === 'cls') return Array.from({ length: B }, (_, b) => h.slice(b * T * H, b * T * H + H));
  if (pooling === 'max') {
    // sentence-transformers' max pooling: per dimension, the largest value over the real tokens
    return Array.from({ length: B }, (_, b) => {
      const v = new Float32Array(H).fill(-Infinity);
      for (let t = 0; t < T; t++) {
        if (!batch.attentionMask[b * T + t]) continue;
        for (let j = 0; j < H; j++) v[j] = Math.max(v[j], h[(b * T + t) * H + j]);
      }
      return v;
    });
  }
  return Array.from({ length: B }, (_, b) => {
    const v = new Float32Array(H);
    let n = 0;
    for (let t = 0; t < T; t++) {
      if (!batch.attentionMask[b * T + t]) continue;
      n++;
      for (let j = 0; j < H; j++) v[j] += h[(b * T + t) * H + j];
    }
    for (let j = 0; j < H; j++) v[j] /= Math.max(1, n);
    return v;
  });
}

/** v scaled to unit L2 length, in place (sentence-transformers' Normalize: F.normalize, p = 2); a zero vector stays zero. */
export function unitLength(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] /= n;
  return v;
}

// The MLM head at work: the most likely tokens for each [MASK] in a text, with probabilities, and
// the text with each filled in (HF's fill-mask pipeline gives the same fields).
import { BertError } from '../errors.js';
import { native } from '../native.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import type { BertForTask } from './bert.js';

export interface FillCandidate {
  score: number;
  token: number;
  token_str: string;
  sequence: string;
}

/** For each [MASK] of `text` (in order), the top-k candidates. */
export function fillMask(model: BertForTask, tok: Tokenizer, text: string, topK = 5): FillCandidate[][] {
  if (!model.head?.maskedLm) throw new BertError(`a ${model.arch} has no MLM head`);
  const maskId = tok.vocab.special('[MASK]');
  const enc = tok.encode(text, null, { maxLength: model.cfg.max_position_embeddings });
  const positions = enc.ids.flatMap((id, i) => (id === maskId ? [i] : []));
  if (!positions.length) throw new BertError('the text has no [MASK] token', { hint: 'write [MASK] where a word should be predicted' });
  const T = enc.ids.length, V = model.cfg.vocab_size;
  const labels = new Int32Array(T).fill(-100);
  for (const p of positions) labels[p] = 0; // marks the rows to compute; the loss is not used
  const r = model.step({ B: 1, T, inputIds: Int32Array.from(enc.ids), typeIds: Int32Array.from(enc.typeIds), attentionMask: Int32Array.from(enc.attentionMask) },
    { mlmLabels: labels }, { training: false });
  const probs = new Float32Array(positions.length * V);
  native.softmaxForward(probs, r.logits!, positions.length, V);
  return positions.map((pos, k) => {
    const row = probs.subarray(k * V, (k + 1) * V);
    const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => row[b] - row[a]).slice(0, topK);
    return order.map((id) => {
      const ids = enc.ids.slice();
      ids[pos] = id;
      return { score: row[id], token: id, token_str: tok.decode([id]), sequence: tok.decode(ids, { skipSpecialTokens: true }) };
    });
  });
}

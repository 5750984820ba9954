// The model with dropout on, against a float64 reference that draws every mask itself: the same
// counter-based generator (lib/rng.ts, bit for bit the native one), each site's seed written out here
// as the design fixes it — the embeddings' subSeed(seed, 0, 0); layer l's attention probabilities,
// attention output and FFN output subSeed(seed, l+1, 1|2|3); the classifier's input
// subSeed(seed, 1e6). The forward loss must match (a site drawn with another's seed fails), and every
// probed gradient must match central finite differences of the reference loss with the masks fixed
// (a backward that regenerates a mask from another site's seed fails). The parity and training-core
// tests run with dropout 0, so they could not see either.
import { describe, expect, it } from 'vitest';
import { presetConfig, validateConfig } from '../../lib/config.js';
import { BertForTask } from '../../lib/model/bert.js';
import { layerNames, MASK_VALUE } from '../../lib/model/encoder.js';
import { subSeed } from '../../lib/rng.js';
import { numericGrad } from '../helpers/finite-diff.js';
import { mulberry32 } from '../helpers/random.js';
import { attentionRef, crossEntropyRef, dropoutRef, gelu, gemmRef, layerNormRef } from '../helpers/reference.js';

const P = 0.3;
const cfg = validateConfig({
  ...presetConfig('tiny', 20), hidden_size: 8, num_attention_heads: 2, intermediate_size: 16, num_hidden_layers: 2,
  max_position_embeddings: 8, hidden_dropout_prob: P, attention_probs_dropout_prob: P, id2label: { 0: 'a', 1: 'b', 2: 'c' },
});
const B = 2, T = 5, H = cfg.hidden_size, I = cfg.intermediate_size, NH = cfg.num_attention_heads;
const batch = {
  B, T,
  inputIds: Int32Array.from([2, 7, 11, 5, 3, 2, 9, 3, 0, 0]),
  typeIds: Int32Array.from([0, 0, 0, 1, 1, 0, 0, 0, 0, 0]),
  attentionMask: Int32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]),
};
const labels = Int32Array.from([2, 0]);
const SEED = 0x5eedn;

/** BertForSequenceClassification's training loss in float64, every dropout mask drawn here. */
function referenceLoss(w: (name: string) => Float64Array, seed: bigint): number {
  const R = B * T, ln = (x: ArrayLike<number>, name: string) => layerNormRef(x, w(`${name}.weight`), w(`${name}.bias`), R, H, cfg.layer_norm_eps).out;
  const word = w('bert.embeddings.word_embeddings.weight'), pos = w('bert.embeddings.position_embeddings.weight'), type = w('bert.embeddings.token_type_embeddings.weight');
  const emb = new Float64Array(R * H);
  for (let r = 0; r < R; r++) for (let c = 0; c < H; c++) emb[r * H + c] = word[batch.inputIds[r] * H + c] + pos[(r % T) * H + c] + type[batch.typeIds[r] * H + c];
  let x = dropoutRef(ln(emb, 'bert.embeddings.LayerNorm'), P, subSeed(seed, 0, 0));
  const mask = Float64Array.from(batch.attentionMask, (m) => (m ? 0 : MASK_VALUE));
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    const n = layerNames('bert.', l);
    const wqkv = Float64Array.from([...w(n.qw), ...w(n.kw), ...w(n.vw)]), bqkv = Float64Array.from([...w(n.qb), ...w(n.kb), ...w(n.vb)]);
    const qkv = gemmRef(false, true, R, 3 * H, H, 1, x, wqkv, 0, [], bqkv);
    const ctx = attentionRef(qkv, mask, B, T, NH, H / NH, P, subSeed(seed, l + 1, 1)).out;
    const proj = dropoutRef(gemmRef(false, true, R, H, H, 1, ctx, w(n.ow), 0, [], w(n.ob)), P, subSeed(seed, l + 1, 2));
    const a = ln(x.map((v, i) => v + proj[i]), n.ln1w.replace(/\.weight$/, ''));
    const act = gemmRef(false, true, R, I, H, 1, a, w(n.iw), 0, [], w(n.ib)).map(gelu);
    const out = dropoutRef(gemmRef(false, true, R, H, I, 1, act, w(n.outw), 0, [], w(n.outb)), P, subSeed(seed, l + 1, 3));
    x = ln(a.map((v, i) => v + out[i]), n.ln2w.replace(/\.weight$/, ''));
  }
  const cls = new Float64Array(B * H);
  for (let b = 0; b < B; b++) cls.set(x.subarray(b * T * H, b * T * H + H), b * H);
  const pooled = gemmRef(false, true, B, H, H, 1, cls, w('bert.pooler.dense.weight'), 0, [], w('bert.pooler.dense.bias')).map(Math.tanh);
  const logits = gemmRef(false, true, B, 3, H, 1, dropoutRef(pooled, P, subSeed(seed, 1_000_000)), w('classifier.weight'), 0, [], w('classifier.bias'));
  return crossEntropyRef(logits, labels, B, 3).loss;
}

describe('dropout on: every site has its own mask, and backward uses the mask forward drew', () => {
  const model = new BertForTask(cfg, 'BertForSequenceClassification');
  model.initialize(7);
  // larger weights than BERT's 0.02, so that every path carries a gradient finite differences resolve
  const rand = mulberry32(11);
  for (const s of model.store.specs) if (s.init.startsWith('normal')) model.store.view(s.name).forEach((_, i, a) => (a[i] = (rand() - 0.5) * 0.8));
  const params = new Map(model.store.specs.map((s) => [s.name, Float64Array.from(model.store.view(s.name))]));
  model.store.zeroGrad();
  const r = model.step(batch, { labels }, { training: true, backward: true, seed: SEED });

  it('the loss is the reference\'s, with dropout changing it', () => {
    const ref = referenceLoss((n) => params.get(n)!, SEED);
    expect(Math.abs(r.loss - ref)).toBeLessThan(1e-5);
    expect(Math.abs(ref - referenceLoss((n) => params.get(n)!, SEED + 1n))).toBeGreaterThan(1e-3); // the masks matter
  });

  const probed = [
    'bert.embeddings.word_embeddings.weight', 'bert.embeddings.LayerNorm.weight',
    ...[0, 1].flatMap((l) => { const n = layerNames('bert.', l); return [n.qw, n.vw, n.ow, n.ln1w, n.iw, n.outw, n.ln2b]; }),
    'bert.pooler.dense.weight', 'classifier.weight',
  ];
  it.each(probed)('%s: the gradient matches finite differences of the reference', (name) => {
    const x = params.get(name)!;
    const pick = mulberry32(name.length * 31 + 5);
    // word embeddings: rows of ids in the batch; elsewhere a spread of the tensor
    const candidates = name.includes('word_embeddings') ? [...new Set(batch.inputIds)].flatMap((id) => Array.from({ length: H }, (_, c) => id * H + c)) : Array.from(x.keys());
    const idx = Array.from({ length: 8 }, () => candidates[Math.floor(pick() * candidates.length)]);
    const fd = numericGrad((v) => referenceLoss((n) => (n === name ? v : params.get(n)!), SEED), x, idx, 1e-6);
    const g = model.store.grad(name);
    for (const i of idx) expect(Math.abs(g[i] - fd[i]), `${name}[${i}]: ${g[i]} vs ${fd[i]}`).toBeLessThan(2e-4 + 1e-2 * Math.abs(fd[i]));
  });
});

// Writes a model directory with bert-cli (a small BertForPreTraining, initialised and trained a few
// AdamW steps so no tensor is at its initial value) plus reference-batch.json and
// reference-outputs.safetensors: what bert-cli computes for that batch. Then
//   /usr/bin/python3 tools/make-model-fixtures.py --check DIR
// loads the directory with the PyTorch reference and compares.
// Run: npx tsx tools/export-for-reference.ts DIR
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { presetConfig, validateConfig } from '../lib/config.js';
import { writeSafetensors } from '../lib/io/safetensors.js';
import { saveModelDir } from '../lib/model-dir/model-dir.js';
import { BertForTask } from '../lib/model/bert.js';
import { AdamW } from '../lib/train/optimizer.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: tools/export-for-reference.ts DIR');
const cfg = validateConfig({ ...presetConfig('tiny', 120), hidden_size: 64, num_attention_heads: 4, intermediate_size: 128, max_position_embeddings: 32 });
const m = new BertForTask(cfg, 'BertForPreTraining');
m.initialize(11);
const B = 2, T = 9;
const batch = {
  B, T,
  inputIds: Int32Array.from({ length: B * T }, (_, i) => (i * 37 + 5) % 119 + 1),
  typeIds: Int32Array.from({ length: B * T }, (_, i) => (i % T >= 5 ? 1 : 0)),
  attentionMask: Int32Array.from({ length: B * T }, (_, i) => (i >= T + 6 ? 0 : 1)),
};
const mlmLabels = new Int32Array(B * T).fill(-100);
mlmLabels[2] = 7; mlmLabels[11] = 50;
const opt = new AdamW(m.store, { lr: 1e-2 });
for (let s = 0; s < 3; s++) {
  m.store.zeroGrad();
  m.step(batch, { mlmLabels, nspLabels: Int32Array.from([0, 1]) }, { training: true, backward: true, seed: BigInt(s) });
  opt.step(1e-2);
}
saveModelDir(dir, m, null);
const all = Int32Array.from({ length: B * T }, () => 0); // every row is a prediction row
const r = m.step(batch, { mlmLabels: all }, { training: false });
writeSafetensors(join(dir, 'reference-outputs.safetensors'), [
  ['sequence_output', { shape: [B, T, cfg.hidden_size], data: r.hidden }],
  ['pooled_output', { shape: [B, cfg.hidden_size], data: r.pooled! }],
  ['mlm_logits', { shape: [B, T, cfg.vocab_size], data: r.logits! }],
  ['nsp_logits', { shape: [B, 2], data: r.nspLogits! }],
]);
writeFileSync(join(dir, 'reference-batch.json'), JSON.stringify({
  B, T, input_ids: Array.from(batch.inputIds), token_type_ids: Array.from(batch.typeIds), attention_mask: Array.from(batch.attentionMask),
}));
console.log(`wrote ${dir}`);

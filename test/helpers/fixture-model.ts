// A PyTorch fixture directory (tools/make-model-fixtures.py) as the dtype tests read it: its config,
// padded batch, PyTorch's outputs, and a fresh BertModel with its weights on each call.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig, type BertConfig } from '../../lib/config.js';
import { loadTensors } from '../../lib/io/checkpoint.js';
import { readSafetensors, type Tensor } from '../../lib/io/safetensors.js';
import { BertForTask } from '../../lib/model/bert.js';
import type { Batch } from '../../lib/model/encoder.js';

export function fixtureModel(name: string): { cfg: BertConfig; batch: Batch; expected: Map<string, Tensor>; model: () => BertForTask } {
  const dir = join(import.meta.dirname, '..', 'fixtures', name);
  const cfg = validateConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
  const b = JSON.parse(readFileSync(join(dir, 'batch.json'), 'utf8'));
  const batch: Batch = { B: b.B, T: b.T, inputIds: Int32Array.from(b.input_ids), typeIds: Int32Array.from(b.token_type_ids), attentionMask: Int32Array.from(b.attention_mask) };
  const expected = readSafetensors(join(dir, 'expected.safetensors'));
  const model = () => {
    const m = new BertForTask(cfg, 'BertModel');
    loadTensors(m.store, readSafetensors(join(dir, 'model.safetensors')), dir);
    return m;
  };
  return { cfg, batch, expected, model };
}

// Parity with a reference BERT in PyTorch (tools/make-model-fixtures.py, HF's arithmetic and tensor
// names): the same checkpoint and padded batch give the same sequence and pooled outputs, every
// head's logits and losses (1e-4 max abs), the same gradient for every parameter after one training
// step (1e-3 relative to each tensor's largest entry), and five AdamW steps land on the same
// parameters (1e-4), with dropout off.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { validateConfig } from '../../lib/config.js';
import { loadTensors } from '../../lib/io/checkpoint.js';
import { readSafetensors } from '../../lib/io/safetensors.js';
import { BertForTask, type Architecture } from '../../lib/model/bert.js';
import type { Batch } from '../../lib/model/encoder.js';
import { embedBatch, unitLength } from '../../lib/model/embed.js';
import { AdamW } from '../../lib/train/optimizer.js';
import { expectClose } from '../helpers/compare.js';

const FIX = join(import.meta.dirname, '..', 'fixtures');

function fixture(name: string) {
  const dir = join(FIX, name);
  const cfg = validateConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
  const b = JSON.parse(readFileSync(join(dir, 'batch.json'), 'utf8'));
  const batch: Batch = {
    B: b.B, T: b.T,
    inputIds: Int32Array.from(b.input_ids), typeIds: Int32Array.from(b.token_type_ids), attentionMask: Int32Array.from(b.attention_mask),
  };
  const weights = readSafetensors(join(dir, 'model.safetensors'));
  const expected = readSafetensors(join(dir, 'expected.safetensors'));
  const model = (arch: Architecture) => {
    const m = new BertForTask(cfg, arch);
    const rep = loadTensors(m.store, weights, dir);
    expect(rep.missing).toEqual([]);
    return m;
  };
  return { dir, cfg, b, batch, expected, model, weights };
}

const tensor = (m: Map<string, { data: Float32Array }>, name: string) => m.get(name)!.data;

function expectGrads(model: BertForTask, grads: Map<string, { data: Float32Array }>) {
  for (const spec of model.store.specs) {
    const want = grads.get(spec.name)!.data;
    let scale = 0;
    for (const v of want) scale = Math.max(scale, Math.abs(v));
    expectClose(model.store.grad(spec.name), want, { atol: 1e-3 * Math.max(scale, 1e-6) + 1e-7 }, `grad ${spec.name}`);
  }
}

describe.each(['model-tiny', 'model-vocab30522'])('parity with the PyTorch reference: %s', (name) => {
  const f = fixture(name);
  const full = name === 'model-tiny';

  it('sequence output, pooled output, MLM and NSP logits, pretraining loss and every gradient', () => {
    const m = f.model('BertForPreTraining');
    m.store.zeroGrad();
    const mlmLabels = Int32Array.from(f.b.mlm_labels);
    const r = m.step(f.batch, { mlmLabels, nspLabels: Int32Array.from(f.b.nsp_labels) }, { training: true, backward: true });
    expectClose(r.hidden, tensor(f.expected, 'sequence_output'), { atol: 1e-4 }, 'sequence output');
    expectClose(r.pooled!, tensor(f.expected, 'pooled_output'), { atol: 1e-4 }, 'pooled output');
    expectClose(r.nspLogits!, tensor(f.expected, 'nsp_logits'), { atol: 1e-4 }, 'NSP logits');
    const V = f.cfg.vocab_size, allMlm = tensor(f.expected, 'mlm_logits');
    const want = full ? Float32Array.from(Array.from(r.mlmRows!).flatMap((row) => Array.from(allMlm.subarray(row * V, row * V + V)))) : allMlm;
    expectClose(r.logits!, want, { atol: 1e-4 }, 'MLM logits at the masked rows');
    expect(Math.abs(r.loss - f.b.losses.pretraining)).toBeLessThan(1e-4 * Math.max(1, f.b.losses.pretraining));
    expectGrads(m, readSafetensors(join(f.dir, 'grads-pretraining.safetensors')));
  });

  it('sentence embeddings as sentence-transformers computes them: mean pooling then Normalize, and max pooling', () => {
    const m = f.model('BertModel');
    const mean = (embedBatch(m, f.batch, 'mean') as Float32Array[]).map(unitLength);
    const max = embedBatch(m, f.batch, 'max') as Float32Array[];
    expectClose(Float32Array.from(mean.flatMap((v) => Array.from(v))), tensor(f.expected, 'sentence_embedding_mean'), { atol: 1e-5 }, 'mean + normalize');
    expectClose(Float32Array.from(max.flatMap((v) => Array.from(v))), tensor(f.expected, 'sentence_embedding_max'), { atol: 1e-4 }, 'max');
  });

  // the fixtures for these were written for model-tiny only
  it.skipIf(!full)('MLM logits at every row, padding included (inference)', () => {
    const m = f.model('BertForMaskedLM');
    const r = m.step(f.batch, null, { training: false });
    expectClose(r.logits!, tensor(f.expected, 'mlm_logits'), { atol: 1e-4 }, 'MLM logits');
  });

  it('classification, token classification and QA logits and losses', () => {
    const cls = f.model('BertForSequenceClassification');
    const rc = cls.step(f.batch, { labels: Int32Array.from(f.b.labels) }, { training: false });
    expectClose(rc.logits!, tensor(f.expected, 'cls_logits'), { atol: 1e-4 }, 'classification logits');
    expect(Math.abs(rc.loss - f.b.losses.classification)).toBeLessThan(1e-4);
    const tok = f.model('BertForTokenClassification');
    const rt = tok.step(f.batch, { labels: Int32Array.from(f.b.token_labels) }, { training: false });
    expectClose(rt.logits!, tensor(f.expected, 'tok_logits'), { atol: 1e-4 }, 'token logits');
    expect(Math.abs(rt.loss - f.b.losses.token_classification)).toBeLessThan(1e-4);
    const qa = f.model('BertForQuestionAnswering');
    const rq = qa.step(f.batch, { startPositions: Int32Array.from(f.b.start_positions), endPositions: Int32Array.from(f.b.end_positions) }, { training: false });
    expectClose(rq.logits!, tensor(f.expected, 'qa_logits'), { atol: 1e-4 }, 'QA logits');
    expect(Math.abs(rq.loss - f.b.losses.question_answering)).toBeLessThan(1e-4);
    // multiple choice: the batch's 3 rows are the choices of one example; its classifier is stored as mc.*
    const mc = new BertForTask(f.cfg, 'BertForMultipleChoice');
    const renamed = new Map([...f.weights].filter(([k]) => !k.startsWith('classifier.')).map(([k, t]) => [k.replace(/^mc\./, ''), t] as const));
    expect(loadTensors(mc.store, renamed, f.dir).missing).toEqual([]);
    const rm = mc.step(f.batch, { labels: Int32Array.from(f.b.choice_labels) }, { training: false });
    expectClose(rm.logits!, tensor(f.expected, 'choice_logits'), { atol: 1e-4 }, 'choice logits');
    expect(Math.abs(rm.loss - f.b.losses.multiple_choice)).toBeLessThan(1e-4);
  });

  it.skipIf(!full)('classification gradients, and five AdamW steps match torch.optim.AdamW', () => {
    const m = f.model('BertForSequenceClassification');
    m.store.zeroGrad();
    const labels = Int32Array.from(f.b.labels);
    m.step(f.batch, { labels }, { training: true, backward: true });
    expectGrads(m, readSafetensors(join(f.dir, 'grads-classification.safetensors')));
    const opt = new AdamW(m.store, { lr: 1e-3, weightDecay: 0.01 });
    const losses: number[] = [];
    for (let s = 0; s < 5; s++) {
      m.store.zeroGrad();
      losses.push(m.step(f.batch, { labels }, { training: true, backward: true }).loss);
      opt.step(1e-3);
    }
    for (let s = 0; s < 5; s++) expect(Math.abs(losses[s] - f.b.losses.adamw[s])).toBeLessThan(1e-4);
    const after = readSafetensors(join(f.dir, 'adamw-5-steps.safetensors'));
    for (const spec of m.store.specs) expectClose(m.store.view(spec.name), after.get(spec.name)!.data, { atol: 1e-4 }, `param ${spec.name}`);
  });
});

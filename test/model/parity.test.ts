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
import { BertForTask, type Architecture, type Targets } from '../../lib/model/bert.js';
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

function expectGrads(model: BertForTask, grads: Map<string, { data: Float32Array }>, rename: (name: string) => string = (n) => n) {
  // 1e-3 of each tensor's largest entry; a tensor whose gradient is zero in exact arithmetic (the
  // key bias: softmax ignores a constant added to every score) is float32 noise on both sides, held
  // to 1e-6 of the largest gradient of any tensor instead
  let global = 0;
  for (const [, t] of grads) for (const v of t.data) global = Math.max(global, Math.abs(v));
  for (const spec of model.store.specs) {
    const got = grads.get(rename(spec.name));
    if (!got) throw new Error(`the reference has no gradient for ${spec.name}`);
    const want = got.data;
    let scale = 0;
    for (const v of want) scale = Math.max(scale, Math.abs(v));
    expectClose(model.store.grad(spec.name), want, { atol: Math.max(1e-3 * scale, 1e-6 * global) + 1e-7 }, `grad ${spec.name}`);
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

  // every head kind (heads/*.ts) against PyTorch: loss, logits' path and every parameter gradient.
  // The reference keeps the multiple-choice and regression classifiers under mc.* and reg.*.
  const headCases: { name: string; arch: Architecture; config?: Record<string, unknown>; tensors?: string; targets: () => Targets }[] = [
    { name: 'masked_lm', arch: 'BertForMaskedLM', targets: () => ({ mlmLabels: Int32Array.from(f.b.mlm_labels) }) },
    { name: 'token_classification', arch: 'BertForTokenClassification', targets: () => ({ labels: Int32Array.from(f.b.token_labels) }) },
    { name: 'question_answering', arch: 'BertForQuestionAnswering', targets: () => ({ startPositions: Int32Array.from(f.b.start_positions), endPositions: Int32Array.from(f.b.end_positions) }) },
    { name: 'multiple_choice', arch: 'BertForMultipleChoice', tensors: 'mc.', targets: () => ({ labels: Int32Array.from(f.b.choice_labels) }) },
    { name: 'regression', arch: 'BertForSequenceClassification', tensors: 'reg.', config: { id2label: { 0: 'LABEL_0' }, label2id: { LABEL_0: 0 }, problem_type: 'regression' }, targets: () => ({ floatLabels: Float32Array.from(f.b.regression_targets) }) },
    { name: 'multi_label', arch: 'BertForSequenceClassification', config: { problem_type: 'multi_label_classification' }, targets: () => ({ floatLabels: Float32Array.from(f.b.multilabel_targets) }) },
  ];
  it.skipIf(!full).each(headCases)('$name head ($arch): loss and every parameter gradient', (c) => {
    const m = new BertForTask(validateConfig({ ...f.cfg, ...c.config }), c.arch);
    const prefix = c.tensors;
    const rename = (n: string) => (prefix && n.startsWith('classifier.') ? prefix + n : n);
    const renamed = new Map([...f.weights].filter(([k]) => !prefix || !k.startsWith('classifier.')).map(([k, t]) => [prefix && k.startsWith(prefix) ? k.slice(prefix.length) : k, t] as const));
    expect(loadTensors(m.store, renamed, f.dir).missing).toEqual([]);
    m.store.zeroGrad();
    const r = m.step(f.batch, c.targets(), { training: true, backward: true });
    const want = f.b.losses.heads[c.name];
    expect(Math.abs(r.loss - want), `${c.name} loss ${r.loss} vs ${want}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(want)));
    expectGrads(m, readSafetensors(join(f.dir, `grads-${c.name.replaceAll('_', '-')}.safetensors`)), rename);
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

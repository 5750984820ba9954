// The encoder's inference paths on the PyTorch fixtures. fp32 inference runs different code from
// training (buffers shared by all layers, GELU fused into the GEMM) and must give the same answer.
// bf16 (`--dtype bf16`): sequence and pooled
// outputs stay within the 5e-2 of the reference (bf16 keeps 8 bits of mantissa, so they
// differ: a path that silently ran fp32 would fail the "differs" check), switching back to fp32
// gives the fp32 answer bit for bit, and training refuses bf16.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { validateConfig } from '../../lib/config.js';
import { loadTensors } from '../../lib/io/checkpoint.js';
import { readSafetensors } from '../../lib/io/safetensors.js';
import { BertForTask } from '../../lib/model/bert.js';
import type { Batch } from '../../lib/model/encoder.js';
import { native } from '../../lib/native.js';
import { expectClose, maxAbsDiff } from '../helpers/compare.js';
import { fixtureModel } from '../helpers/fixture-model.js';

const FIX = join(import.meta.dirname, '..', 'fixtures');

describe.each(['model-tiny', 'model-vocab30522'])('bf16 inference on %s', (name) => {
  const { cfg, batch, expected, model } = fixtureModel(name);

  it('the fp32 inference path (one reused set of buffers, GELU inside the GEMM) matches PyTorch', () => {
    const m = model();
    const r = m.step(batch, null, { training: false });
    expectClose(r.hidden, expected.get('sequence_output')!.data, { atol: 1e-4 }, 'sequence output');
    expectClose(r.pooled!, expected.get('pooled_output')!.data, { atol: 1e-4 }, 'pooled output');
    // and a smaller batch after a larger one reuses the buffers without stale rows leaking in
    const one: Batch = { B: 1, T: batch.T, inputIds: batch.inputIds.subarray(0, batch.T), typeIds: batch.typeIds.subarray(0, batch.T), attentionMask: batch.attentionMask.subarray(0, batch.T) };
    const r1 = m.step(one, null, { training: false });
    expectClose(r1.hidden, expected.get('sequence_output')!.data.subarray(0, batch.T * cfg.hidden_size), { atol: 1e-4 }, 'first sequence alone');
  });

  it.skipIf(!native.bf16Supported())('stays within 5e-2 of PyTorch, differs from fp32, and switches back exactly', () => {
    const m = model();
    const fp32 = m.step(batch, null, { training: false });
    const h32 = fp32.hidden.slice(), p32 = fp32.pooled!.slice();
    expect(m.encoder.setDtype('bf16')).toBe('bf16');
    expect(m.encoder.dtype).toBe('bf16');
    const r = m.step(batch, null, { training: false });
    // padded positions included: HF computes them too
    expectClose(r.hidden, expected.get('sequence_output')!.data, { atol: 5e-2 }, 'bf16 sequence output');
    expectClose(r.pooled!, expected.get('pooled_output')!.data, { atol: 5e-2 }, 'bf16 pooled output');
    expect(maxAbsDiff(r.hidden, h32)).toBeGreaterThan(1e-5);
    expect(() => m.step(batch, null, { training: true })).toThrow(/inference/);
    expect(m.encoder.setDtype('fp32')).toBe('fp32');
    const back = m.step(batch, null, { training: false });
    expect(Buffer.from(back.hidden.buffer, back.hidden.byteOffset, back.hidden.byteLength).equals(Buffer.from(h32.buffer))).toBe(true);
    expect(Array.from(back.pooled!)).toEqual(Array.from(p32));
  });

  it.skipIf(native.bf16Supported())('falls back to fp32 without AVX512_BF16', () => {
    const m = model();
    expect(m.encoder.setDtype('bf16')).toBe('fp32');
    expect(m.encoder.dtype).toBe('fp32');
  });
});

// Mixed-precision training (`pretrain/finetune --dtype bf16`): every linear layer's GEMM — forward,
// input gradient and weight gradient — rounds its operands to bf16 and sums in float32; weights,
// gradients and AdamW stay float32. Against PyTorch's float32 gradients on the fixture, each
// parameter's gradient must point the same way (cosine ≥ 0.9995; measured ≥ 0.99991) and have the
// same size (within 2%; measured 0.64%), the loss within 0.1% (measured 0.015%); and it must not be
// fp32 in disguise, nor depend on the thread count.
describe.skipIf(!native.bf16Supported())('bf16 mixed-precision training on model-tiny', () => {
  const dir = join(FIX, 'model-tiny');
  const cfg = validateConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
  const b = JSON.parse(readFileSync(join(dir, 'batch.json'), 'utf8'));
  const batch: Batch = { B: b.B, T: b.T, inputIds: Int32Array.from(b.input_ids), typeIds: Int32Array.from(b.token_type_ids), attentionMask: Int32Array.from(b.attention_mask) };
  const targets = { mlmLabels: Int32Array.from(b.mlm_labels), nspLabels: Int32Array.from(b.nsp_labels) };
  const grads = readSafetensors(join(dir, 'grads-pretraining.safetensors'));
  const stepWith = (dtype: 'fp32' | 'bf16') => {
    const m = new BertForTask(cfg, 'BertForPreTraining');
    loadTensors(m.store, readSafetensors(join(dir, 'model.safetensors')), dir);
    expect(m.setTrainingDtype(dtype)).toBe(dtype);
    m.store.zeroGrad();
    const r = m.step(batch, targets, { training: true, backward: true });
    return { m, loss: r.loss, grads: m.store.grads.slice() };
  };

  it('gradients agree with PyTorch in direction and size, the loss within 0.1%', () => {
    const { m, loss } = stepWith('bf16');
    expect(Math.abs(loss - b.losses.pretraining)).toBeLessThan(1e-3 * b.losses.pretraining);
    let total = 0;
    for (const t of grads.values()) for (const v of t.data) total += v * v;
    for (const spec of m.store.specs) {
      const got = m.store.grad(spec.name), want = grads.get(spec.name)!.data;
      let dot = 0, gg = 0, ww = 0;
      for (let i = 0; i < want.length; i++) { dot += got[i] * want[i]; gg += got[i] ** 2; ww += want[i] ** 2; }
      // the key bias's gradient is zero in exact arithmetic (softmax ignores a per-row constant):
      // both sides are rounding noise there, far below every other gradient (bf16 attention's
      // backward puts ours at ~7e-10 of the total, from ~1e-11 with it in float32)
      if (ww < 1e-12 * total) { expect(gg, spec.name).toBeLessThan(1e-8 * total); continue; }
      expect(dot / Math.sqrt(gg * ww), `cosine ${spec.name}`).toBeGreaterThan(0.9995);
      expect(Math.abs(Math.sqrt(gg / ww) - 1), `norm ${spec.name}`).toBeLessThan(0.02);
    }
  });

  it('is not fp32, is the same on 1 thread and on all, and switches back to fp32 exactly', () => {
    const saved = native.numThreads();
    native.setNumThreads(1);
    const one = stepWith('bf16');
    native.setNumThreads(saved);
    const all = stepWith('bf16');
    expect(Buffer.from(all.grads.buffer).equals(Buffer.from(one.grads.buffer))).toBe(true);
    const fp32 = stepWith('fp32');
    expect(maxAbsDiff(all.grads, fp32.grads)).toBeGreaterThan(1e-6);
    expect(all.m.setTrainingDtype('fp32')).toBe('fp32');
    all.m.store.zeroGrad();
    all.m.step(batch, targets, { training: true, backward: true });
    expect(Buffer.from(all.m.store.grads.buffer, all.m.store.grads.byteOffset, all.m.store.grads.byteLength).equals(Buffer.from(fp32.grads.buffer))).toBe(true);
  });
});

describe.skipIf(native.bf16Supported())('bf16 training without AVX512_BF16', () => {
  it('falls back to fp32', () => {
    const cfg = validateConfig(JSON.parse(readFileSync(join(FIX, 'model-tiny', 'config.json'), 'utf8')));
    expect(new BertForTask(cfg, 'BertForPreTraining').setTrainingDtype('bf16')).toBe('fp32');
  });
});

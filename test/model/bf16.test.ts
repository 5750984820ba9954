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

const FIX = join(import.meta.dirname, '..', 'fixtures');

describe.each(['model-tiny', 'model-vocab30522'])('bf16 inference on %s', (name) => {
  const dir = join(FIX, name);
  const cfg = validateConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
  const b = JSON.parse(readFileSync(join(dir, 'batch.json'), 'utf8'));
  const batch: Batch = { B: b.B, T: b.T, inputIds: Int32Array.from(b.input_ids), typeIds: Int32Array.from(b.token_type_ids), attentionMask: Int32Array.from(b.attention_mask) };
  const expected = readSafetensors(join(dir, 'expected.safetensors'));
  const model = () => {
    const m = new BertForTask(cfg, 'BertModel');
    loadTensors(m.store, readSafetensors(join(dir, 'model.safetensors')), dir);
    return m;
  };

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

// int8 inference (`--dtype int8`) on the PyTorch fixtures: the encoder's linear layers quantized
// (weights per output channel, activations per row, int32 sums — the kernel's exactness is
// test/kernels/gemm-int8.test.ts's), everything else float32. Against PyTorch's float32 outputs the
// hidden states of the real tokens and the pooled output must point the same way (cosine ≥ 0.99, the
// issue's bar on base), it must not be fp32 in disguise, switching back gives the fp32 answer bit
// for bit, and training refuses the packed weights.
import { describe, it, expect } from 'vitest';
import { native } from '../../lib/native.js';
import { maxAbsDiff } from '../helpers/compare.js';
import { fixtureModel } from '../helpers/fixture-model.js';

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) (dot += a[i] * b[i]), (aa += a[i] ** 2), (bb += b[i] ** 2);
  return dot / Math.sqrt(aa * bb);
}

describe.each(['model-tiny', 'model-vocab30522'])('int8 inference on %s', (name) => {
  const { cfg, batch, expected, model } = fixtureModel(name);
  const H = cfg.hidden_size;

  it.skipIf(!native.int8Supported())('points where PyTorch does (cosine ≥ 0.99 per token), differs from fp32, switches back exactly', () => {
    const m = model();
    const fp32 = m.step(batch, null, { training: false });
    const h32 = fp32.hidden.slice(), p32 = fp32.pooled!.slice();
    expect(m.encoder.setDtype('int8')).toBe('int8');
    expect(m.encoder.dtype).toBe('int8');
    const r = m.step(batch, null, { training: false });
    const want = expected.get('sequence_output')!.data;
    for (let t = 0; t < batch.B * batch.T; t++) {
      if (!batch.attentionMask[t]) continue;
      expect(cosine(r.hidden.subarray(t * H, (t + 1) * H), want.subarray(t * H, (t + 1) * H)), `token ${t}`).toBeGreaterThan(0.99);
    }
    expect(cosine(r.pooled!, expected.get('pooled_output')!.data)).toBeGreaterThan(0.99);
    expect(maxAbsDiff(r.hidden, h32)).toBeGreaterThan(1e-4);
    expect(() => m.step(batch, null, { training: true })).toThrow(/packed int8 weights are for inference/);
    expect(m.encoder.setDtype('fp32')).toBe('fp32');
    const back = m.step(batch, null, { training: false });
    expect(Buffer.from(back.hidden.buffer, back.hidden.byteOffset, back.hidden.byteLength).equals(Buffer.from(h32.buffer))).toBe(true);
    expect(Array.from(back.pooled!)).toEqual(Array.from(p32));
  });

  it.skipIf(native.int8Supported())('falls back to fp32 without AVX512-VNNI', () => {
    const m = model();
    expect(m.encoder.setDtype('int8')).toBe('fp32');
  });
});

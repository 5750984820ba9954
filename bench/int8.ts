// int8 inference beside its peers, in one run on the same shapes and threads: bert-cli `--dtype int8`
// (the encoder's linear layers on vpdpbusd) against our own fp32 and bf16, ONNX Runtime on the int8
// graph of the same weights (`bert-cli export --dtype int8`'s model_quantized.onnx: ORT's
// quantize_dynamic layout, DynamicQuantizeLinear + MatMulInteger, weights per output channel — the
// one the product ships, reproduced by ORT to 2e-7 at one token in test/model/onnx-export.test.ts;
// no Python ORT here for its own quantize_dynamic) and on the fp32 graph, and PyTorch's
// torch.ao.quantization.quantize_dynamic (Debian's torch, in a child process, same shapes, its own
// random weights). Accuracy on the same weights: cosine and max |Δ| of the last hidden states
// against our fp32. Sequence length 128, random ids, no padding.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { presetConfig, type PresetName } from '../lib/config.js';
import { exportOnnx } from '../lib/io/onnx.js';
import { BertForTask } from '../lib/model/bert.js';
import { native } from '../lib/native.js';
import type { Row } from './table.js';
import { compareAsync } from './timing.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Ort = any;

function torchPeer(preset: PresetName, B: number, T: number, dtype: string): { seconds: number; engine?: string } | string {
  const c = presetConfig(preset, 30522);
  const args = ['infer', c.num_hidden_layers, c.hidden_size, c.num_attention_heads, 30522, B, T, preset === 'base' ? 5 : 20, native.numThreads(), dtype].map(String);
  const r = spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'peers', 'torch_bert.py'), ...args], { encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0) return /No module named 'torch'/.test(r.stderr ?? '') ? 'skipped (apt-get install python3-torch)' : `failed: ${(r.stderr ?? '').trim().split('\n').pop()}`;
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
  return { seconds: j.seconds_per_step, engine: j.quantized_engine ?? undefined };
}

function agreement(a: Float32Array, ref: Float32Array): { cosine: number; maxAbs: number } {
  let dot = 0, aa = 0, rr = 0, maxAbs = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * ref[i];
    aa += a[i] * a[i];
    rr += ref[i] * ref[i];
    maxAbs = Math.max(maxAbs, Math.abs(a[i] - ref[i]));
  }
  return { cosine: dot / Math.sqrt(aa * rr), maxAbs };
}

export async function benchInt8(opts: { quick: boolean }): Promise<{ rows: Row[]; raw: unknown[] }> {
  const rows: Row[] = [];
  const raw: unknown[] = [];
  if (!native.int8Supported()) return { rows: [{ job: 'int8 inference', result: 'skipped (no AVX512-VNNI)' }], raw };
  let ort: Ort | null = null;
  try {
    ort = createRequire(import.meta.url)('onnxruntime-node');
  } catch {
    rows.push({ job: 'ONNX Runtime', result: 'skipped (npm install onnxruntime-node)' });
  }
  const threads = native.numThreads();
  const T = 128;
  const jobs: [PresetName, number[]][] = opts.quick ? [['base', [8]]] : [['mini', [8, 32]], ['base', [8, 32]]];
  for (const [preset, batches] of jobs) {
    const m = new BertForTask(presetConfig(preset, 30522), 'BertModel');
    m.initialize(1);
    const copy = (dtype: 'bf16' | 'int8') => {
      const c = new BertForTask(m.cfg, 'BertModel');
      c.store.params.set(m.store.params);
      return c.encoder.setDtype(dtype) === dtype ? c : null;
    };
    const m16 = copy('bf16'), m8 = copy('int8')!;
    const sessionOpts = { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential' };
    const ort8 = ort ? await ort.InferenceSession.create(exportOnnx(m, { int8: true }), sessionOpts) : null;
    const ort32 = ort ? await ort.InferenceSession.create(exportOnnx(m), sessionOpts) : null;
    for (const B of batches) {
      const R = B * T;
      const ids = Int32Array.from({ length: R }, (_, i) => 1 + ((i * 7919) % 30000));
      const batch = { B, T, inputIds: ids, typeIds: new Int32Array(R), attentionMask: new Int32Array(R).fill(1) };
      const feeds = ort && {
        input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (x) => BigInt(x)), [B, T]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(R).fill(1n), [B, T]),
        token_type_ids: new ort.Tensor('int64', new BigInt64Array(R), [B, T]),
      };
      const fp32 = m.step(batch, null, { training: false }).hidden.slice();
      const ours8 = agreement(m8.step(batch, null, { training: false }).hidden, fp32);
      const theirs8 = ort8 ? agreement((await ort8.run(feeds)).last_hidden_state.data as Float32Array, fp32) : null;
      const cands: Record<string, () => unknown> = {
        fp32: () => m.step(batch, null, { training: false }),
        int8: () => m8.step(batch, null, { training: false }),
      };
      if (m16) cands.bf16 = () => m16.step(batch, null, { training: false });
      if (ort8) cands['ORT int8'] = () => ort8.run(feeds);
      if (ort32) cands['ORT fp32'] = () => ort32.run(feeds);
      const t = await compareAsync(cands, { rounds: opts.quick ? 3 : 5, minSeconds: 0.3 });
      const torch8 = torchPeer(preset, B, T, 'int8');
      const ms = (k: string) => (t[k] ? t[k].best * 1e3 : NaN);
      const torchS = typeof torch8 === 'string' ? NaN : torch8.seconds;
      rows.push({
        job: `${preset} ${B}×${T}`, 'int8 ms': ms('int8'), 'bf16 ms': ms('bf16'), 'fp32 ms': ms('fp32'),
        'ORT int8 ms': ms('ORT int8'), 'torch int8 ms': typeof torch8 === 'string' ? torch8 : torchS * 1e3,
        'int8 ÷ bf16 (≥ 1.5)': ms('bf16') / ms('int8'), 'vs ORT int8 (≥ 1.3)': ms('ORT int8') / ms('int8'),
        'vs torch int8 (≥ 1.3)': (torchS * 1e3) / ms('int8'), 'int8 cos vs fp32': ours8.cosine.toFixed(5), 'ORT int8 cos': theirs8?.cosine.toFixed(5) ?? '',
        'ORT fp32 ÷ ours fp32': ms('ORT fp32') / ms('fp32'),
      });
      raw.push({ preset, B, T, ms: Object.fromEntries(Object.keys(t).map((k) => [k, ms(k)])), torchInt8Ms: torchS * 1e3, torchEngine: typeof torch8 === 'string' ? torch8 : torch8.engine, ours8, theirs8 });
    }
    await ort8?.release();
    await ort32?.release();
  }
  return { rows, raw };
}

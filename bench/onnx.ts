// Inference beside ONNX Runtime (npm onnxruntime-node, CPU execution provider, graph optimisation
// ALL, intra-op threads = ours) on the same weights: a bert-cli BertModel (encoder + pooler, eval,
// fp32) is saved as a model directory and exported to ONNX by bench/peers/export_onnx.py (Debian's
// python3-torch; HF's BertModel op for op). Sequence length 128, random ids, no padding; batch 1
// (latency) and 8 / 32 (throughput), BERT-base and mini. Both answers are compared too: the outputs
// must agree (max abs difference printed) or the timing means nothing. A missing peer is skipped.
// Where the CPU has AVX512_BF16, our `--dtype bf16` path runs too, on a copy of the same weights:
// its time beside our fp32 (target ≥ 1.8× on base) and its largest difference from fp32.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { presetConfig, type PresetName } from '../lib/config.js';
import { saveModelDir } from '../lib/model-dir/model-dir.js';
import { BertForTask } from '../lib/model/bert.js';
import { native } from '../lib/native.js';
import type { Row } from './table.js';
import { compareAsync } from './timing.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Ort = any;

function loadOrt(): Ort | string {
  try {
    return createRequire(import.meta.url)('onnxruntime-node');
  } catch {
    return 'skipped (npm install onnxruntime-node)';
  }
}

function exportOnnx(dir: string, out: string): string | null {
  const r = spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'peers', 'export_onnx.py'), dir, out], { encoding: 'utf8', timeout: 600_000 });
  if (r.status === 0) return null;
  return /No module named 'torch'/.test(r.stderr ?? '') ? 'skipped (apt-get install python3-torch, for the export)' : `export failed: ${(r.stderr ?? '').trim().split('\n').pop()}`;
}

export async function benchOnnx(opts: { quick: boolean }): Promise<{ rows: Row[]; raw: unknown[]; peer: string }> {
  const ort = loadOrt();
  if (typeof ort === 'string') return { rows: [{ job: 'inference vs ONNX Runtime', result: ort }], raw: [], peer: ort };
  const threads = native.numThreads();
  const rows: Row[] = [];
  const raw: unknown[] = [];
  const jobs: [PresetName, number[]][] = opts.quick ? [['mini', [8]]] : [['mini', [1, 8, 32]], ['base', [1, 8, 32]]];
  const T = 128;
  for (const [preset, batches] of jobs) {
    const dir = mkdtempSync(join(tmpdir(), `bert-bench-onnx-${preset}-`));
    const m = new BertForTask(presetConfig(preset, 30522), 'BertModel');
    m.initialize(1);
    let m16: BertForTask | null = null;
    if (native.bf16Supported()) {
      m16 = new BertForTask(m.cfg, 'BertModel');
      m16.store.params.set(m.store.params);
      m16.encoder.setDtype('bf16');
    }
    saveModelDir(dir, m, null);
    const onnxPath = join(dir, 'model.onnx');
    const failed = existsSync('/usr/bin/python3') ? exportOnnx(dir, onnxPath) : 'skipped (no /usr/bin/python3)';
    if (failed) {
      rows.push({ job: `inference ${preset}`, result: failed });
      continue;
    }
    const t0 = process.hrtime.bigint();
    const session = await ort.InferenceSession.create(onnxPath, {
      executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
    });
    const createSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    rows.push({ job: `ORT session creation, ${preset}`, 'ORT ms': createSeconds * 1e3 });
    raw.push({ preset, createSeconds });
    for (const B of batches) {
      const R = B * T;
      const ids = Int32Array.from({ length: R }, (_, i) => 1 + ((i * 7919) % 30000));
      const batch = { B, T, inputIds: ids, typeIds: new Int32Array(R), attentionMask: new Int32Array(R).fill(1) };
      const feeds = {
        input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, (x) => BigInt(x)), [B, T]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(R).fill(1n), [B, T]),
        token_type_ids: new ort.Tensor('int64', new BigInt64Array(R), [B, T]),
      };
      const theirs = await session.run(feeds);
      const mine = m.step(batch, null, { training: false });
      let diff = 0;
      const a = theirs.last_hidden_state.data as Float32Array;
      for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - mine.hidden[i]));
      let diff16 = NaN;
      if (m16) {
        const h16 = m16.step(batch, null, { training: false }).hidden;
        diff16 = 0;
        for (let i = 0; i < h16.length; i++) diff16 = Math.max(diff16, Math.abs(h16[i] - mine.hidden[i]));
      }
      const cands: Record<string, () => unknown> = {
        'bert-cli': () => m.step(batch, null, { training: false }),
        'onnxruntime': () => session.run(feeds),
      };
      if (m16) cands['bf16'] = () => m16.step(batch, null, { training: false });
      const t = await compareAsync(cands, { rounds: opts.quick ? 3 : 5, minSeconds: 0.3 });
      const ours = t['bert-cli'].best, peer = t['onnxruntime'].best, b16 = m16 ? t['bf16'].best : NaN;
      rows.push({
        job: `inference ${preset}, ${B}×${T}`, 'bert-cli ms': ours * 1e3, 'ORT ms': peer * 1e3, 'seq/s bert-cli': B / ours, 'seq/s ORT': B / peer,
        'ratio (target ≥ 1.0)': peer / ours, 'max |Δ| hidden': diff.toExponential(1),
        'bf16 ms': m16 ? b16 * 1e3 : 'skipped (no AVX512_BF16)', 'bf16 ÷ fp32 (target ≥ 1.8)': m16 ? ours / b16 : '',
        'ORT ÷ bf16': m16 ? peer / b16 : '', 'bf16 max |Δ| vs fp32': m16 ? diff16.toExponential(1) : '',
      });
      raw.push({ preset, B, T, ours, peer, diff, bf16: m16 ? b16 : null, diff16: m16 ? diff16 : null });
    }
    await session.release();
  }
  return { rows, raw, peer: `onnxruntime-node ${createRequire(import.meta.url)('onnxruntime-node/package.json').version}` };
}

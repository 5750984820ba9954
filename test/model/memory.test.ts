// The memory count that lets training refuse a batch up front: checked against the buffers a real
// step allocates (encoder plan + parameter arenas + Adam), and the refusal as a user meets it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { presetConfig, validateConfig } from '../../lib/config.js';
import { saveModelDir } from '../../lib/model-dir/model-dir.js';
import { BertForTask } from '../../lib/model/bert.js';
import { memoryNeed } from '../../lib/model/memory.js';
import { AdamW } from '../../lib/train/optimizer.js';
import { Tokenizer } from '../../lib/tokenizer/tokenizer.js';
import { Vocab } from '../../lib/tokenizer/vocab.js';
import { runCli } from '../cli/helpers.js';

/** Bytes of every typed array reachable from `x` (each buffer once). */
function typedBytes(x: unknown, seen = new Set<ArrayBufferLike>(), depth = 0): number {
  if (!x || typeof x !== 'object' || depth > 4) return 0;
  if (ArrayBuffer.isView(x)) {
    if (seen.has(x.buffer)) return 0;
    seen.add(x.buffer);
    return x.buffer.byteLength;
  }
  return Object.values(x as Record<string, unknown>).reduce<number>((s, v) => s + typedBytes(v, seen, depth + 1), 0);
}

describe('memory count', () => {
  it('matches what a training step allocates within 10%', () => {
    for (const [B, T] of [[4, 32], [2, 64], [8, 16]]) {
      const cfg = validateConfig({ ...presetConfig('tiny', 3000), id2label: { 0: 'a', 1: 'b' }, label2id: { a: 0, b: 1 } });
      const m = new BertForTask(cfg, 'BertForSequenceClassification');
      m.initialize(1);
      const opt = new AdamW(m.store, { lr: 1e-4 });
      const R = B * T;
      m.step({ B, T, inputIds: Int32Array.from({ length: R }, (_, i) => 5 + (i % 2000)), typeIds: new Int32Array(R), attentionMask: new Int32Array(R).fill(1) },
        { labels: new Int32Array(B) }, { training: true, backward: true, seed: 1n });
      opt.step(1e-4);
      const seen = new Set<ArrayBufferLike>();
      const real = typedBytes(m.store, seen) + typedBytes(opt, seen) + typedBytes(m.encoder, seen);
      const est = memoryNeed(cfg, B, T, { training: true }).total;
      expect(est / real, `B=${B} T=${T}: estimate ${est}, allocated ${real}`).toBeGreaterThan(0.9);
      expect(est / real).toBeLessThan(1.1);
    }
  });

  it('base at 8 × 128 is about 2.4 GiB for fine-tuning (the memory bench measures RSS 1.03× of it)', () => {
    const need = memoryNeed(presetConfig('base', 30522), 8, 128, { training: true });
    expect(need.total / 2 ** 30).toBeGreaterThan(2.2);
    expect(need.total / 2 ** 30).toBeLessThan(2.6);
  });

  it('bf16 training counts its one buffer for the packed op(B): the largest of an FFN activation and the decoder', () => {
    const cfg = validateConfig(presetConfig('mini', 8000));
    const fp32 = memoryNeed(cfg, 32, 128, { training: true }), bf16 = memoryNeed(cfg, 32, 128, { training: true, bf16: true });
    expect(bf16.total - fp32.total).toBe(2 * 32 * 128 * 1024); // act [4096 × 1024] > embeddings [8000 × 256]
    const wide = validateConfig(presetConfig('mini', 30522));
    expect(memoryNeed(wide, 1, 8, { training: true, bf16: true }).total - memoryNeed(wide, 1, 8, { training: true }).total).toBe(2 * 30522 * 256);
  });

  it('a batch that cannot fit is refused up front with the estimate, naming --batch-size', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bert-cli-mem-'));
    const vocab = new Vocab(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'b']);
    const m = new BertForTask(validateConfig({ ...presetConfig('tiny', vocab.size) }), 'BertForPreTraining');
    saveModelDir(join(dir, 'm'), m, new Tokenizer(vocab));
    const data = join(dir, 'train.jsonl');
    writeFileSync(data, '{"text":"a b","label":"x"}\n{"text":"b a","label":"y"}\n');
    const r = runCli(['finetune', '--model', join(dir, 'm'), '--task', 'classify', '--train', data, '--out', join(dir, 'o'), '--batch-size', '4096', '--max-length', '512', '--quiet'],
      { env: { BERT_MEMORY_LIMIT: '2G' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bert-cli: error: fine-tuning needs about [\d.]+ GiB \(.*M parameters with gradients and Adam moments, [\d.]+ GiB for the activations of a batch of 4096 × 512 tokens\), more than the 2\.0 GiB this machine has, --batch-size \(a smaller --batch-size/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    const ok = runCli(['finetune', '--model', join(dir, 'm'), '--task', 'classify', '--train', data, '--out', join(dir, 'o'), '--epochs', '1', '--quiet'], { env: { BERT_MEMORY_LIMIT: '2G' } });
    expect(ok.code, ok.stderr).toBe(0);
  });
});

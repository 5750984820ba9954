// Model directories: what bert-cli writes reads back identically; HF's variants load (no `bert.`
// prefix, gamma/beta names, float16 and bfloat16 weights); a missing head is initialised and named;
// a pickle is refused; training state round-trips.
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, renameSync, writeFileSync, writeSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { presetConfig, validateConfig } from '../../lib/config.js';
import { formatError } from '../../lib/errors.js';
import { loadModelDir, saveModelDir, loadTrainingState } from '../../lib/model-dir/model-dir.js';
import { readSafetensors, writeSafetensors, type Tensor } from '../../lib/io/safetensors.js';
import { BertForTask } from '../../lib/model/bert.js';
import { Tokenizer } from '../../lib/tokenizer/tokenizer.js';
import { bertBaseUncasedVocabPath } from '../helpers/bert-vocab.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'model-tiny');
const tmp = () => mkdtempSync(join(tmpdir(), 'bert-cli-model-'));

function batchFor(V: number) {
  return { B: 2, T: 5, inputIds: Int32Array.from([1, 4, 7, 2, 9, 3, 5, 8, 0, 0].map((x) => x % V)), typeIds: new Int32Array(10), attentionMask: Int32Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]) };
}

describe('model directories', () => {
  it('a directory bert-cli writes loads back with identical outputs, in HF layout', () => {
    const cfg = presetConfig('tiny', 30522);
    const m = new BertForTask({ ...cfg, id2label: { 0: 'ham', 1: 'spam' }, label2id: { ham: 0, spam: 1 } }, 'BertForSequenceClassification');
    m.initialize(3);
    const dir = tmp();
    saveModelDir(dir, m, Tokenizer.fromVocabFile(bertBaseUncasedVocabPath()));
    for (const f of ['config.json', 'vocab.txt', 'tokenizer_config.json', 'model.safetensors']) expect(existsSync(join(dir, f))).toBe(true);
    const saved = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(saved.architectures).toEqual(['BertForSequenceClassification']);
    expect(saved.id2label).toEqual({ 0: 'ham', 1: 'spam' });
    expect(JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')).do_lower_case).toBe(true);
    const names = [...readSafetensors(join(dir, 'model.safetensors')).keys()];
    expect(names).toContain('bert.encoder.layer.1.attention.self.query.weight');
    expect(names).toContain('classifier.weight');
    const back = loadModelDir(dir);
    expect(back.model.arch).toBe('BertForSequenceClassification');
    expect(back.initialized).toEqual([]);
    const b = batchFor(30522);
    expect(back.model.step(b, null, { training: false }).logits).toEqual(m.step(b, null, { training: false }).logits);
    expect(back.tokenizer!.encode('hello world').ids).toEqual([101, 7592, 2088, 102]);
  });

  it('loads HF variants: no bert. prefix, gamma/beta, float16 and bfloat16', () => {
    const orig = readSafetensors(join(FIX, 'model.safetensors'));
    const renamed: [string, Tensor][] = [];
    for (const [k, t] of orig) {
      if (!k.startsWith('bert.')) continue;
      renamed.push([k.slice(5).replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta'), t]);
    }
    const dir = tmp();
    copyFileSync(join(FIX, 'config.json'), join(dir, 'config.json'));
    writeSafetensors(join(dir, 'model.safetensors'), renamed);
    const ref = new BertForTask(loadModelDir(FIX).cfg, 'BertModel');
    const a = loadModelDir(dir, { arch: 'BertModel' });
    expect(a.initialized).toEqual([]);
    ref.store.params.set(a.model.store.params);
    // half precision: write the same tensors as F16 and BF16 by hand and compare after widening
    for (const dtype of ['F16', 'BF16'] as const) {
      const header: Record<string, unknown> = {};
      const parts: Buffer[] = [];
      let off = 0;
      for (const [k, t] of renamed) {
        const buf = Buffer.alloc(t.data.length * 2);
        t.data.forEach((v, i) => buf.writeUInt16LE(dtype === 'BF16' ? (new Uint32Array(Float32Array.of(v).buffer)[0] >>> 16) : toHalf(v), 2 * i));
        header[k] = { dtype, shape: t.shape, data_offsets: [off, off + buf.length] };
        off += buf.length;
        parts.push(buf);
      }
      const json = Buffer.from(JSON.stringify(header));
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(json.length));
      writeFileSync(join(dir, 'model.safetensors'), Buffer.concat([len, json, ...parts]));
      const h = loadModelDir(dir, { arch: 'BertModel' });
      const tol = dtype === 'F16' ? 1e-3 : 1e-2;
      const p = h.model.store.params, q = a.model.store.params;
      let worst = 0;
      for (let i = 0; i < p.length; i++) worst = Math.max(worst, Math.abs(p[i] - q[i]) / Math.max(1, Math.abs(q[i])));
      expect(worst).toBeLessThan(tol);
    }
  });

  it('a missing head is initialised and named; a missing pooler too', () => {
    const dir = tmp();
    copyFileSync(join(FIX, 'config.json'), join(dir, 'config.json'));
    const orig = readSafetensors(join(FIX, 'model.safetensors'));
    writeSafetensors(join(dir, 'model.safetensors'), [...orig].filter(([k]) => k.startsWith('bert.') && !k.startsWith('bert.pooler')));
    const r = loadModelDir(dir, { arch: 'BertForSequenceClassification' });
    expect(r.initialized).toEqual(['bert.pooler.dense.weight', 'bert.pooler.dense.bias', 'classifier.weight', 'classifier.bias']);
    expect(r.model.store.view('classifier.bias').every((v) => v === 0)).toBe(true);
    expect(r.model.store.view('classifier.weight').some((v) => v !== 0)).toBe(true);
  });

  it('refuses pickles, and names what is wrong with a shape', () => {
    const dir = tmp();
    copyFileSync(join(FIX, 'config.json'), join(dir, 'config.json'));
    writeFileSync(join(dir, 'pytorch_model.bin'), 'not really');
    expect(() => loadModelDir(dir)).toThrow(/pickle files are never loaded/);
    rmSync(join(dir, 'pytorch_model.bin'));
    writeSafetensors(join(dir, 'model.safetensors'), [['bert.embeddings.word_embeddings.weight', { shape: [3, 3], data: new Float32Array(9) }]]);
    try {
      loadModelDir(dir);
      expect.unreachable();
    } catch (err) {
      expect(formatError(err)).toMatch(/^tensor has shape \[3,3\], the config needs \[50,32\], .*model\.safetensors: bert\.embeddings\.word_embeddings\.weight$/);
    }
  });

  it('training state round-trips, saved with the model as the loops save it', () => {
    const dir = tmp();
    const model = new BertForTask(validateConfig({ ...presetConfig('tiny', 12), hidden_size: 8, num_attention_heads: 2, intermediate_size: 16, num_hidden_layers: 1, max_position_embeddings: 8 }), 'BertForPreTraining');
    const n = model.store.size;
    const m = Float32Array.from({ length: n }, (_, i) => i), v = Float32Array.from({ length: n }, (_, i) => 2 * i);
    saveModelDir(dir, model, null, {}, { m, v, adamStep: 17, state: { step: 17, seed: 5, data: { epoch: 1, position: 40 } } });
    const s = loadTrainingState(dir, n);
    expect(s.m).toEqual(m);
    expect(s.v).toEqual(v);
    expect(s.adamStep).toBe(17);
    expect(s.state.data).toEqual({ epoch: 1, position: 40 });
    expect(() => loadTrainingState(dir, n + 1)).toThrow(/does not match the model/);
  });
});

function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const e = ((x >>> 23) & 0xff) - 127 + 15;
  const m = x & 0x7fffff;
  if (e <= 0) return sign;
  if (e >= 31) return sign | 0x7c00;
  return sign | (e << 10) | (m >>> 13);
}

// bert-cli's own checkpoints hold the tensors back to back in arena order, so loading one maps the
// file (its pages are the page cache's, no copy into fresh memory: the cold start) — privately:
// reading a model directory never writes to it, and a file truncated underneath by another program
// ends the process with one line, not a SIGBUS core dump. HF's files (sorted by name) are read.
describe('mapped checkpoints', () => {
  const ROOT = join(import.meta.dirname, '..', '..');
  const saved = () => {
    const m = new BertForTask({ ...presetConfig('tiny', 30522), id2label: { 0: 'ham', 1: 'spam' }, label2id: { ham: 0, spam: 1 } }, 'BertForSequenceClassification');
    m.initialize(5);
    const dir = tmp();
    saveModelDir(dir, m, Tokenizer.fromVocabFile(bertBaseUncasedVocabPath()));
    return { m, dir, weights: join(dir, 'model.safetensors') };
  };

  it('maps its own layout, reads HF\'s order, and both give the same outputs', () => {
    const { m, dir, weights } = saved();
    const mapped = loadModelDir(dir);
    expect(mapped.report.mapped).toBe(true);
    const sorted = tmp();
    for (const f of ['config.json', 'vocab.txt', 'tokenizer_config.json']) copyFileSync(join(dir, f), join(sorted, f));
    writeSafetensors(join(sorted, 'model.safetensors'), [...readSafetensors(weights)].sort(([a], [b]) => (a < b ? -1 : 1)) as [string, Tensor][]);
    const read = loadModelDir(sorted);
    expect(read.report.mapped).toBe(false);
    const b = batchFor(30522);
    const want = m.step(b, null, { training: false }).logits;
    expect(mapped.model.step(b, null, { training: false }).logits).toEqual(want);
    expect(read.model.step(b, null, { training: false }).logits).toEqual(want);
  });

  it('writes to a mapped arena stay in the process (the file is unchanged)', () => {
    const { dir, weights } = saved();
    const before = readFileSync(weights);
    const loaded = loadModelDir(dir);
    expect(loaded.report.mapped).toBe(true);
    loaded.model.store.params.fill(7);
    expect(readFileSync(weights).equals(before)).toBe(true);
    expect(loadModelDir(dir).model.store.view('classifier.bias')[0]).not.toBe(7);
  });

  it('a non-finite weight in a mapped file is still refused, by tensor', () => {
    const { dir, weights } = saved();
    const t = readSafetensors(weights);
    const e = t.get('bert.encoder.layer.0.output.dense.weight')!.file!;
    const buf = readFileSync(weights);
    buf.writeFloatLE(NaN, e.byteOffset + 4 * 3);
    writeFileSync(weights, buf);
    expect(() => loadModelDir(dir)).toThrow(/non-finite value \(NaN at index 3\)/);
  });

  it('a mapped file written in place under a running model: the next answer is refused naming it, never a mix of weights', () => {
    const { dir, weights } = saved();
    const loaded = loadModelDir(dir);
    expect(loaded.report.mapped).toBe(true);
    const b = batchFor(30522);
    loaded.model.step(b, null, { training: false });
    // the same size, in place (dd conv=notrunc): one weight of the classifier changed
    const e = readSafetensors(weights).get('classifier.bias')!.file!;
    const fd = openSync(weights, 'r+');
    const one = Buffer.alloc(4);
    one.writeFloatLE(123.5);
    writeSync(fd, one, 0, 4, e.byteOffset);
    closeSync(fd);
    expect(() => loaded.model.step(b, null, { training: false })).toThrow(/the weights file was written while this model was using it/);
    // loaded again, the new weights are one consistent model; a file renamed over the old one is no change for a running model
    const again = loadModelDir(dir);
    expect(again.model.store.view('classifier.bias')[0]).toBe(123.5);
    const want = Float32Array.from(again.model.step(b, null, { training: false }).logits!);
    const copy = join(dir, 'model.safetensors.new');
    copyFileSync(weights, copy);
    renameSync(copy, weights);
    expect(Float32Array.from(again.model.step(b, null, { training: false }).logits!)).toEqual(want); // its own weights, still answering
  });

  it('a file truncated while mapped ends the process with one line naming it, exit 1, no core dump', () => {
    const { weights, dir } = saved();
    const script = `
      import { truncateSync } from 'node:fs';
      import { loadModelDir } from ${JSON.stringify(join(ROOT, 'dist', 'lib', 'model-dir', 'model-dir.js'))};
      const loaded = loadModelDir(${JSON.stringify(dir)});
      if (!loaded.report.mapped) { console.error('not mapped'); process.exit(3); }
      truncateSync(${JSON.stringify(weights)}, 4096);
      let s = 0; for (const x of loaded.model.store.params) s += x;
      console.log('read', s);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([`bert-cli: ${weights}: the file was truncated while in use (changed by another program); nothing was written`]);
  });
});

describe('a config.json that leaves out part of the weights', () => {
  it('num_hidden_layers 1 over a 2-layer checkpoint is refused naming the layer it leaves out (HF only warns)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bert-layers-'));
    const fix = join(import.meta.dirname, '..', 'fixtures', 'model-tiny');
    copyFileSync(join(fix, 'model.safetensors'), join(dir, 'model.safetensors'));
    const cfg = JSON.parse(readFileSync(join(fix, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, num_hidden_layers: 1, architectures: ['BertForSequenceClassification'] }));
    expect(() => loadModelDir(dir)).toThrow(/the checkpoint has encoder layer 1 \(bert\.encoder\.layer\.1\.…\), which config\.json's num_hidden_layers 1 leaves out/);
  });
});

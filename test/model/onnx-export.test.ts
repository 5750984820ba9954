// The ONNX export against the engine: ONNX Runtime (onnxruntime-node) runs the graph of every
// exportable class and gives bert-cli's float32 outputs within 1e-4, at two batch shapes (both axes
// are dynamic), on padded rows and text pairs; `bert-cli export` writes a directory transformers.js's
// pipeline loads from disk and answers with as `bert-cli predict` / `fill-mask` do.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { presetConfig, validateConfig } from '../../lib/config.js';
import { exportOnnx } from '../../lib/io/onnx.js';
import { BertForTask, type Architecture } from '../../lib/model/bert.js';
import { native } from '../../lib/native.js';
import { runCli, tinyModels } from '../cli/helpers.js';
import { mulberry32 } from '../helpers/random.js';

const dir = mkdtempSync(join(tmpdir(), 'bert-cli-onnx-'));
const cfg = validateConfig({ ...presetConfig('tiny', 40), hidden_size: 16, num_attention_heads: 2, intermediate_size: 32, num_hidden_layers: 2, max_position_embeddings: 16, id2label: { 0: 'a', 1: 'b', 2: 'c' } });

function model(arch: Architecture): BertForTask {
  const m = new BertForTask(cfg, arch);
  m.initialize(3);
  // weights larger than BERT's 0.02, so that a wrong operator shows in the outputs
  const rand = mulberry32(arch.length);
  for (const s of m.store.specs) if (s.init.startsWith('normal')) m.store.view(s.name).forEach((_, i, a) => (a[i] = (rand() - 0.5) * 0.6));
  return m;
}

function batch(B: number, T: number, seed: number) {
  const r = mulberry32(seed);
  const ids = new Int32Array(B * T), types = new Int32Array(B * T), mask = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const len = b === 0 ? T : 2 + Math.floor(r() * (T - 2)); // padded rows after the first
    for (let t = 0; t < T; t++) {
      ids[b * T + t] = t < len ? 5 + Math.floor(r() * 35) : 0;
      types[b * T + t] = t < len && t >= len / 2 ? 1 : 0; // a pair: segment 1 in the second half
      mask[b * T + t] = t < len ? 1 : 0;
    }
  }
  return { B, T, inputIds: ids, typeIds: types, attentionMask: mask };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
};

describe('the ONNX graph in ONNX Runtime gives the engine\'s outputs', () => {
  const cases: [Architecture, string[]][] = [
    ['BertModel', ['last_hidden_state', 'pooler_output']],
    ['BertForSequenceClassification', ['logits']],
    ['BertForTokenClassification', ['logits']],
    ['BertForQuestionAnswering', ['start_logits', 'end_logits']],
    ['BertForMaskedLM', ['logits']],
  ];
  it.each(cases)('%s', async (arch, names) => {
    const m = model(arch);
    const session = await ort.InferenceSession.create(exportOnnx(m));
    expect(session.inputNames).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
    expect(session.outputNames).toEqual(names);
    for (const [B, T, seed] of [[2, 5, 1], [3, 9, 2]]) {
      const b = batch(B, T, seed);
      const t = (a: Int32Array) => new ort.Tensor('int64', BigInt64Array.from(a, (v) => BigInt(v)), [B, T]);
      const out = await session.run({ input_ids: t(b.inputIds), attention_mask: t(b.attentionMask), token_type_ids: t(b.typeIds) });
      const r = m.step(b, arch === 'BertForMaskedLM' ? { mlmLabels: new Int32Array(B * T) } : null, { training: false });
      const L = r.logits ?? new Float32Array(0);
      const want: Record<string, Float32Array> = {
        last_hidden_state: r.hidden, pooler_output: r.pooled ?? new Float32Array(0), logits: L,
        start_logits: L.filter((_, i) => i % 2 === 0), end_logits: L.filter((_, i) => i % 2 === 1),
      };
      for (const n of names) expect(maxDiff(out[n].data as Float32Array, want[n]), `${arch} ${n} at ${B}×${T}`).toBeLessThan(1e-4);
    }
  });

  // The int8 graph (export --dtype int8): ONNX Runtime quantizes each activation tensor as a whole,
  // bert-cli each row; at one token the two are the same rows, so ORT's DynamicQuantizeLinear +
  // MatMulInteger must reproduce --dtype int8 to float rounding (2e-6) — an independent implementation of
  // the same integer sums. At a batch they differ by quantization noise: near fp32 (cosine ≥ 0.99).
  it.skipIf(!native.int8Supported()).each(['BertForSequenceClassification', 'BertModel'] as Architecture[])('int8 graph, %s: one token as --dtype int8, a batch near fp32', async (arch) => {
    const m = model(arch);
    const session = await ort.InferenceSession.create(exportOnnx(m, { int8: true }));
    const name = arch === 'BertModel' ? 'last_hidden_state' : 'logits';
    const run = async (b: ReturnType<typeof batch>) => {
      const t = (a: Int32Array) => new ort.Tensor('int64', BigInt64Array.from(a, (v) => BigInt(v)), [b.B, b.T]);
      return (await session.run({ input_ids: t(b.inputIds), attention_mask: t(b.attentionMask), token_type_ids: t(b.typeIds) }))[name].data as Float32Array;
    };
    const ours = (b: ReturnType<typeof batch>) => {
      const r = m.step(b, null, { training: false });
      return (arch === 'BertModel' ? r.hidden : r.logits!).slice();
    };
    for (const seed of [1, 2, 3]) {
      const one = batch(1, 1, seed);
      m.encoder.setDtype('int8');
      expect(maxDiff(await run(one), ours(one)), `one token, seed ${seed}`).toBeLessThan(2e-6); // measured ≤ 1.8e-7
    }
    const b = batch(3, 9, 7);
    m.encoder.setDtype('fp32');
    const fp32 = ours(b), got = await run(b);
    let dot = 0, gg = 0, ff = 0;
    for (let i = 0; i < got.length; i++) (dot += got[i] * fp32[i]), (gg += got[i] ** 2), (ff += fp32[i] ** 2);
    expect(dot / Math.sqrt(gg * ff)).toBeGreaterThan(0.99);
    expect(maxDiff(got, fp32)).toBeGreaterThan(1e-5); // quantized, not fp32
  });

  it('BertForMultipleChoice: inputs [batch, choices, sequence], logits [batch, choices]', async () => {
    const m = model('BertForMultipleChoice');
    const session = await ort.InferenceSession.create(exportOnnx(m));
    expect(session.outputNames).toEqual(['logits']);
    for (const [N, C, T, seed] of [[2, 3, 5, 4], [1, 4, 8, 5]]) {
      const b = batch(N * C, T, seed); // rows n·C … n·C + C − 1 are example n's choices
      const t = (a: Int32Array) => new ort.Tensor('int64', BigInt64Array.from(a, (v) => BigInt(v)), [N, C, T]);
      const out = await session.run({ input_ids: t(b.inputIds), attention_mask: t(b.attentionMask), token_type_ids: t(b.typeIds) });
      expect(out.logits.dims).toEqual([N, C]);
      const r = m.step(b, null, { training: false });
      expect(maxDiff(out.logits.data as Float32Array, r.logits!), `${N}×${C}×${T}`).toBeLessThan(1e-4);
    }
  });
});

describe('bert-cli export → transformers.js', () => {
  it('a fine-tuned classifier and a pretrained model load in transformers.js\'s pipelines and answer as bert-cli does', async () => {
    mkdirSync(join(dir, 'tiny'));
    const m = tinyModels(join(dir, 'tiny'), { classifier: true });
    const out = join(dir, 'exported', 'clf'), mlm = join(dir, 'exported', 'mlm');
    const e = runCli(['export', '--model', m.classifier, '--onnx', out, '--json']);
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout)).toMatchObject({ arch: 'BertForSequenceClassification', outputs: ['logits'] });
    expect(runCli(['export', '--model', m.pretrained, '--onnx', mlm]).code).toBe(0);
    const enc = join(dir, 'exported', 'enc');
    expect(runCli(['export', '--model', m.pretrained, '--onnx', enc, '--encoder']).code).toBe(0);
    const { env, pipeline } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.localModelPath = dirname(out) + '/';
    const texts = ['the war is here', 'peace and the law'];
    const classify = await pipeline('text-classification', basename(out), { dtype: 'fp32' });
    const theirs = (await classify(texts, { top_k: null })) as { label: string; score: number }[][];
    const ours = runCli(['predict', '--model', m.classifier, '--quiet'], { input: texts.join('\n') + '\n' }).stdout.trim().split('\n').map((l) => JSON.parse(l));
    theirs.forEach((t, i) => {
      for (const { label, score } of t) expect(Math.abs(score - ours[i].scores[label])).toBeLessThan(1e-4);
    });
    // export --dtype int8 adds onnx/model_quantized.onnx, which transformers.js loads for dtype q8
    if (native.int8Supported()) {
      const q = join(dir, 'exported', 'clf-q8');
      const e8 = runCli(['export', '--model', m.classifier, '--onnx', q, '--dtype', 'int8', '--json']);
      expect(e8.code, e8.stderr).toBe(0);
      expect(JSON.parse(e8.stdout).files.map((x: { path: string }) => basename(x.path))).toEqual(['model.onnx', 'model_quantized.onnx']);
      const classify8 = await pipeline('text-classification', basename(q), { dtype: 'q8' });
      const ours8 = runCli(['predict', '--model', m.classifier, '--quiet', '--dtype', 'int8'], { input: texts.join('\n') + '\n' }).stdout.trim().split('\n').map((l) => JSON.parse(l));
      for (const [i, text] of texts.entries()) {
        const [top] = (await classify8(text)) as { label: string; score: number }[];
        expect(Math.abs(top.score - ours8[i].scores[top.label])).toBeLessThan(0.02);
      }
    }
    const fill = await pipeline('fill-mask', basename(mlm), { dtype: 'fp32' });
    const got = (await fill('the [MASK] is here', { top_k: 3 })) as { token_str: string; score: number }[];
    const want = JSON.parse(runCli(['fill-mask', '--model', m.pretrained, '--json', '--top-k', '3', 'the [MASK] is here']).stdout) as { token_str: string; score: number }[];
    expect(got.map((g) => g.token_str)).toEqual(want.map((w) => w.token_str));
    got.forEach((g, i) => expect(Math.abs(g.score - want[i].score)).toBeLessThan(1e-4));
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).architectures).toEqual(['BertForSequenceClassification']);
    // feature-extraction on the bare encoder: mean pooling, normalized, as bert-cli embed --pooling mean --normalize
    const features = await pipeline('feature-extraction', basename(enc), { dtype: 'fp32' });
    const vec = Array.from((await features('the war is here', { pooling: 'mean', normalize: true })).data as Float32Array);
    const emb = JSON.parse(runCli(['embed', '--model', m.pretrained, '--pooling', 'mean', '--normalize'], { input: 'the war is here\n' }).stdout).embedding as number[];
    expect(maxDiff(vec, emb)).toBeLessThan(1e-4);
  }, 120_000);

  it('a tagger and a QA model: transformers.js\'s token-classification pipeline tags as bert-cli predict, question-answering answers from the context', async () => {
    mkdirSync(join(dir, 'tiny2'));
    const m = tinyModels(join(dir, 'tiny2'));
    const words = ['the', 'war', 'peace', 'congress', 'nation', 'people', 'law', 'trade'];
    const conll = join(dir, 'tags.conll'), squad = join(dir, 'qa.json');
    writeFileSync(conll, Array.from({ length: 12 }, (_, i) => `${words[i % 8]}\tB-X\n${words[(i + 3) % 8]}\tO\n`).join('\n'));
    writeFileSync(squad, JSON.stringify({ data: [{ paragraphs: [{ context: 'the war and the peace of the nation', qas: Array.from({ length: 6 }, (_, i) => ({ id: `q${i}`, question: `what of ${words[i]}`, answers: [{ text: 'peace', answer_start: 16 }] })) }] }] }));
    for (const [task, train] of [['tag', conll], ['qa', squad]] as const) {
      const ft = runCli(['finetune', '--model', m.pretrained, '--task', task, '--train', train, '--out', join(dir, task), '--epochs', '2', '--quiet']);
      expect(ft.code, ft.stderr).toBe(0);
      expect(runCli(['export', '--model', join(dir, task), '--onnx', join(dir, 'exported', task)]).code).toBe(0);
    }
    const { env, pipeline } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.localModelPath = join(dir, 'exported') + '/';
    const tagger = await pipeline('token-classification', 'tag', { dtype: 'fp32' });
    const theirs = (await tagger('the war congress', { ignore_labels: [] })) as { entity: string; word: string; score: number }[];
    const ours = JSON.parse(runCli(['predict', '--model', join(dir, 'tag'), '--quiet'], { input: 'the war congress\n' }).stdout);
    // transformers.js labels every piece; bert-cli reads a word's tag off its first piece
    const firstPieces = theirs.filter((t) => !t.word.startsWith('##'));
    expect(firstPieces.map((t) => t.entity)).toEqual(ours.tags);
    expect(firstPieces.length).toBe(3);
    const reader = await pipeline('question-answering', 'qa', { dtype: 'fp32' });
    const context = 'the law and the trade of the people';
    const answer = (await reader('what of the nation', context)) as { answer: string; score: number };
    // the logits are the engine's (the graph test above); the span picked from them is transformers.js's own
    // rule (piece-level spans, its own length limit), which on this barely trained model need not be run_qa's
    expect(context).toContain(answer.answer);
    expect(answer.score).toBeGreaterThan(0);
  }, 120_000);
});

// Collate and batching, per family: what a batch holds (ids padded with [PAD] to the longest, the
// attention mask over the real tokens, segment ids, the targets laid out as the head reads them), and
// runBatches' contract — outputs in input order, the same as each example run alone, the loss the
// example-weighted mean of the batches'.
import { describe, expect, it } from 'vitest';
import { presetConfig, validateConfig } from '../../lib/config.js';
import { BertForTask } from '../../lib/model/bert.js';
import { padBatch, runBatches } from '../../lib/tasks/batching.js';
import type { AnyFamily } from '../../lib/tasks/family.js';
import { FAMILIES } from '../../lib/tasks/registry.js';
import { encodeTagged } from '../../lib/tasks/tag.js';
import { Tokenizer } from '../../lib/tokenizer/tokenizer.js';
import { Vocab } from '../../lib/tokenizer/vocab.js';

const WORDS = ['apple', 'river', 'stone', 'cloud', 'green', 'quick', '##s', 'the'];
const tok = new Tokenizer(new Vocab(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...WORDS]));
const PAD = 0;

describe('padBatch', () => {
  it('pads to the longest with [PAD], masks the padding, keeps segment ids', () => {
    const b = padBatch([{ ids: Int32Array.from([2, 5, 3]), typeIds: Int32Array.from([0, 0, 0]) }, { ids: Int32Array.from([2, 6, 7, 8, 3]), typeIds: Int32Array.from([0, 0, 0, 1, 1]) }], PAD);
    expect([b.B, b.T]).toEqual([2, 5]);
    expect(Array.from(b.inputIds)).toEqual([2, 5, 3, PAD, PAD, 2, 6, 7, 8, 3]);
    expect(Array.from(b.attentionMask)).toEqual([1, 1, 1, 0, 0, 1, 1, 1, 1, 1]);
    expect(Array.from(b.typeIds)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
  });
});

describe('collate per family: the targets as the head reads them', () => {
  const ctx = (labels?: string[]) => ({ tokenizer: tok, maxLength: 16, labels, qa: { docStride: 4 } });
  it('classify: one class id per example', () => {
    const f = FAMILIES.classify;
    const xs = f.values(['apple river', 'stone'], ctx()).examples.map((x, i) => ({ ...x, label: i }));
    const { batch, targets } = f.collate(xs, PAD, true);
    expect(batch.T).toBe(4);
    expect(Array.from(targets!.labels!)).toEqual([0, 1]);
    expect(f.collate(xs, PAD, false).targets).toBeNull();
  });
  it('pair: segment ids 0 for A, 1 for B', () => {
    const [x] = FAMILIES.pair.values([['apple', 'river stone']], ctx()).examples;
    expect(Array.from(x.typeIds)).toEqual([0, 0, 0, 1, 1, 1]);
  });
  it('multilabel: a row of 0/1 per example, row-major', () => {
    const f = FAMILIES.multilabel;
    const xs = f.values(['apple', 'river'], ctx()).examples.map((x, i) => ({ ...x, label: Float32Array.from(i ? [0, 1, 1] : [1, 0, 0]) }));
    expect(Array.from(f.collate(xs, PAD, true).targets!.floatLabels!)).toEqual([1, 0, 0, 0, 1, 1]);
  });
  it('tag: the tag on each word\'s first piece, −100 on later pieces, [CLS], [SEP] and padding', () => {
    const f = FAMILIES.tag;
    const data = [{ words: ['apples', 'river'], tags: ['N', 'V'], file: 'x', line: 1 }, { words: ['stone'], tags: ['V'], file: 'x', line: 2 }];
    const { examples } = encodeTagged(data, tok, ['N', 'V'], 16);
    expect(Array.from(examples[0].firstPiece)).toEqual([1, 3]); // 'apples' is apple ##s
    const { batch, targets } = f.collate(examples, PAD, true);
    expect(batch.T).toBe(5);
    expect(Array.from(targets!.labels!)).toEqual([-100, 0, -100, 1, -100, -100, 1, -100, -100, -100]);
  });
  it('choice: the candidates of every example as rows, the right one\'s index per example', () => {
    const f = FAMILIES.choice;
    const xs = f.values([{ sent1: 'apple', endings: ['river', 'stone cloud'] }, { sent1: 'green', endings: ['quick', 'the'] }], ctx()).examples.map((x, i) => ({ ...x, label: i }));
    const { batch, targets } = f.collate(xs, PAD, true);
    expect(batch.B).toBe(4);
    expect(Array.from(targets!.labels!)).toEqual([0, 1]);
    const row = (k: number) => Array.from(batch.inputIds.subarray(k * batch.T, (k + 1) * batch.T));
    const pair = (a: string, b: string) => Array.from(tok.encode(a, b).ids);
    expect(row(0)).toEqual([...pair('apple', 'river'), PAD]);
    expect(row(1)).toEqual(pair('apple', 'stone cloud'));
    expect(row(2)).toEqual([...pair('green', 'quick'), PAD]);
  });
  it('qa: the answer\'s start and end token per window', () => {
    const f = FAMILIES.qa;
    const [x] = f.values([{ question: 'apple', context: 'river stone cloud' }], ctx()).examples;
    const { targets } = f.collate([{ ...x, startPos: 4, endPos: 5 }], PAD, true);
    expect([targets!.startPositions![0], targets!.endPositions![0]]).toEqual([4, 5]);
  });
});


describe('runBatches: input order, batch-independent outputs, the weighted loss', () => {
  const cfg = validateConfig({ ...presetConfig('tiny', tok.vocab.size), hidden_size: 16, num_attention_heads: 2, intermediate_size: 32, num_hidden_layers: 1, max_position_embeddings: 16, id2label: { 0: 'a', 1: 'b' } });
  const model = new BertForTask(cfg, 'BertForSequenceClassification');
  model.initialize(3);
  const f: AnyFamily = FAMILIES.classify;
  const texts = ['apple river stone cloud green', 'the', 'quick stone', 'apple', 'river river river', 'green the quick apple'];
  const xs = f.values(texts, { tokenizer: tok, maxLength: 16 }).examples.map((x: { label: number | null }, i: number) => ({ ...x, label: i % 2 }));
  it('each example\'s logits are its own, whatever it is batched with', () => {
    const together = runBatches<unknown, Float32Array>(model, f, xs, { batchSize: 4, padId: PAD, labelled: true });
    xs.forEach((x: unknown, i: number) => {
      const alone = runBatches<unknown, Float32Array>(model, f, [x], { batchSize: 1, padId: PAD, labelled: true });
      Array.from(alone.outputs[0]).forEach((v, k) => expect(together.outputs[i][k]).toBeCloseTo(v, 5));
    });
  });
  it('the loss is the mean over examples (batches of unequal size weighted by their examples)', () => {
    const all = runBatches(model, f, xs, { batchSize: 4, padId: PAD, labelled: true });
    const each = xs.map((x: unknown) => runBatches(model, f, [x], { batchSize: 1, padId: PAD, labelled: true }).loss);
    expect(all.loss).toBeCloseTo(each.reduce((a: number, b: number) => a + b, 0) / xs.length, 5);
    expect(Number.isNaN(runBatches(model, f, xs, { batchSize: 4, padId: PAD, labelled: false }).loss)).toBe(true);
  });
  it('reports progress after each batch', () => {
    const done: number[] = [];
    runBatches(model, f, xs, { batchSize: 4, padId: PAD, labelled: false, onBatch: (n) => done.push(n) });
    expect(done).toEqual([4, 6]);
  });
});

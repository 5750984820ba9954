// A tagger's entities against HF's token-classification pipeline (tools/make-entity-fixtures.py:
// transformers 5.18 on a random tagger it saved): every aggregation strategy, one window and windows
// with a stride, offsets as JavaScript string indices that slice the original text (CJK, emoji,
// accents, whitespace runs, [UNK] words).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel, type Aggregation, type TagPrediction } from '../../lib/index.js';
import { textWindows } from '../../lib/tasks/entities.js';

const dir = join(import.meta.dirname, '../fixtures/tagger-tiny');
const fx = JSON.parse(readFileSync(join(dir, 'entities.json'), 'utf8')) as {
  texts: string[]; labels: string[];
  cases: { text: number; strategy: Aggregation; max_length: number; stride: number | null; entities: Record<string, string | number>[] }[];
};

describe('entities (HF pipeline "ner" as reference)', async () => {
  const model = await loadModel(dir);
  it.each(fx.cases.map((c) => [`${c.strategy}, ${c.stride === null ? 'one window' : `windows of ${c.max_length}, stride ${c.stride}`}: ${JSON.stringify(fx.texts[c.text]).slice(0, 40)}`, c] as const))('%s', async (_, c) => {
    const text = fx.texts[c.text];
    const [row] = await model.predict<TagPrediction>([text], { maxLength: c.max_length, tag: { aggregation: c.strategy, stride: c.stride ?? 16 } });
    const got = row.entities!;
    expect(got.map(({ score, ...e }) => e)).toEqual(c.entities.map(({ score, ...e }) => e));
    got.forEach((e, i) => {
      expect(e.score).toBeCloseTo(c.entities[i].score as number, 5);
      // the offsets slice the request's own string; the word is the tokenizer's (lower-cased) text
      expect(text.slice(e.start, e.end).toLowerCase().normalize('NFD').replace(/\p{M}/gu, '')).toContain(String(e.word).replace(/^##/, '').split(' ')[0]);
    });
  });

  it('the fixture exercises what it claims: windows, groups, [UNK] words, astral offsets', () => {
    expect(fx.cases.some((c) => c.stride !== null && fx.texts[c.text].length > 150)).toBe(true);
    expect(fx.cases.some((c) => c.entities.some((e) => e.entity_group && String(e.word).includes(' ')))).toBe(true);
    expect(fx.cases.some((c) => c.entities.some((e) => e.word === '🎉'))).toBe(true);
  });

  it('a raw text row has words and tags from the same windows, and a pre-split sentence keeps its words', async () => {
    const [raw] = await model.predict<TagPrediction>(['Alice Smith went to Rome.']);
    expect(raw.words).toEqual(['Alice', 'Smith', 'went', 'to', 'Rome', '.']);
    expect(raw.tags.every((t) => fx.labels.includes(t!))).toBe(true);
    const [split] = await model.predict<TagPrediction>([['Alice', 'Smith', 'went']]);
    expect(split.words).toEqual(['Alice', 'Smith', 'went']);
    expect(split.entities).toBeUndefined();
    // the first words' tags agree whichever way the text came (same tokens, one window)
    expect(split.tags).toEqual(raw.tags.slice(0, 3));
  });

  it('windows as HF overflows them: maxLength − 2 pieces, each starting stride pieces before the last ended', () => {
    const p = { ids: Array.from({ length: 30 }, (_, i) => 100 + i), offsets: [], words: [] };
    const ws = textWindows(p, 1, 2, 12, 3);
    expect(ws.map((w) => [w.from, w.to])).toEqual([[0, 10], [7, 17], [14, 24], [21, 30]]);
    expect(Array.from(ws[1].ids)).toEqual([1, ...p.ids.slice(7, 17), 2]);
    expect(() => textWindows(p, 1, 2, 12, 10)).toThrow(/stride of 10 tokens/);
  });

  it('an unknown strategy names the field', async () => {
    const { aggregation } = await import('../../lib/tasks/entities.js');
    expect(() => aggregation('mean')).toThrow(/unknown aggregation strategy 'mean'/);
  });
});

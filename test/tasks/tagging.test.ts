// Token tagging: CoNLL reading, labels on first pieces, entity-level metrics by conlleval/seqeval's
// chunking, and finetune → predict → eval through the CLI on a synthetic NER task.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import { presetConfig, validateConfig } from '../../lib/config.js';
import { saveModelDir } from '../../lib/model-dir/model-dir.js';
import { BertForTask } from '../../lib/model/bert.js';
import { encodeTagged, entities, readTagged, taggingMetrics } from '../../lib/tasks/tag.js';
import { Tokenizer } from '../../lib/tokenizer/tokenizer.js';
import { Vocab } from '../../lib/tokenizer/vocab.js';
import { runCli } from '../cli/helpers.js';
import { mulberry32 } from '../helpers/random.js';

const dir = mkdtempSync(join(tmpdir(), 'bert-cli-tag-'));

describe('entity chunks (conlleval / seqeval default)', () => {
  it('B- starts, I- continues, a stray I- starts a chunk, O ends it', () => {
    expect(entities(['B-PER', 'I-PER', 'O', 'B-LOC', 'B-LOC', 'I-ORG', 'I-ORG', 'O'])).toEqual([
      ['PER', 0, 2], ['LOC', 3, 4], ['LOC', 4, 5], ['ORG', 5, 7],
    ]);
    expect(entities(['I-MISC', 'I-MISC'])).toEqual([['MISC', 0, 2]]);
    expect(entities(['O', 'O'])).toEqual([]);
  });

  it('precision, recall and F1 over exact chunks; token accuracy over words', () => {
    const m = taggingMetrics([['B-PER', 'I-PER', 'O', 'B-LOC']], [['B-PER', 'O', 'O', 'B-LOC']]);
    expect(m.precision).toBe(0.5);
    expect(m.recall).toBe(0.5);
    expect(m.token_accuracy).toBe(0.75);
    expect(m.per_type.LOC.f1).toBe(1);
  });
});

describe('CoNLL and first-piece labels', () => {
  it('reads tab- or space-separated columns, skips -DOCSTART-, splits on blank lines', () => {
    const f = join(dir, 'a.conll');
    writeFileSync(f, '-DOCSTART- -X- O O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\nPeter\tB-PER\nBlackburn\tI-PER\n');
    const { sentences } = readTagged(f);
    expect(sentences.map((s) => s.words)).toEqual([['EU', 'rejects'], ['Peter', 'Blackburn']]);
    expect(sentences.map((s) => s.tags)).toEqual([['B-ORG', 'O'], ['B-PER', 'I-PER']]);
    expect(sentences[1].line).toBe(6);
  });

  it('puts each word\'s tag on its first piece and −100 on the others', () => {
    const tok = new Tokenizer(new Vocab(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'may', '##uk', '##o', 'said']));
    const { examples } = encodeTagged([{ words: ['mayuko', 'said'], tags: ['B-PER', 'O'], file: 'x', line: 1 }], tok, ['B-PER', 'O'], 32);
    expect(Array.from(examples[0].ids)).toEqual([2, 5, 6, 7, 8, 3]);
    expect(Array.from(examples[0].labels!)).toEqual([-100, 0, -100, -100, 1, -100]);
    expect(Array.from(examples[0].firstPiece)).toEqual([1, 4]);
  });

  it("with labelAllTokens (HF's label_all_tokens) every piece carries the word's tag, B- as I-, and the first pieces stay where predictions are read", () => {
    const tok = new Tokenizer(new Vocab(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'may', '##uk', '##o', 'said', 'gar', '##cia']));
    const sent = { words: ['mayuko', 'garcia', 'said'], tags: ['B-PER', 'I-PER', 'O'], file: 'x', line: 1 };
    const all = encodeTagged([sent], tok, ['B-PER', 'I-PER', 'O'], 32, { labelAllTokens: true }).examples[0];
    expect(Array.from(all.labels!)).toEqual([-100, 0, 1, 1, 1, 1, 2, -100]);
    expect(Array.from(all.firstPiece)).toEqual([1, 4, 6]);
    // a tag set without I- keeps the B- tag on the later pieces (POS tags: the same tag)
    const pos = encodeTagged([{ ...sent, tags: ['NOUN', 'NOUN', 'VERB'] }], tok, ['NOUN', 'VERB'], 32, { labelAllTokens: true }).examples[0];
    expect(Array.from(pos.labels!)).toEqual([-100, 0, 0, 0, 0, 0, 1, -100]);
  });

  it('a sentence too long is cut at the first word that does not fit, never with a hole in it', () => {
    const tok = new Tokenizer(new Vocab(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'may', '##uk', '##o', 'said', 'the', 'jury']));
    // "mayuko" (3 pieces) does not fit after "the jury said" in 6 tokens; "said" after it would
    const words = ['the', 'jury', 'said', 'mayuko', 'said'];
    const { examples, truncated, wordsCut } = encodeTagged([{ words, tags: ['O', 'O', 'O', 'B-PER', 'O'], file: 'x', line: 1 }], tok, ['B-PER', 'O'], 6);
    expect(Array.from(examples[0].ids)).toEqual([2, 9, 10, 8, 3]);
    expect(Array.from(examples[0].firstPiece)).toEqual([1, 2, 3, -1, -1]);
    expect(truncated).toBe(1);
    expect(wordsCut).toBe(2);
  });
});

describe('tag end to end', () => {
  const NAMES = ['alice', 'bob', 'carol', 'dave'], PLACES = ['paris', 'rome', 'oslo'], OTHER = ['went', 'to', 'met', 'in', 'the', 'city', 'today', 'with'];
  let model: string;
  const rand = mulberry32(7);
  const pick = (xs: string[]) => xs[Math.floor(rand() * xs.length)];
  const sentence = () => {
    const words: string[] = [], tags: string[] = [];
    const n = 4 + Math.floor(rand() * 5);
    for (let i = 0; i < n; i++) {
      const r = rand();
      if (r < 0.25) { words.push(pick(NAMES)); tags.push('B-PER'); if (rand() < 0.4) { words.push('smith'); tags.push('I-PER'); } }
      else if (r < 0.45) { words.push(pick(PLACES)); tags.push('B-LOC'); }
      else { words.push(pick(OTHER)); tags.push('O'); }
    }
    return words.map((w, i) => `${w}\t${tags[i]}`).join('\n');
  };
  beforeAll(() => {
    const vocab = new Vocab(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...NAMES, ...PLACES, ...OTHER, 'smith']);
    const cfg = validateConfig({ ...presetConfig('tiny', vocab.size), hidden_size: 32, num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 64 });
    const m = new BertForTask(cfg, 'BertForPreTraining');
    m.initialize(3);
    model = join(dir, 'pretrained');
    saveModelDir(model, m, new Tokenizer(vocab));
  });

  it('learns the tags, predicts words with tags, evaluates entity F1', () => {
    const train = join(dir, 'train.conll'), dev = join(dir, 'dev.conll');
    writeFileSync(train, Array.from({ length: 300 }, sentence).join('\n\n') + '\n');
    writeFileSync(dev, Array.from({ length: 80 }, sentence).join('\n\n') + '\n');
    const out = join(dir, 'tagger');
    const r = runCli(['finetune', '--model', model, '--task', 'tag', '--train', train, '--dev', dev, '--out', out, '--epochs', '10', '--lr', '3e-3', '--batch-size', '16', '--quiet', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).best.score).toBeGreaterThan(0.9); // entity F1
    const p = runCli(['predict', '--model', out, '--quiet'], { input: 'alice smith went to rome\n' });
    expect(p.code).toBe(0);
    const row = JSON.parse(p.stdout);
    expect(row).toMatchObject({ words: ['alice', 'smith', 'went', 'to', 'rome'], tags: ['B-PER', 'I-PER', 'O', 'O', 'B-LOC'] });
    // a text line is tagged whole: its entities (aggregation simple) slice the line
    expect(row.entities.map((e: { entity_group: string; start: number; end: number }) => [e.entity_group, 'alice smith went to rome'.slice(e.start, e.end)])).toEqual([['PER', 'alice smith'], ['LOC', 'rome']]);
    const first = runCli(['predict', '--model', out, '--quiet', '--aggregation-strategy', 'none'], { input: 'alice smith went to rome\n' });
    expect(JSON.parse(first.stdout).entities.map((e: { entity: string }) => e.entity)).toEqual(['B-PER', 'I-PER', 'B-LOC']);
    const e = runCli(['eval', '--model', out, dev]);
    expect(e.code).toBe(0);
    const m = JSON.parse(e.stdout);
    expect(m.task).toBe('tag');
    expect(m.f1).toBeGreaterThan(0.9);
    expect(m.token_accuracy).toBeGreaterThan(0.9);
    expect(m.per_type).toHaveProperty('PER');
  });
});

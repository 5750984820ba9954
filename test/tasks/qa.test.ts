// Extractive QA: the windows against HF's Rust tokenizer (only_second truncation with stride and
// overflowing encodings, as run_qa asks for them), span labels as HF's prepare_train_features sets
// them, postprocessing as postprocess_qa_predictions, EM/F1 as the official SQuAD v2.0 script, and
// finetune → predict → eval through the CLI on small data that only the question explains.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { presetConfig, validateConfig } from '../../lib/config.js';
import { saveModelDir } from '../../lib/model-dir/model-dir.js';
import { BertForTask } from '../../lib/model/bert.js';
import { codePointToUnit, encodeQa, exactScore, f1Score, normalizeAnswer, postprocessQa, readQa, squadMetrics, unitToCodePoint, type QaRecord } from '../../lib/tasks/qa.js';
import { sotuAddresses } from '../../lib/data/sotu.js';
import { Tokenizer } from '../../lib/tokenizer/tokenizer.js';
import { Vocab } from '../../lib/tokenizer/vocab.js';
import { runCli } from '../cli/helpers.js';
import { bertBaseUncasedVocabPath as bertVocabPath } from '../helpers/bert-vocab.js';
import { charToUnitOffsets, hfBertTokenizer } from '../helpers/hf-oracle.js';
import { mulberry32 } from '../helpers/random.js';

const dir = mkdtempSync(join(tmpdir(), 'bert-cli-qa-'));

describe('SQuAD evaluation (official v2.0 script)', () => {
  it('normalises as the script does: lower case, no punctuation, no articles, single spaces', () => {
    expect(normalizeAnswer('The  Quick, brown fox!')).toBe('quick brown fox');
    expect(normalizeAnswer('an apple a day')).toBe('apple day');
    expect(normalizeAnswer('theory')).toBe('theory'); // "the" only as a word
    expect(normalizeAnswer('U.S.-based')).toBe('usbased');
  });

  it('EM and token F1, best over the gold answers, "" for no answer', () => {
    expect(exactScore('The Cat', 'cat.')).toBe(1);
    expect(f1Score('the cat sat', 'a cat sat on')).toBeCloseTo(0.8, 12); // P 2/3, R 1
    expect(f1Score('cat cat dog', 'cat dog dog')).toBeCloseTo(2 / 3, 12); // counts are clipped
    expect(f1Score('', '')).toBe(1);
    expect(f1Score('', 'cat')).toBe(0);
    const rec = (answers: string[]): QaRecord => ({ id: 'x', question: '', context: answers.join(' '), answers: answers.map((text) => ({ text, start: 0 })), where: '' });
    const m = squadMetrics([rec(['Paris', 'the city of Paris']), rec([]), rec(['1999'])], [
      { id: 'a', answer: 'city of Paris', score: 1, start: 0, end: 0 },
      { id: 'b', answer: '', score: 1, start: -1, end: -1 },
      { id: 'c', answer: 'in 1999', score: 1, start: 0, end: 0 },
    ]);
    expect(m.exact).toBeCloseTo(200 / 3, 10); // a: matches the second gold; b: no answer; c: no
    expect(m.f1).toBeCloseTo((100 + 100 + (100 * 2 * 0.5 * 1) / 1.5) / 3, 10);
    expect(m).toMatchObject({ total: 3, HasAns_total: 2, NoAns_total: 1, NoAns_exact: 100, HasAns_exact: 50 });
  });
});

describe('offsets: SQuAD counts code points, JavaScript UTF-16 units', () => {
  it('converts both ways around astral characters', () => {
    const s = 'a😀b😀cd';
    for (let cp = 0; cp <= 6; cp++) expect(unitToCodePoint(s, codePointToUnit(s, cp))).toBe(cp);
    expect(codePointToUnit(s, 2)).toBe(3);
    expect(s.slice(codePointToUnit(s, 4), codePointToUnit(s, 6))).toBe('cd');
  });
});

describe('windows and span labels', () => {
  let tok: Tokenizer;
  const records: QaRecord[] = [];
  beforeAll(() => {
    tok = Tokenizer.fromVocabFile(bertVocabPath(), { lowercase: true });
    // real paragraphs: runs of sentences from State of the Union addresses, one question each,
    // whose answer is a word group taken from the paragraph
    const rand = mulberry32(7);
    for (const a of sotuAddresses().slice(40, 60)) {
      const sentences = a.text.split(/(?<=[.!?])\s+/).filter((x) => x.length > 20);
      const k = Math.floor(rand() * Math.max(1, sentences.length - 8));
      const context = sentences.slice(k, k + 3 + Math.floor(rand() * 6)).join(' ');
      const words = [...context.matchAll(/\S+/g)];
      const w = Math.floor(rand() * (words.length - 3));
      const text = words.slice(w, w + 1 + Math.floor(rand() * 3)).map((m) => m[0]).join(' ');
      records.push({ id: String(records.length), question: 'What did the president say?', context, answers: [{ text, start: words[w].index! }], where: 'sotu' });
    }
  });

  it('match HF tokenizers: only_second truncation with stride, overflowing windows', async () => {
    const hf = await hfBertTokenizer(bertVocabPath(), true);
    for (const [maxLength, docStride] of [[64, 16], [96, 32], [48, 8]]) {
      hf.setTruncation(maxLength, { strategy: 'OnlySecond', stride: docStride });
      const { features } = encodeQa(records, tok, { maxLength, docStride, maxQueryLength: 64 });
      let f = 0, windows = 0;
      for (const r of records) {
        const enc = await hf.encode(r.question, r.context);
        const all = [enc, ...enc.getOverflowing()];
        windows += all.length;
        for (const e of all) {
          const ours = features[f++];
          expect(ours.record).toBe(Number(r.id));
          expect(Array.from(ours.ids), `record ${r.id}`).toEqual(e.getIds());
          expect(Array.from(ours.typeIds)).toEqual(e.getTypeIds());
          const seq: (number | null)[] = e.getSequenceIds();
          const offs = charToUnitOffsets(r.context, e.getOffsets());
          seq.forEach((s, t) => {
            expect(ours.ctxStart[t] >= 0).toBe(s === 1);
            if (s === 1) expect([ours.ctxStart[t], ours.ctxEnd[t]]).toEqual(offs[t]);
          });
        }
      }
      expect(features.length).toBe(windows);
      expect(windows).toBeGreaterThan(records.length); // long contexts did overflow
    }
    hf.disableTruncation();
  });

  it('label the answer where a window holds all of it, [CLS] elsewhere', () => {
    const { features } = encodeQa(records, tok, { maxLength: 64, docStride: 16, maxQueryLength: 64 });
    let inside = 0;
    for (const f of features) {
      const r = records[f.record], a = r.answers[0];
      const holds = f.ctxStart.some((s) => s >= 0 && s <= a.start) && Math.max(...f.ctxEnd) >= a.start + a.text.length;
      if (!holds) {
        expect([f.startPos, f.endPos]).toEqual([0, 0]);
        continue;
      }
      inside++;
      // the labelled tokens cover the answer exactly (up to what the normaliser drops at its edges)
      const span = r.context.slice(f.ctxStart[f.startPos], f.ctxEnd[f.endPos]);
      expect(normalizeAnswer(span), `record ${r.id}`).toBe(normalizeAnswer(a.text));
      expect(f.startPos).toBeLessThanOrEqual(f.endPos);
    }
    expect(inside).toBeGreaterThanOrEqual(records.length); // every answer is whole in at least one window
  });

  it('postprocess: the best span over all windows, then "no answer" for v2 past the threshold', () => {
    const r = records.find((x) => encodeQa([x], tok, { maxLength: 48, docStride: 8, maxQueryLength: 64 }).features.length >= 3)!;
    const { features } = encodeQa([r], tok, { maxLength: 48, docStride: 8, maxQueryLength: 64 });
    const logits = features.map((f) => new Float32Array(2 * f.ids.length));
    // in window 2: start at its 3rd context token, end 2 tokens later; weaker candidates elsewhere
    const f2 = features[2], first = f2.ctxStart.findIndex((s) => s >= 0);
    logits[2][2 * (first + 2)] = 5;
    logits[2][2 * (first + 4) + 1] = 5;
    logits[0][2 * (features[0].ctxStart.findIndex((s) => s >= 0)) ] = 3;
    const want = r.context.slice(f2.ctxStart[first + 2], f2.ctxEnd[first + 4]);
    const [p] = postprocessQa([r], features, logits, { maxAnswerLength: 30, nBest: 20, v2: false, nullThreshold: 0 });
    expect(p.answer).toBe(want);
    expect(r.context.slice(codePointToUnit(r.context, p.start), codePointToUnit(r.context, p.end))).toBe(want);
    expect(p.score).toBeGreaterThan(0.5);
    // an answer longer than maxAnswerLength is never taken
    const [short] = postprocessQa([r], features, logits, { maxAnswerLength: 2, nBest: 20, v2: false, nullThreshold: 0 });
    expect(short.answer).not.toBe(want);
    // v2: the [CLS] score of every window (the least of them counts) against the best span's 10
    for (const l of logits) { l[0] = 6; l[1] = 6; }
    const none = postprocessQa([r], features, logits, { maxAnswerLength: 30, nBest: 20, v2: true, nullThreshold: 0 })[0];
    expect([none.answer, none.start, none.end]).toEqual(['', -1, -1]);
    expect(postprocessQa([r], features, logits, { maxAnswerLength: 30, nBest: 20, v2: true, nullThreshold: 3 })[0].answer).toBe(want);
  });
});

describe('readQa', () => {
  it('reads SQuAD JSON (v2 is_impossible) and JSON Lines in HF datasets form, code-point offsets', () => {
    const squad = join(dir, 'squad.json');
    const context = 'Emoji 😀 come first; the answer is Paris.';
    writeFileSync(squad, JSON.stringify({ version: 'v2.0', data: [{ title: 't', paragraphs: [{ context, qas: [
      { id: 'q1', question: 'Where?', answers: [{ text: 'Paris', answer_start: [...context].indexOf('P') }] },
      { id: 'q2', question: 'Who?', answers: [], is_impossible: true },
    ] }] }] }));
    const { records } = readQa(squad);
    expect(records.map((r) => r.id)).toEqual(['q1', 'q2']);
    expect(context.slice(records[0].answers[0].start, records[0].answers[0].start + 5)).toBe('Paris');
    expect(records[1].answers).toEqual([]);
    const jsonl = join(dir, 'squad.jsonl');
    writeFileSync(jsonl, JSON.stringify({ id: 'h1', question: 'Where?', context, answers: { text: ['Paris'], answer_start: [[...context].indexOf('P')] } }) + '\n');
    expect(readQa(jsonl).records[0].answers[0].start).toBe(context.indexOf('Paris'));
  });

  it('refuses an answer that is not in the context, naming the question; --skip-bad skips it', () => {
    const p = join(dir, 'bad.json');
    writeFileSync(p, JSON.stringify({ data: [{ paragraphs: [{ context: 'abc', qas: [{ id: 'q', question: 'x', answers: [{ text: 'zzz', answer_start: 0 }] }, { id: 'ok', question: 'y', answers: [{ text: 'b', answer_start: 1 }] }] }] }] }));
    expect(() => readQa(p)).toThrow(/answer 'zzz' is not in the context/);
    try { readQa(p); } catch (e) { expect((e as { where?: string }).where).toMatch(/bad\.json: data\[0\]\.paragraphs\[0\]\.qas\[0\]/); }
    const r = readQa(p, { skipBad: true });
    expect(r.records.map((x) => x.id)).toEqual(['ok']);
    expect(r.skipped).toHaveLength(1);
  });
});

describe('qa: finetune → predict → eval', () => {
  const WORDS = ['apple', 'river', 'stone', 'cloud', 'green', 'quick', 'seven', 'table', 'light', 'sound', 'paper', 'storm'];
  const COLORS = ['red', 'blue', 'yellow', 'purple'], ANIMALS = ['horse', 'tiger', 'mouse', 'eagle'];
  const rand = mulberry32(99);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  let pretrained: string;

  // a context of filler words with one colour and one animal; "which color ?" and "which animal ?"
  // have their word as the answer, "which fruit ?" has none (SQuAD v2)
  function questions(n: number): object[] {
    return Array.from({ length: n }, (_, i) => {
      const w = Array.from({ length: 18 }, () => pick(WORDS));
      const color = pick(COLORS), animal = pick(ANIMALS);
      w.splice(Math.floor(rand() * 19), 0, color);
      w.splice(Math.floor(rand() * 20), 0, animal);
      const context = w.join(' ');
      const kind = pick(['color', 'animal', 'fruit']);
      const answer = kind === 'color' ? color : kind === 'animal' ? animal : null;
      return { id: `q${i}`, question: `which ${kind} ?`, context,
        answers: answer ? { text: [answer], answer_start: [w.slice(0, w.indexOf(answer)).map((x) => x.length + 1).reduce((s, v) => s + v, 0)] } : { text: [], answer_start: [] } };
    });
  }
  const write = (name: string, rows: object[]) => {
    const p = join(dir, name);
    writeFileSync(p, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    return p;
  };

  beforeAll(() => {
    const vocab = new Vocab(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...WORDS, ...COLORS, ...ANIMALS, 'which', 'color', 'animal', 'fruit', '?']);
    const cfg = validateConfig({ ...presetConfig('tiny', vocab.size), hidden_size: 32, num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 64 });
    const m = new BertForTask(cfg, 'BertForPreTraining');
    m.initialize(1);
    pretrained = join(dir, 'pretrained');
    saveModelDir(pretrained, m, new Tokenizer(vocab));
  });

  it('learns to point at the asked-for word across windows, and to say "no answer"', () => {
    const train = write('train.jsonl', questions(400)), dev = write('dev.jsonl', questions(90));
    const out = join(dir, 'qa');
    // 20 context words in windows of 16 tokens (12 of context, 4 shared): every question spans two windows
    const r = runCli(['finetune', '--model', pretrained, '--task', 'qa', '--train', train, '--dev', dev, '--out', out, '--quiet', '--json',
      '--max-length', '16', '--doc-stride', '4', '--lr', '3e-3', '--batch-size', '16', '--epochs', '40'], { timeout: 240_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).best.score).toBeGreaterThan(0.8); // dev F1; a random span scores near 0, always "no answer" 33
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ architectures: ['BertForQuestionAnswering'], bert_cli_task: 'qa', bert_cli_max_length: 16, bert_cli_doc_stride: 4, version_2_with_negative: true });

    const p = runCli(['predict', '--model', out, '--quiet'], { input: [
      { id: 'a', question: 'which animal ?', context: 'apple river tiger stone cloud green quick seven table light sound paper storm red' },
      { id: 'b', question: 'which color ?', context: 'apple river tiger stone cloud green quick seven table light sound paper storm red' },
    ].map((x) => JSON.stringify(x)).join('\n') + '\n' });
    expect(p.code, p.stderr).toBe(0);
    const preds = p.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(preds.map((x) => Object.keys(x))).toEqual([['id', 'answer', 'score', 'start', 'end'], ['id', 'answer', 'score', 'start', 'end']]);
    expect(preds.map((x) => x.answer)).toEqual(['tiger', 'red']); // 'red' sits in the second window only
    expect([preds[0].start, preds[0].end]).toEqual([12, 17]);

    const e = runCli(['eval', '--model', out, dev]);
    expect(e.code, e.stderr).toBe(0);
    const m = JSON.parse(e.stdout);
    expect(m.task).toBe('qa');
    expect(m.f1).toBeGreaterThan(80);
    expect(m.HasAns_total + m.NoAns_total).toBe(90);
    expect(m.NoAns_exact).toBeGreaterThan(60);
  }, 240_000);
});

describe('an answer_start that misses its text', () => {
  it('is moved to the nearest occurrence and reported, never silently; an answer not in the context is an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bert-qa-moved-'));
    const p = join(dir, 'q.jsonl');
    const context = 'The war ended in 1865. The peace came in 1866.';
    writeFileSync(p, [
      { id: 'exact', question: 'When?', context, answers: { text: ['1865'], answer_start: [17] } },
      { id: 'off', question: 'When?', context, answers: { text: ['1866'], answer_start: [39] } },
      { id: 'past', question: 'When?', context, answers: { text: ['1865'], answer_start: [400] } },
    ].map((x) => JSON.stringify(x)).join('\n') + '\n');
    const q = readQa(p);
    expect(q.records.map((r) => r.answers[0].start)).toEqual([17, 41, 17]);
    expect(q.relocated).toHaveLength(2);
    expect(q.relocated[0]).toMatch(/q\.jsonl:2/);
    writeFileSync(p, JSON.stringify({ id: 'x', question: 'When?', context, answers: { text: ['1999'], answer_start: [0] } }) + '\n');
    expect(() => readQa(p)).toThrow(/answer '1999' is not in the context/);
  });
});

// Every input reader meets bad input with a BertError (one line, naming the file and line) and never
// anything else: named edge cases first, then seeded random inputs — mutations of valid files and raw
// bytes — into the record reader (whole and streamed), CoNLL, SQuAD, vocab.txt, config.json, the
// pretraining corpus reader and the tokenizer. The streamed reader predict uses must give exactly the
// rows the whole-file reader gives.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import { readDocuments } from '../../lib/data/corpus.js';
import { BertError } from '../../lib/errors.js';
import { readQa } from '../../lib/tasks/qa.js';
import { readRecords, streamRecords, type RecordSource } from '../../lib/tasks/records.js';
import { readTagged, streamTagged, type TaggedSentence } from '../../lib/tasks/tag.js';
import { Tokenizer } from '../../lib/tokenizer/tokenizer.js';
import { Vocab } from '../../lib/tokenizer/vocab.js';
import { mulberry32 } from '../helpers/random.js';

const dir = mkdtempSync(join(tmpdir(), 'bert-cli-readers-'));
let n = 0;
const file = (ext: string, content: string | Uint8Array) => {
  const p = join(dir, `f${n++}${ext}`);
  writeFileSync(p, content);
  return p;
};

async function streamed(path: string, size: number, skipBad = false): Promise<RecordSource> {
  const all: RecordSource = { rows: [], lines: [], columns: [], file: path, skipped: [] };
  for await (const c of streamRecords(path, { size, skipBad })) {
    expect(c.rows.length).toBeLessThanOrEqual(size);
    all.rows.push(...c.rows);
    all.lines.push(...c.lines);
    all.skipped.push(...c.skipped);
    all.columns = c.columns;
  }
  return all;
}

async function streamedTagged(path: string, size: number, skipBad = false): Promise<TaggedSentence[]> {
  const out: TaggedSentence[] = [];
  for await (const c of streamTagged(path, size, { skipBad })) {
    expect(c.length).toBeLessThanOrEqual(size);
    out.push(...c);
  }
  return out;
}

/** Runs a reader; anything but success or a BertError with a place fails the test. */
async function onlyBertErrors(what: string, f: () => unknown): Promise<'ok' | 'refused'> {
  try {
    await f();
    return 'ok';
  } catch (err) {
    if (!(err instanceof BertError)) throw new Error(`${what}: ${(err as Error)?.stack ?? err}`);
    expect(err.message.includes('\n'), `${what}: one line`).toBe(false);
    return 'refused';
  }
}

const CASES: [string, string, string][] = [
  ['quoted CSV field with a tab, a newline and a doubled quote', '.csv', 'text,label\n"a\tb\nc ""d""",x\nplain,y\n'],
  ['CSV with CRLF, a BOM and quoted commas', '.csv', '\ufefftext,label\r\n"one, two",a\r\nthree,b\r\n'],
  ['a quote inside an unquoted field is literal', '.tsv', 'text\tlabel\n5" tall\tx\nsaid "hi" there\ty\n'],
  ['blank lines between rows', '.tsv', 'text\tlabel\n\nfirst\tx\n\n\nsecond\ty\n'],
  ['JSON Lines with unicode and a blank line', '.jsonl', '{"text":"naïve 😀","label":"a"}\n\n{"text":"b","label":"b","extra":1}\n'],
  ['a file without a final newline', '.csv', 'text,label\nlast,row'],
  // TSV in BERT's world has no quoting (Google's run_classifier and HF datasets read it with
  // quotechar=None): a field that starts with a quote is text, and every line is one record
  ['TSV has no quotes: an opening quote is text and swallows no lines', '.tsv', 'text\tlabel\n"Hello, he said\tx\nnext line\ty\n"quoted"\tz\n""\tw\n'],
  ['a lone CR stays inside its field; CRLF ends the record', '.tsv', 'text\tlabel\none\rtwo\tx\r\nthree\ty\r\n'],
];

describe('tagged reader: CoNLL and JSON Lines, whole and streamed alike', () => {
  it('sentences, -DOCSTART-, CRLF and a BOM; chunks of 1, 2 and 1000', async () => {
    for (const [ext, content] of [
      ['.conll', '\ufeff-DOCSTART- O\r\n\r\nJohn B-PER\r\nlives O\r\n\r\n\r\nParis\tB-LOC\r\nis O\r\nbig O\r\n'],
      ['.jsonl', '{"words":["a","b"],"tags":["X","Y"]}\n\n{"tokens":["c"],"ner_tags":["Z"]}\n'],
    ]) {
      const p = file(ext, content);
      const whole = readTagged(p).sentences;
      expect(whole.length).toBe(2);
      for (const size of [1, 2, 1000]) expect(await streamedTagged(p, size)).toEqual(whole);
    }
    expect(readTagged(file('.conll', '-DOCSTART- O\n\nJohn B-PER\nlives O\n')).sentences[0]).toMatchObject({ words: ['John', 'lives'], tags: ['B-PER', 'O'], line: 3 });
  });

  it('a sentence with tags on some words only is an error naming the line, or skipped', async () => {
    const p = file('.conll', 'John B-PER\nlives\n\nok O\n');
    expect(() => readTagged(p)).toThrow(/some words of this sentence have a tag and some do not/);
    await expect(streamedTagged(p, 5)).rejects.toThrow(/some words/);
    expect(readTagged(p, { skipBad: true }).skipped).toEqual([2]);
  });
});

describe('record reader: edge cases, whole and streamed alike', () => {
  for (const [name, ext, content] of CASES) {
    it(name, async () => {
      const p = file(ext, content);
      const whole = readRecords(p);
      for (const size of [1, 2, 1000]) {
        const s = await streamed(p, size);
        expect(s.rows, `chunks of ${size}`).toEqual(whole.rows);
        expect(s.lines).toEqual(whole.lines);
        expect(s.columns.sort()).toEqual([...whole.columns].sort());
      }
    });
  }

  it('the cases read as a person expects', () => {
    expect(readRecords(file('.csv', CASES[0][2])).rows[0].text).toBe('a\tb\nc "d"');
    expect(readRecords(file('.csv', CASES[1][2])).rows.map((r) => r.text)).toEqual(['one, two', 'three']);
    expect(readRecords(file('.tsv', CASES[2][2])).rows.map((r) => r.text)).toEqual(['5" tall', 'said "hi" there']);
    expect(readRecords(file('.tsv', CASES[3][2])).lines).toEqual([3, 6]);
    const tsv = readRecords(file('.tsv', CASES[6][2]));
    expect(tsv.rows.map((r) => r.text)).toEqual(['"Hello, he said', 'next line', '"quoted"', '""']);
    expect(tsv.lines).toEqual([2, 3, 4, 5]);
    expect(readRecords(file('.tsv', CASES[7][2])).rows.map((r) => [r.text, r.label])).toEqual([['one\rtwo', 'x'], ['three', 'y']]);
  });

  it('bad rows: an error naming the file and line, or skipped and listed with --skip-bad (both readers)', async () => {
    const p = file('.tsv', 'text\tlabel\nok\tx\nragged\nfine\ty\n{"not":"tsv"}\n');
    expect(() => readRecords(p)).toThrow(/expected 2 fields as the header has, found 1/);
    await expect(streamed(p, 2)).rejects.toThrow(/found 1/);
    try { readRecords(p); } catch (e) { expect((e as BertError).where).toBe(`${p}:3`); }
    const whole = readRecords(p, { skipBad: true }), s = await streamed(p, 2, true);
    expect(whole.skipped.map((x) => x.line)).toEqual([3, 5]);
    expect(s.skipped.map((x) => x.line)).toEqual([3, 5]);
    expect(s.rows).toEqual(whole.rows);
    const open = file('.csv', 'text,label\n"never closed,x\nmore,y\n');
    expect(() => readRecords(open)).toThrow(/never closed/);
    await expect(streamed(open, 5)).rejects.toThrow(/never closed/);
    expect(() => readRecords(file('.tsv', ''))).toThrow(/empty/);
    await expect(streamed(file('.tsv', ''), 5)).rejects.toThrow(/empty/);
    expect(() => readRecords(file('.jsonl', '\n\n'))).toThrow(/no rows/);
    expect(() => readRecords(file('.jsonl', '[1,2]\n'))).toThrow(/not a JSON object/);
  });
});

// Random inputs: valid files mutated (bytes dropped, duplicated, replaced with structure characters)
// and raw bytes. Seeded, so a failure reproduces; bounded, so CI time stays small.
const STRUCTURE = ['\t', ',', '"', '\n', '\r\n', '{', '}', '[', ']', ':', ' ', '\ufeff', '\u0000', '\udc00', '😀', '-DOCSTART-', 'O', 'B-PER', 'null'];
function mutate(s: string, rand: () => number): string {
  const chars = Array.from(s);
  const k = 1 + Math.floor(rand() * 6);
  for (let i = 0; i < k; i++) {
    const at = Math.floor(rand() * (chars.length + 1));
    const r = rand();
    if (r < 0.3) chars.splice(at, 1);
    else if (r < 0.7) chars.splice(at, 0, STRUCTURE[Math.floor(rand() * STRUCTURE.length)]);
    else chars.splice(at, 0, ...chars.slice(at, at + Math.floor(rand() * 10)));
  }
  return chars.join('');
}
/** Seeded cases each reader gets (issue: at least 10,000 per reader in CI). */
const CASES_PER_READER = 10_000;
const randomBytes = (rand: () => number) => Uint8Array.from({ length: Math.floor(rand() * 300) }, () => Math.floor(rand() * 256));

const SEEDS: [string, string][] = [
  ['.tsv', CASES.map((c) => c[2]).filter((_, i) => CASES[i][1] === '.tsv').join('')],
  ['.csv', CASES[1][2]],
  ['.jsonl', CASES[4][2]],
  ['.conll', '-DOCSTART- O\n\nJohn B-PER\nlives O\nin O\nParis B-LOC\n\nHe O\nleft O\n'],
  ['.json', JSON.stringify({ data: [{ paragraphs: [{ context: 'The cat sat on the mat.', qas: [{ id: 'a', question: 'Where?', answers: [{ text: 'the mat', answer_start: 15 }] }, { id: 'b', question: 'Who?', answers: [], is_impossible: true }] }] }] })],
];

describe('readers under random input: a BertError or a result, never a crash', () => {
  it('records (whole and streamed), CoNLL, SQuAD: 10,000 seeded cases per reader (3 in 4 mutations of a valid file, 1 in 4 random bytes)', async () => {
    const rand = mulberry32(20261201);
    let refused = 0, read = 0;
    for (const [ext, seed] of SEEDS) {
      for (let i = 0; i < CASES_PER_READER; i++) {
        const content = i % 4 ? mutate(seed, rand) : randomBytes(rand);
        const p = file(ext, content);
        const what = `${ext} case ${i} (${p})`;
        const readers: (() => unknown)[] = ext === '.conll' ? [() => readTagged(p), () => readTagged(p, { skipBad: true }), () => streamedTagged(p, 2)]
          : ext === '.json' ? [() => readQa(p), () => readQa(p, { skipBad: true })]
          : [() => readRecords(p), () => readRecords(p, { skipBad: true }), () => streamed(p, 3), () => streamed(p, 3, true)];
        for (const r of readers) (await onlyBertErrors(what, r)) === 'ok' ? read++ : refused++;
      }
    }
    // both outcomes happen: the mutations reach the error paths and also leave readable files
    expect(refused).toBeGreaterThan(1000);
    expect(read).toBeGreaterThan(1000);
  }, 600_000);

  it('vocab.txt, config.json and the pretraining corpus', async () => {
    const rand = mulberry32(7);
    const vocabText = '[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\n##s\ncat\n';
    const configText = JSON.stringify({ hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 64, vocab_size: 100 });
    const corpus = 'First sentence.\nSecond one.\n\nAnother document.\n';
    for (let i = 0; i < CASES_PER_READER; i++) {
      const bytes = i % 4 === 0;
      await onlyBertErrors(`vocab ${i}`, () => Vocab.fromFile(file('.txt', bytes ? randomBytes(rand) : mutate(vocabText, rand))));
      await onlyBertErrors(`config ${i}`, () => loadConfig(file('.json', bytes ? randomBytes(rand) : mutate(configText, rand))));
      await onlyBertErrors(`corpus ${i}`, async () => {
        for await (const d of readDocuments([file('.txt', bytes ? randomBytes(rand) : mutate(corpus, rand))])) expect(Array.isArray(d)).toBe(true);
      });
    }
  }, 600_000);

  it('the tokenizer takes any string: ids in the vocabulary, offsets inside the text', () => {
    const tok = new Tokenizer(new Vocab(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'cat', '##s', 'a', '##b', '.', 'é']));
    const rand = mulberry32(99);
    for (let i = 0; i < CASES_PER_READER; i++) {
      const len = Math.floor(rand() * 40);
      // code units from every range: ASCII, Latin-1, combining marks, CJK, lone surrogates, controls
      const text = String.fromCharCode(...Array.from({ length: len }, () => {
        const r = rand();
        return r < 0.4 ? 32 + Math.floor(rand() * 95) : r < 0.6 ? Math.floor(rand() * 0x300) : r < 0.8 ? 0x4e00 + Math.floor(rand() * 100) : Math.floor(rand() * 0x10000);
      }));
      const enc = tok.encode(text, rand() < 0.3 ? text.slice(0, 5) : null, { maxLength: 1 + Math.floor(rand() * 20) + 2 });
      for (const id of enc.ids) expect(id >= 0 && id < tok.vocab.size).toBe(true);
      for (const [s, e] of enc.offsets) expect(s >= 0 && s <= e && e <= text.length).toBe(true);
      expect(enc.ids.length).toBe(enc.typeIds.length);
    }
  });
});

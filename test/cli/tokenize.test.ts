// bert-cli tokenize and bert-cli vocab, spawned as a user runs them.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { bertBaseUncasedVocabPath } from '../helpers/bert-vocab.js';
import { sotuLines } from '../tokenizer/cases.js';
import { runCli } from './helpers.js';

const vocab = bertBaseUncasedVocabPath();
const dir = mkdtempSync(join(tmpdir(), 'bert-cli-cli-'));
const parse = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l));

describe('bert-cli tokenize', () => {
  it('prints one JSON object per line, in order, with the contract fields', () => {
    const r = runCli(['tokenize', '--vocab', vocab], { input: 'help prince mayuko transfer huge inheritance\n\nmy dog\n' });
    expect(r.code).toBe(0);
    const rows = parse(r.stdout);
    expect(rows).toHaveLength(3);
    expect(Object.keys(rows[0])).toEqual(['tokens', 'input_ids', 'token_type_ids', 'attention_mask']);
    expect(rows[0].input_ids).toEqual([101, 2393, 3159, 2089, 6968, 2080, 4651, 4121, 12839, 102]);
    expect(rows[1].tokens).toEqual(['[CLS]', '[SEP]']); // an empty line
    expect(rows[2].tokens).toEqual(['[CLS]', 'my', 'dog', '[SEP]']);
  });

  it('pairs, truncation and offsets', () => {
    const r = runCli(['tokenize', '--vocab', vocab, '--pair', '--offsets', '--max-length', '7'], {
      input: 'my dog is cute\the likes playing\n',
    });
    expect(r.code).toBe(0);
    const [row] = parse(r.stdout);
    expect(row.tokens).toEqual(['[CLS]', 'my', 'dog', '[SEP]', 'he', 'likes', '[SEP]']);
    expect(row.token_type_ids).toEqual([0, 0, 0, 0, 1, 1, 1]);
    expect(row.offsets).toEqual([[0, 0], [0, 2], [3, 6], [0, 0], [0, 2], [3, 8], [0, 0]]);
  });

  it('decodes invalid UTF-8 with replacement characters and handles a BOM and CRLF', () => {
    const file = join(dir, 'messy.txt');
    writeFileSync(file, Buffer.concat([Buffer.from('\ufeffcaf\u00e9 ok\r\n', 'utf8'), Buffer.from([0x61, 0xff, 0xfe, 0x62, 0x0a])]));
    const r = runCli(['tokenize', '--vocab', vocab, '--offsets', file]);
    expect(r.code).toBe(0);
    const rows = parse(r.stdout);
    expect(rows[0].tokens).toEqual(['[CLS]', 'cafe', 'ok', '[SEP]']);
    expect(rows[0].offsets[1]).toEqual([0, 4]); // the BOM is not part of the line
    expect(rows[1].tokens).toEqual(['[CLS]', 'ab', '[SEP]']); // U+FFFD is dropped, as BERT does
  });

  it('--no-lowercase keeps case; -o writes a file', () => {
    const out = join(dir, 'out.jsonl');
    const r = runCli(['tokenize', '--vocab', vocab, '--no-lowercase', '-o', out], { input: 'Hello\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(parse(readFileSync(out, 'utf8'))[0].tokens).toEqual(['[CLS]', '[UNK]', '[SEP]']);
  });

  it('a large input through the worker threads gives the same lines in the same order', () => {
    const lines = sotuLines(12_000);
    const file = join(dir, 'big.txt');
    writeFileSync(file, lines.join('\n') + '\n');
    const one = runCli(['tokenize', '--vocab', vocab, '--threads', '1', file]);
    const two = runCli(['tokenize', '--vocab', vocab, '--threads', '2', file]);
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(two.stdout).toBe(one.stdout);
    expect(one.stdout.trim().split('\n')).toHaveLength(lines.length);
  });

  it('errors: one line, naming the file and line, the flag, or the file', () => {
    const noTab = runCli(['tokenize', '--vocab', vocab, '--pair'], { input: 'a\tb\nno tab\n' });
    expect(noTab.code).toBe(1);
    expect(noTab.stderr).toBe('bert-cli: error: expected TEXT_A<TAB>TEXT_B (no tab on this line), <stdin>:2\n');
    const missing = runCli(['tokenize', '--vocab', join(dir, 'none.txt')], { input: '' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^bert-cli: error: vocabulary file not found, .*none\.txt\n$/);
    const badVocab = join(dir, 'bad-vocab.txt');
    writeFileSync(badVocab, '[PAD]\nhello\n');
    const noUnk = runCli(['tokenize', '--vocab', badVocab], { input: '' });
    expect(noUnk.code).toBe(1);
    expect(noUnk.stderr).toMatch(/vocabulary has no \[UNK\] token/);
    const neither = runCli(['tokenize'], { input: '' });
    expect(neither.code).toBe(2);
    const badLen = runCli(['tokenize', '--vocab', vocab, '--max-length', 'ten']);
    expect(badLen.code).toBe(2);
    expect(badLen.stderr).toMatch(/--max-length <n>' argument 'ten' is invalid/);
    const noFile = runCli(['tokenize', '--vocab', vocab, join(dir, 'missing.txt')]);
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toMatch(/file not found, .*missing\.txt/);
  });
});

describe('bert-cli vocab', () => {
  it('learns a vocabulary that tokenize can use, the same on every run', () => {
    const corpus = join(dir, 'corpus.txt');
    writeFileSync(corpus, sotuLines(3000).join('\n') + '\n');
    const out1 = join(dir, 'v1.txt'), out2 = join(dir, 'v2.txt');
    const r = runCli(['vocab', corpus, '--size', '2000', '-o', out1, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ tokens: 2000, output: out1, lowercase: true });
    runCli(['vocab', corpus, '--size', '2000', '-o', out2, '--quiet']);
    expect(readFileSync(out2, 'utf8')).toBe(readFileSync(out1, 'utf8'));
    const lines = readFileSync(out1, 'utf8').trim().split('\n');
    expect(lines.slice(0, 5)).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
    const t = runCli(['tokenize', '--vocab', out1], { input: 'the congress\n' });
    expect(parse(t.stdout)[0].tokens).toEqual(['[CLS]', 'the', 'congress', '[SEP]']);
  });

  it('needs --size and -o', () => {
    const r = runCli(['vocab', 'x.txt', '-o', join(dir, 'v.txt')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/required option '--size <n>' not specified/);
  });
});

// tokenizer.json both ways. Written: HF's Rust tokenizer (the npm binding) loads the file bert-cli
// writes and encodes exactly as bert-cli does — tokens, ids, type ids, offsets — on the named cases
// and 500 State of the Union sentences, uncased and cased. Read: the file HF itself saves (its older
// BertProcessing form) gives the tokenizer the vocab.txt gives; a model directory with tokenizer.json
// alone works end to end; a file that is not a BERT WordPiece tokenizer is refused naming the field.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatError } from '../../lib/errors.js';
import { Tokenizer } from '../../lib/tokenizer/tokenizer.js';
import { bertBaseUncasedVocabPath } from '../helpers/bert-vocab.js';
import { hfBertTokenizer, hfEncode } from '../helpers/hf-oracle.js';
import { runCli, tinyModels } from '../cli/helpers.js';
import { CASES, sotuLines } from './cases.js';

const require = createRequire(import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'bert-cli-tokjson-'));

describe.each([['uncased', true], ['cased', false]] as const)('the tokenizer.json bert-cli writes, in HF tokenizers: %s', (name, lowercase) => {
  const ours = Tokenizer.fromVocabFile(bertBaseUncasedVocabPath(), { lowercase });
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(ours.toJson()));
  it('encodes every case and 500 sentences as bert-cli does', async () => {
    const hf = require('@anush008/tokenizers').Tokenizer.fromFile(path);
    for (const c of [...CASES, ...sotuLines(500).map((text) => ({ name: text, text }))]) {
      const want = await hfEncode(hf, c);
      const got = ours.encode(c.text, c.pair ?? null, { maxLength: c.maxLength, truncation: c.truncation });
      expect({ case: c.name, tokens: got.tokens, ids: got.ids, typeIds: got.typeIds, offsets: got.offsets }).toEqual({ case: c.name, ...want });
    }
  });
  it('reads back as the same tokenizer', () => {
    const d = join(dir, `${name}-dir`);
    cpSync(path, join(d, 'tokenizer.json'), { recursive: true });
    const back = Tokenizer.fromModelDir(d);
    expect(back.vocab.tokens).toEqual(ours.vocab.tokens);
    expect(back.options).toEqual(ours.options);
  });
});

describe('reading tokenizer.json', () => {
  it('the file HF saves (BertProcessing) gives the tokenizer vocab.txt gives', async () => {
    const hf = await hfBertTokenizer(bertBaseUncasedVocabPath(), true);
    const d = join(dir, 'hf-saved');
    hf.save(join(dir, 'hf.json'));
    cpSync(join(dir, 'hf.json'), join(d, 'tokenizer.json'), { recursive: true });
    const fromJson = Tokenizer.fromModelDir(d), fromTxt = Tokenizer.fromVocabFile(bertBaseUncasedVocabPath());
    expect(fromJson.vocab.tokens).toEqual(fromTxt.vocab.tokens);
    expect(fromJson.options).toEqual(fromTxt.options);
    for (const text of sotuLines(50)) expect(fromJson.encode(text).ids).toEqual(fromTxt.encode(text).ids);
  });

  it('a model directory with tokenizer.json and no vocab.txt predicts and is saved with both', () => {
    mkdirSync(join(dir, 'tiny'));
    const m = tinyModels(join(dir, 'tiny'), { classifier: true });
    rmSync(join(m.classifier, 'vocab.txt'));
    const r = runCli(['predict', '--model', m.classifier, '--quiet'], { input: 'the war\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveProperty('label');
    const again = runCli(['finetune', '--model', m.classifier, '--task', 'classify', '--train', m.train, '--out', join(dir, 'tiny', 'again'), '--epochs', '1', '--quiet']);
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(join(dir, 'tiny', 'again', 'vocab.txt'), 'utf8')).toBe(Tokenizer.fromModelDir(m.classifier).vocab.toText());
    expect(JSON.parse(readFileSync(join(dir, 'tiny', 'again', 'tokenizer.json'), 'utf8'))).toEqual(Tokenizer.fromModelDir(m.classifier).toJson());
  });

  it('tokenizer_config.json\'s do_lower_case overrides the file\'s normalizer, as BertTokenizerFast lets it', () => {
    const d = join(dir, 'override');
    cpSync(join(dir, 'uncased.json'), join(d, 'tokenizer.json'), { recursive: true });
    writeFileSync(join(d, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: false }));
    expect(Tokenizer.fromModelDir(d).options).toMatchObject({ lowercase: false, stripAccents: false });
  });

  const refuse = (what: string, edit: (j: Record<string, any>) => void, message: RegExp) => it(`refuses ${what}`, () => {
    const d = join(dir, what.replace(/\W+/g, '-'));
    const j = Tokenizer.fromVocabFile(bertBaseUncasedVocabPath()).toJson() as Record<string, any>;
    edit(j);
    cpSync(join(dir, 'uncased.json'), join(d, 'tokenizer.json'), { recursive: true });
    writeFileSync(join(d, 'tokenizer.json'), JSON.stringify(j));
    try {
      Tokenizer.fromModelDir(d);
      expect.unreachable();
    } catch (err) {
      expect(formatError(err)).toMatch(message);
    }
  });
  refuse('a BPE model', (j) => { j.model = { type: 'BPE', vocab: {}, merges: [] }; }, /^model\.type is "BPE", not "WordPiece", \S+tokenizer\.json \(bert-cli reads BERT WordPiece/);
  refuse('another normalizer', (j) => { j.normalizer = { type: 'NFC' }; }, /^normalizer\.type is "NFC", not "BertNormalizer"/);
  refuse('a template without [SEP]', (j) => { j.post_processor.single.pop(); }, /^post_processor\.single is "\[CLS\]:0 A:0", not \[CLS\] A \[SEP\]/);
  refuse('an id given twice', (j) => { j.model.vocab.the = 0; }, /^model\.vocab\["the"\] has id 0, which "\[PAD\]" has too/);
  refuse('a non-special added token', (j) => { j.added_tokens.push({ id: 1996, content: 'the', special: false }); }, /added_tokens\[5\] \("the"\) is not special/);
  refuse('an added token at another id than the vocabulary\'s', (j) => { j.added_tokens[2].id = 7; }, /added_tokens\[2\] \("\[CLS\]"\) has id 7, where the vocabulary has "\[unused6\]"/);
});

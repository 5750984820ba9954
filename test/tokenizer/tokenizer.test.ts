// The tokenizer's behaviour around the parity table: the course's examples with their ids, batches
// and padding, decoding, model directories, vocabulary errors.
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { Tokenizer } from '../../lib/tokenizer/tokenizer.js';
import { Vocab } from '../../lib/tokenizer/vocab.js';
import { BertError } from '../../lib/errors.js';
import { bertBaseUncasedVocabPath } from '../helpers/bert-vocab.js';

const tok = Tokenizer.fromVocabFile(bertBaseUncasedVocabPath());

describe('the course examples', () => {
  it('"help prince mayuko transfer huge inheritance"', () => {
    const e = tok.encode('help prince mayuko transfer huge inheritance');
    expect(e.tokens).toEqual(['[CLS]', 'help', 'prince', 'may', '##uk', '##o', 'transfer', 'huge', 'inheritance', '[SEP]']);
    // the slide's 101 … 102 frame; the ids between are bert-base-uncased's
    expect(e.ids[0]).toBe(101);
    expect(e.ids[e.ids.length - 1]).toBe(102);
    expect(e.ids).toEqual([101, 2393, 3159, 2089, 6968, 2080, 4651, 4121, 12839, 102]);
    expect(e.attentionMask).toEqual(new Array(10).fill(1));
  });

  it('"my dog is cute" / "he likes playing" as a pair', () => {
    const e = tok.encode('my dog is cute', 'he likes playing');
    expect(e.tokens).toEqual(['[CLS]', 'my', 'dog', 'is', 'cute', '[SEP]', 'he', 'likes', 'playing', '[SEP]']);
    expect(e.typeIds).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
    expect(e.sequenceIds).toEqual([null, 0, 0, 0, 0, null, 1, 1, 1, null]);
  });
});

describe('encoding', () => {
  it('an empty text is [CLS] [SEP]', () => {
    expect(tok.encode('').tokens).toEqual(['[CLS]', '[SEP]']);
    expect(tok.encode('\u0000\u200b ').tokens).toEqual(['[CLS]', '[SEP]']);
  });

  it('word ids follow pre-tokenized words; a word split in pieces shares one id', () => {
    const e = tok.encode('mayuko said hi!');
    expect(e.tokens).toEqual(['[CLS]', 'may', '##uk', '##o', 'said', 'hi', '!', '[SEP]']);
    expect(e.wordIds).toEqual([null, 0, 0, 0, 1, 2, 3, null]);
  });

  it('every CJK ideograph is its own token, as in bert-base-chinese', () => {
    expect(tok.tokenize('北京大学')).toEqual(['北', '京', '大', '学']);
  });

  it('pads a batch to the longest, or to max length, with mask 0', () => {
    const [a, b] = tok.encodeBatch(['a b c', ['x', 'y']], { padding: 'longest' });
    expect(a.ids.length).toBe(5);
    expect(b.ids.length).toBe(5);
    expect(a.attentionMask).toEqual([1, 1, 1, 1, 1]);
    expect(b.tokens).toEqual(['[CLS]', 'x', '[SEP]', 'y', '[SEP]']);
    const [c] = tok.encodeBatch(['a'], { padding: 'max_length', maxLength: 6 });
    expect(c.tokens).toEqual(['[CLS]', 'a', '[SEP]', '[PAD]', '[PAD]', '[PAD]']);
    expect(c.attentionMask).toEqual([1, 1, 1, 0, 0, 0]);
    expect(c.typeIds).toEqual([0, 0, 0, 0, 0, 0]);
    expect(c.offsets.slice(3)).toEqual([[0, 0], [0, 0], [0, 0]]);
  });

  it('truncation errors: no room for the specials, only_second without a pair, only_first impossible', () => {
    expect(() => tok.encode('a b', null, { maxLength: 1 })).toThrow(/leaves no room for the 2 special tokens/);
    expect(() => tok.encode('a b c', null, { maxLength: 3, truncation: 'only_second' })).toThrow(/needs a text pair/);
    expect(() => tok.encode('a', 'b c d e', { maxLength: 5, truncation: 'only_first' })).toThrow(/other text alone has 4 tokens/);
  });
});

describe('decode', () => {
  it('joins ## pieces and cleans spaces as HF\'s WordPiece decoder', () => {
    const e = tok.encode("help prince mayuko, don't go!");
    expect(tok.decode(e.ids, { skipSpecialTokens: true })).toBe("help prince mayuko, don't go!");
    expect(tok.decode(e.ids)).toBe("[CLS] help prince mayuko, don't go! [SEP]");
  });

  it('refuses an id outside the vocabulary', () => {
    expect(() => tok.decode([5, 99999])).toThrow(/token id 99999 is outside the vocabulary of 30522/);
  });
});

describe('vocabularies and model directories', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bert-cli-tok-'));

  it('a missing vocab file, or one without [UNK], [CLS] or [SEP], is an error naming the file', () => {
    expect(() => Vocab.fromFile(join(dir, 'nope.txt'))).toThrow(BertError);
    expect(() => Vocab.fromFile(join(dir, 'nope.txt'))).toThrow(/vocabulary file not found/);
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, '[PAD]\n[CLS]\n[SEP]\nhello\n');
    try {
      Vocab.fromFile(bad);
      expect.unreachable();
    } catch (err) {
      expect((err as BertError).message).toBe('vocabulary has no [UNK] token');
      expect((err as BertError).where).toBe(bad);
    }
  });

  it('reads CRLF vocab files and a BOM, ids by line number', () => {
    const v = Vocab.fromText('\ufeff[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nhi\r\n');
    expect(v.size).toBe(5);
    expect(v.id('hi')).toBe(4);
    expect(v.id('[PAD]')).toBe(0);
  });

  it('reads do_lower_case from tokenizer_config.json; a flag overrides it', () => {
    const model = join(dir, 'model');
    mkdirSync(model, { recursive: true });
    writeFileSync(join(model, 'vocab.txt'), Vocab.fromFile(bertBaseUncasedVocabPath()).toText());
    writeFileSync(join(model, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: false }));
    expect(Tokenizer.fromModelDir(model).tokenize('Hello')).toEqual(['[UNK]']);
    expect(Tokenizer.fromModelDir(model, { lowercase: true }).tokenize('Hello')).toEqual(['hello']);
    writeFileSync(join(model, 'tokenizer_config.json'), '{ nope');
    expect(() => Tokenizer.fromModelDir(model)).toThrow(/invalid JSON/);
  });
});

// The WordPiece vocabulary trainer: layout (specials, alphabet, ## pieces, merges), size, minimum
// frequency, determinism, and that what it learns tokenizes its training text compactly.
import { describe, it, expect } from 'vitest';
import { trainWordPiece, WordCounter } from '../../lib/tokenizer/trainer.js';
import { Tokenizer } from '../../lib/tokenizer/tokenizer.js';
import { sotuLines } from './cases.js';

function counts(lines: string[], lowercase = true) {
  const c = new WordCounter(lowercase);
  for (const l of lines) c.addLine(l);
  return c.counts;
}

describe('vocab trainer', () => {
  it('lays out specials, the alphabet by code point, then ## pieces and merges', () => {
    const v = trainWordPiece(counts(['low lower lowest', 'newer newest wider']), { size: 40, minFrequency: 1 });
    expect(v.tokens.slice(0, 5)).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
    const alphabet = [...new Set('lowlowerlowestnewernewestwider')].sort();
    expect(v.tokens.slice(5, 5 + alphabet.length)).toEqual(alphabet);
    const rest = v.tokens.slice(5 + alphabet.length);
    expect(rest.filter((t) => t.startsWith('##') && t.length === 3).length).toBeGreaterThan(0);
    // (##w, ##e) occurs 4 times (lower, lowest, newer, newest), more than any other pair: first merge
    expect(rest.find((t) => !(t.startsWith('##') && t.length === 3))).toBe('##we');
    // every word is whole before 40 tokens: merging stops when no pair is left
    expect(v.size).toBeLessThan(40);
    const tok = new Tokenizer(v);
    for (const w of ['low', 'lower', 'lowest', 'newer', 'newest', 'wider']) expect(tok.tokenize(w)).toEqual([w]);
  });

  it('stops at the requested size, or when no pair reaches the minimum frequency', () => {
    const c = counts(['aaa bbb ccc']);
    // as in HF, the alphabet is always kept whole (11 tokens here); the size caps the merges
    expect(trainWordPiece(c, { size: 9, minFrequency: 1 }).size).toBe(11);
    const small = trainWordPiece(c, { size: 12, minFrequency: 1 });
    expect(small.tokens.slice(11)).toEqual(['aa']); // ties go to the pair of smaller ids
    const capped = trainWordPiece(c, { size: 1000, minFrequency: 5 });
    expect(capped.tokens).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'b', 'c', '##a', '##b', '##c']);
  });

  it('is deterministic and learns a vocabulary that tokenizes real text compactly', () => {
    const lines = sotuLines(4000);
    const a = trainWordPiece(counts(lines), { size: 3000 });
    const b = trainWordPiece(counts(lines), { size: 3000 });
    expect(a.tokens).toEqual(b.tokens);
    const tok = new Tokenizer(a);
    let words = 0, pieces = 0, unk = 0;
    for (const l of lines.slice(0, 500)) {
      const t = tok.tokenize(l);
      pieces += t.length;
      unk += t.filter((x) => x === '[UNK]').length;
      words += t.filter((x) => !x.startsWith('##')).length;
    }
    expect(unk).toBe(0); // every training character is in the alphabet
    expect(pieces / words).toBeLessThan(1.3); // most words are one piece
    expect(tok.tokenize('the congress')).toEqual(['the', 'congress']);
  });

  it('a cased vocabulary keeps case', () => {
    const v = trainWordPiece(counts(['The The The the'], false), { size: 20, minFrequency: 1 });
    expect(v.ids.has('The')).toBe(true);
    expect(v.ids.has('T')).toBe(true);
  });

  it('refuses a size below the special tokens', () => {
    expect(() => trainWordPiece(counts(['a']), { size: 3 })).toThrow(/at least the 5 special tokens/);
  });
});

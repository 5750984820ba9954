// What encoding produces, and the steps after WordPiece that HF's BERT tokenizer takes:
// truncation (longest_first / only_first / only_second, HF's arithmetic), the post-processor
// ([CLS] A [SEP] and [CLS] A [SEP] B [SEP] with token type ids 0…0 1…1), and padding.
import { BertError } from '../errors.js';

export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';
export const TRUNCATION_STRATEGIES: readonly TruncationStrategy[] = ['longest_first', 'only_first', 'only_second'];

/** One text's pieces before special tokens: ids, [start, end) offsets in the input, word index. */
export interface Pieces {
  ids: number[];
  offsets: number[]; // flat pairs
  words: number[];
}

export interface Encoding {
  tokens: string[];
  ids: number[];
  typeIds: number[];
  attentionMask: number[];
  specialTokensMask: number[];
  /** [start, end) in UTF-16 units of the input text (of text B for B's tokens); [0, 0] for added specials */
  offsets: [number, number][];
  /** index of the pre-tokenized word each token belongs to, within its sequence; null for specials */
  wordIds: (number | null)[];
  /** 0 for text A, 1 for text B, null for specials */
  sequenceIds: (number | null)[];
}

function cut(p: Pieces, n: number): void {
  p.ids.length = n;
  p.offsets.length = 2 * n;
  p.words.length = n;
}

/**
 * Truncates the pieces so that they fit `budget` tokens (max length less the special tokens), as HF
 * tokenizers' truncate_encodings does: for a pair under longest_first the shorter keeps
 * min(its length, max(its length, budget − its length)) and, if both are too long, each gets half
 * (the longer the odd one).
 */
export function truncate(a: Pieces, b: Pieces | null, budget: number, strategy: TruncationStrategy): void {
  const n1 = a.ids.length, n2 = b ? b.ids.length : 0;
  if (n1 + n2 <= budget) return;
  if (strategy === 'longest_first') {
    if (!b) return cut(a, budget);
    let short = Math.min(n1, n2), long = Math.max(n1, n2);
    long = short > budget ? short : Math.max(short, budget - short);
    if (short + long > budget) {
      short = Math.floor(budget / 2);
      long = short + (budget % 2);
    }
    const swap = n1 > n2;
    cut(a, Math.min(n1, swap ? long : short));
    cut(b, Math.min(n2, swap ? short : long));
    return;
  }
  const target = strategy === 'only_first' ? a : b;
  if (!target) throw new BertError('truncation only_second needs a text pair');
  const other = target === a ? n2 : n1;
  if (other >= budget) {
    throw new BertError(`cannot truncate with ${strategy}: the other text alone has ${other} tokens, over the max length`);
  }
  cut(target, budget - other);
}

export interface SpecialIds {
  cls: number;
  sep: number;
  clsToken: string;
  sepToken: string;
}

/** [CLS] A [SEP] (B [SEP]) with type ids, attention mask and offsets ([0,0] for the added specials). */
export function postProcess(a: Pieces, b: Pieces | null, tokens: readonly string[], sp: SpecialIds | null): Encoding {
  const enc: Encoding = {
    tokens: [], ids: [], typeIds: [], attentionMask: [], specialTokensMask: [], offsets: [], wordIds: [], sequenceIds: [],
  };
  const special = (id: number, token: string, type: number) => {
    enc.ids.push(id);
    enc.tokens.push(token);
    enc.typeIds.push(type);
    enc.attentionMask.push(1);
    enc.specialTokensMask.push(1);
    enc.offsets.push([0, 0]);
    enc.wordIds.push(null);
    enc.sequenceIds.push(null);
  };
  const seq = (p: Pieces, type: number) => {
    for (let i = 0; i < p.ids.length; i++) {
      enc.ids.push(p.ids[i]);
      enc.tokens.push(tokens[p.ids[i]]);
      enc.typeIds.push(type);
      enc.attentionMask.push(1);
      enc.specialTokensMask.push(0);
      enc.offsets.push([p.offsets[2 * i], p.offsets[2 * i + 1]]);
      enc.wordIds.push(p.words[i]);
      enc.sequenceIds.push(type);
    }
  };
  if (sp) special(sp.cls, sp.clsToken, 0);
  seq(a, 0);
  if (sp) special(sp.sep, sp.sepToken, 0);
  if (b) {
    seq(b, 1);
    if (sp) special(sp.sep, sp.sepToken, 1);
  }
  return enc;
}

/** Pads (on the right) to `length` with the [PAD] token: type 0, mask 0, offsets [0, 0]. */
export function pad(enc: Encoding, length: number, padId: number, padToken: string): void {
  while (enc.ids.length < length) {
    enc.ids.push(padId);
    enc.tokens.push(padToken);
    enc.typeIds.push(0);
    enc.attentionMask.push(0);
    enc.specialTokensMask.push(1);
    enc.offsets.push([0, 0]);
    enc.wordIds.push(null);
    enc.sequenceIds.push(null);
  }
}

// A WordPiece vocabulary: vocab.txt, one token a line, the id being the line number (0-based), as
// BERT and HF read it (trailing whitespace trimmed; a repeated token keeps its last line).
import { BertError } from '../errors.js';
import { readInput } from '../io/read.js';

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
export type SpecialToken = (typeof SPECIAL_TOKENS)[number];

export class Vocab {
  readonly tokens: string[];
  readonly ids: Map<string, number>;
  readonly source: string;

  constructor(tokens: string[], source = '(in memory)') {
    this.tokens = tokens;
    this.source = source;
    this.ids = new Map();
    tokens.forEach((t, i) => this.ids.set(t, i));
  }

  static fromFile(path: string): Vocab {
    // the largest published BERT vocabularies are a few MB (multilingual: 120,000 tokens, ~1 MB)
    return Vocab.fromText(readInput(path, 'vocabulary file', 'utf8', { maxBytes: 64 << 20 }), path);
  }

  static fromText(text: string, source = '(in memory)'): Vocab {
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const lines = text.split('\n');
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    const tokens = lines.map((l) => l.trimEnd());
    if (tokens.length === 0) throw new BertError('vocabulary is empty', { where: source });
    const vocab = new Vocab(tokens, source);
    for (const t of ['[UNK]', '[CLS]', '[SEP]'] as const) {
      if (!vocab.ids.has(t)) {
        throw new BertError(`vocabulary has no ${t} token`, { where: source, hint: 'a BERT vocab.txt lists [PAD] [UNK] [CLS] [SEP] [MASK]' });
      }
    }
    return vocab;
  }

  get size(): number {
    return this.tokens.length;
  }

  id(token: string): number | undefined {
    return this.ids.get(token);
  }

  /** The id of a special token that must exist ([UNK], [CLS], [SEP] are checked on load). */
  special(token: SpecialToken): number {
    const id = this.ids.get(token);
    if (id === undefined) throw new BertError(`vocabulary has no ${token} token`, { where: this.source });
    return id;
  }

  toText(): string {
    return this.tokens.join('\n') + '\n';
  }
}

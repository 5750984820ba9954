// HF's Rust tokenizer set up as BertTokenizerFast is for a vocab.txt: BertNormalizer,
// BertPreTokenizer, WordPiece, [CLS]/[SEP] post-processing, special tokens. Used by the fixture
// generator and the live parity test over SOTU lines.
import { createRequire } from 'node:module';
import type { ParityCase } from '../tokenizer/cases.js';

const require = createRequire(import.meta.url);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Hf = any;

export async function hfBertTokenizer(vocabPath: string, lowercase: boolean): Promise<Hf> {
  const hf = require('@anush008/tokenizers');
  const model = await hf.WordPiece.fromFile(vocabPath, { unkToken: '[UNK]' });
  const tok = new hf.Tokenizer(model);
  tok.setNormalizer(hf.bertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: lowercase, lowercase }));
  tok.setPreTokenizer(hf.bertPreTokenizer());
  const vocab = tok.getVocab();
  tok.setPostProcessor(hf.bertProcessing(['[SEP]', vocab['[SEP]']], ['[CLS]', vocab['[CLS]']]));
  tok.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  tok.setDecoder(hf.wordPieceDecoder());
  return tok;
}

/** HF counts offsets in characters (code points); JS strings count UTF-16 units. */
export function charToUnitOffsets(text: string, offsets: number[][]): [number, number][] {
  const unitAt: number[] = [];
  let u = 0;
  for (const ch of text) {
    unitAt.push(u);
    u += ch.length;
  }
  unitAt.push(u);
  return offsets.map(([s, e]) => [unitAt[s], unitAt[e]]);
}

export interface HfAnswer {
  tokens: string[];
  ids: number[];
  typeIds: number[];
  offsets: [number, number][];
  error?: string;
}

export async function hfEncode(hf: Hf, c: ParityCase): Promise<HfAnswer> {
  if (c.maxLength !== undefined) {
    const strategy = { longest_first: 'LongestFirst', only_first: 'OnlyFirst', only_second: 'OnlySecond' }[c.truncation ?? 'longest_first'];
    hf.setTruncation(c.maxLength, { strategy });
  } else {
    hf.disableTruncation();
  }
  const enc = await hf.encode(c.text, c.pair ?? null);
  const seq: (number | null)[] = enc.getSequenceIds();
  const raw: number[][] = enc.getOffsets();
  const inA = charToUnitOffsets(c.text, raw.map((o, i) => (seq[i] === 0 ? o : [0, 0])));
  const inB = c.pair === undefined ? inA : charToUnitOffsets(c.pair, raw.map((o, i) => (seq[i] === 1 ? o : [0, 0])));
  const offsets = raw.map((_, i) => (seq[i] === 0 ? inA[i] : seq[i] === 1 ? inB[i] : [0, 0]));
  return { tokens: enc.getTokens(), ids: enc.getIds(), typeIds: enc.getTypeIds(), offsets };
}

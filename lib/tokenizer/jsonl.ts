// One input line → one JSON Lines record, as `bert-cli tokenize` prints it. Shared by the
// in-process path and the worker threads, so both give byte-identical output.
import { BertError } from '../errors.js';
import type { EncodeOptions, Tokenizer } from './tokenizer.js';

export interface LineEncodeOptions extends EncodeOptions {
  /** a line is TEXT_A<TAB>TEXT_B */
  pair: boolean;
  offsets: boolean;
}

export function encodeLineToJson(tok: Tokenizer, text: string, o: LineEncodeOptions): string {
  let a = text;
  let b: string | null = null;
  if (o.pair) {
    const tab = text.indexOf('\t');
    if (tab < 0) throw new BertError('expected TEXT_A<TAB>TEXT_B (no tab on this line)');
    a = text.slice(0, tab);
    b = text.slice(tab + 1);
  }
  const e = tok.encode(a, b, o);
  const rec: Record<string, unknown> = {
    tokens: e.tokens,
    input_ids: e.ids,
    token_type_ids: e.typeIds,
    attention_mask: e.attentionMask,
  };
  if (o.offsets) rec.offsets = e.offsets;
  return JSON.stringify(rec);
}

/** A failure on line `index` of a chunk (the caller knows the file and line number). */
export class ChunkLineError extends Error {
  constructor(readonly index: number, message: string) {
    super(message);
  }
}

export function encodeChunkToJson(tok: Tokenizer, lines: string[], o: LineEncodeOptions): string {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    try {
      out.push(encodeLineToJson(tok, lines[i], o));
    } catch (err) {
      throw new ChunkLineError(i, (err as Error).message);
    }
  }
  return out.join('\n');
}

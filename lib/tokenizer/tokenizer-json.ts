// tokenizer.json, HF tokenizers' file (what BertTokenizerFast, transformers.js and the `tokenizers`
// libraries load), both ways. Written as HF writes a BERT tokenizer: added_tokens (the specials),
// BertNormalizer, BertPreTokenizer, TemplateProcessing for [CLS] A [SEP] and [CLS] A [SEP] B [SEP],
// the WordPiece decoder and model. Read: the same, or BertProcessing as older files have it;
// anything that is not a BERT WordPiece tokenizer (BPE, another normalizer or template) is refused
// with the field that says so, rather than tokenized differently.
import { BertError } from '../errors.js';
import { readJsonFile } from '../io/read.js';
import type { Tokenizer, TokenizerOptions } from './tokenizer.js';
import { SPECIAL_TOKENS, Vocab } from './vocab.js';

/** The tokenizer.json of a tokenizer (HF tokenizers' format, version 1.0). */
export function tokenizerJson(tok: Tokenizer): Record<string, unknown> {
  const v = tok.vocab, o = tok.options;
  const specials = [...new Set([...SPECIAL_TOKENS, ...o.extraSpecialTokens])].filter((t) => v.ids.has(t)).sort((a, b) => v.ids.get(a)! - v.ids.get(b)!);
  const cls = v.special('[CLS]'), sep = v.special('[SEP]');
  const special = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
  const seq = (id: 'A' | 'B', typeId: number) => ({ Sequence: { id, type_id: typeId } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((t) => ({ id: v.ids.get(t), content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: o.cleanText, handle_chinese_chars: o.handleChineseChars, strip_accents: o.stripAccents === o.lowercase ? null : o.stripAccents, lowercase: o.lowercase },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('[CLS]', 0), seq('A', 0), special('[SEP]', 0)],
      pair: [special('[CLS]', 0), seq('A', 0), special('[SEP]', 0), seq('B', 1), special('[SEP]', 1)],
      special_tokens: { '[CLS]': { id: '[CLS]', ids: [cls], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [sep], tokens: ['[SEP]'] } },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: o.maxInputCharsPerWord,
      vocab: Object.fromEntries([...v.ids].sort((a, b) => a[1] - b[1])),
    },
  };
}

type Json = Record<string, unknown>;

/** The largest max_input_chars_per_word taken from a tokenizer.json. */
export const MAX_INPUT_CHARS_LIMIT = 10_000;
const isObject = (x: unknown): x is Json => !!x && typeof x === 'object' && !Array.isArray(x);

/** The vocabulary and options of a tokenizer.json; throws naming the field that is not a BERT WordPiece tokenizer's. */
export function readTokenizerJson(path: string): { vocab: Vocab; options: TokenizerOptions } {
  const j = readJsonFile(path, 'tokenizer file', 256 << 20);
  const bad = (field: string, what: string) => new BertError(`${field} ${what}`, { where: path, hint: 'bert-cli reads BERT WordPiece tokenizers (BertNormalizer, BertPreTokenizer, [CLS] A [SEP] B [SEP]); a vocab.txt beside it is read instead when there is no tokenizer.json' });
  if (!isObject(j)) throw bad('tokenizer.json', 'is not a JSON object');
  const model = j.model;
  if (!isObject(model) || model.type !== 'WordPiece') throw bad('model.type', `is ${JSON.stringify(isObject(model) ? model.type : model)}, not "WordPiece"`);
  if ((model.continuing_subword_prefix ?? '##') !== '##') throw bad('model.continuing_subword_prefix', `is ${JSON.stringify(model.continuing_subword_prefix)}, not "##"`);
  if ((model.unk_token ?? '[UNK]') !== '[UNK]') throw bad('model.unk_token', `is ${JSON.stringify(model.unk_token)}, not "[UNK]"`);
  const max = model.max_input_chars_per_word ?? 100;
  if (!Number.isSafeInteger(max) || (max as number) < 1) throw bad('model.max_input_chars_per_word', `must be a positive integer, not ${JSON.stringify(max)}`);
  // HF's is 100; a word of more characters is one [UNK]. Past a few thousand the cap only lets a
  // pathological word cost time: refused
  if ((max as number) > MAX_INPUT_CHARS_LIMIT) throw bad('model.max_input_chars_per_word', `is ${max}, more than ${MAX_INPUT_CHARS_LIMIT} (HF's is 100)`);
  if (!isObject(model.vocab)) throw bad('model.vocab', 'must be an object of token: id');
  // ids are the lines of a vocab.txt: 0…N−1 (a gap — a token repeated in the vocab.txt it came from — reads as an empty token no text produces)
  const vocabObj = model.vocab as Record<string, unknown>;
  const count = Object.keys(vocabObj).length;
  const tokens: string[] = new Array(count);
  for (const t in vocabObj) {
    const id = vocabObj[t];
    if (!Number.isSafeInteger(id) || (id as number) < 0 || (id as number) >= 4 * count + 16) throw bad(`model.vocab["${t.slice(0, 20)}"]`, `is ${JSON.stringify(id)}, not an id`);
    if (tokens[id as number] !== undefined) throw bad(`model.vocab["${t.slice(0, 20)}"]`, `has id ${id}, which "${tokens[id as number].slice(0, 20)}" has too`);
    tokens[id as number] = t;
  }
  // added tokens: the specials, at the ids the vocabulary gives them (or just past it, in order)
  const extra: string[] = [];
  const added = j.added_tokens ?? [];
  if (!Array.isArray(added)) throw bad('added_tokens', 'must be a list');
  added.forEach((a, i) => {
    if (!isObject(a) || typeof a.content !== 'string' || !Number.isSafeInteger(a.id)) throw bad(`added_tokens[${i}]`, 'must have a content and an id');
    const id = a.id as number;
    if (a.content === '') throw bad(`added_tokens[${i}]`, 'has an empty content (it would match everywhere)');
    if (a.special !== true) throw bad(`added_tokens[${i}] (${JSON.stringify(a.content)})`, 'is not special; added non-special tokens are not supported');
    if (tokens[id] === undefined && id === tokens.length) tokens[id] = a.content;
    if (tokens[id] !== a.content) throw bad(`added_tokens[${i}] (${JSON.stringify(a.content)})`, `has id ${id}, where the vocabulary has ${JSON.stringify(tokens[id])}`);
    if (!(SPECIAL_TOKENS as readonly string[]).includes(a.content)) extra.push(a.content);
  });
  for (let i = 0; i < tokens.length; i++) tokens[i] ??= '';
  const vocab = new Vocab(tokens, path);
  for (const t of ['[UNK]', '[CLS]', '[SEP]'] as const) if (!vocab.ids.has(t)) throw bad('model.vocab', `has no ${t} token`);
  const n = j.normalizer;
  if (!isObject(n) || n.type !== 'BertNormalizer') throw bad('normalizer.type', `is ${JSON.stringify(isObject(n) ? n.type : n)}, not "BertNormalizer"`);
  const flag = (k: string, d: boolean | null): boolean | null => {
    const x = n[k] ?? d;
    if (x !== null && typeof x !== 'boolean') throw bad(`normalizer.${k}`, `must be true, false or null, not ${JSON.stringify(x)}`);
    return x as boolean | null;
  };
  const lowercase = flag('lowercase', true)!;
  const options: TokenizerOptions = {
    // strip_accents null: it follows lowercase (the Tokenizer's default)
    lowercase, stripAccents: flag('strip_accents', null) ?? undefined, cleanText: flag('clean_text', true)!, handleChineseChars: flag('handle_chinese_chars', true)!,
    maxInputCharsPerWord: max as number, extraSpecialTokens: extra,
  };
  const pre = j.pre_tokenizer;
  if (!isObject(pre) || pre.type !== 'BertPreTokenizer') throw bad('pre_tokenizer.type', `is ${JSON.stringify(isObject(pre) ? pre.type : pre)}, not "BertPreTokenizer"`);
  checkPostProcessor(j.post_processor, vocab, bad);
  return { vocab, options };
}

/** [CLS] A [SEP] and [CLS] A [SEP] B [SEP] with type ids 0…0 1…1, as TemplateProcessing or BertProcessing says it. */
function checkPostProcessor(p: unknown, vocab: Vocab, bad: (field: string, what: string) => BertError): void {
  if (!isObject(p)) throw bad('post_processor', 'is missing: bert-cli adds [CLS] and [SEP], and a file without them means another model');
  const cls = vocab.special('[CLS]'), sep = vocab.special('[SEP]');
  if (p.type === 'BertProcessing') {
    const ok = (x: unknown, t: string, id: number) => Array.isArray(x) && x[0] === t && x[1] === id;
    if (!ok(p.cls, '[CLS]', cls) || !ok(p.sep, '[SEP]', sep)) throw bad('post_processor', `must put ["[CLS]", ${cls}] and ["[SEP]", ${sep}] around the text`);
    return;
  }
  if (p.type !== 'TemplateProcessing') throw bad('post_processor.type', `is ${JSON.stringify(p.type)}, not "TemplateProcessing" or "BertProcessing"`);
  const piece = (x: unknown): string => {
    if (!isObject(x)) return '?';
    const s = x.SpecialToken ?? x.Sequence;
    return isObject(s) ? `${String(s.id)}:${String(s.type_id ?? 0)}` : '?';
  };
  const single = Array.isArray(p.single) ? p.single.map(piece).join(' ') : '';
  const pair = Array.isArray(p.pair) ? p.pair.map(piece).join(' ') : '';
  if (single !== '[CLS]:0 A:0 [SEP]:0') throw bad('post_processor.single', `is "${single}", not [CLS] A [SEP]`);
  if (pair !== '[CLS]:0 A:0 [SEP]:0 B:1 [SEP]:1') throw bad('post_processor.pair', `is "${pair}", not [CLS] A [SEP] B [SEP] with type ids 0 then 1`);
  const st = isObject(p.special_tokens) ? p.special_tokens : {};
  for (const [t, id] of [['[CLS]', cls], ['[SEP]', sep]] as const) {
    const e = st[t];
    if (isObject(e) && Array.isArray(e.ids) && (e.ids.length !== 1 || e.ids[0] !== id)) throw bad(`post_processor.special_tokens["${t}"].ids`, `is ${JSON.stringify(e.ids)}, where the vocabulary has ${id}`);
  }
}

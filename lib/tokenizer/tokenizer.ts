// The BERT tokenizer: special tokens split out of the raw text → BertNormalizer → BertPreTokenizer →
// WordPiece → truncation → [CLS] … [SEP] → padding. Gives the ids, type ids, offsets and words that
// HF's BertTokenizerFast gives for the same vocabulary and casing.
import { assertModelDirExists, presentFile, readJsonFile } from '../io/read.js';
import { committedPath } from '../io/atomic.js';
import { BertError } from '../errors.js';
import { pad, postProcess, truncate, type Encoding, type Pieces, type TruncationStrategy } from './encoding.js';
import { BertNormalizer } from './normalizer.js';
import { splitWords } from './pre-tokenizer.js';
import { SPECIAL_TOKENS, Vocab } from './vocab.js';
import { WordPiece } from './wordpiece.js';
import { readTokenizerJson, tokenizerJson } from './tokenizer-json.js';

export interface TokenizerOptions {
  /** do_lower_case: lowercase (and, unless stripAccents says otherwise, strip accents). Default true. */
  lowercase?: boolean;
  /** strip_accents: defaults to `lowercase`, as in HF. */
  stripAccents?: boolean;
  /** tokenize_chinese_chars: spaces around CJK ideographs. Default true. */
  handleChineseChars?: boolean;
  /** clean_text: drop control characters, turn whitespace into spaces. Default true. */
  cleanText?: boolean;
  maxInputCharsPerWord?: number;
  /** special tokens besides [PAD] [UNK] [CLS] [SEP] [MASK] (tokenizer.json's added tokens): kept whole in text, skipped by decode */
  extraSpecialTokens?: string[];
}

export interface EncodeOptions {
  /** add [CLS] and [SEP] (default true) */
  addSpecialTokens?: boolean;
  /** total length including special tokens; longer inputs are truncated */
  maxLength?: number;
  truncation?: TruncationStrategy;
}

export interface BatchOptions extends EncodeOptions {
  /** 'longest': to the longest in the batch; 'max_length': to maxLength */
  padding?: 'longest' | 'max_length';
}

export type TextInput = string | [string, string];

/** A node of the special tokens' trie: its children by character, and the id of the special ending here (−1: none). */
interface SpecialNode {
  next: Map<string, SpecialNode>;
  id: number;
}

export class Tokenizer {
  readonly vocab: Vocab;
  readonly options: Required<Omit<TokenizerOptions, 'stripAccents' | 'extraSpecialTokens'>> & { stripAccents: boolean; extraSpecialTokens: string[] };
  private readonly normalizer: BertNormalizer;
  private readonly wordpiece: WordPiece;
  private readonly specials: { token: string; id: number }[];
  private readonly specialTrie: SpecialNode = { next: new Map(), id: -1 };
  private readonly specialSet: Set<number>;
  private readonly specialsOpenWithBracket: boolean;

  constructor(vocab: Vocab, opts: TokenizerOptions = {}) {
    this.vocab = vocab;
    const lowercase = opts.lowercase ?? true;
    this.options = {
      lowercase,
      stripAccents: opts.stripAccents ?? lowercase,
      handleChineseChars: opts.handleChineseChars ?? true,
      cleanText: opts.cleanText ?? true,
      maxInputCharsPerWord: opts.maxInputCharsPerWord ?? 100,
      extraSpecialTokens: opts.extraSpecialTokens ?? [],
    };
    this.normalizer = new BertNormalizer(this.options);
    this.wordpiece = new WordPiece(vocab, { maxInputCharsPerWord: this.options.maxInputCharsPerWord });
    // an empty special would match everywhere without moving on: never one
    this.specials = [...new Set([...SPECIAL_TOKENS, ...this.options.extraSpecialTokens])].filter((t) => t.length > 0 && vocab.ids.has(t))
      .map((t) => ({ token: t, id: vocab.ids.get(t)! }));
    // a trie of the specials: the longest one at a position in O(its length), however many there are
    for (const sp of this.specials) {
      let node = this.specialTrie;
      for (const ch of sp.token) node = node.next.get(ch) ?? (node.next.set(ch, { next: new Map(), id: -1 }).get(ch)!);
      node.id = sp.id;
    }
    this.specialSet = new Set(this.specials.map((s) => s.id));
    this.specialsOpenWithBracket = this.specials.every((sp) => sp.token.startsWith('['));
  }

  static fromVocabFile(path: string, opts: TokenizerOptions = {}): Tokenizer {
    return new Tokenizer(Vocab.fromFile(path), opts);
  }

  /** Whether a model directory has a tokenizer: tokenizer.json or vocab.txt. */
  static inModelDir(dir: string): boolean {
    return presentFile(committedPath(dir, 'tokenizer.json'), 'tokenizer.json') || presentFile(committedPath(dir, 'vocab.txt'), 'vocab.txt');
  }

  /**
   * A model directory's tokenizer: tokenizer.json when there is one (as HF's fast tokenizers and
   * transformers.js load it), else vocab.txt; then tokenizer_config.json's do_lower_case,
   * strip_accents and tokenize_chinese_chars where it gives them (BertTokenizerFast lets those
   * override the file's normalizer too). `opts` overrides both.
   */
  static fromModelDir(dir: string, opts: TokenizerOptions = {}): Tokenizer {
    const vocabPath = committedPath(dir, 'vocab.txt'), jsonPath = committedPath(dir, 'tokenizer.json');
    assertModelDirExists(dir);
    const fromJson = presentFile(jsonPath, 'tokenizer.json') ? readTokenizerJson(jsonPath) : null;
    if (!fromJson && !presentFile(vocabPath, 'vocab.txt')) throw new BertError('model directory has no tokenizer (tokenizer.json or vocab.txt)', { where: dir });
    const fromConfig: TokenizerOptions = {};
    const cfgPath = committedPath(dir, 'tokenizer_config.json');
    if (presentFile(cfgPath, 'tokenizer_config.json')) {
      const cfg = readJsonFile(cfgPath, 'tokenizer config', 1 << 20) as Record<string, unknown>;
      if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) throw new BertError('tokenizer_config.json must be a JSON object', { where: cfgPath });
      const bool = (key: string): boolean | undefined => {
        const v = cfg[key];
        if (v === undefined || v === null) return undefined;
        if (typeof v !== 'boolean') throw new BertError(`${key} must be true or false`, { where: cfgPath });
        return v;
      };
      fromConfig.lowercase = bool('do_lower_case');
      fromConfig.stripAccents = bool('strip_accents');
      fromConfig.handleChineseChars = bool('tokenize_chinese_chars');
    }
    const merged: TokenizerOptions = { ...(fromJson?.options ?? {}) };
    for (const layer of [fromConfig, opts]) for (const [k, v] of Object.entries(layer)) if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
    return new Tokenizer(fromJson ? fromJson.vocab : Vocab.fromFile(vocabPath), merged);
  }

  /** tokenizer.json (HF tokenizers' file) for a model directory written with this tokenizer. */
  toJson(): Record<string, unknown> {
    return tokenizerJson(this);
  }

  /** tokenizer_config.json for a model directory written with this tokenizer. */
  configJson(): Record<string, unknown> {
    return {
      tokenizer_class: 'BertTokenizer',
      do_lower_case: this.options.lowercase,
      strip_accents: this.options.stripAccents === this.options.lowercase ? null : this.options.stripAccents,
      tokenize_chinese_chars: this.options.handleChineseChars,
      unk_token: '[UNK]', sep_token: '[SEP]', pad_token: '[PAD]', cls_token: '[CLS]', mask_token: '[MASK]',
    };
  }

  /** WordPiece pieces of one text, special tokens kept whole, offsets into `text`. */
  pieces(text: string): Pieces {
    const out: Pieces = { ids: [], offsets: [], words: [] };
    let word = 0;
    let from = 0;
    const plain = (s: number, e: number) => {
      if (e > s) word = this.plainPieces(text, s, e, out, word);
    };
    // special tokens start with '[' (BERT's); any other first character makes the scan visit every position
    const next = this.specialsOpenWithBracket ? (i: number) => text.indexOf('[', i) : (i: number) => (i < text.length ? i : -1);
    if (this.specials.length > 0 && next(0) >= 0) {
      for (let i = next(0); i >= 0 && i < text.length; ) {
        // the longest special starting at i (leftmost-longest, as HF's added-token matching)
        let node: SpecialNode | undefined = this.specialTrie, hitId = -1, hitEnd = -1;
        for (let j = i; j < text.length; ) {
          const ch = String.fromCodePoint(text.codePointAt(j)!);
          node = node.next.get(ch);
          if (!node) break;
          j += ch.length;
          if (node.id >= 0) { hitId = node.id; hitEnd = j; }
        }
        if (hitId < 0) {
          i = next(i + 1);
          continue;
        }
        plain(from, i);
        out.ids.push(hitId);
        out.offsets.push(i, hitEnd);
        out.words.push(word++);
        i = hitEnd;
        from = i;
        i = next(i);
      }
    }
    plain(from, text.length);
    return out;
  }

  private plainPieces(text: string, s: number, e: number, out: Pieces, word: number): number {
    const segment = s === 0 && e === text.length ? text : text.slice(s, e);
    const norm = this.normalizer.normalize(segment);
    const spans: number[] = [];
    splitWords(norm.text, spans);
    const wspans: number[] = [];
    for (let w = 0; w < spans.length; w += 2) {
      const before = out.ids.length;
      wspans.length = 0;
      // WordPiece appends in step with `out.ids`; its spans are normalized units of this segment
      const ids = out.ids;
      const n = this.wordpiece.tokenizeWord(norm.text, spans[w], spans[w + 1], ids, wspans);
      for (let k = 0; k < n; k++) {
        const ns = wspans[2 * k], ne = wspans[2 * k + 1];
        const os = norm.start ? norm.start[ns] : ns;
        const oe = norm.end ? norm.end[ne - 1] : ne;
        out.offsets.push(s + os, s + oe);
        out.words.push(word);
      }
      if (out.ids.length > before) word++;
    }
    return word;
  }

  /** The WordPiece tokens of a text, without [CLS]/[SEP]. */
  tokenize(text: string): string[] {
    return this.pieces(text).ids.map((id) => this.vocab.tokens[id]);
  }

  encode(text: string, pair: string | null = null, opts: EncodeOptions = {}): Encoding {
    const a = this.pieces(text);
    const b = pair === null ? null : this.pieces(pair);
    const addSpecial = opts.addSpecialTokens ?? true;
    if (opts.maxLength !== undefined) {
      const added = addSpecial ? (b ? 3 : 2) : 0;
      if (opts.maxLength < added) {
        throw new BertError(`max length ${opts.maxLength} leaves no room for the ${added} special tokens`);
      }
      truncate(a, b, opts.maxLength - added, opts.truncation ?? 'longest_first');
    }
    const sp = addSpecial
      ? { cls: this.vocab.special('[CLS]'), sep: this.vocab.special('[SEP]'), clsToken: '[CLS]', sepToken: '[SEP]' }
      : null;
    return postProcess(a, b, this.vocab.tokens, sp);
  }

  encodeBatch(inputs: TextInput[], opts: BatchOptions = {}): Encoding[] {
    const encs = inputs.map((x) => (typeof x === 'string' ? this.encode(x, null, opts) : this.encode(x[0], x[1], opts)));
    if (opts.padding) {
      let length = 0;
      if (opts.padding === 'max_length') {
        if (opts.maxLength === undefined) throw new BertError('padding to max_length needs a max length');
        length = opts.maxLength;
      } else {
        for (const e of encs) length = Math.max(length, e.ids.length);
      }
      const padId = this.vocab.ids.get('[PAD]');
      if (padId === undefined) throw new BertError('vocabulary has no [PAD] token, which padding needs', { where: this.vocab.source });
      for (const e of encs) pad(e, length, padId, '[PAD]');
    }
    return encs;
  }

  /**
   * ids → text as HF's WordPiece decoder: tokens joined by spaces, "##" pieces glued to the one
   * before, then the cleanup of spaces before punctuation and contractions.
   */
  decode(ids: ArrayLike<number>, opts: { skipSpecialTokens?: boolean } = {}): string {
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (opts.skipSpecialTokens && this.specialSet.has(id)) continue;
      const t = this.vocab.tokens[id];
      if (t === undefined) throw new BertError(`token id ${id} is outside the vocabulary of ${this.vocab.size}`);
      tokens.push(t);
    }
    return tokensToString(tokens);
  }
}

/** Tokens → text as HF's WordPiece decoder (convert_tokens_to_string): joined by spaces, "##" pieces glued to the one before, then the cleanup of spaces before punctuation and contractions. */
export function tokensToString(tokens: readonly string[]): string {
  let s = '';
  tokens.forEach((t, i) => {
    if (i > 0 && t.startsWith('##')) s += t.slice(2);
    else s += (i > 0 ? ' ' : '') + t;
  });
  return s
    .replaceAll(' .', '.').replaceAll(' ?', '?').replaceAll(' !', '!').replaceAll(' ,', ',')
    .replaceAll(" ' ", "'").replaceAll(" n't", "n't").replaceAll(" 'm", "'m").replaceAll(' do not', " don't")
    .replaceAll(" 's", "'s").replaceAll(" 've", "'ve").replaceAll(" 're", "'re");
}

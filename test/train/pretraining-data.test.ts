// The pretraining data pipeline on real text (State of the Union, bert-base-uncased vocabulary):
// masking statistics, NSP balance, packing and lengths, special tokens never masked, whole-word
// masking, and reproducibility by seed.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, beforeAll } from 'vitest';
import { pretrainingBatches } from '../../lib/train/pretrain.js';
import { Tokenizer } from '../../lib/tokenizer/tokenizer.js';
import { splitSentences } from '../../lib/data/sentences.js';
import { sotuAddresses } from '../../lib/data/sotu.js';
import {
  DEFAULT_PRETRAINING, instancesFromDocument, maskInstance, pretrainingShards, tokenizeDocument, type Instance, type PretrainingOptions,
} from '../../lib/train/pretraining-data.js';
import { Random } from '../../lib/rng.js';
import { bertBaseUncasedVocabPath } from '../helpers/bert-vocab.js';

let tok: Tokenizer;
let docs: Int32Array[][];
let sp: { cls: number; sep: number; mask: number; vocabSize: number };
const isCont = (id: number) => tok.vocab.tokens[id].startsWith('##');

function instances(o: PretrainingOptions, seed: number): Instance[] {
  const rng = new Random(seed);
  const out: Instance[] = [];
  for (let d = 0; d < docs.length; d++) out.push(...instancesFromDocument(docs, d, o, sp, rng));
  return out;
}

beforeAll(() => {
  tok = Tokenizer.fromVocabFile(bertBaseUncasedVocabPath());
  docs = sotuAddresses().slice(150, 190).map((a) => tokenizeDocument(tok, splitSentences(a.text)));
  sp = { cls: 101, sep: 102, mask: 103, vocabSize: tok.vocab.size };
});

describe('sentence splitting', () => {
  it('splits after . ! ? but not after abbreviations or initials', () => {
    expect(splitSentences('Mr. Smith went to Washington D.C. in Jan. 1790. He spoke! Did he? "Yes." Then U.S. law changed.'))
      .toEqual(['Mr. Smith went to Washington D.C. in Jan. 1790.', 'He spoke!', 'Did he?', '"Yes."', 'Then U.S. law changed.']);
  });
});

describe('instances', () => {
  it('[CLS] A [SEP] B [SEP] within max length, type ids 0…0 1…1, NSP about half random', () => {
    const all = instances(DEFAULT_PRETRAINING, 1);
    expect(all.length).toBeGreaterThan(1000);
    let random = 0, full = 0, bad = 0;
    for (const x of all) {
      const seps = [...x.ids].flatMap((v, i) => (v === 102 ? [i] : []));
      // within length, [CLS] first, [SEP] last, exactly two [SEP], A and B not empty
      if (x.ids.length > 128 || x.ids[0] !== 101 || x.ids[x.ids.length - 1] !== 102 || seps.length !== 2 || seps[0] < 2 || seps[1] < seps[0] + 2) bad++;
      for (let i = 0; i < x.ids.length; i++) if (x.typeIds[i] !== (i <= seps[0] ? 0 : 1)) bad++;
      random += x.nspLabel;
      if (x.ids.length >= 120) full++;
    }
    expect(bad).toBe(0);
    expect(Math.abs(random / all.length - 0.5)).toBeLessThan(0.05);
    expect(full / all.length).toBeGreaterThan(0.6); // most fill the length; short_seq_prob 0.1 makes shorter ones
  });

  it('--no-nsp: one segment, packed to the full length', () => {
    const all = instances({ ...DEFAULT_PRETRAINING, nsp: false }, 2);
    for (const x of all) {
      expect(x.nspLabel).toBe(-100);
      expect([...x.ids].filter((v) => v === 102)).toHaveLength(1);
      expect(x.typeIds.every((t) => t === 0)).toBe(true);
    }
    const mean = all.reduce((s, x) => s + x.ids.length, 0) / all.length;
    expect(mean).toBeGreaterThan(100);
  });

  it('the same seed gives the same instances and masks; another seed does not', () => {
    const a = instances(DEFAULT_PRETRAINING, 7), b = instances(DEFAULT_PRETRAINING, 7), c = instances(DEFAULT_PRETRAINING, 8);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const m1 = maskInstance(a[0], DEFAULT_PRETRAINING, sp, new Random(3), isCont);
    const m2 = maskInstance(a[0], DEFAULT_PRETRAINING, sp, new Random(3), isCont);
    expect(m1).toEqual(m2);
  });
});

describe('masking', () => {
  it('15% of tokens, 80% [MASK] / 10% random / 10% kept, never [CLS] or [SEP]', () => {
    const all = instances(DEFAULT_PRETRAINING, 3);
    const rng = new Random(11);
    let tokens = 0, masked = 0, asMask = 0, kept = 0, replaced = 0, bad = 0;
    for (const x of all) {
      const m = maskInstance(x, { ...DEFAULT_PRETRAINING, maxPredictions: 1000 }, sp, rng, isCont);
      tokens += x.ids.length;
      for (let i = 0; i < x.ids.length; i++) {
        if (m.labels[i] === -100) {
          if (m.inputIds[i] !== x.ids[i]) bad++; // unmasked positions untouched
          continue;
        }
        if (x.ids[i] === 101 || x.ids[i] === 102 || m.labels[i] !== x.ids[i]) bad++;
        masked++;
        if (m.inputIds[i] === 103) asMask++;
        else if (m.inputIds[i] === x.ids[i]) kept++;
        else replaced++;
      }
    }
    expect(bad).toBe(0);
    expect(Math.abs(masked / tokens - 0.15)).toBeLessThan(0.005);
    expect(Math.abs(asMask / masked - 0.8)).toBeLessThan(0.01);
    // a random draw can equal the token itself (1 in 30522), so "kept" is 10% plus a hair
    expect(Math.abs(kept / masked - 0.1)).toBeLessThan(0.01);
    expect(Math.abs(replaced / masked - 0.1)).toBeLessThan(0.01);
  });

  it('caps the predictions at max_predictions_per_seq', () => {
    const all = instances(DEFAULT_PRETRAINING, 4);
    for (const x of all.slice(0, 200)) {
      const m = maskInstance(x, { ...DEFAULT_PRETRAINING, maxPredictions: 5 }, sp, new Random(1), isCont);
      expect(m.labels.filter((l) => l !== -100).length).toBeLessThanOrEqual(5);
    }
  });

  it('whole-word masking takes every ## piece of a word together', () => {
    const o = { ...DEFAULT_PRETRAINING, wholeWordMask: true, maxPredictions: 1000 };
    const all = instances(o, 5);
    let split = 0;
    for (const x of all.slice(0, 500)) {
      const m = maskInstance(x, o, sp, new Random(x.ids.length), isCont);
      for (let i = 1; i < x.ids.length; i++) {
        if (isCont(x.ids[i])) {
          const here = m.labels[i] !== -100, prev = m.labels[i - 1] !== -100;
          if (here !== prev) split++;
        }
      }
    }
    expect(split).toBe(0);
  });
});

describe('--dupe-factor: static data, as create_pretraining_data makes it', () => {
  /** The batches of `epochs` whole epochs of a small corpus, as flat lists of input ids per epoch. */
  async function epochsOf(dupeFactor: number, epochs: number): Promise<string[][]> {
    const dir = mkdtempSync(join(tmpdir(), 'bert-dupe-'));
    const corpus = join(dir, 'c.txt');
    writeFileSync(corpus, sotuAddresses().slice(100, 103).map((a) => splitSentences(a.text).join('\n')).join('\n\n') + '\n');
    // one instance a batch: each item's epoch is then the epoch of the position after it
    const o = { files: [corpus], tokenizer: tok, data: { ...DEFAULT_PRETRAINING, maxLength: 64, dupeFactor }, seed: 3, shardTokens: undefined, batchSize: 1 };
    const out: string[][] = Array.from({ length: epochs }, () => []);
    for await (const { items, next } of pretrainingBatches(o, sp, isCont, { epoch: 0, shard: 0, offset: 0 })) {
      if (next.epoch >= epochs) break;
      out[next.epoch].push(Array.from(items[0].inputIds).join(' ') + '|' + Array.from(items[0].labels).join(' '));
    }
    return out;
  }

  it('with --dupe-factor 2 epoch 2 repeats epoch 0 exactly (instances and masks) and epoch 1 differs; without it every epoch is new', async () => {
    const fixed = await epochsOf(2, 3);
    expect(fixed[0].length).toBeGreaterThan(10);
    expect(fixed[2]).toEqual(fixed[0]);
    expect(fixed[1].slice(0, 8)).not.toEqual(fixed[0].slice(0, 8));
    const dynamic = await epochsOf(0, 3);
    expect(dynamic[2].slice(0, 8)).not.toEqual(dynamic[0].slice(0, 8));
  });
});

describe('NSP negatives on a corpus of several files', () => {
  it("a NotNext B comes from another document of A's own file, so a change of corpus does not tell NotNext", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bert-nsp-src-'));
    const speeches = join(dir, 'speeches.txt'), zoo = join(dir, 'zoo.txt');
    writeFileSync(speeches, sotuAddresses().slice(150, 160).map((a) => splitSentences(a.text).join('\n')).join('\n\n') + '\n');
    const words = ['zebra', 'giraffe', 'koala', 'penguin', 'kangaroo', 'dolphin'];
    const rand = new Random(5);
    const zooDocs = Array.from({ length: 30 }, () => Array.from({ length: 12 }, () =>
      Array.from({ length: 8 }, () => words[rand.randint(0, words.length - 1)]).join(' ') + '.').join('\n'));
    writeFileSync(zoo, zooDocs.join('\n\n') + '\n');
    const zooIds = new Set(tok.pieces(words.join(' ')).ids);
    const speechIds = new Set(tok.pieces(readFileSync(speeches, 'utf8')).ids);
    expect([...zooIds].filter((id) => speechIds.has(id) && id !== tok.vocab.id('.'))).toEqual([]); // the two files share no word
    const fromZoo = (ids: ArrayLike<number>) => Array.from(ids).some((id) => zooIds.has(id) && id !== tok.vocab.id('.'));
    let notNext = 0, mixed = 0;
    for await (const shard of pretrainingShards([speeches, zoo], tok, DEFAULT_PRETRAINING, sp, 9, 0)) {
      for (const x of shard) {
        const sep = x.ids.indexOf(102);
        const a = x.ids.subarray(1, sep), b = x.ids.subarray(sep + 1, x.ids.length - 1);
        if (x.nspLabel === 1) notNext++;
        if (fromZoo(a) !== fromZoo(b)) mixed++;
      }
    }
    expect(notNext).toBeGreaterThan(100);
    expect(mixed).toBe(0);
  });
});

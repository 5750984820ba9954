// The library examples (docs/library.md, "Examples"; the README's "Library" block is the first of
// them, word for word), run as a user's files importing 'bert-cli', on
// small models and data at the paths they name: a tiny pretrained encoder and a classifier in
// bert-quickstart/, a few addresses and e-mails in data/. The one change to the text: the pretraining
// budget of the training example is seconds, not minutes. (test/cli/package.test.ts runs the first
// two against a real quickstart in an installed project.)
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyModels } from '../cli/helpers.js';
import { readmeBlocks, runTs } from '../helpers/readme.js';

const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'bert-cli-readme-'));
const blocks = readmeBlocks('## Examples', 'docs/library.md');

beforeAll(() => {
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(root, join(dir, 'node_modules', 'bert-cli'));
  const m = tinyModels(join(dir), { classifier: true });
  mkdirSync(join(dir, 'bert-quickstart', 'data', 'spam'), { recursive: true });
  cpSync(m.pretrained, join(dir, 'bert-quickstart', 'pretrained'), { recursive: true });
  cpSync(m.classifier, join(dir, 'bert-quickstart', 'spam'), { recursive: true });
  cpSync(m.train, join(dir, 'bert-quickstart', 'data', 'spam', 'test.tsv'));
  mkdirSync(join(dir, 'data', 'sotu'), { recursive: true });
  mkdirSync(join(dir, 'data', 'spam'), { recursive: true });
  const corpus = readFileSync(m.corpus, 'utf8');
  writeFileSync(join(dir, 'data', 'sotu', 'train.txt'), corpus.repeat(4));
  writeFileSync(join(dir, 'data', 'sotu', 'heldout.txt'), corpus);
  const rows = (n: number) => 'text\tlabel\n' + Array.from({ length: n }, (_, i) => (i % 2 ? 'win a free prize now\tspam' : 'the meeting is on friday\tham')).join('\n') + '\n';
  writeFileSync(join(dir, 'data', 'spam', 'train.tsv'), rows(40));
  writeFileSync(join(dir, 'data', 'spam', 'test.tsv'), rows(10));
}, 120_000);

describe('README library examples', () => {
  it('has the three blocks: a classifier, an encoder, training; the README shows the first', () => {
    expect(blocks).toHaveLength(3);
    expect(readmeBlocks('## Library')).toEqual([blocks[0]]);
  });

  it('predict and evaluate with a fine-tuned classifier', () => {
    const r = runTs(dir, 'classify', blocks[0]);
    expect(r.code, r.stderr).toBe(0);
    const [first, second] = r.stdout.trim().split('\n');
    expect(first).toMatch(/^classify (a|b) [01]\.\d{3} (a|b)$/);
    expect(second).toMatch(/^accuracy [01]\.\d{4} \{ truncated: 0, skipped: 0 \}$/);
  });

  it('embed (unit vectors: the cosine is at most 1) and fill a mask', () => {
    const r = runTs(dir, 'encoder', blocks[1]);
    expect(r.code, r.stderr).toBe(0);
    const [first, second] = r.stdout.trim().split('\n');
    const [size, cosine] = first.split(' ').map(Number);
    expect(size).toBe(16); // the tiny encoder's hidden size
    expect(Math.abs(cosine)).toBeLessThanOrEqual(1.0005);
    expect(second.split(' ')).toHaveLength(5);
  });

  it('pretrain then fine-tune, with callbacks and a signal', () => {
    const code = blocks[2].replace("budget: '10m'", "budget: '4s'");
    expect(code).not.toBe(blocks[2]);
    const r = runTs(dir, 'train', code);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^step \d+: held-out MLM \d+\.\d%$/m);
    expect(r.stdout).toMatch(/^settings for a tiny\/mini .* model: lr 0\.0003, 4 epochs/m); // a notice
    expect(r.stdout).toMatch(/^dev accuracy \d+\.\d\d%$/m);
    expect(r.stdout).toMatch(/^\d+ \{ lr: 0\.0003, epochs: 4, batchSize: 32, warmupRatio: 0\.1 \} \{ step: \d+, score: [\d.]+, loss: [\d.]+ \}$/m);
  }, 300_000);
});

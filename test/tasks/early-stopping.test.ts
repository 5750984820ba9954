// Early stopping counts evaluations without improvement from the end of the warmup only (a score
// still warming up is no plateau), and the result says why the run ended.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { finetune } from '../../lib/index.js';
import { tinyModelsBeforeAll } from '../cli/helpers.js';

const { dir, models } = tinyModelsBeforeAll('bert-early-', { classifier: false });

describe('early stopping', () => {
  it('never fires during the warmup; the result names why the run ended', async () => {
    const out = join(dir, 'es');
    // 12 examples, batch 2: 6 steps an epoch, 24 in all; warmup half of them; a dev evaluation every step
    const r = await finetune({ model: models().pretrained, task: 'classify', train: models().train, dev: models().train, out, epochs: 4, batchSize: 2, lr: 1e-5, warmupRatio: 0.5, evalEvery: 1, earlyStopping: 1 });
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const devs = rows.filter((x) => x.type === 'dev');
    expect(devs.length).toBeGreaterThan(12); // evaluated through the warmup
    expect(r.steps).toBeGreaterThan(12); // and not stopped in it
    expect(['early stopping', 'epochs']).toContain(r.endedBy);
    if (r.endedBy === 'early stopping') expect(r.steps).toBeLessThan(24);
    else expect(r.steps).toBe(24);
  }, 120_000);
});

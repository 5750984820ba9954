// Early stopping counts evaluations without improvement from the end of the warmup only (a score
// still warming up is no plateau), and the result says why the run ended.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { finetune } from '../../lib/index.js';
import { tinyModels } from '../cli/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bert-early-'));
let m: ReturnType<typeof tinyModels>;
beforeAll(() => {
  m = tinyModels(dir, { classifier: false });
}, 120_000);

describe('early stopping', () => {
  it('never fires during the warmup; the result names why the run ended', async () => {
    const out = join(dir, 'es');
    // 12 examples, batch 2: 6 steps an epoch, 24 in all; warmup half of them; a dev evaluation every step
    const r = await finetune({ model: m.pretrained, task: 'classify', train: m.train, dev: m.train, out, epochs: 4, batchSize: 2, lr: 1e-5, warmupRatio: 0.5, evalEvery: 1, earlyStopping: 1 });
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const devs = rows.filter((x) => x.type === 'dev');
    expect(devs.length).toBeGreaterThan(12); // evaluated through the warmup
    expect(r.steps).toBeGreaterThan(12); // and not stopped in it
    expect(['early stopping', 'epochs']).toContain(r.endedBy);
    if (r.endedBy === 'early stopping') expect(r.steps).toBeLessThan(24);
    else expect(r.steps).toBe(24);
  }, 120_000);
});

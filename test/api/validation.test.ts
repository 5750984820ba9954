// The library refuses what the CLI refuses, in the same words (lib/validate.ts): a bad field of
// finetune()/pretrain() is a usage error naming its flag before any work; predict() refuses inputs
// that are not an array of texts with one line, never a raw TypeError.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { finetune, loadModel, pretrain } from '../../lib/index.js';
import { UsageError } from '../../lib/errors.js';
import { tinyModelsBeforeAll } from '../cli/helpers.js';

const { dir, models } = tinyModelsBeforeAll('bert-validate-', { classifier: true });

describe('the library validates its requests like the CLI', () => {
  const base = () => ({ model: models().pretrained, task: 'classify' as const, train: models().train, out: join(dir, 'never') });
  it.each([
    [{ epochs: -1 }, /^--epochs: expected a positive integer, got -1$/],
    [{ batchSize: 2.5 }, /^--batch-size: expected a positive integer, got 2\.5$/],
    [{ lr: 'fast' }, /^--lr: expected a number above 0, got 'fast'$/],
    [{ warmupRatio: 2 }, /^--warmup-ratio: expected a number between 0 and 1, got 2$/],
    [{ dropout: 1 }, /^--dropout: expected a number in \[0, 1\), got 1$/],
  ])('finetune(%j) is refused before any work', async (bad, message) => {
    const err = await finetune({ ...base(), ...bad } as never).catch((e) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(message);
  });

  it('pretrain() too: steps 0, maskProb 1.5', async () => {
    for (const [bad, message] of [[{ steps: 0 }, /--steps: expected a positive integer, got 0/], [{ maskProb: 1.5 }, /--mask-prob: expected a number between 0 and 1/]] as const) {
      const err = await pretrain({ files: [models().corpus], out: join(dir, 'p'), vocabSize: 100, ...bad } as never).catch((e) => e);
      expect(err).toBeInstanceOf(UsageError);
      expect(err.message).toMatch(message);
    }
  });

  it("predict('text'), predict([null]), a pair to a single-text model and batchSize 0 are one-line errors", async () => {
    const model = await loadModel(models().classifier);
    await expect(model.predict('the war' as never)).rejects.toThrow(/predict takes an array of inputs, not string/);
    await expect(model.predict([null])).rejects.toThrow(/expected a text \(a string\), not null/);
    await expect(model.predict([['the war', 'peace']])).rejects.toThrow(/this model reads one text per input, and this input has two/);
    await expect(model.predict(['the war'], { batchSize: 0 })).rejects.toThrow(/--batch-size: expected a positive integer, got 0/);
    expect((await model.predict(['the war'])).length).toBe(1);
  });
});

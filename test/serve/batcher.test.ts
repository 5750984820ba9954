// The dynamic batcher on a fake engine: the padded-token budget, shortest-first within a request,
// round-robin across requests (one request never holds the engine beyond a batch), keys kept apart,
// a client that goes away, an engine error reaching only its batch's requests.
import { describe, expect, it } from 'vitest';
import { Batcher } from '../../lib/serve/batcher.js';

function fake(o: { maxBatchTokens: number; fail?: (items: unknown[]) => boolean }) {
  const batches: { key: string; items: unknown[] }[] = [];
  let release: (() => void)[] = [];
  const b = new Batcher(async (key, items) => {
    batches.push({ key, items });
    await new Promise<void>((r) => release.push(r));
    if (o.fail?.(items)) throw new Error('engine failed');
    return items.map((x) => `out:${x}`);
  }, { maxBatchTokens: o.maxBatchTokens });
  const step = async () => {
    await new Promise((r) => setImmediate(r));
    const r = release;
    release = [];
    r.forEach((f) => f());
    await new Promise((r) => setImmediate(r));
  };
  return { b, batches, step };
}

describe('batcher', () => {
  it('fills a batch up to the padded-token budget (longest × inputs), a request\'s shortest inputs first, outputs in input order', async () => {
    const { b, batches, step } = fake({ maxBatchTokens: 40 });
    const p = b.submit('k', ['a', 'b', 'c', 'd', 'e'], [10, 5, 20, 5, 10]);
    await step();
    // 5, 5, 10 → 10×3 = 30; adding 10 → 40 fits; adding 20 → 100 does not
    expect(batches[0].items).toEqual(['b', 'd', 'a', 'e']);
    await step();
    expect(batches[1].items).toEqual(['c']);
    await step();
    expect((await p).outputs).toEqual(['out:a', 'out:b', 'out:c', 'out:d', 'out:e']);
  });

  it('an input longer than the budget still runs, alone', async () => {
    const { b, batches, step } = fake({ maxBatchTokens: 8 });
    const p = b.submit('k', ['long', 'x'], [50, 2]);
    await step(); await step(); await step();
    expect(batches.map((x) => x.items)).toEqual([['x'], ['long']]);
    expect((await p).outputs).toEqual(['out:long', 'out:x']);
  });

  it('batches inputs of concurrent requests together, and a big request yields to the others after each batch', async () => {
    const { b, batches, step } = fake({ maxBatchTokens: 4 });
    const big = b.submit('k', ['b1', 'b2', 'b3', 'b4', 'b5', 'b6'], [1, 1, 1, 1, 1, 1]);
    const small = b.submit('k', ['s1'], [1]);
    await step();
    // the first batch was taken when only the big request waited
    expect(batches[0].items).toEqual(['b1', 'b2', 'b3', 'b4']);
    await step();
    // then the small request goes first, beside the rest of the big one
    expect(batches[1].items).toEqual(['s1', 'b5', 'b6']);
    await step();
    expect((await small).outputs).toEqual(['out:s1']);
    expect((await big).outputs).toHaveLength(6);
  });

  it('keeps keys (model, operation) apart', async () => {
    const { b, batches, step } = fake({ maxBatchTokens: 100 });
    const p1 = b.submit('embed', ['e1'], [3]), p2 = b.submit('predict', ['p1'], [3]), p3 = b.submit('embed', ['e2'], [3]);
    for (let i = 0; i < 4; i++) await step();
    await Promise.all([p1, p2, p3]);
    expect(batches.map((x) => [x.key, x.items])).toEqual([['embed', ['e1']], ['predict', ['p1']], ['embed', ['e2']]]);
  });

  it('drops the waiting inputs of a request whose client went away', async () => {
    const { b, batches, step } = fake({ maxBatchTokens: 2 });
    const first = b.submit('k', ['a1', 'a2'], [1, 1]);
    const ac = new AbortController();
    const gone = b.submit('k', ['g1', 'g2', 'g3', 'g4'], [1, 1, 1, 1], ac.signal);
    const rejected = expect(gone).rejects.toThrow(/went away/);
    expect(b.waiting).toBe(4);
    ac.abort();
    expect(b.waiting).toBe(0);
    for (let i = 0; i < 3; i++) await step();
    await rejected;
    await first;
    expect(batches.flatMap((x) => x.items)).toEqual(['a1', 'a2']);
    expect(b.idle).toBe(true);
  });

  it("an engine error rejects its batch's requests and the queue goes on", async () => {
    const { b, step } = fake({ maxBatchTokens: 1, fail: (items) => items.includes('bad') });
    const bad = b.submit('k', ['bad'], [1]);
    const good = b.submit('k', ['good'], [1]);
    const rejected = expect(bad).rejects.toThrow(/engine failed/);
    await step(); await step(); await step();
    await rejected;
    expect((await good).outputs).toEqual(['out:good']);
  });
});

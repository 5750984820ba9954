// The library API against the CLI it runs under: a model fine-tuned by `finetune()` for each family
// predicts through `Model.predict` (inputs as values) exactly what `bert-cli predict` prints for the
// same inputs in a file, and `evaluate` gives what `bert-cli eval` prints; `embed` with `normalize`
// gives unit vectors in the direction of `bert-cli embed`'s; the server's /predict gives the same rows; an AbortSignal stops fine-tuning after a
// step with a checkpoint that `resume` finishes; progress and notices come to their callbacks.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { finetune, loadModel, type FinetuneRequest, type Task } from '../../lib/index.js';
import { runCli, tinyModels } from '../cli/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'bert-cli-api-'));
let pretrained = '';
const words = ['the', 'war', 'peace', 'congress', 'nation', 'people', 'law', 'trade', 'tax', 'navy'];
const w = (i: number) => words[i % words.length];

function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

beforeAll(() => {
  pretrained = tinyModels(dir).pretrained;
}, 120_000);

const train = (task: Task, trainFile: string, extra: Partial<FinetuneRequest> = {}) =>
  finetune({ model: pretrained, task, train: trainFile, out: join(dir, task), epochs: 1, maxLength: 16, overwrite: true, ...extra });

/** CLI predict's rows for a file. */
const cliRows = (model: string, f: string) => {
  const r = runCli(['predict', '--model', model, '--quiet', f]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l));
};

describe('library predict is the CLI\'s predict', () => {
  const cases: [Task, string, string, unknown[]][] = [
    ['classify', 'text\tlabel\n' + Array.from({ length: 12 }, (_, i) => `${w(i)} ${w(i + 3)}\t${i % 3 ? 'a' : 'b'}`).join('\n') + '\n',
      'text\n' + [0, 1, 2].map((i) => w(i) + ' ' + w(i + 5)).join('\n') + '\n', [0, 1, 2].map((i) => w(i) + ' ' + w(i + 5))],
    ['pair', 'text_a\ttext_b\tlabel\n' + Array.from({ length: 12 }, (_, i) => `${w(i)}\t${w(i + 1)}\t${i % 2 ? 'x' : 'y'}`).join('\n') + '\n',
      'text_a\ttext_b\n' + [0, 1].map((i) => `${w(i)}\t${w(i + 4)}`).join('\n') + '\n', [0, 1].map((i) => [w(i), w(i + 4)])],
    ['regression', 'text\tlabel\n' + Array.from({ length: 12 }, (_, i) => `${w(i)} ${w(i * 2)}\t${(i % 5) / 2}`).join('\n') + '\n',
      'text\n' + [3, 4].map((i) => w(i)).join('\n') + '\n', [3, 4].map((i) => w(i))],
    ['multilabel', 'text\tlabel\n' + Array.from({ length: 12 }, (_, i) => `${w(i)} ${w(i + 2)}\t${['p', 'q', 'p,q'][i % 3]}`).join('\n') + '\n',
      'text\n' + [5, 6].map((i) => w(i)).join('\n') + '\n', [5, 6].map((i) => w(i))],
    ['tag', Array.from({ length: 8 }, (_, i) => `${w(i)}\tN\n${w(i + 1)}\tV\n${w(i + 2)}\tN\n`).join('\n'),
      `${w(1)} ${w(2)} ${w(3)}\n${w(4)} ${w(5)}\n`, [`${w(1)} ${w(2)} ${w(3)}`, `${w(4)} ${w(5)}`]],
    ['qa', JSON.stringify({ data: [{ paragraphs: [{ context: 'the war and the peace of the nation', qas: Array.from({ length: 6 }, (_, i) => ({ id: `q${i}`, question: `what of ${w(i)}`, answers: [{ text: 'peace', answer_start: 16 }] })) }] }] }),
      '{"id":"a","question":"what of the nation","context":"the law and the trade of the people"}\n', [{ id: 'a', question: 'what of the nation', context: 'the law and the trade of the people' }]],
    ['choice', 'sent1\tsent2\tending0\tending1\tlabel\n' + Array.from({ length: 8 }, (_, i) => `${w(i)}\tthe\t${w(i + 1)}\t${w(i + 2)}\t${i % 2}`).join('\n') + '\n',
      'sent1\tsent2\tending0\tending1\n' + `${w(3)}\tthe\t${w(4)}\t${w(5)}\n`, [{ sent1: w(3), sent2: 'the', endings: [w(4), w(5)] }]],
  ];
  it.each(cases)('%s', async (task, trainText, inputText, values) => {
    const ext = task === 'tag' ? 'conll' : task === 'qa' ? 'json' : 'tsv';
    const r = await train(task, file(`${task}-train.${ext}`, trainText), task === 'qa' ? { qa: { docStride: 4, maxQueryLength: 6 } } : {});
    expect(r.steps).toBeGreaterThan(0);
    const model = await loadModel(join(dir, task));
    expect(model.task).toBe(task);
    const lib = await model.predict(values);
    const cli = cliRows(join(dir, task), file(`${task}-input.${task === 'tag' ? 'txt' : task === 'qa' ? 'jsonl' : 'tsv'}`, inputText));
    expect(lib).toEqual(cli);
    // and the server's POST /predict (the package's, dist/, whose engine thread is a compiled module)
    const { serve } = await import('../../dist/lib/index.js');
    const server = await serve({ models: join(dir, task), listen: false });
    try {
      const r = await server.app.inject({ method: 'POST', url: '/predict', payload: { inputs: values } });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json()).toEqual(JSON.parse(JSON.stringify(lib)));
    } finally {
      await server.close();
    }
  });

  it('evaluate gives what bert-cli eval prints', async () => {
    const testFile = join(dir, 'classify-train.tsv');
    const m = await (await loadModel(join(dir, 'classify'))).evaluate(testFile);
    const e = runCli(['eval', '--model', join(dir, 'classify'), testFile, '--json']);
    expect(e.code, e.stderr).toBe(0);
    expect({ task: m.task, loss: m.loss, ...m.metrics, ...m.counts }).toEqual(JSON.parse(e.stdout));
    expect(m.metric).toBe('accuracy');
    expect(m.score).toBe(m.metrics.accuracy);
  });
});

describe('library embed, fill-mask, and training controls', () => {
  it('embed: normalize gives unit vectors along the CLI\'s; a bare encoder has no task', async () => {
    const model = await loadModel(pretrained);
    expect(model.task).toBeNull();
    await expect(model.predict(['x'])).rejects.toThrow(/the model has no classify head; fine-tune it first/);
    const [u, v] = await model.embed(['the war', ['the peace', 'the law']], { pooling: 'mean', normalize: true });
    const norm = (a: Float32Array) => Math.hypot(...a);
    expect(norm(u)).toBeCloseTo(1, 5);
    const cli = runCli(['embed', '--model', pretrained, '--pooling', 'mean'], { input: 'the war\n' });
    const raw = JSON.parse(cli.stdout).embedding as number[];
    const n = Math.hypot(...raw);
    raw.forEach((x, i) => expect(u[i]).toBeCloseTo(x / n, 5));
    expect(v).toHaveLength(u.length);
    const cliNorm = runCli(['embed', '--model', pretrained, '--pooling', 'mean', '--normalize'], { input: 'the war\n' });
    JSON.parse(cliNorm.stdout).embedding.forEach((x: number, i: number) => expect(x).toBeCloseTo(u[i], 5));
    const [cands] = await model.fillMask('the [MASK] is here', { topK: 3 });
    expect(cands).toHaveLength(3);
  });

  it('an AbortSignal stops fine-tuning after a step, resumable; notices and steps come to callbacks', async () => {
    const trainFile = join(dir, 'classify-train.tsv'), out = join(dir, 'stopped');
    const stop = new AbortController();
    const notices: string[] = [], steps: number[] = [];
    const req: FinetuneRequest = { model: pretrained, task: 'classify', train: trainFile, out, epochs: 3, batchSize: 4, maxLength: 16, signal: stop.signal, onNotice: (l) => notices.push(l) };
    const r = await finetune({ ...req, onStep: (s) => { steps.push(s.step); if (s.step === 2) stop.abort(); } });
    expect(r.stopped).toBe(true);
    expect(r.steps).toBe(2);
    expect(steps).toEqual([1, 2]);
    expect(notices.join('\n')).toMatch(/settings for a tiny\/mini/);
    const resumed = await finetune({ ...req, signal: undefined, resume: true });
    expect(resumed.stopped).toBe(false);
    expect(resumed.steps).toBe(9); // 12 examples in batches of 4, 3 epochs
  });

  it('fine-tuning defaults to the length the model was pretrained on, and QA\'s windows to fit it', async () => {
    // tinyModels pretrains at --max-length 16 (32 positions): pretrain records it, finetune stays within it
    const cfg = JSON.parse(readFileSync(join(pretrained, 'config.json'), 'utf8'));
    expect(cfg.bert_cli_pretrain_max_length).toBe(16);
    const notices: string[] = [];
    const qaTrain = join(dir, 'qa-train.json');
    await finetune({ model: pretrained, task: 'qa', train: qaTrain, out: join(dir, 'qa-default'), epochs: 1, onNotice: (l) => notices.push(l) });
    const qaCfg = JSON.parse(readFileSync(join(dir, 'qa-default', 'config.json'), 'utf8'));
    expect([qaCfg.bert_cli_max_length, qaCfg.bert_cli_doc_stride, qaCfg.bert_cli_max_query_length]).toEqual([16, 4, 6]);
    expect(notices).toContain('max length 16: the model was pretrained on sequences of 16 tokens, its positions past that untrained (--max-length to change)');
    // a flag wins
    await finetune({ model: pretrained, task: 'classify', train: join(dir, 'classify-train.tsv'), out: join(dir, 'cls-24'), epochs: 1, maxLength: 24 });
    expect(JSON.parse(readFileSync(join(dir, 'cls-24', 'config.json'), 'utf8')).bert_cli_max_length).toBe(24);
  });
});

// Runs the built CLI (dist/, compiled by the vitest global setup) as a user would, capturing output and exit code.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
export const CLI = join(root, 'dist', 'bin', 'bert-cli.js');

export function runCli(args: string[], opts: { env?: Record<string, string>; input?: string; timeout?: number } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
    input: opts.input,
    timeout: opts.timeout ?? 120_000,
    // a hung command fails its test at the timeout (SIGTERM asks a training run to save first)
    killSignal: 'SIGKILL',
    maxBuffer: 1 << 30,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A tiny pretrained model directory (one layer of 16, a 60-token vocabulary, 2 steps on a made-up
 * corpus) and, with `classifier`, a classifier fine-tuned from it: seconds to make, for the CLI tests
 * that need a real model directory rather than good predictions.
 */
export function tinyModels(dir: string, opts: { classifier?: boolean } = {}): { pretrained: string; classifier: string; corpus: string; train: string } {
  const words = ['the', 'war', 'peace', 'congress', 'nation', 'people', 'law', 'trade', 'tax', 'navy'];
  const corpus = join(dir, 'corpus.txt'), cfg = join(dir, 'tiny-config.json'), train = join(dir, 'train.tsv');
  const pretrained = join(dir, 'pretrained'), classifier = join(dir, 'classifier');
  writeFileSync(corpus, Array.from({ length: 60 }, (_, i) => `${words[i % 10]} ${words[(i * 3) % 10]} ${words[(i * 7) % 10]} is here .` + (i % 6 === 5 ? '\n' : '')).join('\n') + '\n');
  writeFileSync(cfg, JSON.stringify({ hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 32, type_vocab_size: 2, vocab_size: 1 }));
  const pt = runCli(['pretrain', corpus, '--vocab-size', '60', '--config', cfg, '--steps', '2', '--batch-size', '2', '--max-length', '16', '--out', pretrained, '--quiet']);
  if (pt.code !== 0) throw new Error(`tiny pretraining failed: ${pt.stderr}`);
  writeFileSync(train, 'text\tlabel\n' + Array.from({ length: 12 }, (_, i) => `${words[i % 10]} is here\t${i % 2 ? 'a' : 'b'}`).join('\n') + '\n');
  if (opts.classifier) {
    const ft = runCli(['finetune', '--model', pretrained, '--task', 'classify', '--train', train, '--out', classifier, '--epochs', '1', '--max-length', '16', '--quiet']);
    if (ft.code !== 0) throw new Error(`tiny fine-tuning failed: ${ft.stderr}`);
  }
  return { pretrained, classifier, corpus, train };
}

/** A temporary folder with tinyModels in it, made once before a test file's tests: `models()` gives them. */
export function tinyModelsBeforeAll(prefix: string, opts: { classifier?: boolean } = {}): { dir: string; models: () => ReturnType<typeof tinyModels> } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let made: ReturnType<typeof tinyModels> | null = null;
  beforeAll(() => {
    made = tinyModels(dir, opts);
  }, 120_000);
  return { dir, models: () => made! };
}

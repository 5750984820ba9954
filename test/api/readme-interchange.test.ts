// docs/model-directories.md's round trips ("Model directories and HuggingFace"): its bert-cli commands and TypeScript
// blocks, run as a user's project would run them — a directory with bert-cli and the other side's
// packages in node_modules — on a tiny pretrained encoder and classifier at the paths they name, and a
// sentence-transformers directory made from the encoder (modules.json, mean pooling, Normalize).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyModels } from '../cli/helpers.js';
import { readmeBlocks, runTs } from '../helpers/readme.js';

const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'bert-cli-readme-hf-'));
const heading = '## Model directories and HuggingFace', doc = 'docs/model-directories.md';
const blocks = readmeBlocks(heading, doc);

/** The `npx bert-cli …` lines of the section's sh blocks. */
function commands(): string[][] {
  return readmeBlocks(heading, doc, 'sh').flatMap((b) =>
    b.split('\n').filter((l) => l.startsWith('npx bert-cli ')).map((l) => l.slice('npx bert-cli '.length).split(/\s+/)),
  );
}

function bertCli(args: string[], input?: string) {
  const lt = args.indexOf('<'), gt = args.indexOf('>');
  const stdin = lt >= 0 ? readFileSync(join(dir, args[lt + 1]), 'utf8') : input;
  const redirects = [lt, gt].filter((i) => i >= 0).flatMap((i) => [i, i + 1]);
  const argv = args.filter((_, i) => !redirects.includes(i));
  const r = spawnSync(process.execPath, [join(root, 'dist', 'bin', 'bert-cli.js'), ...argv], { cwd: dir, input: stdin, encoding: 'utf8', timeout: 120_000 });
  if (gt >= 0) writeFileSync(join(dir, args[gt + 1]), r.stdout);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  mkdirSync(join(dir, 'node_modules', '@anush008'), { recursive: true });
  mkdirSync(join(dir, 'node_modules', '@huggingface'), { recursive: true });
  symlinkSync(root, join(dir, 'node_modules', 'bert-cli'));
  for (const pkg of ['@anush008/tokenizers', '@huggingface/transformers', 'onnxruntime-node']) {
    symlinkSync(join(root, 'node_modules', pkg), join(dir, 'node_modules', pkg));
  }
  const m = tinyModels(dir, { classifier: true });
  cpSync(m.pretrained, join(dir, 'bert-quickstart', 'pretrained'), { recursive: true });
  cpSync(m.classifier, join(dir, 'bert-quickstart', 'spam'), { recursive: true });
  const st = join(dir, 'all-MiniLM-L6-v2');
  cpSync(m.pretrained, st, { recursive: true });
  writeFileSync(join(st, 'modules.json'), JSON.stringify([
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
    { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
  ]));
  mkdirSync(join(st, '1_Pooling'));
  writeFileSync(join(st, '1_Pooling', 'config.json'), JSON.stringify({ word_embedding_dimension: 16, pooling_mode_mean_tokens: true }));
  writeFileSync(join(dir, 'sentences.txt'), 'the congress shall make no law\nthe war is here\n');
}, 120_000);

describe('docs round trips with HuggingFace', () => {
  it('has the blocks: HF tokenizers, ONNX Runtime and transformers.js, sentence-transformers; and the commands', () => {
    expect(blocks).toHaveLength(3);
    expect(commands().map((c) => c[0])).toEqual(['export', 'export', 'embed']);
  });

  it('bert-cli → HF tokenizers: the same ids', () => {
    const r = runTs(dir, 'tokenizers', blocks[0]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('true true');
  });

  it('bert-cli → ONNX Runtime and transformers.js: the commands, then the same logits and embedding', () => {
    for (const c of commands().filter((c) => c[0] === 'export')) {
      const e = bertCli(c);
      expect(e.code, e.stderr).toBe(0);
    }
    const r = runTs(dir, 'onnx', blocks[1]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['true', 'true']);
  });

  it('sentence-transformers directory → embed: unit vectors by the directory\'s pooling, command and library', () => {
    const e = bertCli(commands().find((c) => c[0] === 'embed')!);
    expect(e.code, e.stderr).toBe(0);
    const rows = readFileSync(join(dir, 'embeddings.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).embedding as number[]);
    expect(rows).toHaveLength(2);
    for (const v of rows) expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    const mean = bertCli(['embed', '--model', 'bert-quickstart/pretrained', '--pooling', 'mean', '--normalize'], 'the congress shall make no law\n');
    expect(JSON.parse(mean.stdout).embedding).toEqual(rows[0]); // the directory's pooling is mean + normalize
    const r = runTs(dir, 'st', blocks[2]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('1.000 true');
  });
});

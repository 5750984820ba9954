// What a model directory holds, read without loading the weights: config.json for the shape and
// labels, the safetensors header for the parameter count, the tokenizer files for the vocabulary.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { labelsOf, loadConfig } from '../config.js';
import { BertError } from '../errors.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import { architectureOf } from '../io/model-dir.js';

export interface ModelInfo {
  dir: string;
  architecture: string;
  layers: number;
  hidden: number;
  heads: number;
  intermediate: number;
  maxPositions: number;
  parameters: number;
  vocabSize: number;
  lowercase: boolean;
  labels: string[];
  problemType?: string;
}

/** Counts the elements of every tensor in a safetensors header (no data is read). */
function countTensorElements(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const len = Buffer.alloc(8);
    readSync(fd, len, 0, 8, 0);
    const n = Number(len.readBigUInt64LE());
    if (n > 100 * 1024 * 1024 || 8 + n > statSync(path).size) throw new BertError('safetensors header length is invalid', { where: path });
    const head = Buffer.alloc(n);
    readSync(fd, head, 0, n, 8);
    const header = JSON.parse(head.toString('utf8')) as Record<string, { shape?: number[] }>;
    let total = 0;
    for (const [k, v] of Object.entries(header)) {
      if (k === '__metadata__' || k === 'cls.predictions.decoder.weight' || k.endsWith('position_ids')) continue;
      total += (v.shape ?? []).reduce((a, b) => a * b, 1);
    }
    return total;
  } finally {
    closeSync(fd);
  }
}

export function describeModelDir(dir: string): ModelInfo {
  if (!existsSync(dir)) throw new BertError('model directory not found', { where: dir });
  const cfg = loadConfig(join(dir, 'config.json'));
  const weights = join(dir, 'model.safetensors');
  const tok = existsSync(join(dir, 'vocab.txt')) ? Tokenizer.fromModelDir(dir) : null;
  return {
    dir,
    architecture: architectureOf(cfg) ?? cfg.architectures?.[0] ?? 'BertModel',
    layers: cfg.num_hidden_layers,
    hidden: cfg.hidden_size,
    heads: cfg.num_attention_heads,
    intermediate: cfg.intermediate_size,
    maxPositions: cfg.max_position_embeddings,
    parameters: existsSync(weights) ? countTensorElements(weights) : 0,
    vocabSize: tok?.vocab.size ?? cfg.vocab_size,
    lowercase: tok?.options.lowercase ?? true,
    labels: labelsOf(cfg),
    problemType: cfg.problem_type,
  };
}

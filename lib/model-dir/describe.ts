// What a model directory holds, without building the model: config.json for the shape and labels,
// the safetensors file (read and checked whole) for the parameter count, the tokenizer files for the
// vocabulary.
import { labelsOf, loadConfig } from '../config.js';
import { readSafetensors } from '../io/safetensors.js';
import { committedPath } from '../io/atomic.js';
import { assertModelDirExists } from '../io/read.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import { architectureOf, weightsPath } from './model-dir.js';

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

/** Counts the elements of every tensor, after the reader has checked the whole file (offsets, sizes, dtypes). */
function countTensorElements(path: string): number {
  let total = 0;
  for (const [k, t] of readSafetensors(path)) {
    if (k === 'cls.predictions.decoder.weight' || k.endsWith('position_ids')) continue; // tied, or a buffer
    total += t.shape.reduce((a, b) => a * b, 1);
  }
  return total;
}

export function describeModelDir(dir: string): ModelInfo {
  assertModelDirExists(dir);
  const cfg = loadConfig(committedPath(dir, 'config.json'));
  const weights = weightsPath(dir);
  const tok = Tokenizer.inModelDir(dir) ? Tokenizer.fromModelDir(dir) : null;
  return {
    dir,
    architecture: architectureOf(cfg) ?? cfg.architectures?.[0] ?? 'BertModel',
    layers: cfg.num_hidden_layers,
    hidden: cfg.hidden_size,
    heads: cfg.num_attention_heads,
    intermediate: cfg.intermediate_size,
    maxPositions: cfg.max_position_embeddings,
    parameters: countTensorElements(weights),
    vocabSize: tok?.vocab.size ?? cfg.vocab_size,
    lowercase: tok?.options.lowercase ?? true,
    labels: labelsOf(cfg),
    problemType: cfg.problem_type,
  };
}

// A model directory, as HuggingFace reads and writes them: config.json, vocab.txt,
// tokenizer_config.json, model.safetensors (HF tensor names). bert-cli loads one written by HF
// (and HF's AutoModelFor… loads one written by bert-cli). Every file is written atomically;
// training state (Adam moments, step, seed, data position) goes beside it for an exact resume.
import { DEFAULTS } from '../defaults.js';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type BertConfig } from '../config.js';
import { BertError } from '../errors.js';
import { ARCHITECTURES, BertForTask, type Architecture } from '../model/bert.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import { assertModelFits } from '../model/memory.js';
import { commitFiles, committedPath } from '../io/atomic.js';
import { assertModelDirExists, readJsonFile } from '../io/read.js';
import { loadTensors, storeTensors, type LoadReport } from '../io/checkpoint.js';
import { readSafetensors, safetensorsChunks } from '../io/safetensors.js';

export interface LoadedModel {
  cfg: BertConfig;
  model: BertForTask;
  tokenizer: Tokenizer | null;
  report: LoadReport;
  /** parameters the checkpoint lacked, initialised as BERT does (a new head, a missing pooler) */
  initialized: string[];
}

/** The architecture a directory's config.json names (its first `architectures` entry), if known. */
export function architectureOf(cfg: BertConfig): Architecture | null {
  const a = cfg.architectures?.[0];
  return a && (ARCHITECTURES as readonly string[]).includes(a) ? (a as Architecture) : null;
}


/** A model directory's config.json alone (the task a fine-tuned model is for), without loading weights. */
export function modelDirConfig(dir: string): BertConfig {
  assertModelDirExists(dir);
  const cfgPath = committedPath(dir, 'config.json');
  if (!existsSync(cfgPath)) throw new BertError('model directory has no config.json', { where: dir });
  return loadConfig(cfgPath);
}

/** A model directory's model.safetensors; a pickle alone (pytorch_model.bin) is refused, never loaded. */
export function weightsPath(dir: string): string {
  const weights = committedPath(dir, 'model.safetensors');
  if (existsSync(weights)) return weights;
  if (existsSync(join(dir, 'pytorch_model.bin'))) {
    throw new BertError('only pytorch_model.bin is present, and pickle files are never loaded (they can run code)', {
      where: dir, hint: 'convert it with transformers: model.save_pretrained(dir, safe_serialization=True)',
    });
  }
  throw new BertError('model directory has no model.safetensors', { where: dir });
}

/**
 * Loads a model directory as `arch` (default: the one config.json names, else BertModel). Tensors
 * the file lacks (or, with encoderOnly, every head tensor) are initialised by `seed` and listed in
 * `initialized`; a pytorch_model.bin alone
 * is refused (a pickle runs code when loaded).
 */
export function loadModelDir(dir: string, opts: { arch?: Architecture; seed?: number; config?: Partial<BertConfig>; encoderOnly?: boolean; initMissing?: boolean } = {}): LoadedModel {
  let cfg = modelDirConfig(dir);
  if (opts.config) cfg = { ...cfg, ...opts.config } as BertConfig;
  assertModelFits(cfg, join(dir, 'config.json')); // before a byte of the arena is allocated
  const weights = weightsPath(dir);
  const arch = opts.arch ?? architectureOf(cfg) ?? 'BertModel';
  const model = new BertForTask(cfg, arch);
  // encoderOnly: a fresh head over the pretrained encoder and pooler (fine-tuning)
  const only = opts.encoderOnly ? (n: string) => n.startsWith('bert.') : undefined;
  const report = loadTensors(model.store, readSafetensors(weights), weights, only);
  // the encoder comes whole from the file: a missing tensor of it is never made up (a model answering
  // from random weights is worse than an error) unless asked (initMissing). A head the file lacks is
  // initialised and listed — a fresh fine-tuning head, BertForMaskedLM's absent pooler — and each
  // command refuses what it would need of one (requireTaskHead, fill-mask, embed's pooler)
  const lacking = report.missing.filter((n) => /^(bert\.)?(embeddings|encoder)\./.test(n));
  if (lacking.length && !opts.initMissing) {
    throw new BertError(`the checkpoint lacks ${lacking[0]}${lacking.length > 1 ? ` and ${lacking.length - 1} more tensors of the encoder` : ''}`, { where: weights });
  }
  // an encoder layer the config does not have (num_hidden_layers 1 over 2-layer weights): HF warns of
  // unused weights; answering from half a model quietly is worse — refused, naming the config field
  const extraLayer = report.unexpected.map((n) => /^(?:bert\.)?encoder\.layer\.(\d+)\./.exec(n)).find((m) => m && Number(m[1]) >= cfg.num_hidden_layers);
  if (extraLayer) {
    throw new BertError(`the checkpoint has encoder layer ${extraLayer[1]} (${extraLayer[0]}…), which config.json's num_hidden_layers ${cfg.num_hidden_layers} leaves out`, { where: join(dir, 'config.json') });
  }
  const initialized = report.missing;
  if (initialized.length) {
    const missing = new Set(initialized);
    model.initialize(opts.seed ?? DEFAULTS.seed, (n) => missing.has(n));
  }
  const tokenizer = Tokenizer.inModelDir(dir) ? Tokenizer.fromModelDir(dir) : null;
  return { cfg, model, tokenizer, report, initialized };
}

/**
 * For predict and eval: a model whose task head was never trained (its weights were initialised at
 * load: a pretrained model, or one fine-tuned for another family) is refused, the same way for both.
 */
export function requireTaskHead(loaded: LoadedModel, task: string, dir: string): asserts loaded is LoadedModel & { tokenizer: Tokenizer } {
  if (loaded.initialized.some((n) => n.startsWith('classifier.') || n.startsWith('qa_outputs.'))) {
    throw new BertError(`the model has no ${task} head; fine-tune it first`, { where: dir });
  }
  // (tagging and QA models have no pooler to lack: their class reads the tokens, as HF's, which saves them without one)
  const needed = loaded.initialized;
  if (needed.length) throw new BertError(`the checkpoint lacks ${needed[0]}, which a ${task} model needs`, { where: join(dir, 'model.safetensors') });
  if (!loaded.tokenizer) throw new BertError('model directory has no tokenizer (tokenizer.json or vocab.txt)', { where: dir });
}

/** Adam's moments and the loop's state, saved with the weights for an exact resume. */
export interface TrainingSnapshot {
  m: Float32Array;
  v: Float32Array;
  adamStep: number;
  state: TrainingState;
}

export interface TrainingState {
  step: number;
  seed: number;
  /** where the data stream stands (epoch, position, whatever the loop needs to continue exactly) */
  data: Record<string, unknown>;
  [extra: string]: unknown;
}

function trainingFiles(t: TrainingSnapshot): [string, (Uint8Array | string)[]][] {
  return [
    ['optimizer.safetensors', safetensorsChunks([
      ['adam.m', { shape: [t.m.length], data: t.m }],
      ['adam.v', { shape: [t.v.length], data: t.v }],
    ], { format: 'bert-cli', adam_step: String(t.adamStep) })],
    ['training_state.json', [JSON.stringify({ ...t.state, adam_step: t.adamStep }, null, 2) + '\n']],
  ];
}

/**
 * Writes config.json (architectures set), model.safetensors and the tokenizer's files — with a
 * training snapshot, the optimizer state too — as one commit: a crash leaves the previous checkpoint
 * or this one, never a mixture.
 */
export function saveModelDir(dir: string, model: BertForTask, tokenizer: Tokenizer | null, extra: Partial<BertConfig> = {}, training?: TrainingSnapshot): void {
  mkdirSync(dir, { recursive: true });
  const cfg: BertConfig = { ...model.cfg, ...extra, architectures: [model.arch], model_type: 'bert' };
  const files: [string, (Uint8Array | string)[]][] = [['model.safetensors', safetensorsChunks(storeTensors(model.store))]];
  if (training) files.push(...trainingFiles(training));
  if (tokenizer) {
    files.push(['vocab.txt', [tokenizer.vocab.toText()]]);
    files.push(['tokenizer.json', [JSON.stringify(tokenizer.toJson(), null, 2) + '\n']]);
    files.push(['tokenizer_config.json', [JSON.stringify({ ...tokenizer.configJson(), model_max_length: cfg.max_position_embeddings }, null, 2) + '\n']]);
  }
  files.push(['config.json', [JSON.stringify(cfg, null, 2) + '\n']]);
  commitFiles(dir, files);
}

export function loadTrainingState(dir: string, size: number): { m: Float32Array; v: Float32Array; adamStep: number; state: TrainingState } {
  const path = committedPath(dir, 'training_state.json');
  if (!existsSync(path)) throw new BertError('no training state to resume from', { where: dir });
  const state = readJsonFile(path, 'training state', 1 << 20) as TrainingState & { adam_step: number };
  // what a resume trusts: whole steps, Adam's no further than the loop's, a data position object
  const count = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  if (!state || typeof state !== 'object' || Array.isArray(state)) throw new BertError('the training state is not a JSON object', { where: path });
  if (!count(state.step) || (state.step as number) > 1e8) throw new BertError(`"step" must be a whole number of steps, not ${JSON.stringify(state.step)}`, { where: path });
  if (!count(state.adam_step) || state.adam_step > state.step) throw new BertError(`"adam_step" must be a whole number no larger than "step" (${state.step}), not ${JSON.stringify(state.adam_step)}`, { where: path });
  if (!state.data || typeof state.data !== 'object' || Array.isArray(state.data)) throw new BertError('"data" (the position in the training data) is missing', { where: path });
  const optimizer = committedPath(dir, 'optimizer.safetensors');
  const t = readSafetensors(optimizer);
  const m = t.get('adam.m'), v = t.get('adam.v');
  if (!m || !v || m.data.length !== size || v.data.length !== size) {
    throw new BertError(`optimizer state does not match the model (${size} parameters)`, { where: optimizer });
  }
  return { m: m.data, v: v.data, adamStep: state.adam_step, state };
}

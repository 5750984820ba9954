// BertConfig with HuggingFace's field names (a config.json needs no translation either way), the
// size presets, and validation with one clear error per problem, before anything is allocated.
import { BertError } from './errors.js';
import { readJsonFile } from './io/read.js';

export interface BertConfig {
  architectures?: string[];
  model_type: 'bert';
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: 'gelu';
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  layer_norm_eps: number;
  initializer_range: number;
  pad_token_id: number;
  id2label?: Record<string, string>;
  label2id?: Record<string, number>;
  problem_type?: 'single_label_classification' | 'multi_label_classification' | 'regression';
  [extra: string]: unknown;
}

export type PresetName = 'tiny' | 'mini' | 'small' | 'medium' | 'base' | 'large';

// [layers, hidden, heads]; intermediate = 4·hidden, 512 positions, 2 token types.
const PRESETS: Record<PresetName, [number, number, number]> = {
  tiny: [2, 128, 2],
  mini: [4, 256, 4],
  small: [4, 512, 8],
  medium: [8, 512, 8],
  base: [12, 768, 12],
  large: [24, 1024, 16],
};
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export function presetConfig(name: PresetName, vocabSize: number): BertConfig {
  const p = PRESETS[name];
  if (!p) throw new BertError(`unknown preset '${name}'`, { hint: `one of ${PRESET_NAMES.join(', ')}` });
  const [L, H, A] = p;
  return validateConfig({
    model_type: 'bert',
    vocab_size: vocabSize,
    hidden_size: H,
    num_hidden_layers: L,
    num_attention_heads: A,
    intermediate_size: 4 * H,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    max_position_embeddings: 512,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    initializer_range: 0.02,
    pad_token_id: 0,
  });
}

// Far beyond any BERT (large is 340M parameters) but small enough that nothing absurd is allocated.
const LIMITS: Record<string, number> = {
  vocab_size: 1 << 22,
  hidden_size: 1 << 14,
  num_hidden_layers: 256,
  num_attention_heads: 1024,
  intermediate_size: 1 << 16,
  max_position_embeddings: 1 << 16,
  type_vocab_size: 1 << 10,
};
const MAX_PARAMETERS = 4e9;

// transformers' BertConfig() defaults (bert-base-uncased): a config.json that leaves a size out means these,
// exactly as BertConfig.from_dict reads it.
const HF_DEFAULTS: Record<string, number> = {
  vocab_size: 30522,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  max_position_embeddings: 512,
  type_vocab_size: 2,
};

/** Checks a config (from JSON or built) and returns it typed; `where` names its file. */
export function validateConfig(raw: Record<string, unknown>, where?: string): BertConfig {
  const fail = (msg: string): never => {
    throw new BertError(msg, { where });
  };
  if (raw.model_type !== undefined && raw.model_type !== 'bert') fail(`model_type is '${raw.model_type}', expected 'bert'`);
  // relative_key(_query) position embeddings change attention itself: refused, not silently ignored
  if (raw.position_embedding_type !== undefined && raw.position_embedding_type !== 'absolute') {
    fail(`position_embedding_type '${raw.position_embedding_type}' is not supported (BERT's is 'absolute')`);
  }
  raw = { ...raw };
  for (const key of Object.keys(HF_DEFAULTS)) if (raw[key] === undefined) raw[key] = HF_DEFAULTS[key];
  for (const key of Object.keys(LIMITS)) {
    const v = raw[key];
    if (!Number.isInteger(v) || (v as number) < 1) fail(`${key} must be a positive integer, got ${JSON.stringify(v)}`);
    if ((v as number) > LIMITS[key]) fail(`${key} is ${v}, over the limit of ${LIMITS[key]}`);
  }
  const H = raw.hidden_size as number, A = raw.num_attention_heads as number;
  if (H % A !== 0) fail(`hidden_size ${H} is not divisible by num_attention_heads ${A}`);
  const act = raw.hidden_act ?? 'gelu';
  if (act !== 'gelu') fail(`hidden_act '${act}' is not supported (BERT uses 'gelu', the erf form)`);
  for (const key of ['hidden_dropout_prob', 'attention_probs_dropout_prob']) {
    const v = raw[key] ?? 0.1;
    if (typeof v !== 'number' || !(v >= 0 && v < 1)) fail(`${key} must be in [0, 1), got ${JSON.stringify(v)}`);
  }
  const eps = raw.layer_norm_eps ?? 1e-12;
  if (typeof eps !== 'number' || !(eps > 0)) fail(`layer_norm_eps must be positive, got ${JSON.stringify(eps)}`);
  const init = raw.initializer_range ?? 0.02;
  if (typeof init !== 'number' || !(init > 0)) fail(`initializer_range must be positive, got ${JSON.stringify(init)}`);
  const pad = raw.pad_token_id ?? 0;
  if (!Number.isInteger(pad) || (pad as number) < 0 || (pad as number) >= (raw.vocab_size as number)) {
    fail(`pad_token_id ${JSON.stringify(pad)} is outside the vocabulary`);
  }
  const cfg = {
    ...raw,
    model_type: 'bert',
    hidden_act: 'gelu',
    hidden_dropout_prob: raw.hidden_dropout_prob ?? 0.1,
    attention_probs_dropout_prob: raw.attention_probs_dropout_prob ?? 0.1,
    layer_norm_eps: eps,
    initializer_range: init,
    pad_token_id: pad,
  } as BertConfig;
  if (cfg.id2label !== undefined) {
    if (typeof cfg.id2label !== 'object' || cfg.id2label === null) fail('id2label must be an object');
    const n = Object.keys(cfg.id2label).length;
    for (let i = 0; i < n; i++) if (typeof cfg.id2label[String(i)] !== 'string') fail(`id2label has no label for id ${i}`);
    // two ids with one name: the rows keyed by name (scores, label2id) would drop one class's probability
    const seen = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const name = cfg.id2label[String(i)];
      if (seen.has(name)) fail(`id2label names ids ${seen.get(name)} and ${i} both '${name.slice(0, 40)}'`);
      seen.set(name, i);
    }
  }
  const params = countParameters(cfg);
  if (params > MAX_PARAMETERS) fail(`the model would have ${(params / 1e9).toFixed(1)} billion parameters, over the limit of 4 billion`);
  return cfg;
}

export function loadConfig(path: string): BertConfig {
  const raw = readJsonFile(path, 'config file', 16 << 20);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new BertError('expected a JSON object', { where: path });
  return validateConfig(raw as Record<string, unknown>, path);
}

/** Parameters of the encoder with pooler (BertModel), heads excluded. */
export function countParameters(c: Pick<BertConfig, 'vocab_size' | 'hidden_size' | 'num_hidden_layers' | 'intermediate_size' | 'max_position_embeddings' | 'type_vocab_size'>): number {
  const H = c.hidden_size, I = c.intermediate_size;
  const embeddings = (c.vocab_size + c.max_position_embeddings + c.type_vocab_size) * H + 2 * H;
  const layer = 4 * (H * H + H) + 2 * H + (H * I + I) + (I * H + H) + 2 * H;
  return embeddings + c.num_hidden_layers * layer + (H * H + H);
}

export function labelsOf(c: BertConfig): string[] {
  if (!c.id2label) return [];
  return Object.keys(c.id2label).map((_, i) => c.id2label![String(i)]);
}

/** The longest sequence a bert-cli pretraining run trained the positions on (config.json's bert_cli_pretrain_max_length), if recorded. */
export function pretrainedLength(cfg: BertConfig): number | undefined {
  const n = cfg.bert_cli_pretrain_max_length;
  return Number.isInteger(n) && (n as number) > 0 ? (n as number) : undefined;
}

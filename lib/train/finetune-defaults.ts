// Fine-tuning settings that fit the model, for the flags a user leaves out. BERT's own (lr 2e-5…5e-5,
// 3 epochs, batch 32) are for BERT-base and up; small BERTs want a higher rate and more passes
// (Turc et al. 2019, "Well-Read Students Learn Better": the 24 small BERTs were fine-tuned over
// lr 3e-4…3e-5 for 4 epochs). The table is by the encoder's size without its embeddings — what the
// rate has to move — and each row's values were measured on real data (README, "Fine-tuning
// defaults"). An explicit flag always wins; the chosen values are printed and saved in the report.
import type { BertConfig } from '../config.js';

export interface FinetuneSettings {
  lr: number;
  epochs: number;
  batchSize: number;
  warmupRatio: number;
}

interface Row extends FinetuneSettings {
  /** up to this many encoder parameters (embeddings excluded) */
  upTo: number;
  name: string;
}

export const FINETUNE_DEFAULTS: Row[] = [
  { upTo: 5e6, name: 'tiny/mini (≤ 5M encoder parameters)', lr: 3e-4, epochs: 4, batchSize: 32, warmupRatio: 0.1 },
  { upTo: 30e6, name: 'small/medium (≤ 30M)', lr: 1e-4, epochs: 4, batchSize: 32, warmupRatio: 0.1 },
  { upTo: Infinity, name: 'base/large', lr: 2e-5, epochs: 3, batchSize: 32, warmupRatio: 0.1 },
];

/** Parameters of the encoder layers and pooler: what the size table goes by. */
export function encoderParameters(c: Pick<BertConfig, 'hidden_size' | 'num_hidden_layers' | 'intermediate_size'>): number {
  const H = c.hidden_size, I = c.intermediate_size;
  return c.num_hidden_layers * (4 * (H * H + H) + 4 * H + 2 * H * I + I + H) + H * H + H;
}

/** The table's row for a model, and the settings with every given value kept. */
export function finetuneDefaults(c: Pick<BertConfig, 'hidden_size' | 'num_hidden_layers' | 'intermediate_size'>, given: Partial<FinetuneSettings>): { settings: FinetuneSettings; row: string; defaulted: (keyof FinetuneSettings)[] } {
  const row = FINETUNE_DEFAULTS.find((r) => encoderParameters(c) <= r.upTo)!;
  const keys = ['lr', 'epochs', 'batchSize', 'warmupRatio'] as const;
  const settings = Object.fromEntries(keys.map((k) => [k, given[k] ?? row[k]])) as unknown as FinetuneSettings;
  return { settings, row: row.name, defaulted: keys.filter((k) => given[k] === undefined) };
}

/**
 * Fine-tuning's dropout when --dropout is not given: the model's own, except that a model pretrained
 * without dropout (pretrain's default for short budgets, as Cramming's) fine-tunes with BERT's 0.1,
 * as Cramming's recipe puts it back for fine-tuning. undefined: keep config.json's.
 */
export function finetuneDropout(c: Pick<BertConfig, 'hidden_dropout_prob' | 'attention_probs_dropout_prob'>, given: number | undefined): number | undefined {
  if (given !== undefined) return given;
  return c.hidden_dropout_prob === 0 && c.attention_probs_dropout_prob === 0 ? 0.1 : undefined;
}

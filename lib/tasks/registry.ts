// Every task family, by name. Adding a family is one file in lib/tasks/ and one line here.
import { DEFAULT_MAX_LENGTH } from '../defaults.js';
import { pretrainedLength, type BertConfig } from '../config.js';
import { BertError, UsageError } from '../errors.js';
import { choice } from './choice.js';
import { classify } from './classify.js';
import type { AnyFamily } from './family.js';
import { multilabel } from './multilabel.js';
import { pair } from './pair.js';
import { qa } from './qa.js';
import { regression } from './regression.js';
import { similarity } from './similarity.js';
import { tag } from './tag.js';

export const FAMILIES = { classify, pair, regression, similarity, multilabel, tag, qa, choice } satisfies Record<string, AnyFamily>;

export type Task = keyof typeof FAMILIES;
export const TASKS = Object.keys(FAMILIES) as Task[];

export function family(task: string, where = '--task'): AnyFamily {
  if (!Object.hasOwn(FAMILIES, task)) throw new BertError(`unknown task '${task}'`, { where, hint: `one of ${TASKS.join(', ')}` });
  return FAMILIES[task as Task];
}

/** The family a fine-tuned model directory was trained for: bert_cli_task, else what HF's config says (a classifier when it says nothing more). */
export function familyOfConfig(cfg: BertConfig): AnyFamily {
  const t = cfg.bert_cli_task;
  if (typeof t === 'string' && Object.hasOwn(FAMILIES, t)) return FAMILIES[t as Task];
  return Object.values(FAMILIES).find((f) => f !== classify && f.recognizes(cfg)) ?? classify;
}

/** The shortest --max-length that holds a token: [CLS] x [SEP]. */
export const MIN_MAX_LENGTH = 3;

/** Tokens per example for predict and eval: what the model was fine-tuned with, else BERT's usual 128. */
export function maxLengthOfConfig(cfg: BertConfig, flag?: number): number {
  if (flag !== undefined) {
    if (flag < MIN_MAX_LENGTH) throw new UsageError(`--max-length ${flag} leaves no room for a token between [CLS] and [SEP] (at least ${MIN_MAX_LENGTH})`, { where: '--max-length' });
    if (flag > cfg.max_position_embeddings) throw new UsageError(`--max-length ${flag} is over the model's max_position_embeddings ${cfg.max_position_embeddings}`, { where: '--max-length' });
    return flag;
  }
  const n = cfg.bert_cli_max_length;
  return Number.isInteger(n) && (n as number) > 0 ? Math.min(n as number, cfg.max_position_embeddings) : Math.min(DEFAULT_MAX_LENGTH, cfg.max_position_embeddings);
}

/**
 * Tokens per example for fine-tuning when no flag says: the family's (BERT's 128, QA's 384), no more
 * than the model's positions nor the sequences it was pretrained on (positions beyond are untrained:
 * a mini pretrained at 128 scored 42.9 EM on the SOTU questions at 128, 35.3 at QA's usual 384).
 */
export function trainingMaxLength(fam: AnyFamily, cfg: BertConfig): number {
  return Math.min(cfg.max_position_embeddings, fam.maxLength, pretrainedLength(cfg) ?? Infinity);
}

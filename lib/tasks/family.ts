// What a task family is: everything fine-tuning, evaluation and prediction need to know about one
// kind of task, in one object — how labelled data is read and encoded, the config.json fields of a
// model trained on it, how examples become a batch and its targets, what the head's logits mean for
// each example, the metric, and how unlabelled inputs (files or values) become output rows. The
// families live one per file in lib/tasks/ and are listed in registry.ts; the loop, the commands and
// the library API only ever talk to this interface.
import type { BertConfig } from '../config.js';
import type { Architecture, StepResult, Targets } from '../model/bert.js';
import type { Batch } from '../model/encoder.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import type { Aggregation } from './entities.js';

/** Which fields of a record hold the texts and the label (TSV/CSV header names, JSON keys). */
export interface Columns {
  text: string;
  pair: string;
  label: string;
}

/** QA's window and answer settings, each overriding what the model was fine-tuned with. */
export interface QaFlags {
  docStride?: number;
  maxQueryLength?: number;
  maxAnswerLength?: number;
  nBest?: number;
  nullThreshold?: number;
}

export interface FamilyContext {
  tokenizer: Tokenizer;
  /** tokens per example, [CLS]/[SEP] included */
  maxLength: number;
  /** the config.json of the model being trained or used; absent while reading the training set */
  config?: BertConfig;
  /** the model's label names, for prediction rows */
  labels?: string[];
  skipBad?: boolean;
  columns?: Partial<Columns>;
  qa?: QaFlags;
  /** tag, raw text: how entities are merged and how many tokens consecutive windows share */
  tag?: { aggregation?: Aggregation; stride?: number };
  /** tag: every piece of a word carries its tag in training (HF's label_all_tokens), not only the first */
  labelAllTokens?: boolean;
  /** prediction rows: only the k most likely labels in "scores" */
  topK?: number;
  /** called for each input line cut while read (MAX_LINE_CHARS) */
  onCut?: () => void;
  /** called with how many inputs of a chunk were cut to maxLength tokens (prediction) */
  onTruncated?: (n: number) => void;
}

/** A labelled data set, read and encoded. */
export interface Dataset<E> {
  file: string;
  examples: E[];
  /** the label names: found in the training set, else the model's */
  labels: string[];
  /** malformed rows skipped (--skip-bad): line numbers, or places */
  skipped: (number | string)[];
  /** examples cut to maxLength */
  truncated: number;
  /** tagging: words after a cut, left out */
  wordsCut?: number;
  /** one-line notices for the user (answers moved to their text, windows made …) */
  notes: string[];
  /** the counts evaluation reports beside the metrics, in this order */
  counts: Record<string, number>;
}

export interface Scored {
  /** the number the best checkpoint is chosen by (accuracy, micro F1, Pearson, entity F1, F1/100) */
  score: number;
  metrics: Record<string, unknown>;
}

/** Unlabelled inputs, encoded, and how the outputs for them become output rows. */
export interface Chunk<E, O> {
  examples: E[];
  rows(outputs: O[]): Record<string, unknown>[];
}

/**
 * E: an encoded example; O: what the head gives for one example; D: the family's data set; I: one
 * input as a library user passes it (a text, a pair, a question …).
 */
export interface TaskFamily<E = unknown, O = unknown, D extends Dataset<E> = Dataset<E>, I = unknown> {
  name: string;
  arch: Architecture;
  /** what one input is called in progress lines: text, sentence, question */
  unit: string;
  /** tokens per example when --max-length is not given (capped by the model's positions) */
  maxLength: number;
  /** whether a config.json without bert_cli_task is this family's (HF directories) */
  recognizes(cfg: BertConfig): boolean;
  /** the metric the best checkpoint is chosen by, as a person reads it */
  metric(labels: string[]): string;
  /** labelled data; `labels` null: the training set, whose labels are found in it */
  read(file: string, ctx: FamilyContext, labels: string[] | null): D;
  /** config.json fields of a model fine-tuned on this training set */
  config(train: D, ctx: FamilyContext): Partial<BertConfig>;
  /** the class names a report's confusion matrix is drawn for (none when the outputs are scores) */
  classes(labels: string[]): string[] | undefined;
  /** tokens in an example: batches are sorted by it */
  length(e: E): number;
  /** a batch padded to its longest example, with targets when the examples are labelled */
  collate(xs: E[], padId: number, labelled: boolean): { batch: Batch; targets: Targets | null };
  /** each example's part of one batch's result */
  outputs(r: StepResult, xs: E[], batch: Batch): O[];
  score(outputs: O[], data: D): Scored;
  /** inputs from files ('-' or none: standard input), a chunk at a time */
  inputs(files: string[], ctx: FamilyContext): AsyncGenerator<Chunk<E, O>>;
  /** inputs given as values by a library user */
  values(xs: I[], ctx: FamilyContext): Chunk<E, O>;
}

// the registry holds families of every example type
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFamily = TaskFamily<any, any, any, any>;

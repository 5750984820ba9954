// The one table from an HF architecture name to what it is made of: the encoder's tensor-name
// prefix, whether it has a pooler, and its head kind (heads/<kind>.ts). A new head is a file and a
// row here; a new architecture is a row (and, for a new body, an encoder variant).
import { choiceHead } from './choice.js';
import type { HeadDef } from './head.js';
import { pretrainingHead } from './pretraining.js';
import { sequenceHead } from './sequence.js';
import { spanHead } from './span.js';
import { tokenHead } from './token.js';

export interface ArchitectureRow {
  /** the encoder's tensor names' prefix: 'bert.' under a head, '' for a bare BertModel */
  prefix: string;
  /** HF builds the pooler (add_pooling_layer) */
  pooler: boolean;
  head: HeadDef | null;
  /** the class an ONNX export of it is (what a runtime serves of a pretraining checkpoint: fill-mask) */
  exportAs?: Architecture;
}

export type Architecture =
  | 'BertModel' | 'BertForPreTraining' | 'BertForMaskedLM' | 'BertForSequenceClassification'
  | 'BertForTokenClassification' | 'BertForQuestionAnswering' | 'BertForMultipleChoice';

export const ARCHITECTURE_TABLE: Record<Architecture, ArchitectureRow> = {
  BertModel: { prefix: '', pooler: true, head: null },
  BertForPreTraining: { prefix: 'bert.', pooler: true, head: pretrainingHead(true), exportAs: 'BertForMaskedLM' },
  BertForMaskedLM: { prefix: 'bert.', pooler: false, head: pretrainingHead(false) },
  BertForSequenceClassification: { prefix: 'bert.', pooler: true, head: sequenceHead },
  BertForTokenClassification: { prefix: 'bert.', pooler: false, head: tokenHead },
  BertForQuestionAnswering: { prefix: 'bert.', pooler: false, head: spanHead },
  BertForMultipleChoice: { prefix: 'bert.', pooler: true, head: choiceHead },
};
export const ARCHITECTURES = Object.keys(ARCHITECTURE_TABLE) as Architecture[];

export function architectureRow(arch: Architecture): ArchitectureRow {
  return ARCHITECTURE_TABLE[arch];
}

export type { Head, HeadKind, Targets, LossShares } from './head.js';

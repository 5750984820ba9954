// BertForSequenceClassification's head: dropout → classifier on the pooled output, with HF's loss
// by problem_type — cross-entropy (single_label_classification), mean squared error (regression,
// or one label), or binary cross-entropy with logits (multi_label_classification).
import { native } from '../../native.js';
import type { Batch } from '../encoder.js';
import { Dense, DenseHead } from './dense.js';
import type { HeadContext, HeadDef, HeadLoss, OnnxGraph, Targets } from './head.js';

class SequenceHead extends DenseHead {
  readonly kind = 'sequence' as const;

  constructor(ctx: HeadContext) {
    super(ctx, 'classifier.weight', 'classifier.bias', ctx.numLabels, ctx.cfg.hidden_dropout_prob, true);
  }

  protected lossOf(targets: Targets, batch: Batch, d: Float32Array | null, scale: number): HeadLoss | null {
    const n = this.ctx.numLabels;
    const pt = this.ctx.cfg.problem_type ?? (n === 1 ? 'regression' : 'single_label_classification');
    if (pt === 'regression' && targets.floatLabels) return { loss: native.mse(d, this.logits, targets.floatLabels, scale), parts: {} };
    if (pt === 'multi_label_classification' && targets.floatLabels) return { loss: native.bceWithLogits(d, this.logits, targets.floatLabels, scale), parts: {} };
    if (targets.labels) return { loss: native.softmaxCrossEntropy(d, null, this.logits, targets.labels, batch.B, n, scale).loss, parts: {} };
    return null;
  }

  onnx(g: OnnxGraph): [string, string][] {
    return [[g.linear(g.pooler(), 'classifier.weight', 'classifier.bias'), 'logits']];
  }

  onnxOutputs() {
    return [{ name: 'logits', shape: ['batch_size', this.ctx.numLabels] }];
  }
}

export const sequenceHead: HeadDef = {
  kind: 'sequence',
  specs: ({ cfg, numLabels }) => Dense.specs('classifier.weight', 'classifier.bias', numLabels, cfg.hidden_size),
  create: (ctx) => new SequenceHead(ctx),
};

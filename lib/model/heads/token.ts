// BertForTokenClassification's head: dropout → classifier on every token's hidden state;
// cross-entropy over the labelled tokens (−100: padding, special tokens, a word's later pieces).
import { native } from '../../native.js';
import type { Batch } from '../encoder.js';
import { Dense, DenseHead } from './dense.js';
import type { HeadContext, HeadDef, HeadLoss, OnnxGraph, Targets } from './head.js';

class TokenHead extends DenseHead {
  readonly kind = 'token' as const;

  constructor(ctx: HeadContext) {
    super(ctx, 'classifier.weight', 'classifier.bias', ctx.numLabels, ctx.cfg.hidden_dropout_prob, false);
  }

  protected lossOf(targets: Targets, batch: Batch, d: Float32Array | null, scale: number): HeadLoss | null {
    if (!targets.labels) return null;
    return { loss: native.softmaxCrossEntropy(d, null, this.logits, targets.labels, batch.B * batch.T, this.ctx.numLabels, scale).loss, parts: {} };
  }

  onnx(g: OnnxGraph): [string, string][] {
    return [[g.linear(g.hidden, 'classifier.weight', 'classifier.bias'), 'logits']];
  }

  onnxOutputs() {
    return [{ name: 'logits', shape: ['batch_size', 'sequence_length', this.ctx.numLabels] }];
  }
}

export const tokenHead: HeadDef = {
  kind: 'token',
  specs: ({ cfg, numLabels }) => Dense.specs('classifier.weight', 'classifier.bias', numLabels, cfg.hidden_size),
  create: (ctx) => new TokenHead(ctx),
};

// BertForMultipleChoice's head: the choices of an example are rows of one batch; dropout →
// classifier [1, H] on each row's pooled output gives one logit per choice, and cross-entropy runs
// over each example's choices (logits [B/choices, choices]).
import { native } from '../../native.js';
import type { Batch } from '../encoder.js';
import { Dense, DenseHead } from './dense.js';
import type { HeadContext, HeadDef, HeadLoss, OnnxGraph, Targets } from './head.js';

class ChoiceHead extends DenseHead {
  readonly kind = 'choice' as const;
  readonly choices = true;

  constructor(ctx: HeadContext) {
    super(ctx, 'classifier.weight', 'classifier.bias', 1, ctx.cfg.hidden_dropout_prob, true);
  }

  protected lossOf(targets: Targets, batch: Batch, d: Float32Array | null, scale: number): HeadLoss | null {
    if (!targets.labels) return null;
    const examples = targets.labels.length; // B = examples · choices
    return { loss: native.softmaxCrossEntropy(d, null, this.logits, targets.labels, examples, batch.B / examples, scale).loss, parts: {} };
  }

  onnx(g: OnnxGraph): [string, string][] {
    const perChoice = g.one('Concat', [g.constI('minus_one_b', [-1]), g.one('Unsqueeze', [g.dim(1), g.constI('axis0_b', [0])])], [g.int('axis', 0)]);
    return [[g.one('Reshape', [g.linear(g.pooler(), 'classifier.weight', 'classifier.bias'), perChoice]), 'logits']];
  }

  onnxOutputs() {
    return [{ name: 'logits', shape: ['batch_size', 'num_choices'] }];
  }
}

export const choiceHead: HeadDef = {
  kind: 'choice',
  specs: ({ cfg }) => Dense.specs('classifier.weight', 'classifier.bias', 1, cfg.hidden_size),
  create: (ctx) => new ChoiceHead(ctx),
};

// BertForQuestionAnswering's head: qa_outputs [2, H] on every token (no dropout, as HF), giving the
// start and end logits of the answer span. Loss: the mean of the start and end cross-entropies over
// the sequence's positions; a position outside [0, T) is ignored, as HF clamps it to T and ignores T.
import { native } from '../../native.js';
import type { Batch } from '../encoder.js';
import { Dense, DenseHead } from './dense.js';
import type { HeadContext, HeadDef, HeadLoss, OnnxGraph, Targets } from './head.js';

class SpanHead extends DenseHead {
  readonly kind = 'span' as const;

  constructor(ctx: HeadContext) {
    super(ctx, 'qa_outputs.weight', 'qa_outputs.bias', 2, 0, false);
  }

  protected lossOf(targets: Targets, batch: Batch, d: Float32Array | null, scale: number): HeadLoss | null {
    if (!targets.startPositions || !targets.endPositions) return null;
    // logits [B·T, 2] → start [B, T] and end [B, T]
    const { B, T } = batch, R = B * T, logits = this.logits;
    const start = new Float32Array(R), end = new Float32Array(R);
    for (let i = 0; i < R; i++) {
      start[i] = logits[2 * i];
      end[i] = logits[2 * i + 1];
    }
    const clampT = (p: Int32Array) => Int32Array.from(p, (x) => (x < 0 || x >= T ? -100 : x));
    const dS = d ? new Float32Array(R) : null, dE = d ? new Float32Array(R) : null;
    const ls = native.softmaxCrossEntropy(dS, null, start, clampT(targets.startPositions), B, T, scale / 2).loss;
    const le = native.softmaxCrossEntropy(dE, null, end, clampT(targets.endPositions), B, T, scale / 2).loss;
    if (d) for (let i = 0; i < R; i++) {
      d[2 * i] = dS![i];
      d[2 * i + 1] = dE![i];
    }
    return { loss: (ls + le) / 2, parts: { start: ls, end: le } };
  }

  onnx(g: OnnxGraph): [string, string][] {
    const [s, e] = g.node('Split', [g.linear(g.hidden, 'qa_outputs.weight', 'qa_outputs.bias'), g.constI('split', [1, 1])], [g.int('axis', -1)], 2);
    return [[g.one('Squeeze', [s, g.constI('last_axis', [-1])]), 'start_logits'], [g.one('Squeeze', [e, g.constI('last_axis2', [-1])]), 'end_logits']];
  }

  onnxOutputs() {
    return [{ name: 'start_logits', shape: ['batch_size', 'sequence_length'] }, { name: 'end_logits', shape: ['batch_size', 'sequence_length'] }];
  }
}

export const spanHead: HeadDef = {
  kind: 'span',
  specs: ({ cfg }) => Dense.specs('qa_outputs.weight', 'qa_outputs.bias', 2, cfg.hidden_size),
  create: (ctx) => new SpanHead(ctx),
};

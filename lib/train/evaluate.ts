// A labelled data set through a model: its loss and its family's metrics — fine-tuning's dev
// evaluation (split across the ranks of a data-parallel run) and `bert-cli eval`.
import type { BertForTask } from '../model/bert.js';
import { runBatches } from '../tasks/batching.js';
import type { AnyFamily, Dataset, Scored } from '../tasks/family.js';
import { share, type Communicator } from './distributed.js';

/** A labelled data set's loss and metrics, in one pass. */
export function evaluate(model: BertForTask, family: AnyFamily, data: Dataset<unknown>, o: { batchSize: number; padId: number; comm?: Communicator }): Scored & { loss: number } {
  const comm = o.comm;
  if (!comm || comm.size === 1) {
    const r = runBatches(model, family, data.examples, { ...o, labelled: true });
    return { loss: r.loss, ...family.score(r.outputs, data) };
  }
  // data-parallel: each rank its contiguous share of the examples; the outputs gathered in rank
  // order (which is input order) and the loss weighted by examples, then scored alike everywhere
  const [b, e] = share(data.examples.length, comm.rank, comm.size);
  const mine = data.examples.slice(b, e);
  const r = mine.length ? runBatches(model, family, mine, { ...o, labelled: true }) : { loss: 0, outputs: [] };
  const parts = comm.gather({ loss: r.loss * mine.length, outputs: r.outputs });
  const outputs = parts.flatMap((p) => p.outputs);
  const loss = parts.reduce((a, p) => a + p.loss, 0) / Math.max(1, data.examples.length);
  return { loss, ...family.score(outputs, data) };
}

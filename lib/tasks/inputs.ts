// Input for predict: records from .tsv/.csv/.jsonl files (.gz too), or plain text lines (a .txt
// file, standard input): one text a line, TEXT_A<TAB>TEXT_B for pairs.
import { extname } from 'node:path';
import { readLines, type Line } from '../io/lines.js';
import { streamRecords, type RecordSource } from './records.js';
import { recordsFromLines, type Columns, type SequenceTask } from './sequence.js';
import { sentencesFromLines, streamTagged, type TaggedSentence } from './tagging.js';

const RECORD_EXTENSIONS = ['.tsv', '.tab', '.csv', '.jsonl', '.ndjson', '.json'];

/**
 * The texts of every input in turn, as chunks of at most `size` records, read as streams: memory is
 * bounded by a chunk, whatever the inputs' sizes.
 */
export async function* streamInputs(paths: string[], task: SequenceTask, cols: Columns, size: number, opts: { skipBad?: boolean; onCut?: () => void } = {}): AsyncGenerator<RecordSource> {
  for (const p of paths.length ? paths : ['-']) {
    const ext = extname(p.endsWith('.gz') ? p.slice(0, -3) : p).toLowerCase();
    if (p !== '-' && RECORD_EXTENSIONS.includes(ext)) {
      yield* streamRecords(p, { ...opts, size });
      continue;
    }
    let lines: Line[] = [];
    for await (const l of readLines([p], { onCut: opts.onCut })) {
      lines.push(l);
      if (lines.length >= size) {
        yield recordsFromLines(lines, task, cols);
        lines = [];
      }
    }
    if (lines.length) yield recordsFromLines(lines, task, cols);
  }
}

/** Sentences to tag, streamed in chunks: CoNLL or .jsonl files (tags ignored), or plain lines (one sentence a line). */
export async function* streamTaggedInputs(paths: string[], size: number, opts: { onCut?: () => void } = {}): AsyncGenerator<TaggedSentence[]> {
  for (const p of paths.length ? paths : ['-']) {
    const ext = extname(p.endsWith('.gz') ? p.slice(0, -3) : p).toLowerCase();
    if (p !== '-' && ['.conll', '.conllu', '.iob', '.bio', '.jsonl', '.ndjson', '.json'].includes(ext)) {
      yield* streamTagged(p, size, opts);
      continue;
    }
    let lines: Line[] = [];
    for await (const l of readLines([p], { onCut: opts.onCut })) {
      lines.push(l);
      if (lines.length >= size) {
        yield sentencesFromLines(lines);
        lines = [];
      }
    }
    if (lines.length) yield sentencesFromLines(lines);
  }
}

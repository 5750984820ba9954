// Input for predict and eval: records from .tsv/.csv/.jsonl files, or plain text lines (a .txt
// file, standard input): one text a line, TEXT_A<TAB>TEXT_B for pairs.
import { extname } from 'node:path';
import { readLines } from '../io/lines.js';
import { readRecords, type RecordSource } from './records.js';
import { recordsFromLines, type Columns, type SequenceTask } from './sequence.js';
import { readTagged, sentencesFromLines, type TaggedSentence } from './tagging.js';

export async function readInputs(paths: string[], task: SequenceTask, cols: Columns, opts: { skipBad?: boolean } = {}): Promise<RecordSource[]> {
  const out: RecordSource[] = [];
  const plain: string[] = [];
  for (const p of paths.length ? paths : ['-']) {
    const ext = extname(p).toLowerCase();
    if (p !== '-' && ['.tsv', '.tab', '.csv', '.jsonl', '.ndjson', '.json'].includes(ext)) out.push(readRecords(p, opts));
    else plain.push(p);
  }
  for (const p of plain) {
    const lines: { text: string; file: string; line: number }[] = [];
    for await (const l of readLines([p])) lines.push(l);
    if (lines.length) out.push(recordsFromLines(lines, task, cols));
  }
  return out;
}

/** Sentences to tag: CoNLL or .jsonl files (tags ignored), or plain lines (one sentence a line). */
export async function readTaggedInputs(paths: string[]): Promise<TaggedSentence[]> {
  const out: TaggedSentence[] = [];
  for (const p of paths.length ? paths : ['-']) {
    const ext = extname(p).toLowerCase();
    if (p !== '-' && ['.conll', '.conllu', '.iob', '.bio', '.jsonl', '.ndjson', '.json'].includes(ext)) {
      out.push(...readTagged(p).sentences);
    } else {
      const lines: { text: string; file: string; line: number }[] = [];
      for await (const l of readLines([p])) lines.push(l);
      out.push(...sentencesFromLines(lines));
    }
  }
  return out;
}

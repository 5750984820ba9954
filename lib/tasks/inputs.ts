// Input for predict: files of records (.tsv/.csv/.jsonl, CoNLL …; .gz too) read by the family's
// reader, or plain text lines (a .txt file, standard input) that the family turns into inputs —
// streamed in chunks, so memory is bounded by a chunk whatever the inputs' sizes.
import { extname } from 'node:path';
import { readLines, type Line } from '../io/lines.js';

export const RECORD_EXTENSIONS = ['.tsv', '.tab', '.csv', '.jsonl', '.ndjson', '.json'];

export async function* streamChunks<X>(paths: string[], size: number, o: {
  /** extensions read by `file`; any other path (and '-') is text lines */
  extensions: string[];
  file: (path: string) => AsyncGenerator<X>;
  lines: (lines: Line[]) => X;
  onCut?: () => void;
}): AsyncGenerator<X> {
  for (const p of paths.length ? paths : ['-']) {
    const ext = extname(p.endsWith('.gz') ? p.slice(0, -3) : p).toLowerCase();
    if (p !== '-' && o.extensions.includes(ext)) {
      yield* o.file(p);
      continue;
    }
    let lines: Line[] = [];
    for await (const l of readLines([p], { onCut: o.onCut })) {
      lines.push(l);
      if (lines.length >= size) {
        yield o.lines(lines);
        lines = [];
      }
    }
    if (lines.length) yield o.lines(lines);
  }
}

// Pretraining corpora in the original BERT format: text files with one sentence per line and a
// blank line between documents; directories are read recursively (sorted), .gz files decompressed.
// Documents stream: only the current one is held.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BertError } from '../errors.js';
import { readLines } from '../io/lines.js';

/** The files behind a list of files and directories, in a stable order. */
export function expandCorpusPaths(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new BertError('corpus file not found', { where: p });
    }
    if (st.isDirectory()) for (const e of readdirSync(p).sort()) walk(join(p, e));
    else out.push(p);
  };
  for (const p of paths) walk(p);
  if (out.length === 0) throw new BertError('no corpus files found', { where: paths.join(', ') });
  return out;
}

/**
 * The most text one document holds, in UTF-16 units (about 2M tokens, half of a 4M-token shard): a
 * longer one — a file of short lines with no blank line between documents, 10 GiB of them — is cut
 * into consecutive documents here, so memory is bounded by the shard, never by the file.
 */
export const MAX_DOCUMENT_CHARS = 1 << 23;

/** Documents (lists of non-empty lines) of the corpus, in order. */
export async function* readDocuments(files: string[]): AsyncGenerator<string[]> {
  for await (const d of readSourcedDocuments(files)) yield d.lines;
}

/** The documents with the index (in `files`) of the file each came from. */
export async function* readSourcedDocuments(files: string[]): AsyncGenerator<{ lines: string[]; source: number }> {
  let doc: string[] = [];
  let chars = 0;
  for (let source = 0; source < files.length; source++) {
    for await (const line of readLines([files[source]])) {
      if (line.text.trim() === '') {
        if (doc.length) yield { lines: doc, source };
        doc = [];
        chars = 0;
      } else {
        doc.push(line.text);
        chars += line.text.length;
        if (chars >= MAX_DOCUMENT_CHARS) {
          yield { lines: doc, source };
          doc = [];
          chars = 0;
        }
      }
    }
    if (doc.length) yield { lines: doc, source }; // a file ends its last document
    doc = [];
    chars = 0;
  }
}

// The job behind `bert-cli tokenize`: stream lines in, JSON Lines out, in input order. Small inputs
// are encoded in-process; past the first 8,000 lines, with threads > 1, chunks of 1,000 lines go
// to a pool of worker threads (a few chunks in flight per worker) and are written as they return.
import { BertError } from '../errors.js';
import type { Line } from '../io/lines.js';
import type { LineWriter } from '../io/writer.js';
import { ChunkLineError, encodeChunkToJson, type LineEncodeOptions } from './jsonl.js';
import { TokenizerPool } from './pool.js';
import type { Tokenizer } from './tokenizer.js';

const CHUNK = 1000;
const IN_PROCESS_CHUNKS = 8;

export async function tokenizeLines(
  tok: Tokenizer,
  lines: AsyncIterable<Line>,
  writer: LineWriter,
  opts: LineEncodeOptions & { threads: number },
): Promise<{ lines: number }> {
  let pool: TokenizerPool | null = null;
  const inFlight: { chunk: Line[]; text: Promise<string> }[] = [];
  let count = 0;
  let chunks = 0;

  const where = (chunk: Line[], err: unknown): Error => {
    if (err instanceof ChunkLineError && err.index >= 0) {
      const l = chunk[err.index];
      return new BertError(err.message, { where: `${l.file}:${l.line}` });
    }
    return err as Error;
  };
  const drain = async (keep: number) => {
    while (inFlight.length > keep) {
      const { chunk, text } = inFlight.shift()!;
      let out: string;
      try {
        out = await text;
      } catch (err) {
        throw where(chunk, err);
      }
      if (out.length) await writer.write(out);
    }
  };
  const submit = async (chunk: Line[]) => {
    chunks++;
    if (!pool && opts.threads > 1 && chunks > IN_PROCESS_CHUNKS) pool = new TokenizerPool(tok, opts.threads);
    const texts = chunk.map((l) => l.text);
    if (pool) {
      inFlight.push({ chunk, text: pool.encode(texts, opts) });
      await drain(opts.threads * 3);
    } else {
      let out: string;
      try {
        out = encodeChunkToJson(tok, texts, opts);
      } catch (err) {
        throw where(chunk, err);
      }
      if (out.length) await writer.write(out);
    }
  };

  try {
    let chunk: Line[] = [];
    for await (const line of lines) {
      chunk.push(line);
      count++;
      if (chunk.length === CHUNK) {
        await submit(chunk);
        chunk = [];
        if (writer.closedByReader) break;
      }
    }
    if (chunk.length) await submit(chunk);
    await drain(0);
  } finally {
    if (pool) await (pool as TokenizerPool).close();
  }
  return { lines: count };
}

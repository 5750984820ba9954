// A tokenizer worker thread: builds its own Tokenizer from the vocabulary it is sent, then encodes
// chunks of lines to JSON Lines text.
import { parentPort, workerData } from 'node:worker_threads';
import { encodeChunkToJson, ChunkLineError, type LineEncodeOptions } from './jsonl.js';
import { Tokenizer, type TokenizerOptions } from './tokenizer.js';
import { Vocab } from './vocab.js';

const { tokens, options } = workerData as { tokens: string[]; options: TokenizerOptions };
const tok = new Tokenizer(new Vocab(tokens), options);

parentPort!.on('message', (msg: { id: number; lines: string[]; opts: LineEncodeOptions }) => {
  try {
    parentPort!.postMessage({ id: msg.id, text: encodeChunkToJson(tok, msg.lines, msg.opts) });
  } catch (err) {
    const index = err instanceof ChunkLineError ? err.index : -1;
    parentPort!.postMessage({ id: msg.id, error: (err as Error).message, index });
  }
});

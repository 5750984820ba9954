// Encodes chunks of lines on worker threads, for large inputs: each worker holds its own
// Tokenizer; chunks go round-robin and come back in submission order.
import { Worker } from 'node:worker_threads';
import { ChunkLineError, type LineEncodeOptions } from './jsonl.js';
import type { Tokenizer } from './tokenizer.js';

interface Pending {
  resolve: (text: string) => void;
  reject: (err: Error) => void;
}

export class TokenizerPool {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private next = 0;

  constructor(tok: Tokenizer, threads: number) {
    const url = new URL('./worker.js', import.meta.url);
    this.workers = Array.from({ length: threads }, () => {
      const w = new Worker(url, { workerData: { tokens: tok.vocab.tokens, options: tok.options } });
      w.on('message', (m: { id: number; text?: string; error?: string; index?: number }) => {
        const p = this.pending.get(m.id)!;
        this.pending.delete(m.id);
        if (m.error !== undefined) p.reject(new ChunkLineError(m.index ?? -1, m.error));
        else p.resolve(m.text!);
      });
      w.on('error', (err) => {
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      return w;
    });
  }

  /** JSON Lines text for a chunk (lines joined by \n). */
  encode(lines: string[], opts: LineEncodeOptions): Promise<string> {
    const id = this.next++;
    const w = this.workers[id % this.workers.length];
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, lines, opts });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

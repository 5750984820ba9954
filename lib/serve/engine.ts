// The main thread's handle on the engine thread (engine-worker.ts): start it with the models to
// serve, send it jobs (one forward pass each, in the order sent), get each answer as a promise.
import { Worker } from 'node:worker_threads';
import { BertError, UsageError } from '../errors.js';
import type { InferenceDtype } from '../model/encoder.js';
import type { Pooling } from '../model/embed.js';

export interface EngineSetup {
  models: { name: string; dir: string }[];
  dtype?: InferenceDtype;
  threads?: number;
}

export interface EngineJob {
  id: number;
  model: string;
  op: 'embed' | 'predict' | 'fill-mask' | 'prepare';
  items?: unknown[];
  pooling?: Exclude<Pooling, 'tokens'>;
  text?: string;
  topK?: number;
  use?: 'predict' | 'embed' | 'fill-mask';
}

interface Failure { name: string; message: string; where?: string; hint?: string }

export type EngineReply =
  | { t: 'ready'; models: { name: string; dtype: InferenceDtype; notices: string[] }[] }
  | { t: 'failed'; error: Failure }
  | { t: 'done'; id: number; result: unknown }
  | { t: 'error'; id: number; error: Failure };

const revive = (f: Failure) => (f.name === 'UsageError' ? new UsageError(f.message, f) : f.name === 'BertError' ? new BertError(f.message, f) : new Error(f.message));

export class Engine {
  private next = 1;
  private waiting = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();
  private dead: Error | null = null;

  private constructor(private readonly worker: Worker, readonly models: { name: string; dtype: InferenceDtype; notices: string[] }[]) {
    worker.on('message', (m: EngineReply) => {
      if (m.t !== 'done' && m.t !== 'error') return;
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.t === 'done') w?.resolve(m.result);
      else w?.reject(revive(m.error));
    });
    const die = (e: Error) => {
      this.dead = e;
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    };
    worker.on('error', die);
    worker.on('exit', (code) => die(new Error(`the engine thread ended (exit code ${code})`)));
  }

  /** A thread with every model loaded (mapped and checked); a model that cannot load rejects with its error. */
  static start(setup: EngineSetup): Promise<Engine> {
    const worker = new Worker(new URL('./engine-worker.js', import.meta.url), { workerData: setup });
    return new Promise((resolve, reject) => {
      const first = (m: EngineReply) => {
        worker.off('message', first);
        if (m.t === 'ready') resolve(new Engine(worker, m.models));
        else {
          void worker.terminate();
          reject(m.t === 'failed' ? revive(m.error) : new Error('the engine thread answered before it was ready'));
        }
      };
      worker.on('message', first);
      worker.once('error', reject);
    });
  }

  run<R>(job: Omit<EngineJob, 'id'>): Promise<R> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.next++;
    return new Promise<R>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (r: unknown) => void, reject });
      this.worker.postMessage({ ...job, id });
    });
  }

  get alive(): boolean {
    return this.dead === null;
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

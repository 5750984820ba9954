// Dynamic batching: requests put their inputs in one queue; the batcher takes waiting inputs, a
// request's shortest first, up to a budget of padded tokens (the batch's longest × its size,
// TEI's max-batch-tokens), runs one forward pass, and answers each request as soon as its last
// input is done. Only inputs that share a key (model and operation) share a batch. The queue is
// round-robin over requests: a request that still has inputs after a batch goes behind the others,
// so one request never holds the engine beyond one batch. A request whose client went away has its
// waiting inputs dropped.

export interface BatchStats {
  size: number;
  /** padded tokens: the longest input × the inputs */
  tokens: number;
  /** seconds the forward pass took */
  seconds: number;
}

interface Pending {
  key: string;
  items: unknown[];
  lengths: number[];
  /** the request's inputs, shortest first */
  order: number[];
  /** inputs of `order` handed to a batch */
  next: number;
  done: number;
  outputs: unknown[];
  enqueued: number;
  started: number | null;
  resolve: (r: { outputs: unknown[]; queueMs: number; computeMs: number }) => void;
  reject: (e: Error) => void;
  cancelled: boolean;
  computeMs: number;
}

export class Batcher {
  private queue: Pending[] = [];
  private busy = false;
  /** inputs waiting for a batch */
  waiting = 0;

  constructor(
    private readonly run: (key: string, items: unknown[]) => Promise<unknown[]>,
    private readonly o: { maxBatchTokens: number; onBatch?: (s: BatchStats) => void; onQueue?: (waiting: number) => void },
  ) {}

  /**
   * Puts a request's inputs in the queue; resolves with their outputs in input order once the last is
   * done. `signal` aborted (the client went away): its waiting inputs are dropped and it rejects.
   */
  submit(key: string, items: unknown[], lengths: number[], signal?: AbortSignal): Promise<{ outputs: unknown[]; queueMs: number; computeMs: number }> {
    return new Promise((resolve, reject) => {
      const order = items.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b] || a - b);
      const p: Pending = { key, items, lengths, order, next: 0, done: 0, outputs: new Array(items.length), enqueued: performance.now(), started: null, resolve, reject, cancelled: false, computeMs: 0 };
      if (!items.length) return resolve({ outputs: [], queueMs: 0, computeMs: 0 });
      signal?.addEventListener('abort', () => this.cancel(p), { once: true });
      // a new request goes before those that have had a batch already (round-robin)
      const served = this.queue.findIndex((q) => q.next > 0);
      this.queue.splice(served < 0 ? this.queue.length : served, 0, p);
      this.changed(items.length);
      this.pump();
    });
  }

  private cancel(p: Pending) {
    if (p.cancelled || p.done === p.items.length) return;
    p.cancelled = true;
    const i = this.queue.indexOf(p);
    if (i >= 0) {
      this.queue.splice(i, 1);
      this.changed(-(p.items.length - p.next));
    }
    p.reject(new Error('the client went away'));
  }

  private changed(d: number) {
    this.waiting += d;
    this.o.onQueue?.(this.waiting);
  }

  /** Whether nothing waits and nothing runs. */
  get idle(): boolean {
    return !this.busy && this.queue.length === 0;
  }

  private pump(): void {
    if (this.busy || !this.queue.length) return;
    const key = this.queue[0].key;
    const parts: { p: Pending; k: number }[] = [];
    let longest = 0;
    for (const p of this.queue) {
      if (p.key !== key) continue;
      while (p.next < p.order.length) {
        const k = p.order[p.next], len = p.lengths[k];
        if (parts.length && Math.max(longest, len) * (parts.length + 1) > this.o.maxBatchTokens) break;
        longest = Math.max(longest, len);
        parts.push({ p, k });
        p.next++;
        p.started ??= performance.now();
      }
      if (parts.length && longest * (parts.length + 1) > this.o.maxBatchTokens) break;
    }
    // the requests that gave inputs and still have more go behind the others
    const gave = new Set(parts.map((x) => x.p));
    this.queue = [...this.queue.filter((p) => !gave.has(p)), ...[...gave].filter((p) => p.next < p.order.length)];
    this.changed(-parts.length);
    this.busy = true;
    const t0 = performance.now();
    this.run(key, parts.map((x) => x.p.items[x.k])).then(
      (outs) => {
        const seconds = (performance.now() - t0) / 1000;
        this.o.onBatch?.({ size: parts.length, tokens: longest * parts.length, seconds });
        parts.forEach((x, j) => {
          x.p.outputs[x.k] = outs[j];
          x.p.done++;
        });
        for (const p of gave) {
          p.computeMs += seconds * 1000;
          if (p.done === p.items.length && !p.cancelled) p.resolve({ outputs: p.outputs, queueMs: p.started! - p.enqueued, computeMs: p.computeMs });
        }
      },
      (err: Error) => {
        for (const p of gave) {
          if (p.cancelled) continue;
          p.cancelled = true;
          const i = this.queue.indexOf(p);
          if (i >= 0) {
            this.queue.splice(i, 1);
            this.changed(-(p.items.length - p.next));
          }
          p.reject(err);
        }
      },
    ).finally(() => {
      this.busy = false;
      this.pump();
    });
  }
}

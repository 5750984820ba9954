// Long jobs (pretrain, finetune, quickstart) run in a worker thread so that the main thread stays free
// for the terminal: ora's spinner keeps turning and Ctrl-C is seen at once even while the native engine
// spends seconds in one training step. The worker reports through messages; a shared flag carries the
// stop request the other way; its errors come back as the same BertError/UsageError and go through the
// program's one error handler.
import { Worker } from 'node:worker_threads';
import { BertError, UsageError } from '../lib/errors.js';
import { Progress, type ProgressSink } from './progress.js';
import { launchedRank } from '../lib/train/distributed.js';
import { onClosedStdout, onStopSignal, stdoutIsClosed } from './signals.js';

export type JobName = 'pretrain' | 'finetune' | 'quickstart';

/** What a job gets instead of the terminal and signal handlers. */
export interface JobContext {
  progress: ProgressSink;
  /** true once Ctrl-C or SIGTERM arrived: finish the step, save, return { stopped: true } */
  stopRequested: () => boolean;
  /** results for standard output (the main thread writes them) */
  print: (text: string) => void;
}


/** Messages from the worker (job-worker.ts). */
export type JobMessage =
  | { t: 'update'; text: string; force?: boolean }
  | { t: 'log'; text: string }
  | { t: 'warn'; text: string }
  | { t: 'done'; summary: string; ok?: boolean }
  | { t: 'stdout'; text: string }
  | { t: 'result'; stopped: boolean }
  | { t: 'error'; name: string; message: string; where?: string; hint?: string; stack?: string };

export function runJob(name: JobName, args: unknown, opts: { quiet?: boolean }): Promise<void> {
  // under mpirun, rank 0 speaks for the run; the others print only their errors
  const follower = (launchedRank()?.rank ?? 0) > 0;
  const progress = new Progress({ quiet: opts.quiet || follower });
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const stop = onStopSignal(() => Atomics.store(flag, 0, 1));
  onClosedStdout(() => Atomics.store(flag, 0, 1));
  const worker = new Worker(new URL('./job-worker.js', import.meta.url), { workerData: { name, args, stop: flag } });
  return new Promise<void>((resolve, reject) => {
    let failure: Error | null = null;
    let stopped = false;
    worker.on('message', (m: JobMessage) => {
      switch (m.t) {
        case 'update': progress.update(m.text, m.force); break;
        case 'log': progress.log(m.text); break;
        case 'warn': if (!follower) progress.warn(m.text); break;
        case 'done': progress.done(m.summary, m.ok); break;
        case 'stdout': if (!stdoutIsClosed() && !follower) progress.print(m.text); break;
        case 'result': stopped = m.stopped; break;
        case 'error': {
          const e = m.name === 'UsageError' ? new UsageError(m.message, m) : m.name === 'BertError' ? new BertError(m.message, m) : new Error(m.message);
          e.stack = m.stack;
          failure = e;
          progress.clear();
          break;
        }
      }
    });
    worker.on('error', (e) => { failure = e; });
    worker.on('exit', () => {
      stop.dispose();
      onClosedStdout(null);
      // a job that ended without its summary line (an error, or work after the last stage) must not
      // leave a spinner turning: its timer would keep the process alive for good
      progress.clear();
      if (failure) return reject(failure);
      if (stopped) process.exitCode = stdoutIsClosed() && !stop.requested() ? 0 : stop.exitCode();
      resolve();
    });
  });
}

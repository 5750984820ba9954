// How the CLI ends early. Ctrl-C (SIGINT, also on a terminal) and SIGTERM during training: the first
// one asks the loop to finish its step, save and stop (exit code 130 or 143); a second one exits at
// once. A closed standard output (`| head`): the command stops quietly with exit code 0, as `head`
// users expect — a long job as if asked to stop (its step is saved first), anything else at once.
import { stopAllProgress } from './progress.js';
import { launchedRank } from '../lib/train/distributed.js';

export function onStopSignal(onRequest?: () => void) {
  let signal: NodeJS.Signals | null = null;
  const handler = (sig: NodeJS.Signals) => {
    if (signal) process.exit(sig === 'SIGINT' ? 130 : 143);
    signal = sig;
    onRequest?.();
    // under mpirun every rank gets the signal; rank 0 speaks for the run
    if ((launchedRank()?.rank ?? 0) === 0) process.stderr.write(`\nbert-cli: ${sig}: finishing this step and saving a checkpoint (again to quit now)\n`);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    requested: () => signal !== null,
    exitCode: () => (signal === 'SIGTERM' ? 143 : 130),
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/**
 * Ctrl-C or SIGTERM during a command that has nothing to save (predict): drop the partly written
 * output (`cleanup`), take the spinner off the screen and exit 130 / 143 at once. Returns the undo.
 */
export function exitOnStopSignal(cleanup: () => void): () => void {
  const handler = (sig: NodeJS.Signals) => {
    cleanup();
    stopAllProgress();
    process.stderr.write(`\nbert-cli: ${sig}: stopped\n`);
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

let closedOutputHandler: (() => void) | null = null;
let stdoutClosed = false;

/** Whether the reader of standard output has gone away. */
export const stdoutIsClosed = () => stdoutClosed;

/** While a long job runs, a closed standard output asks it to stop instead of exiting at once. */
export function onClosedStdout(handler: (() => void) | null): void {
  closedOutputHandler = handler;
}

/** Installs the one policy for errors on standard output (once, at start). */
export function watchStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') {
      if (stdoutClosed) return;
      stdoutClosed = true;
      if (closedOutputHandler) closedOutputHandler();
      else process.exit(0);
      return;
    }
    process.stderr.write(`bert-cli: error: cannot write standard output (${err.message})\n`);
    process.exit(1);
  });
}

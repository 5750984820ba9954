// Progress of long work on stderr: an ora spinner line on a terminal, a plain log line every few
// seconds without one (pipes, CI), nothing with --quiet. stdout stays for results.
import type { Ora, Options as OraOptions } from 'ora';
import type { ProgressSink } from '../lib/report/format.js';
export { Eta, formatDuration, plural, type ProgressSink } from '../lib/report/format.js';

// Every spinner that is turning: its timer keeps the process alive, so the program stops them all
// when a command ends, whether it finished or failed (stopAllProgress).
const turning = new Set<Ora>();

// ora and its dependencies take ~0.1 s to import, a fifth of a cold `predict`: loaded only when stderr
// is a terminal, the one place a spinner is drawn (before any command runs: see run()).
let ora: ((o: OraOptions) => Ora) | null = null;

/** Loads the spinner where there is a terminal to draw it on; without it, Progress writes log lines. */
export async function loadSpinner(): Promise<void> {
  if (!ora && process.stderr.isTTY) ora = (await import('ora')).default;
}

/** Takes every spinner off the screen and stops its timer (the end of any command). */
export function stopAllProgress(): void {
  for (const s of turning) s.stop();
  turning.clear();
}

export class Progress implements ProgressSink {
  private spinner: Ora | null = null;
  private lastLog = 0;
  private readonly quiet: boolean;
  private readonly tty: boolean;
  private readonly interval: number;

  constructor(opts: { quiet?: boolean; intervalMs?: number } = {}) {
    this.quiet = !!opts.quiet;
    // a terminal that reports no width (a bare pty) gets log lines: ora would erase lines without end
    this.tty = !!process.stderr.isTTY && (process.stderr.columns ?? 0) > 0 && ora !== null;
    this.interval = opts.intervalMs ?? 5000;
  }

  /** Shows the current state (throttled to a log line every few seconds without a terminal). */
  update(text: string, force = false): void {
    if (this.quiet) return;
    if (this.tty) {
      if (!this.spinner) {
        // discardStdin: false leaves the terminal in cooked mode, so Ctrl-C stays SIGINT (ora's
        // default puts stdin in raw mode to swallow keys, and the key press never becomes a signal);
        // isEnabled: this class decides what a terminal is (ora would turn itself off wherever the
        // CI variable is set, terminal or not, and draw one line that never changes)
        this.spinner = ora!({ text, stream: process.stderr, discardStdin: false, isEnabled: true }).start();
        turning.add(this.spinner);
      } else {
        this.spinner.text = text;
        // ora redraws from a timer, which cannot fire while a loop of native batches holds the thread
        this.spinner.render();
      }
      return;
    }
    const now = Date.now();
    if (force || now - this.lastLog >= this.interval) {
      this.lastLog = now;
      process.stderr.write(text + '\n');
    }
  }

  /** A warning: a line that stays, shown with --quiet too (quiet silences progress, not what changes the results). */
  warn(text: string): void {
    this.log(text, true);
  }

  /** A line that stays (a stage's result), above the spinner. */
  log(text: string, evenQuiet = false): void {
    if (this.quiet && !evenQuiet) return;
    if (this.spinner) {
      this.spinner.stop();
      process.stderr.write(text + '\n');
      this.spinner.start();
    } else {
      process.stderr.write(text + '\n');
    }
  }

  /** Results on standard output, without tearing the spinner line on a shared terminal. */
  print(text: string): void {
    if (this.spinner) {
      this.spinner.clear();
      process.stdout.write(text);
      this.spinner.render();
    } else {
      process.stdout.write(text);
    }
  }

  /** Takes the spinner off the screen (before an error line). */
  clear(): void {
    if (this.spinner) {
      this.spinner.stop();
      turning.delete(this.spinner);
    }
    this.spinner = null;
  }

  /** Ends with a one-line summary. */
  done(summary: string, ok = true): void {
    if (this.quiet) return;
    if (this.spinner) {
      if (ok) this.spinner.succeed(summary);
      else this.spinner.fail(summary);
      turning.delete(this.spinner);
      this.spinner = null;
    } else {
      process.stderr.write(summary + '\n');
    }
  }
}


// Plain text for people: durations (read and written), counts, time left — and the sink long work reports progress to.
// No terminal here: bin/progress.ts draws it (a spinner on a terminal, log lines elsewhere).
import { UsageError } from '../errors.js';

/** What long work reports to: the terminal here, or the main thread from a training worker. */
export interface ProgressSink {
  update(text: string, force?: boolean): void;
  log(text: string): void;
  /** a line shown even with --quiet: what changes the results (a --dtype run as fp32) */
  warn(text: string): void;
  done(summary: string, ok?: boolean): void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * Time left, from the pace of the last steps: the first `warmup` steps (allocation, page faults,
 * JIT) are not counted, and a window of recent steps follows changes of pace (an evaluation, a
 * longer batch). `at(step)` is undefined until there is a pace to go by.
 */
export class Eta {
  private readonly marks: { step: number; t: number }[] = [];
  private seen = 0;
  constructor(private readonly total: number, private readonly warmup = 3, private readonly window = 50) {}

  /** Records that `step` finished `seconds` into the run; returns the seconds left, if known. */
  at(step: number, seconds: number): number | undefined {
    if (++this.seen > this.warmup) {
      this.marks.push({ step, t: seconds });
      if (this.marks.length > this.window) this.marks.shift();
    }
    if (this.marks.length < 2) return undefined;
    const a = this.marks[0], b = this.marks[this.marks.length - 1];
    const pace = (b.t - a.t) / (b.step - a.step);
    return Number.isFinite(pace) && pace >= 0 ? pace * Math.max(0, this.total - step) : undefined;
  }

  /** "ETA 1m05s", or "ETA …" while warming up. */
  text(step: number, seconds: number): string {
    const left = this.at(step, seconds);
    return `ETA ${left === undefined ? '…' : formatDuration(left)}`;
  }
}

/** "1 text", "2 texts". */
export function plural(n: number, one: string, many = one + 's'): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A duration as '90s', '30m', '1h', '1h30m' or seconds. */
export function durationSeconds(v: number | string): number {
  if (typeof v === 'number') return v;
  const m = /^\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s)?\s*$/.exec(v);
  const seconds = m && (m[1] || m[2] || m[3]) ? Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) : NaN;
  if (!(seconds > 0) || !Number.isFinite(seconds)) throw new UsageError(`expected a duration such as 90s, 30m, 1h or 1h30m, got '${v}'`, { where: '--budget' });
  return seconds;
}

// Training health: a loss or gradient that is NaN or infinite must never reach the weights. By
// default the run stops, naming the step, and the last checkpoint on disk stays as it was; with
// --skip-nonfinite the step's update is skipped and counted instead (as mixed-precision trainers skip
// overflowed steps), for data where a rare batch misbehaves.
import { BertError } from '../errors.js';

export class StepHealth {
  /** the steps (1-based) whose update was skipped */
  readonly skipped: number[] = [];

  constructor(private readonly skip: boolean, private readonly where: string) {}

  /** True when `value` is finite; otherwise throws, or (skipping) records the step and returns false. */
  check(what: 'loss' | 'gradient norm', value: number, step: number): boolean {
    if (Number.isFinite(value)) return true;
    if (!this.skip) {
      throw new BertError(`the ${what} is ${value} at step ${step}; the last checkpoint is kept`, { where: this.where, hint: '--skip-nonfinite skips such steps' });
    }
    this.skipped.push(step);
    return false;
  }
}

// The output directory of a training run. A fresh run does not silently replace a model that is
// already there (as HF's example scripts refuse an output_dir that is not empty without
// --overwrite_output_dir): --resume continues the run in it, --overwrite starts a new one.
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic.js';
import { join } from 'node:path';
import { BertError, UsageError, writing } from '../errors.js';
import { lockDir } from '../io/lock.js';

/** Files that mean a directory holds a model or a run (a finished one or a checkpoint). */
const MODEL_FILES = ['model.safetensors', 'training_state.json', join('last', 'training_state.json'), 'pytorch_model.bin'];

/** --resume continues the run in --out, --overwrite starts a new one over it: never both. */
export function assertResumeOrOverwrite(o: { resume?: boolean; overwrite?: boolean }): void {
  if (o.resume && o.overwrite) throw new UsageError('give one of --resume (continue the run in it) and --overwrite (start a new one over it)', { where: '--overwrite' });
}

/**
 * Makes `out` ready for a run: refuses a path that is a file, and a directory holding a model unless
 * the run resumes it or `overwrite` is set; with `overwrite`, the old run's resumable state goes, so
 * that a later --resume cannot pick up the run this one replaced. Takes the directory's lock (one
 * writer); returns the function that gives it back.
 */
export function prepareOutDir(out: string, o: { resume?: boolean; overwrite?: boolean; flag?: string }): () => void {
  const flag = o.flag ?? '--out';
  assertResumeOrOverwrite(o);
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UsageError(`${out} is a file, not a directory`, { where: flag });
  makeDir(out);
  // one writer: the lock comes first, and with it the roll-forward of an interrupted commit
  const release = lockDir(out);
  if (!o.resume) {
    const held = MODEL_FILES.find((f) => existsSync(join(out, f)));
    if (held && !o.overwrite) {
      release();
      throw new UsageError(`${out} already holds a model (${held}): ${flag === '--out' ? '--resume continues its run, ' : ''}--overwrite replaces it`, { where: flag });
    }
    if (held) {
      rmSync(join(out, 'training_state.json'), { force: true });
      rmSync(join(out, 'last'), { recursive: true, force: true });
    }
  }
  return release;
}

/**
 * The metrics log of a run that resumes from the checkpoint of `step`: what was logged after that
 * step (the steps a stopped or killed run did past its last save, which the resumed run does again,
 * or the orphan lines of a save that failed) goes, so every step is in the log once. A fresh run
 * starts an empty log.
 */
export function startMetrics(path: string, resumeStep: number | null): void {
  // the log is this run's own file in its locked directory: a symlink planted there (to a file
  // outside) is removed, never followed and truncated; a directory or device there is refused
  let st;
  try {
    st = lstatSync(path);
  } catch {
    st = null;
  }
  if (st?.isSymbolicLink()) rmSync(path);
  else if (st && !st.isFile()) throw new BertError('metrics.jsonl is not a regular file', { where: path });
  if (resumeStep === null || !existsSync(path)) {
    writeFileSync(path, '');
    return;
  }
  const kept = readFileSync(path, 'utf8').split('\n').filter((line) => {
    if (!line.trim()) return false;
    try {
      const r = JSON.parse(line) as { step?: unknown };
      return typeof r.step === 'number' && r.step <= resumeStep;
    } catch {
      return false; // a line torn by a crash
    }
  });
  writeFileAtomic(path, [kept.map((l) => l + '\n').join('')]);
}

/**
 * mkdir -p, with the true reason when it fails: Node's recursive mkdir says ENOENT where it could
 * not create a level (a read-only filesystem, EROFS), so one level is asked again for the reason.
 */
function makeDir(out: string): void {
  try {
    mkdirSync(out, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      writing(out, () => mkdirSync(out)); // throws the true reason, or the level was made after all
      return;
    }
    writing(out, () => {
      throw err;
    });
  }
}

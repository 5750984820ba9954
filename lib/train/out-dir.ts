// The output directory of a training run. A fresh run does not silently replace a model that is
// already there (as HF's example scripts refuse an output_dir that is not empty without
// --overwrite_output_dir): --resume continues the run in it, --overwrite starts a new one.
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { lockDir } from '../io/lock.js';

/** Files that mean a directory holds a model or a run (a finished one or a checkpoint). */
const MODEL_FILES = ['model.safetensors', 'training_state.json', join('last', 'training_state.json'), 'pytorch_model.bin'];

/**
 * Makes `out` ready for a run: refuses a path that is a file, and a directory holding a model unless
 * the run resumes it or `overwrite` is set; with `overwrite`, the old run's resumable state goes, so
 * that a later --resume cannot pick up the run this one replaced. Takes the directory's lock (one
 * writer); returns the function that gives it back.
 */
export function prepareOutDir(out: string, o: { resume?: boolean; overwrite?: boolean }): () => void {
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UsageError(`${out} is a file, not a directory`, { where: '--out' });
  mkdirSync(out, { recursive: true });
  // one writer: the lock comes first, and with it the roll-forward of an interrupted commit
  const release = lockDir(out);
  if (!o.resume) {
    const held = MODEL_FILES.find((f) => existsSync(join(out, f)));
    if (held && !o.overwrite) {
      release();
      throw new UsageError(`${out} already holds a model (${held}): --resume continues its run, --overwrite replaces it`, { where: '--out' });
    }
    if (held) {
      rmSync(join(out, 'training_state.json'), { force: true });
      rmSync(join(out, 'last'), { recursive: true, force: true });
    }
  }
  return release;
}

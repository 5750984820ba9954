// One writer per model directory. A training run takes `.bert-cli.lock` (created exclusively, holding
// its pid) before it touches the directory and gives it back when it ends; a second writer is refused
// naming the holder. A lock whose process is gone (killed with SIGKILL, a crash) is taken over. Only
// the lock's holder rolls an interrupted commit forward (recoverDir): readers never write.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { BertError, ioReason } from '../errors.js';
import { alive, recoverDir } from './atomic.js';

export const LOCK = '.bert-cli.lock';

/** Takes the directory's lock (the directory exists); returns the function that gives it back. */
export function lockDir(dir: string): () => void {
  const path = join(dir, LOCK);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid }) + '\n');
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw new BertError(`cannot write (${ioReason(err)})`, { where: path });
      let pid = NaN;
      try {
        pid = Number(JSON.parse(readFileSync(path, 'utf8')).pid);
      } catch {
        // half-written by a writer that died at once: stale
      }
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new BertError(`another bert-cli (pid ${pid}) is writing to this directory`, { where: dir, hint: `wait for it, or stop it; ${LOCK} names it` });
      }
      rmSync(path, { force: true }); // its writer is gone
    }
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    rmSync(path, { force: true });
    process.off('exit', release);
  };
  process.on('exit', release);
  try {
    recoverDir(dir);
  } catch (err) {
    release();
    throw err;
  }
  return release;
}

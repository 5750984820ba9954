// The one way bert-cli writes files that must never be seen half-written (checkpoints, configs,
// vocabularies): write a temporary file beside the target, fsync it, rename it over the target, fsync
// the directory. A crash at any point leaves either the old file or the new one.
//
// A checkpoint is several files (weights, Adam moments, the loop's state) that only make sense
// together, so commitFiles adds a redo journal: every new file is first written and synced under a
// temporary name, then a journal listing the renames is written atomically, then the renames run and
// the journal goes. A crash before the journal leaves the old checkpoint whole (the temporary files are
// swept later); a crash after it is rolled forward by recoverDir, which every reader of a model
// directory calls first. Either way the files on disk belong to one step.
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

type Chunks = (Uint8Array | string)[];

const JOURNAL = '.commit.json';

function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
}

function writeSynced(path: string, chunks: Chunks): void {
  const fd = openSync(path, 'w');
  try {
    for (const c of chunks) {
      const buf = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
      let off = 0;
      while (off < buf.byteLength) off += writeSync(fd, buf, off, buf.byteLength - off);
    }
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(path, { force: true });
    throw err;
  }
  closeSync(fd);
}

function syncDir(dir: string): void {
  try {
    const dfd = openSync(dir, 'r');
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    // some filesystems refuse to open a directory for fsync; the rename is still atomic
  }
}

export function writeFileAtomic(path: string, chunks: Chunks): void {
  const tmp = tempName(path);
  writeSynced(tmp, chunks);
  renameSync(tmp, path);
  syncDir(dirname(path));
}

/** Tests stop here to be killed in the middle of a commit (BERT_TEST_COMMIT_DELAY_MS). */
function testPause(): void {
  const ms = Number(process.env.BERT_TEST_COMMIT_DELAY_MS ?? 0);
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Replaces several files of `dir` as one: after a crash, all of them are old or all are new. */
export function commitFiles(dir: string, files: [name: string, chunks: Chunks][]): void {
  recoverDir(dir); // finish an interrupted commit before starting another
  const renames: [string, string][] = files.map(([name]) => [basename(tempName(join(dir, name))), name]);
  files.forEach(([, chunks], i) => writeSynced(join(dir, renames[i][0]), chunks));
  syncDir(dir);
  testPause();
  writeFileAtomic(join(dir, JOURNAL), [JSON.stringify(renames)]);
  renames.forEach(([tmp, name], i) => {
    renameSync(join(dir, tmp), join(dir, name));
    if (i === 0) testPause();
  });
  syncDir(dir);
  rmSync(join(dir, JOURNAL));
  syncDir(dir);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Rolls an interrupted commit forward and sweeps temporary files left by dead writers. Cheap when
 * there is nothing to do (one readdir); a directory we may not write to is left as it is.
 */
export function recoverDir(dir: string): void {
  const journal = join(dir, JOURNAL);
  try {
    if (existsSync(journal)) {
      const renames = JSON.parse(readFileSync(journal, 'utf8')) as [string, string][];
      for (const [tmp, name] of renames) {
        if (existsSync(join(dir, tmp))) renameSync(join(dir, tmp), join(dir, name));
      }
      syncDir(dir);
      rmSync(journal);
      syncDir(dir);
    }
    if (!existsSync(dir)) return;
    for (const f of readdirSync(dir)) {
      const m = /^\..+\.tmp-(\d+)$/.exec(f);
      if (m && Number(m[1]) !== process.pid && !alive(Number(m[1]))) rmSync(join(dir, f), { force: true });
    }
  } catch {
    // read-only or vanished: the reader reports what it finds
  }
}

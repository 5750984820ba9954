// The one way bert-cli writes files that must never be seen half-written (checkpoints, configs,
// vocabularies): write a temporary file beside the target, fsync it, rename it over the target, fsync
// the directory. A crash at any point leaves either the old file or the new one.
//
// A checkpoint is several files (weights, Adam moments, the loop's state) that only make sense
// together, so commitFiles adds a redo journal: every new file is first written and synced under a
// temporary name, then a journal listing the renames is written atomically, then the renames run and
// the journal goes. A crash before the journal leaves the old checkpoint whole (the temporary files are
// swept later); a crash after it is rolled forward by the next writer (recoverDir, under the
// directory's lock), and until then readers find each file through the journal (committedPath)
// without writing anything. Either way what is read belongs to one step.
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BertError, ioReason, writing } from '../errors.js';

type Chunks = (Uint8Array | string)[];

const JOURNAL = '.commit.json';

function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
}

function writeSynced(path: string, chunks: Chunks): void {
  const fd = writing(path, () => openSync(path, 'w'));
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
    // (named by the file it was for, not its temporary name: .model.safetensors.tmp-123 → model.safetensors)
    throw new BertError(`cannot write (${ioReason(err)})`, { where: join(dirname(path), basename(path).replace(/^\.(.+)\.tmp-\d+$/, '$1')), cause: err });
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
  writing(path, () => renameSync(tmp, path));
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
  try {
    files.forEach(([, chunks], i) => writeSynced(join(dir, renames[i][0]), chunks));
  } catch (err) {
    // nothing is committed: the previous checkpoint stays whole, and this one's pieces go
    for (const [tmp] of renames) rmSync(join(dir, tmp), { force: true });
    throw err;
  }
  syncDir(dir);
  testPause();
  writeFileAtomic(join(dir, JOURNAL), [JSON.stringify(renames)]);
  renames.forEach(([tmp, name], i) => {
    writing(join(dir, name), () => renameSync(join(dir, tmp), join(dir, name)));
    if (i === 0) testPause();
  });
  syncDir(dir);
  rmSync(join(dir, JOURNAL));
  syncDir(dir);
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // a process killed but not yet reaped by its parent (a zombie, state Z) still answers kill(0): it
  // writes nothing any more
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (not Linux): kill(0) is all there is
  }
}

/** A name in a directory: no separators, not `.`/`..`, no NUL — the only kind a journal may hold. */
const plainName = (n: unknown): n is string => typeof n === 'string' && n !== '' && n !== '.' && n !== '..' && !/[/\\\0]/.test(n);

/**
 * The renames of an interrupted commit, validated: every entry is a file of this directory and its
 * temporary twin (`.name.tmp-PID`), as commitFiles writes them. Anything else — `../` in a name, an
 * absolute path, a temporary name of another shape — makes the journal corrupt: a model directory
 * is untrusted input, and its journal is never followed outside it. Null when there is none.
 */
export function readJournal(dir: string): Map<string, string> | null {
  const path = join(dir, JOURNAL);
  if (!existsSync(path)) return null;
  let entries: unknown;
  try {
    entries = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    entries = null;
  }
  const ok = Array.isArray(entries) && entries.length <= 64 && entries.every((e) =>
    Array.isArray(e) && e.length === 2 && plainName(e[0]) && plainName(e[1]) && e[1] !== JOURNAL && isTempOf(e[0], e[1]));
  if (!ok) throw new BertError('corrupt commit journal: every entry must name a file of this directory and its temporary copy', { where: path });
  return new Map((entries as [string, string][]).map(([tmp, name]) => [name, tmp]));
}

/** `.name.tmp-PID`, the temporary twin tempName gives `name`. */
const isTempOf = (tmp: string, name: string) => tmp.startsWith(`.${name}.tmp-`) && /^\d+$/.test(tmp.slice(name.length + 6));

/**
 * Where a reader finds `name` in a model directory: the committed file, which after an interrupted
 * commit is still under its temporary name. Reading never writes: rolling the commit forward is the
 * writer's (recoverDir, under the directory's lock).
 */
export function committedPath(dir: string, name: string): string {
  const tmp = readJournal(dir)?.get(name);
  return tmp && existsSync(join(dir, tmp)) ? join(dir, tmp) : join(dir, name);
}

/**
 * For the writer that holds the directory's lock: rolls an interrupted commit forward and sweeps
 * temporary files left by dead writers. Cheap when there is nothing to do (one readdir).
 */
export function recoverDir(dir: string): void {
  if (!existsSync(dir)) return;
  const renames = readJournal(dir);
  if (renames) {
    for (const [name, tmp] of renames) {
      if (existsSync(join(dir, tmp))) renameSync(join(dir, tmp), join(dir, name));
    }
    syncDir(dir);
    rmSync(join(dir, JOURNAL));
    syncDir(dir);
  }
  for (const f of readdirSync(dir)) {
    const m = /^\..+\.tmp-(\d+)$/.exec(f);
    if (m && Number(m[1]) !== process.pid && !alive(Number(m[1]))) rmSync(join(dir, f), { force: true });
  }
}

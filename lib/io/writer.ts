// Line output to a file or standard output, honouring backpressure (a slow reader never makes us
// buffer a whole run in memory). A closed pipe (`| head`) ends output quietly. A regular file (or
// a new one) is written to a temporary name and renamed on close, so a failed run never leaves half
// a file under the final name; a device, FIFO or socket (`-o /dev/null`, `-o /dev/stdout`, a named
// pipe) is written in place, never replaced; a symlink is followed (as `cp` and `sort -o` do), so
// the file it points to is what is written; a directory, or a symlink to nothing, is refused before
// any work.
import { createWriteStream, realpathSync, renameSync, rmSync, statSync, writeFileSync, type WriteStream } from 'node:fs';
import { writeFileAtomic } from './atomic.js';
import { danglingLink } from './read.js';
import { markPartialFile } from '../native.js';
import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { BertError, ioReason } from '../errors.js';

/**
 * Where and how an output path is written: 'atomic' (absent or a regular file, through a symlink
 * too: a temporary twin beside the real file, renamed over it) or 'direct' (a character or block
 * device, a FIFO, a socket: opened and written in place). Throws for a directory or a dangling link.
 */
export function outputTarget(path: string): { mode: 'atomic' | 'direct'; path: string } {
  let st;
  try {
    st = statSync(path); // follows symlinks
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new BertError(`cannot write (${ioReason(err)})`, { where: path });
    if (danglingLink(path)) throw new BertError('the output is a symbolic link to nothing', { where: path, hint: 'remove the link, or give the path it should point to' });
    return { mode: 'atomic', path };
  }
  if (st.isDirectory()) throw new BertError('the output is a directory', { where: path, hint: 'give a file name inside it' });
  if (st.isFile()) {
    const real = realpathSync(path);
    return { mode: 'atomic', path: real };
  }
  return { mode: 'direct', path };
}

/** A whole output file at once (vocab -o), by outputTarget's rules. */
export function writeOutputFile(path: string, text: string): void {
  const target = outputTarget(path);
  if (target.mode === 'atomic') writeFileAtomic(target.path, [text]);
  else writeFileSync(target.path, text, { flag: 'a' });
}

export class LineWriter {
  private readonly stream: Writable;
  private readonly path: string | null;
  private readonly tmp: string | null;
  /** the regular file the temporary twin is renamed over (a symlink's target) */
  private target: string | null = null;
  private buffer = '';
  /** true once the reader has gone away (EPIPE): the caller may stop producing */
  closedByReader = false;
  private failure: Error | null = null;

  constructor(path: string | null) {
    this.path = path && path !== '-' ? path : null;
    if (this.path) {
      const target = outputTarget(this.path);
      if (target.mode === 'atomic') {
        this.target = target.path;
        this.tmp = join(dirname(target.path), `.${target.path.split('/').pop()}.tmp-${process.pid}`);
        this.stream = createWriteStream(this.tmp);
        // a checkpoint truncated under a running model ends the process in its SIGBUS handler: it removes this too
        markPartialFile(this.tmp, true);
      } else {
        this.tmp = null;
        this.stream = createWriteStream(target.path, { flags: 'a' }); // a device or FIFO: in place
      }
    } else {
      this.tmp = null;
      this.stream = process.stdout;
    }
    this.stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') this.closedByReader = true;
      else this.failure = err;
    });
  }

  /** Queues one line; flushes in blocks of ~64 KiB, waiting when the stream is full. */
  async write(line: string): Promise<void> {
    this.buffer += line + '\n';
    if (this.buffer.length >= 1 << 16) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.failure) throw new BertError(`cannot write (${ioReason(this.failure)})`, { where: this.path ?? '<stdout>' });
    if (!this.buffer || this.closedByReader) {
      this.buffer = '';
      return;
    }
    const chunk = this.buffer;
    this.buffer = '';
    if (!this.stream.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.stream.off('drain', done);
          this.stream.off('error', done);
          resolve();
        };
        this.stream.on('drain', done);
        this.stream.on('error', done);
      });
    }
  }

  /** Flushes and, for a file, renames it into place. */
  async close(): Promise<void> {
    await this.flush();
    if (this.failure) throw new BertError(`cannot write (${ioReason(this.failure)})`, { where: this.path ?? '<stdout>' });
    if (this.path) {
      const ws = this.stream as WriteStream;
      await new Promise<void>((resolve, reject) => ws.end((err?: Error | null) => (err ? reject(err) : resolve())));
      if (this.tmp) {
        renameSync(this.tmp, this.target!);
        markPartialFile(this.tmp, false);
      }
    }
  }

  /** Drops a partly written file after a failure. */
  abort(): void {
    if (this.path) (this.stream as WriteStream).destroy();
    if (this.tmp) {
      rmSync(this.tmp, { force: true });
      markPartialFile(this.tmp, false);
    }
  }
}

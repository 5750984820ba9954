// Line output to a file or standard output, honouring backpressure (a slow reader never makes us
// buffer a whole run in memory). A closed pipe (`| head`) ends output quietly. Files are written
// to a temporary name and renamed on close, so a failed run never leaves half a file under the
// final name.
import { createWriteStream, renameSync, rmSync, type WriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { BertError, ioReason } from '../errors.js';

export class LineWriter {
  private readonly stream: Writable;
  private readonly path: string | null;
  private readonly tmp: string | null;
  private buffer = '';
  /** true once the reader has gone away (EPIPE): the caller may stop producing */
  closedByReader = false;
  private failure: Error | null = null;

  constructor(path: string | null) {
    this.path = path && path !== '-' ? path : null;
    if (this.path) {
      this.tmp = `${this.path}.tmp-${process.pid}`;
      this.stream = createWriteStream(this.tmp);
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
    if (this.path && this.tmp) {
      const ws = this.stream as WriteStream;
      await new Promise<void>((resolve, reject) => ws.end((err?: Error | null) => (err ? reject(err) : resolve())));
      renameSync(this.tmp, this.path);
    }
  }

  /** Drops a partly written file after a failure. */
  abort(): void {
    if (this.tmp) {
      (this.stream as WriteStream).destroy();
      rmSync(this.tmp, { force: true });
    }
  }
}

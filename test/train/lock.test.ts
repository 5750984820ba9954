// The one-writer lock: a holder that is a zombie (killed, not yet reaped by its parent) writes
// nothing any more, so its lock is taken over; a live holder is refused naming it.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCK, lockDir } from '../../lib/io/lock.js';

describe('the directory lock', () => {
  it('a zombie holder is gone; a live one is refused', async () => {
    // sh forks `true`, then becomes `sleep`, which never reaps it: `true` stays a zombie
    const parent = spawn('sh', ['-c', 'true & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const zombie = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (b) => resolve(String(b).trim()))));
    try {
      await new Promise((r) => setTimeout(r, 200));
      const dir = mkdtempSync(join(tmpdir(), 'bert-lock-'));
      writeFileSync(join(dir, LOCK), JSON.stringify({ pid: zombie }) + '\n');
      const release = lockDir(dir);
      release();
      writeFileSync(join(dir, LOCK), JSON.stringify({ pid: parent.pid }) + '\n');
      expect(() => lockDir(dir)).toThrow(new RegExp(`another bert-cli \\(pid ${parent.pid}\\) is writing to this directory`));
    } finally {
      parent.kill('SIGKILL');
    }
  });
});

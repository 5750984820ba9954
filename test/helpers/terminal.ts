// A command in a real pseudo-terminal, as a person runs it: tmux (Debian's package) gives the
// command a terminal of a set size, takes keys (send-keys: C-c is the key press, which the
// terminal's line discipline turns into SIGINT only when the program leaves the terminal in cooked
// mode), and renders the screen (capture-pane) as the person would see it. Each Terminal has its own
// tmux server (a socket in a temporary folder), so tests never touch a user's sessions.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const hasTmux = spawnSync('tmux', ['-V']).status === 0;

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Terminal {
  private readonly dir = mkdtempSync(join(tmpdir(), 'bert-tty-'));
  private readonly socket = join(this.dir, 'tmux.sock');
  private readonly statusFile = join(this.dir, 'status');

  /** Starts `argv` in a terminal of cols × rows, in `cwd`, with the test's environment (and `env`). */
  constructor(argv: string[], opts: { cwd?: string; env?: Record<string, string>; cols?: number; rows?: number } = {}) {
    const conf = join(this.dir, 'tmux.conf');
    // the pane stays after the command exits, so its exit status and last screen can be read
    writeFileSync(conf, 'set -g remain-on-exit on\nset -g history-limit 50000\nset -g status off\n');
    const env = { ...process.env, ...opts.env } as Record<string, string>;
    delete env.TMUX;
    // the shell waits and writes the exit code to a file (tmux's own record of it is not reliable);
    // its trap is a handler, so the command starts with SIGINT at its default, as from a shell prompt
    const cmd = `trap true INT TERM; ${opts.cwd ? `cd ${quote(opts.cwd)} && ` : ''}${argv.map(quote).join(' ')}; echo $? > ${quote(this.statusFile)}`;
    execFileSync('tmux', ['-S', this.socket, '-f', conf, 'new-session', '-d', '-s', 't', '-x', String(opts.cols ?? 120), '-y', String(opts.rows ?? 40), cmd], { env });
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8' });
  }

  /** What the screen shows now (with `history`, everything that scrolled off it too). */
  screen(history = false): string {
    // (without tmux's own "Pane is dead" line under a command that has ended)
    return this.tmux('capture-pane', '-p', '-t', 't', ...(history ? ['-S', '-'] : [])).replace(/\s+$/, '').replace(/\n*Pane is dead \(.*\)$/, '');
  }

  /** Keys as tmux names them: 'C-c', 'Enter', or text. */
  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', 't', ...keys);
  }

  /** The exit code once the command has ended (128 + the signal's number if one killed it), else null. */
  exitCode(): number | null {
    const text = existsSync(this.statusFile) ? readFileSync(this.statusFile, 'utf8').trim() : '';
    return text ? Number(text) : null;
  }

  /** Waits until the screen (with history) matches, or throws with the screen after `ms`. */
  async waitFor(re: RegExp, ms = 60_000): Promise<string> {
    for (let polls = Math.ceil(ms / 200); polls > 0; polls--, await sleep(200)) {
      const s = this.screen(true);
      if (re.test(s)) return s;
      if (this.exitCode() !== null && !re.test(this.screen(true))) break;
    }
    throw new Error(`the terminal never showed ${re}; its screen:\n${this.screen(true)}`);
  }

  /** Waits for the command to end; throws with the screen if it is still running after `ms`. */
  async waitForExit(ms = 60_000): Promise<number> {
    for (let polls = Math.ceil(ms / 200); polls > 0; polls--, await sleep(200)) {
      const code = this.exitCode();
      if (code !== null) return code;
    }
    throw new Error(`still running after ${ms} ms; its screen:\n${this.screen(true)}`);
  }

  close(): void {
    spawnSync('tmux', ['-S', this.socket, 'kill-server']);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

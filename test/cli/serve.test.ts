// `bert-cli serve` as an operator runs it: the start-up line, SIGTERM with 200 requests in flight
// (every one answered, exit 0), a second server on the same port, the API key from the environment,
// a bad model directory, Ctrl-C at a terminal, and a library script's serve() stopped with Ctrl-C
// under `npx tsx`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasTmux, Terminal } from '../helpers/terminal.js';
import { CLI, runCli } from './helpers.js';

const root = join(import.meta.dirname, '..', '..');
const tagger = join(root, 'test/fixtures/tagger-tiny');

/** Starts the server on a free port; resolves with its URL once it printed its start-up line. */
function start(args: string[], env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string; stderr: () => string; exit: Promise<number | null> }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--model', tagger, '--port', '0', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      err += d;
      const m = /on (http:\/\/\S+), ready in/.exec(err);
      if (m) resolve({ child, url: m[1], stderr: () => err, exit });
    });
    child.stdout!.resume();
    void exit.then((code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

const metric = async (url: string, name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(await (await fetch(url + '/metrics')).text())?.[1]);

describe('bert-cli serve', () => {
  it('prints where it listens and how long it took; SIGTERM with 200 requests in flight answers every one and exits 0', async () => {
    const s = await start(['--max-batch-tokens', '64']);
    expect(s.stderr()).toMatch(/^bert-cli serve: tagger-tiny \(tag, fp32\) on http:\/\/127\.0\.0\.1:\d+, ready in \d+\.\d s\n$/);
    const body = JSON.stringify({ inputs: Array(16).fill('the war and the peace of the nation') });
    const inflight = Array.from({ length: 200 }, () => fetch(s.url + '/embed', { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => r.status, (e: Error) => `${(e.cause as NodeJS.ErrnoException)?.code ?? e.message}`));
    for (let i = 0; i < 1000 && (await metric(s.url, 'bert_cli_requests_active')) < 200; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await metric(s.url, 'bert_cli_requests_active')).toBe(200);
    expect(await metric(s.url, 'bert_cli_queue_depth')).toBeGreaterThan(0);
    s.child.kill('SIGTERM');
    const codes = await Promise.all(inflight);
    expect(codes).toEqual(Array(200).fill(200));
    expect(await s.exit).toBe(0);
    expect(s.stderr()).toMatch(/SIGTERM: answering the requests in flight[^\n]*\nbert-cli serve: stopped\n$/);
  }, 120_000);

  it('a second server on the same port: one line naming the port, exit 1', async () => {
    const s = await start([]);
    try {
      const port = new URL(s.url).port;
      const r = runCli(['serve', '--model', tagger, '--port', port]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`bert-cli: error: port ${port} on 127.0.0.1 is in use (another server is listening there), --port (stop it, or choose another --port)\n`);
    } finally {
      s.child.kill('SIGTERM');
      await s.exit;
    }
  });

  it('BERT_CLI_API_KEY: 401 without it, 200 with it, /health open', async () => {
    const s = await start([], { BERT_CLI_API_KEY: 'k3y' });
    try {
      expect(s.stderr()).toContain('(API key required)');
      const call = (auth?: string) => fetch(s.url + '/embed', { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body: '{"inputs":"x"}' }).then((r) => r.status);
      expect(await call()).toBe(401);
      expect(await call('Bearer k3y')).toBe(200);
      expect((await fetch(s.url + '/health')).status).toBe(200);
    } finally {
      s.child.kill('SIGTERM');
      await s.exit;
    }
  });

  it('bad flags and a bad model directory: one line, before any port opens', () => {
    const missing = runCli(['serve', '--model', join(root, 'no-such-model'), '--port', '0']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain('no-such-model');
    const port = runCli(['serve', '--model', tagger, '--port', '70000']);
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/--port/);
    const long = runCli(['serve', '--model', tagger, '--port', '0', '--max-input-length', '999']);
    expect(long.code).toBe(2);
    expect(long.stderr).toBe("bert-cli: error: --max-input-length 999 is over model 'tagger-tiny''s max_position_embeddings 64, --max-input-length\n");
    const dup = runCli(['serve', '--model', tagger, '--model', tagger, '--port', '0']);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/two models are named 'tagger-tiny'.*NAME=DIR/);
  });

  it.skipIf(!hasTmux)('Ctrl-C at a terminal drains and exits 0', async () => {
    const t = new Terminal([process.execPath, CLI, 'serve', '--model', tagger, '--port', '0']);
    try {
      await t.waitFor(/ready in/);
      t.keys('C-c');
      expect(await t.waitForExit(20_000)).toBe(0);
      expect(t.screen()).toMatch(/SIGINT: answering the requests in flight[\s\S]*stopped/);
    } finally {
      t.close();
    }
  });

  it.skipIf(!hasTmux)("a library script's serve() with its AbortSignal wired to SIGINT stops cleanly on Ctrl-C under npx tsx", async () => {
    const script = join(mkdtempSync(join(root, 'test', '.serve-')), 'script.ts');
    writeFileSync(script, `import { serve } from ${JSON.stringify(join(root, 'dist/lib/index.js'))};
const ac = new AbortController();
process.on('SIGINT', () => ac.abort());
const server = await serve({ models: ${JSON.stringify(tagger)}, port: 0, signal: ac.signal });
console.log('listening', server.url);
ac.signal.addEventListener('abort', async () => { await server.close(); console.log('drained'); });
`);
    const t = new Terminal(['npx', 'tsx', script], { cwd: root });
    try {
      const screen = await t.waitFor(/listening (http:\S+)/);
      const url = /listening (http:\S+)/.exec(screen)![1];
      expect((await fetch(url + '/health')).status).toBe(200);
      t.keys('C-c');
      // npx itself dies of the SIGINT (130, as any interrupted command); the script under it drained first
      expect(await t.waitForExit(20_000)).toBe(130);
      expect(t.screen()).toContain('drained');
    } finally {
      t.close();
      rmSync(dirname(script), { recursive: true, force: true });
    }
  }, 60_000);
});

// The serving examples as a reader runs them: README's "Serving" (curl and the openai client) and
// docs/serving.md's blocks, against a server on a free port (the blocks' 8080 replaced by it), from a
// folder inside the repository so that 'openai' and 'bert-cli' resolve as in a user's project. The
// server is a `bert-cli serve` process: the examples run synchronously, and would block a server
// living in the test's own event loop.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeBlocks, runTs } from '../helpers/readme.js';
import { CLI, tinyModelsBeforeAll } from '../cli/helpers.js';

const root = join(import.meta.dirname, '..', '..');
const tiny = tinyModelsBeforeAll('bert-cli-serve-readme-', { classifier: true });
let server: ChildProcess | null = null;
let host = '';
let work = '';
const here = (code: string) => code.replaceAll('127.0.0.1:8080', host).replaceAll('localhost:8080', host);

beforeAll(async () => {
  const m = tiny.models();
  server = spawn(process.execPath, [CLI, 'serve', '--model', `spam=${m.classifier}`, '--model', `mini=${m.pretrained}`, '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  host = await new Promise<string>((resolve, reject) => {
    server!.stderr!.on('data', (d) => {
      err += d;
      const u = /on http:\/\/(\S+), ready/.exec(err);
      if (u) resolve(u[1]);
    });
    server!.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  work = mkdtempSync(join(root, 'test', '.serve-readme-'));
}, 120_000);
afterAll(() => {
  server?.kill('SIGTERM');
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('README "Serving"', () => {
  it('the curl lines answer with JSON, not an error', () => {
    const lines = readmeBlocks('## Serving', 'README.md', 'sh')[0].split('\n').filter((l) => l.startsWith('curl'));
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      const out = execFileSync('bash', ['-c', here(l)], { encoding: 'utf8' });
      const v = JSON.parse(out);
      expect(v.error).toBeUndefined();
    }
  });

  it('the openai client block runs', () => {
    const [block] = readmeBlocks('## Serving');
    const r = runTs(work, 'readme-serving', here(block) + "\nconsole.log(data[0].embedding.length);\n");
    expect(r.code, r.stderr).toBe(0);
    expect(Number(r.stdout.trim())).toBe(16);
  });
});

describe('docs/serving.md', () => {
  it("the openai client example prints the model's hidden size", () => {
    const [block] = readmeBlocks('## Routes', 'docs/serving.md');
    const r = runTs(work, 'serving-routes', here(block).replace("model: 'mini'", "model: 'mini'"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('16');
  });

  it("the library's serve() example starts, prints its URL and drains on abort", () => {
    const [block] = readmeBlocks('## From the library', 'docs/serving.md');
    const code = block.replace("'bert-quickstart/spam'", JSON.stringify(tiny.models().classifier)).replace('port: 8080', 'port: 0') + '\nac.abort();\n';
    const r = runTs(work, 'serving-library', code);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});

// The README's code, as a test runs it: the ```ts blocks of one section, and a way to run one as a
// user's file that imports 'bert-cli' (node_modules/bert-cli in its directory), with tsx.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

/** The TypeScript blocks of the README section under `heading` (up to the next heading of its level). */
export function readmeBlocks(heading: string): string[] {
  const text = readFileSync(join(root, 'README.md'), 'utf8');
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README has no section ${heading}`);
  const level = heading.split(' ')[0];
  const rest = text.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`\\n#{1,${level.length}} `)); // the next heading of this level or above
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/** Runs `code` as `<dir>/<name>.mts` with the repository's tsx, in `dir`. */
export function runTs(dir: string, name: string, code: string, timeout = 300_000) {
  const file = join(dir, `${name}.mts`); // ESM, as a project of "type": "module" runs it
  writeFileSync(file, code);
  const r = spawnSync(join(root, 'node_modules', '.bin', 'tsx'), [file], { cwd: dir, encoding: 'utf8', timeout, killSignal: 'SIGKILL' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// The README's and docs' code, as a test runs it: the ```ts (or ```sh) blocks of one section of a
// markdown file, and a way to run one as a user's file that imports 'bert-cli' (node_modules/bert-cli
// in its directory), with tsx.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

/** The text of the section under `heading` in `file` (up to the next heading of its level or above). */
export function section(heading: string, file = 'README.md'): string {
  const text = readFileSync(join(root, file), 'utf8');
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`${file} has no section ${heading}`);
  const level = heading.split(' ')[0];
  const rest = text.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`\\n#{1,${level.length}} `));
  return end < 0 ? rest : rest.slice(0, end);
}

/** The code blocks of one language (ts, sh) in a section of `file`. */
export function readmeBlocks(heading: string, file = 'README.md', lang = 'ts'): string[] {
  return [...section(heading, file).matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
}

/** Runs `code` as `<dir>/<name>.mts` with the repository's tsx, in `dir`. */
export function runTs(dir: string, name: string, code: string, timeout = 300_000) {
  const file = join(dir, `${name}.mts`); // ESM, as a project of "type": "module" runs it
  writeFileSync(file, code);
  const r = spawnSync(join(root, 'node_modules', '.bin', 'tsx'), [file], { cwd: dir, encoding: 'utf8', timeout, killSignal: 'SIGKILL' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

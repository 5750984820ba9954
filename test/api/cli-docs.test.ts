// docs/cli.md is every command's --help as the program prints it now: a flag added, renamed or given
// another default without regenerating it (npx tsx tools/gen-cli-docs.ts) fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliMarkdown } from '../../bin/cli-docs.js';
import { buildProgram } from '../../bin/program.js';

describe('docs/cli.md', () => {
  it('is current', () => {
    const file = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'cli.md'), 'utf8');
    expect(file).toBe(cliMarkdown());
  });
});

describe("README's table of commands", () => {
  it('names every command, and each example uses only flags the command has', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `([a-z-]+)` \| .* \| `npx bert-cli ([^`]+)` \|$/gm)];
    const program = buildProgram();
    expect(rows.map((r) => r[1]).sort()).toEqual(program.commands.map((c) => c.name()).sort());
    for (const [, name, example] of rows) {
      const c = program.commands.find((x) => x.name() === name)!;
      const [first, ...rest] = example.split(' ');
      expect(first, example).toBe(name);
      for (const flag of rest.filter((w) => w.startsWith('-'))) {
        expect(c.options.some((o) => o.long === flag || o.short === flag), `${name} ${flag}`).toBe(true);
      }
    }
  });
});

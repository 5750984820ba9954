// Writes docs/cli.md from the commands' --help (bin/cli-docs.ts). Run: npx tsx tools/gen-cli-docs.ts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliMarkdown } from '../bin/cli-docs.js';

writeFileSync(join(import.meta.dirname, '..', 'docs', 'cli.md'), cliMarkdown());

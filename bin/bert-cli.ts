#!/usr/bin/env node
// bert-cli: assembles the program and runs it. Everything else lives in bin/program.ts and lib/.
import { run } from './program.js';

await run(process.argv);

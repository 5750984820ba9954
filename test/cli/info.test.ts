import { describe, it, expect } from 'vitest';
import { native } from '../../lib/native.js';
import { runCli } from './helpers.js';

describe('bert-cli info', () => {
  it('reports the kernel path, honouring BERT_ISA and --threads', () => {
    const r = runCli(['info', '--json', '--threads', '1'], { env: { BERT_ISA: 'scalar' } });
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.engine.isa).toBe('scalar');
    expect(info.engine.threads).toBe(1);
    expect(info.engine.availableIsas).toEqual(native.availableIsas());
  });

  it('picks the widest path by default', () => {
    const r = runCli(['info', '--json']);
    expect(JSON.parse(r.stdout).engine.isa).toBe(native.availableIsas()[0]);
  });

  it('a bad flag value is one line on stderr and exit code 2', () => {
    const r = runCli(['info', '--threads', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^bert-cli: error: option '--threads <n>' argument '0' is invalid/);
  });

  it('an unknown command is a usage error', () => {
    const r = runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bert-cli: error: unknown command 'frobnicate'/);
  });

  it('--help has an example', () => {
    const r = runCli(['info', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Examples:\n\s+\$ bert-cli info/);
  });
});

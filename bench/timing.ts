import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
// Timing for a shared, noisy machine: candidates run interleaved in rounds (so a burst of outside
// load hits all of them), each round long enough to dwarf the clock, and the best round counts.
export interface Timed {
  /** seconds per call, best round */
  best: number;
  /** seconds per call, median round */
  median: number;
}

function round(fn: () => void, minSeconds: number): number {
  let calls = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  do {
    fn();
    calls++;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  } while (elapsed < minSeconds);
  return elapsed / calls;
}

/** Times every candidate over `rounds` interleaved rounds. */
export function compare(cands: Record<string, () => void>, opts: { rounds?: number; minSeconds?: number } = {}): Record<string, Timed> {
  const rounds = opts.rounds ?? 5, minSeconds = opts.minSeconds ?? 0.05;
  const names = Object.keys(cands);
  for (const n of names) cands[n](); // warm-up: page in buffers, spin up threads, pack once
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) for (const n of names) samples[n].push(round(cands[n], minSeconds));
  return Object.fromEntries(names.map((n) => {
    const s = samples[n].sort((a, b) => a - b);
    return [n, { best: s[0], median: s[Math.floor(s.length / 2)] }];
  }));
}

/**
 * A process's peak RSS (VmHWM) in MiB, or NaN once it has gone. Not resourceUsage().maxRSS for a
 * child's own figure: Linux carries ru_maxrss across exec, so a child would report its parent's peak.
 */
export function vmHwmMiB(pid: number | 'self' = 'self'): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN; // exited
  }
}

/**
 * Runs a bench module again as a child Node process (same loader flags as this one) with
 * `--child ...args`, and returns the JSON its last stdout line holds: a section measured in a
 * process of its own, so its RSS is its own.
 */
export function runChild<T>(moduleUrl: string, args: string[], env: NodeJS.ProcessEnv = process.env): T {
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(moduleUrl), '--child', ...args], { encoding: 'utf8', env, timeout: 1_800_000 });
  if (r.status !== 0) throw new Error(`bench child ${fileURLToPath(moduleUrl)} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}

export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** compare() for candidates that return promises (a peer with an async API: ONNX Runtime's session.run). */
export async function compareAsync(cands: Record<string, () => unknown>, opts: { rounds?: number; minSeconds?: number } = {}): Promise<Record<string, Timed>> {
  const rounds = opts.rounds ?? 5, minSeconds = opts.minSeconds ?? 0.05;
  const names = Object.keys(cands);
  for (const n of names) await cands[n]();
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const n of names) {
      let calls = 0, elapsed = 0;
      const t0 = process.hrtime.bigint();
      do {
        await cands[n]();
        calls++;
        elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
      } while (elapsed < minSeconds);
      samples[n].push(elapsed / calls);
      // let a peer's worker threads stop spinning before the next candidate takes the cores
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return Object.fromEntries(names.map((n) => {
    const s = samples[n].sort((a, b) => a - b);
    return [n, { best: s[0], median: s[Math.floor(s.length / 2)] }];
  }));
}

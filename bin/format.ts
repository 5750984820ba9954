// Results as a person at a terminal reads them.

/** The metrics as a person reads them: one figure a line, per-class figures as a table. */
export function metricsTable(r: Record<string, unknown>): string {
  const fmt = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(4)) : typeof v === 'string' ? v : JSON.stringify(v));
  const lines: string[] = [];
  const tables: string[] = [];
  for (const [k, v] of Object.entries(r)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => x && typeof x === 'object' && !Array.isArray(x))) {
      const rows = Object.entries(v as Record<string, Record<string, unknown>>);
      const cols = [...new Set(rows.flatMap(([, x]) => Object.keys(x)))];
      const width = Math.max(k.length, ...rows.map(([name]) => name.length));
      tables.push('', [k.padEnd(width), ...cols.map((c) => c.padStart(10))].join(' '),
        ...rows.map(([name, x]) => [name.padEnd(width), ...cols.map((c) => fmt(x[c]).padStart(10))].join(' ')));
    } else if (Array.isArray(v) && v.every(Array.isArray)) {
      tables.push('', k, ...(v as unknown[][]).map((row) => '  ' + row.map((x) => fmt(x).padStart(6)).join(' ')));
    } else {
      lines.push(`${k.padEnd(22)} ${fmt(v)}`);
    }
  }
  return [...lines, ...tables].join('\n');
}

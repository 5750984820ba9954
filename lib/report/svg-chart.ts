// Line charts as inline SVG strings: no script and no library, so a report opens anywhere, offline,
// and survives being mailed around. Each series is one <polyline> with its point count in
// data-points, which the browser test checks against what the browser actually laid out.

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  /** drawn as dots as well (sparse series such as evaluations) */
  markers?: boolean;
  /** faint (raw per-step values under their running mean) */
  faint?: boolean;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** y axis as percentages of [0, 1] values */
  percent?: boolean;
  logY?: boolean;
  /** the x range, when charts share their axis (else the data's) */
  xDomain?: [number, number];
  /** vertical markers on the x axis (epoch ends), each with a short label */
  marks?: { x: number; label: string }[];
}

/** A chart's drawing box (viewBox units); on the page it scales to the width it is given. */
export const CHART_W = 1200, CHART_H = 300;
const W = CHART_W, H = CHART_H, L = 64, R = 16, B = 44;

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** "Nice" tick values (1, 2, 5 × 10^k steps) covering [lo, hi]: about `count`, never fewer than 3. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  // a range lost in rounding (a constant series, summed and averaged) has no ticks to step through:
  // `v += step` would stop moving
  if (!(hi - lo > Math.max(Math.abs(lo), Math.abs(hi)) * 1e-9)) return [lo];
  const mag = 10 ** Math.floor(Math.log10((hi - lo) / count));
  const steps = [0.5, 1, 2, 5, 10].map((m) => m * mag);
  const ticks = (step: number) => {
    const out: number[] = [];
    for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
    return out;
  };
  // the coarsest step that is at least (hi − lo)/count, unless that leaves fewer than 3 ticks
  let i = steps.findIndex((s) => s >= (hi - lo) / count);
  while (i > 0 && ticks(steps[i]).length < 3) i--;
  return ticks(steps[i]);
}

/** At most `max` points: averages of equal runs of x-order, so a long run's curve keeps its shape. */
export function downsample(points: [number, number][], max = 600): [number, number][] {
  if (points.length <= max) return points;
  const out: [number, number][] = [];
  for (let b = 0; b < max; b++) {
    const from = Math.floor((b * points.length) / max), to = Math.floor(((b + 1) * points.length) / max);
    let sx = 0, sy = 0;
    for (let i = from; i < to; i++) { sx += points[i][0]; sy += points[i][1]; }
    out.push([sx / (to - from), sy / (to - from)]);
  }
  return out;
}

/** Mean of the last `window` values at each point (the trend under noisy per-step values). */
export function runningMean(points: [number, number][], window: number): [number, number][] {
  let sum = 0;
  return points.map(([x, y], i) => {
    sum += y;
    if (i >= window) sum -= points[i - window][1];
    return [x, sum / Math.min(i + 1, window)];
  });
}

function fmt(v: number, percent?: boolean): string {
  if (percent) return `${Math.round(v * 1000) / 10}%`;
  if (v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3)) return v.toExponential(0);
  return String(Number(v.toPrecision(4)));
}

export function lineChart(spec: ChartSpec): string {
  const series = spec.series.map((s) => ({ ...s, points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!spec.logY || y > 0)) }))
    .filter((s) => s.points.length);
  const all = series.flatMap((s) => s.points);
  // the legend runs under the title, wrapping; the plot starts below it
  const legend: string[] = [];
  let lx = L, ly = 38;
  for (const s of series) {
    const w = 18 + s.name.length * 6.2;
    if (lx + w > W - R && lx > L) { lx = L; ly += 16; }
    legend.push(`<g class="legend"><line x1="${lx.toFixed(1)}" x2="${(lx + 14).toFixed(1)}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="3"${s.faint ? ' opacity="0.35"' : ''}/>` +
      `<text x="${(lx + 18).toFixed(1)}" y="${ly}">${escapeHtml(s.name)}</text></g>`);
    lx += w + 14;
  }
  const T = ly + 14;
  const id = spec.title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const head = `<svg class="chart" id="chart-${id}" data-title="${escapeHtml(spec.title)}" viewBox="0 0 ${W} ${H}" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${escapeHtml(spec.title)}">` +
    `<text x="${L}" y="20" class="title">${escapeHtml(spec.title)}</text>`;
  if (!all.length) return head + `<text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="empty">no data</text></svg>`;
  const ty = (v: number) => (spec.logY ? Math.log10(v) : v);
  let [x0, x1] = spec.xDomain ?? [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  let y0 = Math.min(...all.map((p) => ty(p[1]))), y1 = Math.max(...all.map((p) => ty(p[1])));
  if (x1 === x0) { x0 -= 1; x1 += 1; }
  if (!(y1 - y0 > Math.max(Math.abs(y0), Math.abs(y1)) * 1e-9)) { y0 -= Math.abs(y0) * 0.1 || 1; y1 += Math.abs(y1) * 0.1 || 1; }
  if (spec.percent) { y0 = Math.max(0, y0); y1 = Math.min(1, y1 + 0.02); }
  const px = (x: number) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const py = (y: number) => T + (1 - (ty(y) - y0) / (y1 - y0)) * (H - T - B);
  const parts: string[] = [head];
  // axes and grid
  const yTicks = spec.logY
    ? niceTicks(y0, y1, 4).filter((v) => Number.isInteger(v)).map((e) => 10 ** e)
    : niceTicks(y0, y1);
  for (const v of yTicks) {
    const y = py(v);
    if (y < T - 1 || y > H - B + 1) continue;
    parts.push(`<line class="grid" x1="${L}" x2="${W - R}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}"/>`,
      `<text class="tick" x="${L - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${fmt(v, spec.percent)}</text>`);
  }
  for (const v of niceTicks(x0, x1, 6)) {
    const x = px(v);
    parts.push(`<line class="grid" y1="${T}" y2="${H - B}" x1="${x.toFixed(1)}" x2="${x.toFixed(1)}"/>`,
      `<text class="tick" x="${x.toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${fmt(v)}</text>`);
  }
  parts.push(`<line class="axis" x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}"/><line class="axis" x1="${L}" x2="${L}" y1="${T}" y2="${H - B}"/>`,
    `<text class="label" x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">${escapeHtml(spec.xLabel)}</text>`,
    `<text class="label" transform="translate(14 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(spec.yLabel)}</text>`);
  for (const m of spec.marks ?? []) {
    if (!(m.x >= x0 && m.x <= x1)) continue;
    const x = px(m.x).toFixed(1);
    parts.push(`<line class="mark" data-label="${escapeHtml(m.label)}" x1="${x}" x2="${x}" y1="${T}" y2="${H - B}" stroke="#888" stroke-dasharray="4 3"/>`,
      `<text class="tick" x="${x}" y="${T + 10}" text-anchor="middle">${escapeHtml(m.label)}</text>`);
  }
  for (const s of series) {
    const pts = s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    parts.push(`<polyline class="series" data-name="${escapeHtml(s.name)}" data-points="${s.points.length}" fill="none" stroke="${s.color}" stroke-width="${s.faint ? 1 : 2}"${s.faint ? ' opacity="0.35"' : ''} points="${pts}"/>`);
    if (s.markers) for (const [x, y] of s.points) parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${s.color}"/>`);
  }
  parts.push(...legend, '</svg>');
  return parts.join('');
}

// report.html beside a checkpoint: what a training run did, readable without bert-cli — loss,
// accuracy and learning-rate curves (inline SVG) from metrics.jsonl, the dev or held-out figures,
// a confusion matrix for classification, throughput and the resolved configuration.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BertConfig } from '../config.js';
import { writeFileAtomic } from '../io/atomic.js';
import { downsample, escapeHtml, lineChart, runningMean, type ChartSpec, type Series } from './svg-chart.js';

export interface ReportInput {
  kind: 'pretrain' | 'finetune';
  /** the model directory the report goes into (and whose metrics.jsonl it reads) */
  out: string;
  config: BertConfig;
  /** the resolved training options */
  options: Record<string, unknown>;
  /** headline figures, in order: label → value */
  summary: [string, string][];
  /** the dev evaluation the kept checkpoint was chosen by (finetune) */
  best?: { step: number; score: number; loss: number; metrics: Record<string, unknown> } | null;
  /** class names, for the confusion matrix */
  labels?: string[];
}

type MetricRecord = Record<string, unknown> & { type: string; step: number };

const COLORS = { train: '#1f77b4', trend: '#0b3d91', eval: '#d62728', nsp: '#2ca02c', evalNsp: '#9467bd', base: '#7f7f7f', lr: '#ff7f0e' };

/** metrics.jsonl as records; a later record for the same (type, step) replaces an earlier one (a resumed run). */
export function readMetrics(path: string): MetricRecord[] {
  if (!existsSync(path)) return [];
  const byKey = new Map<string, MetricRecord>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as MetricRecord;
      if (typeof r.type === 'string' && typeof r.step === 'number') {
        const key = `${r.type}:${r.step}`;
        byKey.delete(key); // re-inserted at the end: insertion order stays the run's order
        byKey.set(key, r);
      }
    } catch {
      // a line cut short by a crash: the report shows what is whole
    }
  }
  return [...byKey.values()];
}

const series = (rs: MetricRecord[], field: string): [number, number][] =>
  rs.filter((r) => typeof r[field] === 'number').map((r) => [r.step, r[field] as number]);

/** Per-step values: the raw curve (faint) under a running mean over ~2% of the run. */
function noisy(name: string, color: string, pts: [number, number][]): Series[] {
  if (!pts.length) return [];
  const w = Math.max(1, Math.round(pts.length / 50));
  if (w === 1) return [{ name, color, points: downsample(pts) }];
  return [
    { name: `${name} (per step)`, color, points: downsample(pts), faint: true },
    { name: `${name} (mean of ${w})`, color, points: downsample(runningMean(pts, w)) },
  ];
}

/** The charts of a run, stacked at the page's width over one shared step axis. */
export function charts(kind: ReportInput['kind'], records: MetricRecord[]): ChartSpec[] {
  const specs = chartsOf(kind, records);
  const steps = records.filter((r) => r.type === 'train' || r.type === 'eval' || r.type === 'dev').map((r) => r.step);
  const xDomain: [number, number] | undefined = steps.length ? [Math.min(...steps), Math.max(...steps)] : undefined;
  // fine-tuning: a dashed line where each epoch ends (its train record's epoch is a whole number)
  const marks = kind === 'finetune'
    ? records.filter((r) => r.type === 'train' && typeof r.epoch === 'number' && r.epoch >= 1 && Number.isInteger(r.epoch)).map((r) => ({ x: r.step, label: `epoch ${r.epoch}` }))
    : [];
  return specs.map((s) => ({ ...s, xDomain, ...(marks.length ? { marks } : {}) }));
}

function chartsOf(kind: ReportInput['kind'], records: MetricRecord[]): ChartSpec[] {
  const byStep = (a: MetricRecord, b: MetricRecord) => a.step - b.step;
  const train = records.filter((r) => r.type === 'train').sort(byStep);
  const evals = records.filter((r) => r.type === (kind === 'pretrain' ? 'eval' : 'dev')).sort(byStep);
  const lr: ChartSpec = { title: 'Learning rate', xLabel: 'step', yLabel: 'learning rate', series: [{ name: 'lr', color: COLORS.lr, points: downsample(series(train, 'lr')) }] };
  if (kind === 'pretrain') {
    const hasNsp = train.some((r) => typeof r.nspAccuracy === 'number');
    return [
      // each part of the training loss on its own chart: the MLM part is comparable with the
      // held-out MLM loss, and the NSP part (near ln 2 until NSP learns) would flatten it
      { title: 'MLM loss', xLabel: 'step', yLabel: 'MLM loss', series: [...noisy('train MLM loss', COLORS.train, series(train, 'mlmLoss')),
        { name: 'held-out MLM loss', color: COLORS.eval, points: series(evals, 'mlmLoss'), markers: true }] },
      ...(hasNsp ? [{ title: 'NSP loss', xLabel: 'step', yLabel: 'NSP loss', series: noisy('train NSP loss', COLORS.nsp, series(train, 'nspLoss')) }] : []),
      { title: 'Accuracy', xLabel: 'step', yLabel: 'accuracy', percent: true, series: [
        ...noisy('train MLM', COLORS.train, series(train, 'mlmAccuracy')).filter((s) => !s.faint),
        ...(hasNsp ? noisy('train NSP', COLORS.nsp, series(train, 'nspAccuracy')).filter((s) => !s.faint) : []),
        { name: 'held-out MLM', color: COLORS.eval, points: series(evals, 'mlmAccuracy'), markers: true },
        ...(hasNsp ? [{ name: 'held-out NSP', color: COLORS.evalNsp, points: series(evals, 'nspAccuracy'), markers: true }] : []),
        { name: 'MLM baseline', color: COLORS.base, points: series(evals, 'mlmBaseline') },
      ] },
      lr,
    ];
  }
  return [
    { title: 'Loss', xLabel: 'step', yLabel: 'loss', series: [...noisy('train loss', COLORS.train, series(train, 'loss')),
      { name: 'dev loss', color: COLORS.eval, points: series(evals, 'loss'), markers: true }] },
    { title: 'Dev score', xLabel: 'step', yLabel: 'score', percent: true, series: [{ name: 'dev score', color: COLORS.eval, points: series(evals, 'score'), markers: true }] },
    lr,
  ];
}

function table(rows: [string, string][]): string {
  return `<table class="kv">${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>`;
}

const pct = (v: unknown) => (typeof v === 'number' ? `${(100 * v).toFixed(2)}%` : String(v));

function devSection(best: NonNullable<ReportInput['best']>, labels?: string[]): string {
  const m = best.metrics;
  const scalars: [string, string][] = [['step', String(best.step)], ['loss', best.loss.toFixed(4)]];
  for (const [k, v] of Object.entries(m)) {
    if (typeof v !== 'number') continue;
    scalars.push([k, k === 'count' || k === 'mse' ? String(Number(v.toPrecision(6))) : k === 'mcc' || k === 'pearson' || k === 'spearman' ? v.toFixed(4) : pct(v)]);
  }
  let html = `<h2>Dev evaluation (the kept checkpoint)</h2>${table(scalars)}`;
  const per = m.per_class as Record<string, { precision: number; recall: number; f1: number; support: number }> | undefined;
  if (per) {
    html += `<h3>Per class</h3><table class="grid"><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>` +
      Object.entries(per).map(([k, c]) => `<tr><th>${escapeHtml(k)}</th><td>${pct(c.precision)}</td><td>${pct(c.recall)}</td><td>${pct(c.f1)}</td><td>${c.support}</td></tr>`).join('') + '</table>';
  }
  const confusion = m.confusion as number[][] | undefined;
  if (confusion && labels && confusion.length === labels.length) {
    const max = Math.max(1, ...confusion.flat());
    html += `<h3>Confusion matrix</h3><table class="confusion" id="confusion"><tr><th>gold \\ predicted</th>${labels.map((l) => `<th>${escapeHtml(l)}</th>`).join('')}</tr>` +
      confusion.map((row, i) => `<tr><th>${escapeHtml(labels[i])}</th>${row.map((v, j) => {
        const a = (0.08 + 0.72 * (v / max)).toFixed(2);
        const hue = i === j ? '31,119,180' : '214,39,40';
        return `<td style="background: rgba(${hue},${v ? a : 0})">${v}</td>`;
      }).join('')}</tr>`).join('') + '</table>';
  }
  return html;
}

export function renderReport(input: ReportInput, records: MetricRecord[]): string {
  const title = `${input.kind === 'pretrain' ? 'Pretraining' : 'Fine-tuning'} report — ${input.out}`;
  // the configuration as saved beside the report (its architectures, labels and length), not as the run began
  const saved = join(input.out, 'config.json');
  const cfg: BertConfig = existsSync(saved) ? JSON.parse(readFileSync(saved, 'utf8')) : input.config;
  const model: [string, string][] = [
    ['architecture', `${cfg.num_hidden_layers} layers × ${cfg.hidden_size} hidden, ${cfg.num_attention_heads} heads, FFN ${cfg.intermediate_size}`],
    ['vocabulary', String(cfg.vocab_size)],
  ];
  const evalRecords = records.filter((r) => r.type === 'eval').sort((a, b) => a.step - b.step);
  const lastEval = evalRecords[evalRecords.length - 1];
  let evalHtml = '';
  if (input.kind === 'pretrain' && lastEval) {
    evalHtml = `<h2>Held-out evaluation (step ${lastEval.step})</h2>` + table([
      ['MLM accuracy', pct(lastEval.mlmAccuracy)], ['most-frequent-token baseline', pct(lastEval.mlmBaseline)],
      ['perplexity', (lastEval.perplexity as number).toFixed(1)],
      ...(typeof lastEval.nspAccuracy === 'number' ? [['NSP accuracy', pct(lastEval.nspAccuracy)], ['majority NSP baseline', pct(lastEval.nspBaseline)]] as [string, string][] : []),
      ['held-out sequences', String(lastEval.instances)],
    ]);
  }
  if (input.kind === 'finetune' && input.best) evalHtml = devSection(input.best, input.labels);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1340px; padding: 0 16px; color: #222; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; } h3 { font-size: 14px; }
.charts { display: grid; gap: 12px; }
svg.chart { width: 100%; height: auto; border: 1px solid #ddd; border-radius: 4px; background: #fff; }
svg .title { font-weight: 600; font-size: 14px; } svg .tick, svg .legend text { font-size: 11px; fill: #555; }
svg .label { font-size: 12px; fill: #333; } svg .grid { stroke: #eee; } svg .axis { stroke: #999; }
table { border-collapse: collapse; margin: 8px 0; } th, td { padding: 3px 10px; border: 1px solid #e3e3e3; text-align: right; }
table.kv th { text-align: left; font-weight: 500; background: #fafafa; }
pre { background: #f6f6f6; padding: 12px; overflow: auto; max-height: 480px; }
</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
${table([...input.summary, ...model])}
${evalHtml}
<h2>Curves</h2>
<div class="charts">${charts(input.kind, records).map(lineChart).join('\n')}</div>
<h2>Configuration</h2>
<h3>Training options</h3><pre>${escapeHtml(JSON.stringify(input.options, null, 2))}</pre>
<h3>config.json</h3><pre>${escapeHtml(JSON.stringify(cfg, null, 2))}</pre>
<p>Written by bert-cli on ${new Date().toISOString()} from ${escapeHtml(join(input.out, 'metrics.jsonl'))}.</p>
</body></html>
`;
}

/** Writes out/report.html (atomically) from out/metrics.jsonl. */
export function writeReport(input: ReportInput): string {
  const path = join(input.out, 'report.html');
  writeFileAtomic(path, [renderReport(input, readMetrics(join(input.out, 'metrics.jsonl')))]);
  return path;
}

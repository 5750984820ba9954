// report.html: the metrics log becomes curves with one point per logged step (downsampled only past
// 600), a dev table and a confusion matrix — checked in the markup, and in a real headless Chromium,
// which must lay every curve out with a non-empty box inside its chart.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { presetConfig } from '../../lib/config.js';
import { readMetrics, writeReport } from '../../lib/report/training-report.js';
import { CHART_H, CHART_W, downsample, niceTicks, runningMean } from '../../lib/report/svg-chart.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(existsSync);
const requireBrowser = process.env.BERT_REQUIRE_BROWSER === '1';

function finetuneRun(dir: string, steps: number, devAt: number[]) {
  const lines: string[] = [];
  for (let s = 1; s <= steps; s++) lines.push(JSON.stringify({ type: 'train', step: s, epoch: s / steps, loss: 1 / s, lr: 1e-4 * (1 - s / steps) }));
  for (const s of devAt) lines.push(JSON.stringify({ type: 'dev', step: s, epoch: 0, loss: 0.5 / s, score: 0.6 + s / (steps * 3), metrics: {} }));
  writeFileSync(join(dir, 'metrics.jsonl'), lines.join('\n') + '\n');
  const labels = ['ham', 'spam', 'unsure'];
  writeReport({
    kind: 'finetune', out: dir, config: presetConfig('tiny', 100), labels, options: { epochs: 3 }, summary: [['task', 'classify']],
    best: { step: devAt[devAt.length - 1], score: 0.9, loss: 0.1, metrics: { accuracy: 0.9, macro_f1: 0.8, confusion: [[50, 2, 0], [3, 40, 1], [0, 0, 4]],
      per_class: Object.fromEntries(labels.map((l) => [l, { precision: 0.9, recall: 0.8, f1: 0.85, support: 10 }])) } },
  });
  return readFileSync(join(dir, 'report.html'), 'utf8');
}

function pretrainRun(dir: string, steps: number, evalAt: number[]) {
  const lines: string[] = [];
  for (let s = 1; s <= steps; s++) lines.push(JSON.stringify({ type: 'train', step: s, steps, loss: 9 - s / 10, mlmLoss: 8 - s / 10, nspLoss: 0.7, mlmAccuracy: s / (2 * steps), nspAccuracy: 0.5 + s / (4 * steps), lr: 1e-4 }));
  for (const s of evalAt) lines.push(JSON.stringify({ type: 'eval', step: s, mlmAccuracy: s / (3 * steps), mlmLoss: 7, perplexity: 1000, nspAccuracy: 0.6, instances: 64, mlmBaseline: 0.07, nspBaseline: 0.52 }));
  writeFileSync(join(dir, 'metrics.jsonl'), lines.join('\n') + '\n');
  writeReport({ kind: 'pretrain', out: dir, config: presetConfig('mini', 100), options: { steps }, summary: [['steps', String(steps)]] });
  return readFileSync(join(dir, 'report.html'), 'utf8');
}

/** The polylines' point counts as written in the markup, by chart title and series name. */
function markupCounts(html: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const chart of html.matchAll(/<svg class="chart"[^>]*data-title="([^"]+)"[\s\S]*?<\/svg>/g)) {
    for (const p of chart[0].matchAll(/<polyline class="series" data-name="([^"]+)" data-points="(\d+)"[^>]*points="([^"]*)"/g)) {
      expect(p[3].trim().split(/\s+/)).toHaveLength(Number(p[2]));
      out[`${chart[1]}/${p[1]}`] = Number(p[2]);
    }
  }
  return out;
}

describe('training report', () => {
  it('fine-tuning: a curve point per step, dev points per evaluation, the confusion matrix', () => {
    const html = finetuneRun(mkdtempSync(join(tmpdir(), 'bert-report-')), 37, [12, 24, 37]);
    const c = markupCounts(html);
    expect(c['Loss/train loss']).toBe(37); // fewer than 50 steps: no running mean
    expect(c['Loss/dev loss']).toBe(3);
    expect(c['Dev score/dev score']).toBe(3);
    expect(c['Learning rate/lr']).toBe(37);
    const cells = [...html.matchAll(/<table class="confusion"[\s\S]*?<\/table>/g)][0][0].match(/<td[^>]*>(\d+)<\/td>/g)!.map((x) => Number(x.replace(/<[^>]+>/g, '')));
    expect(cells).toEqual([50, 2, 0, 3, 40, 1, 0, 0, 4]);
  });

  it('fine-tuning: a dashed mark on every chart where an epoch ends, labelled with its number', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bert-report-'));
    // 3 epochs of 10 steps: the train records' epoch reaches 1, 2 and 3 at steps 10, 20 and 30
    const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ type: 'train', step: i + 1, epoch: (i + 1) / 10, loss: 1, lr: 1e-4 }));
    writeFileSync(join(dir, 'metrics.jsonl'), lines.join('\n') + '\n');
    writeReport({ kind: 'finetune', out: dir, config: presetConfig('tiny', 100), labels: ['a', 'b'], options: {}, summary: [] });
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    const marks = [...html.matchAll(/<line class="mark" data-label="([^"]+)"/g)].map((m) => m[1]);
    expect(marks.slice(0, 3)).toEqual(['epoch 1', 'epoch 2', 'epoch 3']);
    expect(marks.length % 3).toBe(0); // the same marks on each chart
  });

  it('pretraining: raw and smoothed MLM loss, held-out points, the baseline', () => {
    const html = pretrainRun(mkdtempSync(join(tmpdir(), 'bert-report-')), 200, [100, 200]);
    const c = markupCounts(html);
    expect(c['MLM loss/train MLM loss (per step)']).toBe(200);
    expect(c['MLM loss/train MLM loss (mean of 4)']).toBe(200);
    expect(c['MLM loss/held-out MLM loss']).toBe(2);
    expect(c['Accuracy/held-out NSP']).toBe(2);
    expect(c['Accuracy/MLM baseline']).toBe(2);
    expect(html).toContain('majority NSP baseline');
  });

  it('a resumed run\'s repeated steps count once (the later one), a torn last line is ignored', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bert-report-'));
    writeFileSync(join(dir, 'metrics.jsonl'), [1, 2, 3, 2, 3, 4].map((s, i) => JSON.stringify({ type: 'train', step: s, loss: i })).join('\n') + '\n{"type":"tra');
    const rs = readMetrics(join(dir, 'metrics.jsonl'));
    expect(rs.map((r) => [r.step, r.loss])).toEqual([[1, 0], [2, 3], [3, 4], [4, 5]]);
  });

  it('chart helpers: downsampling keeps the mean, ticks are round, the running mean is causal', () => {
    const pts = Array.from({ length: 5000 }, (_, i): [number, number] => [i, i % 7]);
    const d = downsample(pts);
    expect(d).toHaveLength(600);
    expect(d.reduce((a, p) => a + p[1], 0) / 600).toBeCloseTo(pts.reduce((a, p) => a + p[1], 0) / 5000, 1);
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(3, 147)).toEqual([20, 40, 60, 80, 100, 120, 140]); // 50 would leave two ticks
    expect(niceTicks(-0.3, 0.9)).toEqual([-0.2, 0, 0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(0, 1000)).toEqual([0, 200, 400, 600, 800, 1000]);
    // a constant curve (its running mean off by an ulp) gets ticks, not an endless loop
    expect(niceTicks(0.7, 0.7000000000000001)).toEqual([0.7]);
    expect(runningMean([[0, 1], [1, 3], [2, 5]], 2)).toEqual([[0, 1], [1, 2], [2, 4]]);
  });

  it('pretraining: MLM and NSP loss on charts of their own, every chart on one step axis, the headline loss named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bert-report-'));
    const html = pretrainRun(dir, 200, [100, 200]);
    const titles = [...html.matchAll(/<svg class="chart"[^>]*data-title="([^"]+)"/g)].map((m) => m[1]);
    expect(titles).toEqual(['MLM loss', 'NSP loss', 'Accuracy', 'Learning rate']);
    const c = markupCounts(html);
    expect(c['NSP loss/train NSP loss (per step)']).toBe(200);
    expect(c['MLM loss/held-out MLM loss']).toBe(2);
    // the same step ticks at the same places under every chart
    const xTicks = [...html.matchAll(/<svg class="chart"[\s\S]*?<\/svg>/g)].map((svg) =>
      [...svg[0].matchAll(/<text class="tick" x="([\d.]+)" y="(\d+)" text-anchor="middle">([^<]+)<\/text>/g)].map((m) => `${m[1]}:${m[3]}`).join(' '));
    expect(xTicks[0]).toMatch(/:200/);
    for (const t of xTicks) expect(t).toBe(xTicks[0]);
    // charts take the page's width, not a fixed 640 px
    expect(html).toMatch(/svg\.chart \{ width: 100%/);
    expect(html).not.toMatch(/<svg class="chart"[^>]* width="\d/);
  });

  it("shows the config.json saved beside the report, not the one the run began with", () => {
    const dir = mkdtempSync(join(tmpdir(), 'bert-report-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...presetConfig('tiny', 100), architectures: ['BertForSequenceClassification'], id2label: { 0: 'ham', 1: 'spam' } }));
    writeFileSync(join(dir, 'metrics.jsonl'), JSON.stringify({ type: 'train', step: 1, loss: 1, lr: 1e-4 }) + '\n');
    writeReport({ kind: 'finetune', out: dir, config: { ...presetConfig('tiny', 100), architectures: ['BertForPreTraining'] }, options: {}, summary: [] });
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    const section = html.slice(html.indexOf('<h3>config.json</h3>'));
    expect(section).toContain('BertForSequenceClassification');
    expect(section).not.toContain('BertForPreTraining');
  });

  it.skipIf(!CHROMIUM && !requireBrowser)('renders in headless Chromium: every curve laid out with its points, inside its chart', () => {
    expect(CHROMIUM, 'chromium is not installed (apt-get install -y chromium)').toBeTruthy();
    const dir = mkdtempSync(join(tmpdir(), 'bert-report-'));
    const cases = [{ html: finetuneRun(dir, 37, [12, 24, 37]), charts: 3 }, { html: pretrainRun(dir, 200, [100, 200]), charts: 4 }];
    for (const { html, charts } of cases) {
      // the probe reads what the browser built: SVG point lists and layout boxes
      const probe = `<script>
        const out = [...document.querySelectorAll('svg.chart')].map((svg) => ({
          title: svg.dataset.title, box: svg.getBoundingClientRect().width,
          series: [...svg.querySelectorAll('polyline.series')].map((p) => {
            const b = p.getBBox();
            return { name: p.dataset.name, points: p.points.numberOfItems, declared: Number(p.dataset.points),
              width: b.width, inside: b.x >= 0 && b.y >= 0 && b.x + b.width <= ${CHART_W + 0.5} && b.y + b.height <= ${CHART_H + 0.5}, length: p.getTotalLength() };
          }),
        }));
        const pre = document.createElement('pre'); pre.id = 'probe'; pre.textContent = JSON.stringify(out); document.body.append(pre);
      </script>`;
      const page = join(dir, `probe-${charts}-${html.length}.html`);
      writeFileSync(page, html.replace('</body>', probe + '</body>'));
      const r = spawnSync(CHROMIUM!, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', `--user-data-dir=${mkdtempSync(join(tmpdir(), 'chromium-'))}`, '--dump-dom', `file://${page}`], { encoding: 'utf8', timeout: 90_000 });
      const m = r.stdout.match(/<pre id="probe">([\s\S]*?)<\/pre>/);
      expect(m, `chromium printed no probe (exit ${r.status}): ${r.stderr.slice(-500)}`).toBeTruthy();
      const got = JSON.parse(m![1].replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>'));
      expect(got).toHaveLength(charts);
      const expected = markupCounts(html);
      for (const chart of got) {
        expect(chart.box).toBeGreaterThan(600);
        for (const s of chart.series) {
          expect(s.points, `${chart.title}/${s.name}`).toBe(expected[`${chart.title}/${s.name}`]);
          expect(s.points).toBe(s.declared);
          if (s.points > 1) {
            expect(s.length).toBeGreaterThan(0);
            expect(s.width).toBeGreaterThan(0);
          }
          expect(s.inside).toBe(true);
        }
      }
    }
  });
});

/**
 * The end-of-training report: `report.json` (config, warm start, every
 * step's metrics) and one self-contained `report.html` with plots of pass@k,
 * entropy, losses and invalid rates over training. The page inlines uPlot
 * (MIT, ~50 KB, read from node_modules) and the data, so it opens offline.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Json } from '../envs/core/types.js';
import type { AlgoPlan, TrainConfig } from './config.js';
import type { RolloutSummary } from './evaluate.js';
import type { HistoryEntry } from './history.js';
import { taskCountText } from './train-tasks.js';
import type { WarmStartReport } from './warmstart.js';

export interface TrainReport {
  config: TrainConfig;
  envId: string;
  params: Json;
  plan: AlgoPlan;
  trajGamma: number;
  warmStart: WarmStartReport & { dir: string };
  /** Uniformly random admissible actions on the same validation tasks (the floor learning must beat). */
  floor?: RolloutSummary;
  history: HistoryEntry[];
  seconds: number;
}

/** One plotted series: name and y values aligned with the chart's x values (null = no point). */
export interface Series {
  label: string;
  values: (number | null)[];
}

export interface Chart {
  title: string;
  x: number[];
  series: Series[];
}

const num = (v: number | undefined | null): number | null =>
  typeof v === 'number' && Number.isFinite(v) ? v : null;

/** The charts of a report: validation pass@k, rollout pass@k, entropy, losses, invalid rates. */
export function reportCharts(r: TrainReport): Chart[] {
  const h = r.history;
  const val = h.filter((e) => e.validation);
  const steps = h.filter((e) => e.train);
  const k = r.config.attempts;
  const passSeries = (
    rows: HistoryEntry[],
    pick: (e: HistoryEntry) => RolloutSummary | undefined,
    n: number,
  ) =>
    Array.from({ length: n }, (_, j) => ({
      label: `pass@${j + 1}`,
      values: rows.map((e) => num(pick(e)?.pass[j])),
    }));
  return [
    {
      title: 'Validation pass@k (fixed set)',
      x: val.map((e) => e.step),
      series: passSeries(val, (e) => e.validation, k),
    },
    {
      title: 'Training rollout pass@k',
      x: steps.map((e) => e.step),
      series: passSeries(steps, (e) => e.rollout, r.plan.attempts),
    },
    {
      title: 'Trajectory entropy on validation (nats) and policy token entropy',
      x: h.map((e) => e.step),
      series: [
        { label: 'trajectory entropy (validation)', values: h.map((e) => num(e.validation?.entropy)) },
        { label: 'token entropy (update)', values: h.map((e) => num(e.train?.entropy)) },
      ],
    },
    {
      title: 'Losses',
      x: steps.map((e) => e.step),
      series: [
        { label: 'loss', values: steps.map((e) => num(e.train?.loss)) },
        { label: 'pg_loss', values: steps.map((e) => num(e.train?.pgLoss)) },
        { label: 'approx_kl', values: steps.map((e) => num(e.train?.approxKl)) },
        ...(steps.some((e) => e.train?.kl !== undefined)
          ? [{ label: 'KL to the warm start (klCoef)', values: steps.map((e) => num(e.train?.kl)) }]
          : []),
        { label: 'clipfrac', values: steps.map((e) => num(e.train?.clipFrac)) },
      ],
    },
    {
      title: 'Reply log-prob change over each step (nats; healthy: A>0 up, A<0 down)',
      x: steps.map((e) => e.step),
      series: [
        { label: 'play replies with A > 0', values: steps.map((e) => num(e.shift?.positive)) },
        { label: 'play replies with A < 0', values: steps.map((e) => num(e.shift?.negative)) },
      ],
    },
    {
      title: 'Invalid reply rate and mean attempt return',
      x: h.map((e) => e.step),
      series: [
        { label: 'invalid (validation)', values: h.map((e) => num(e.validation?.invalidRate)) },
        { label: 'invalid (rollout)', values: h.map((e) => num(e.rollout?.invalidRate)) },
        { label: 'return (rollout)', values: h.map((e) => num(e.rollout?.episodeReturn)) },
      ],
    },
    {
      title: 'Warm start: supervised cross-entropy per step',
      x: r.warmStart.losses.map((_, i) => i + 1),
      series: [{ label: 'loss', values: r.warmStart.losses.map(num) }],
    },
  ];
}

function uplotAssets(): { js: string; css: string } {
  const require = createRequire(import.meta.url);
  const dir = join(require.resolve('uplot/package.json'), '..', 'dist');
  return {
    js: readFileSync(join(dir, 'uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(join(dir, 'uPlot.min.css'), 'utf8'),
  };
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch]!);

/** JSON safe inside a <script> element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

function summaryRows(r: TrainReport): string {
  const last = [...r.history].reverse().find((e) => e.validation)?.validation;
  const first = r.history.find((e) => e.validation)?.validation;
  const row = (name: string, s: RolloutSummary | undefined) =>
    s
      ? `<tr><td>${escapeHtml(name)}</td>${s.pass.map((p) => `<td>${p.toFixed(3)}</td>`).join('')}<td>${s.entropy.toFixed(3)}</td><td>${s.invalidRate.toFixed(3)}</td></tr>`
      : '';
  const head = `<tr><th></th>${Array.from({ length: r.config.attempts }, (_, j) => `<th>pass@${j + 1}</th>`).join('')}<th>entropy</th><th>invalid</th></tr>`;
  return `<table>${head}${row('random actions (floor)', r.floor)}${row('warm start (LaMer protocol)', r.warmStart.validation)}${row('before RL (this algo)', first)}${row('after RL', last)}</table>`;
}

/** The self-contained HTML page. */
export function reportHtml(r: TrainReport): string {
  const { js, css } = uplotAssets();
  const c = r.config;
  const title = `lamer train: ${r.envId} ${c.algo} seed ${c.seed}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>${css}
body{font-family:system-ui,sans-serif;margin:24px;max-width:960px}
table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
.chart{margin:24px 0}pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:12px}</style>
</head><body>
<h1>${escapeHtml(title)}</h1>
<p>${c.steps} steps × ${taskCountText(c)} × ${r.plan.trialsPerTask} trials × ${r.plan.attempts} attempt(s) per trial;
estimator ${r.plan.estimator}, γ_step ${c.stepGamma}, γ_traj ${r.trajGamma}; validation ${c.validation.tasks} fixed tasks × ${c.validation.trialsPerTask} trials, ${c.attempts} attempts;
wall time ${r.seconds.toFixed(0)} s.</p>
${summaryRows(r)}
<div id="charts"></div>
<details><summary>Config</summary><pre>${escapeHtml(JSON.stringify(c, null, 2))}</pre></details>
<script>${js}</script>
<script>
const charts = ${scriptJson(reportCharts(r))};
const colors = ['#1f77b4','#ff7f0e','#2ca02c','#d62728','#9467bd','#8c564b'];
for (const ch of charts) {
  const div = document.createElement('div'); div.className = 'chart';
  document.getElementById('charts').appendChild(div);
  if (ch.x.length === 0) { div.textContent = ch.title + ': no data'; continue; }
  new uPlot({ title: ch.title, width: 900, height: 280,
    scales: { x: { time: false } },
    axes: [{ label: 'step' }, {}],
    series: [{ label: 'step' }].concat(ch.series.map((s, i) => ({ label: s.label, stroke: colors[i % colors.length], width: 2, spanGaps: true, points: { show: true } }))) },
    [ch.x].concat(ch.series.map((s) => s.values)), div);
}
</script>
</body></html>
`;
}

/** Write report.json and report.html into `out`. */
export async function writeReport(out: string, r: TrainReport): Promise<{ json: string; html: string }> {
  const json = join(out, 'report.json');
  const html = join(out, 'report.html');
  await writeFile(json, `${JSON.stringify(r, (_k, v) => (Number.isNaN(v) ? null : v), 2)}\n`);
  await writeFile(html, reportHtml(r));
  return { json, html };
}

/**
 * The end-of-training report: `report.json` (config, warm start, every
 * step's metrics) and one self-contained `report.html` with plots of pass@k,
 * entropy, losses, invalid rates and step times over training, drawn by the
 * chart module the live dashboard uses (src/live/assets/charts.js) from the
 * history as live events. The page inlines uPlot (MIT, ~50 KB, read from
 * node_modules), the chart module and the data, so it opens offline.
 */
import { join } from 'node:path';
import type { Json } from '../envs/core/types.js';
import { writeFileAtomic } from '../learner/atomic-write.js';
import { escapeHtml, pageAssets, scriptJson, scriptText } from '../live/assets.js';
import type { LiveBody, LiveEvent } from '../live/events.js';
import type { AlgoPlan, TrainConfig } from './config.js';
import type { RolloutSummary } from './evaluate.js';
import type { HistoryEntry } from './history.js';
import { taskCountText } from './train-tasks.js';
import type { WarmStartReport } from './warmstart.js';

/** The run report (`report.json`, drawn in `report.html`): config, env and params, plan, γ_traj, warm start, the random floor, every step's history, duration in seconds. */
export interface TrainReport {
  config: TrainConfig;
  envId: string;
  params: Json;
  plan: AlgoPlan;
  trajGamma: number;
  /** The built-in model's warm start (absent when RL starts from a pretrained hf: model). */
  warmStart?: WarmStartReport & { dir: string };
  /** What was trained (`built-in model`, `hf:DIR (LoRA rank 16, ...)`). */
  model?: string;
  /** Uniformly random admissible actions on the same validation tasks (the floor learning must beat). */
  floor?: RolloutSummary;
  history: HistoryEntry[];
  seconds: number;
}

/**
 * The report's history as live events (the chart module draws both pages from events): the warm
 * start's losses, then per step its learner step and its validation.
 */
export function reportEvents(r: TrainReport): LiveEvent[] {
  const out: LiveEvent[] = [];
  const push = (step: number, policyVersion: number, body: LiveBody) =>
    out.push({ seq: out.length, t: 0, step, policyVersion, ...body } as LiveEvent);
  if (r.warmStart) push(0, 0, { kind: 'warmstart', losses: r.warmStart.losses });
  for (const e of r.history) {
    const version = e.train?.policyVersion ?? 0;
    if (e.train || e.rollout) push(e.step, version, { kind: 'step', entry: e });
    if (e.validation)
      push(e.step, version, { kind: 'validation', label: 'validation', summary: e.validation });
  }
  return out;
}

function summaryRows(r: TrainReport): string {
  const last = [...r.history].reverse().find((e) => e.validation)?.validation;
  const first = r.history.find((e) => e.validation)?.validation;
  const row = (name: string, s: RolloutSummary | undefined) =>
    s
      ? `<tr><td>${escapeHtml(name)}</td>${s.pass.map((p) => `<td>${p.toFixed(3)}</td>`).join('')}<td>${s.entropy.toFixed(3)}</td><td>${s.invalidRate.toFixed(3)}</td></tr>`
      : '';
  const head = `<tr><th></th>${Array.from({ length: r.config.attempts }, (_, j) => `<th>pass@${j + 1}</th>`).join('')}<th>entropy</th><th>invalid</th></tr>`;
  return `<table>${head}${row('random actions (floor)', r.floor)}${row('warm start (LaMer protocol)', r.warmStart?.validation)}${row('before RL (this algo)', first)}${row('after RL', last)}</table>`;
}

/** The self-contained HTML page. */
export function reportHtml(r: TrainReport): string {
  const a = pageAssets();
  const c = r.config;
  const title = `lamer train: ${r.envId} ${c.algo} seed ${c.seed}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>${a.uplotCss}
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
<script>${scriptText(a.uplotJs)}</script>
<script>${scriptText(a.chartsJs)}</script>
<script>LamerCharts.create(document.getElementById('charts'), { live: false }).push(${scriptJson(reportEvents(r))});</script>
</body></html>
`;
}

/** Write report.json and report.html into `out`. */
export async function writeReport(out: string, r: TrainReport): Promise<{ json: string; html: string }> {
  const json = join(out, 'report.json');
  const html = join(out, 'report.html');
  await writeFileAtomic(json, `${JSON.stringify(r, (_k, v) => (Number.isNaN(v) ? null : v), 2)}\n`);
  await writeFileAtomic(html, reportHtml(r));
  return { json, html };
}

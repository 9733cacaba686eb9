/**
 * The paired final evaluation of a training run (`finalEval` in the config; `lamer train` runs it
 * after the last step): the warm start and the trained weights play the same validation tasks,
 * `trialsPerTask` trials each, under the same `seeds` sampling seeds and the algo's own protocol,
 * next to random admissible actions (the floor). What RL changed is the per-task paired difference
 * (trained − warm start, each task's rate over its trials and seeds), averaged over the tasks, with
 * its standard error over the tasks: the noise of the dice and of which boards were drawn, so "2
 * s.e." means the change would likely hold on other boards too. Training validations read one
 * sampling seed and cannot say that (README, the paper's claim).
 */
import { join } from 'node:path';
import type { Json } from '../envs/core/types.js';
import { writeFileAtomic } from '../learner/atomic-write.js';
import { loadTrainerCheckpoint } from '../learner/trainer/index.js';
import { OnnxPolicy } from '../policy/onnx/policy.js';
import { randomPolicy } from '../policy/scripted.js';
import type { Policy } from '../policy/types.js';
import type { TrialRecord } from '../streams/types.js';
import { ConfigError } from '../util/errors.js';
import { deriveSeed } from '../util/rng.js';
import { sessionSettingsOf, type TrainConfig, validationOptions } from './config.js';
import { meanSummary, type RolloutSummary, validate } from './evaluate.js';
import { line, seconds, type TrainIO } from './progress.js';
import { ensureWarmStart, envOf, modelOf } from './warmstart.js';

export type FinalEvalSettings = NonNullable<TrainConfig['finalEval']>;

/** One model's evaluation: the summary averaged over the seeds, and each task's pass@k over its trials and seeds. */
export interface ModelEvaluation {
  summary: RolloutSummary;
  /** taskId → pass@1..N of that task. */
  byTask: Record<string, number[]>;
  /** pass@1..N: the mean over the tasks of each task's rate, and its standard error over the tasks. */
  pass: Array<{ mean: number; se: number }>;
  /** pass@N − pass@1, the same way. */
  delta: { mean: number; se: number };
}

/** What `finalEvaluation` measured: the floor, the warm start and the trained weights on the same tasks and seeds, and the paired change. */
export interface FinalEvaluation {
  tasks: number;
  trialsPerTask: number;
  seeds: number;
  memoryMode: string;
  /** Random admissible actions (the floor) under the same tasks and seeds. */
  floor: ModelEvaluation;
  warmStart: ModelEvaluation;
  trained: ModelEvaluation;
  /** Trained − warm start: per pass@k, and pass@N − pass@1; mean over tasks and its standard error. */
  change: { pass: Array<{ mean: number; se: number }>; delta: { mean: number; se: number } };
}

/** Each task's pass@1..N: the share of its trials won within k attempts. */
export function passByTask(records: readonly TrialRecord[], attempts: number): Record<string, number[]> {
  const counts = new Map<string, { trials: number; won: number[] }>();
  for (const r of records) {
    const c = counts.get(r.taskId) ?? { trials: 0, won: new Array(attempts).fill(0) };
    c.trials++;
    if (r.failed === undefined && r.wonAt !== null) for (let k = r.wonAt; k < attempts; k++) c.won[k]++;
    counts.set(r.taskId, c);
  }
  return Object.fromEntries([...counts].map(([id, c]) => [id, c.won.map((w) => w / c.trials)]));
}

/** Mean and standard error (sample std / √n) of a list. */
export function meanSe(xs: readonly number[]): { mean: number; se: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const se = n < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1) / n);
  return { mean, se };
}

/** Play `policy` under `seeds` sampling seeds of the final evaluation. */
async function evaluateModel(
  policy: Policy,
  c: TrainConfig,
  env: { envId: string; params: Json },
  s: FinalEvalSettings,
): Promise<ModelEvaluation> {
  const base = validationOptions(c, env.envId, env.params);
  const summaries: RolloutSummary[] = [];
  const records: TrialRecord[] = [];
  for (let k = 0; k < s.seeds; k++) {
    const run = await validate(policy, {
      ...base,
      trialsPerTask: s.trialsPerTask,
      sampling: { ...base.sampling, seed: deriveSeed(c.seed, 'final-eval', k) },
      runId: `final-eval-${k}`,
    });
    summaries.push(run.summary);
    records.push(...run.records);
  }
  const byTask = passByTask(records, c.attempts);
  const rates = Object.values(byTask);
  const n = c.attempts;
  const pass = Array.from({ length: n }, (_, k) => meanSe(rates.map((p) => p[k]!)));
  const delta = meanSe(rates.map((p) => p[n - 1]! - p[0]!));
  return { summary: meanSummary(summaries), byTask, pass, delta };
}

/** The paired final evaluation of warm-start and trained policies (both already loaded). */
export async function finalEvaluation(
  c: TrainConfig,
  env: { envId: string; params: Json },
  s: FinalEvalSettings,
  policies: { warmStart: Policy; trained: Policy },
): Promise<FinalEvaluation> {
  const base = validationOptions(c, env.envId, env.params);
  const floor = await evaluateModel(randomPolicy(), c, env, s);
  const warmStart = await evaluateModel(policies.warmStart, c, env, s);
  const trained = await evaluateModel(policies.trained, c, env, s);
  const ids = Object.keys(warmStart.byTask);
  const diff = (f: (p: number[]) => number) =>
    meanSe(ids.map((id) => f(trained.byTask[id]!) - f(warmStart.byTask[id]!)));
  const n = c.attempts;
  return {
    tasks: ids.length,
    trialsPerTask: s.trialsPerTask,
    seeds: s.seeds,
    memoryMode: base.memoryMode,
    floor,
    warmStart,
    trained,
    change: {
      pass: Array.from({ length: n }, (_, k) => diff((p) => p[k]!)),
      delta: diff((p) => p[n - 1]! - p[0]!),
    },
  };
}

const f3 = (x: number) => x.toFixed(3);
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}`;
const withSe = (m: { mean: number; se: number }, sign = false) =>
  `${sign ? signed(m.mean) : f3(m.mean)} ± ${f3(m.se)}`;

/**
 * The lines `lamer train` ends with: the floor, the warm start and the trained weights side by side
 * (pass@k ± its standard error over the tasks), what RL changed (paired, ± s.e.), and a verdict on
 * pass@1 and on pass@N (a change of 2 standard errors or more, or "not beyond the noise").
 */
export function formatFinalEvaluation(e: FinalEvaluation, trainedLabel: string): string[] {
  const n = e.warmStart.summary.pass.length;
  const head = `| | ${Array.from({ length: n }, (_, k) => `pass@${k + 1}`).join(' | ')} | pass@${n} − pass@1 | entropy | fatal repeats |`;
  const row = (label: string, m: ModelEvaluation) =>
    `| ${label} | ${m.pass.map((p) => withSe(p)).join(' | ')} | ${withSe(m.delta)} | ${f3(m.summary.entropy)} | ${f3(m.summary.fatalRepeat ?? 0)} |`;
  const ch = e.change;
  const verdict = (k: number) => {
    const c = ch.pass[k - 1]!;
    const z = c.se > 0 ? c.mean / c.se : 0;
    const noise = `${Math.abs(z).toFixed(1)} standard errors over the ${e.tasks} tasks`;
    return Math.abs(z) >= 2
      ? `RL ${c.mean > 0 ? 'raised' : 'lowered'} pass@${k} by ${f3(Math.abs(c.mean))} ± ${f3(c.se)} (${noise}).`
      : `RL did not change pass@${k} beyond the noise: ${signed(c.mean)} ± ${f3(c.se)} (${noise}).`;
  };
  return [
    `final evaluation (paired): ${e.tasks} validation tasks × ${e.trialsPerTask} trials × ${e.seeds} sampling seeds, the same for every row, memory ${e.memoryMode}; ± is the standard error over the tasks`,
    head,
    `|---|${'---|'.repeat(n + 3)}`,
    row('random actions (floor)', e.floor),
    row('warm start', e.warmStart),
    row(trainedLabel, e.trained),
    `| RL changed (trained − warm start, paired) | ${ch.pass.map((p) => withSe(p, true)).join(' | ')} | ${withSe(ch.delta, true)} | | |`,
    // the first attempt, then the paper's metric (last: what the job ends with)
    ...(n > 1 ? [verdict(1)] : []),
    verdict(n),
  ];
}

/**
 * `lamer train`'s last part when the config has `finalEval`: loads the warm start and the run's
 * newest checkpoint, evaluates both (finalEvaluation), prints the table and writes
 * `<out>/final-eval.json`.
 */
export async function runFinalEvaluation(c: TrainConfig, out: string, io: TrainIO): Promise<FinalEvaluation> {
  if (!c.finalEval) throw new ConfigError('finalEval: the config has no final evaluation settings');
  const model = modelOf(c);
  const warm = await ensureWarmStart(c, io);
  const trained = await loadTrainerCheckpoint(model, { dir: join(out, 'checkpoints'), every: 1 }, (m) =>
    line(io, m),
  );
  if (!trained)
    throw new ConfigError(`${out}/checkpoints has no checkpoint to evaluate: run the training first`);
  const t0 = Date.now();
  const options = { seed: c.seed, ...sessionSettingsOf(c) };
  const warmPolicy = await OnnxPolicy.fromParams(model, warm.params, 0, options);
  const trainedPolicy = await OnnxPolicy.fromParams(model, trained.snapshot.state.params, 0, options);
  let e: FinalEvaluation;
  try {
    e = await finalEvaluation(c, envOf(c), c.finalEval, { warmStart: warmPolicy, trained: trainedPolicy });
  } finally {
    await warmPolicy.dispose();
    await trainedPolicy.dispose();
  }
  await writeFileAtomic(join(out, 'final-eval.json'), `${JSON.stringify(e, null, 2)}\n`);
  line(io, '');
  for (const text of formatFinalEvaluation(e, `after ${trained.snapshot.step} ${c.algo} steps`))
    line(io, text);
  line(io, `(${seconds(Date.now() - t0)}; ${join(out, 'final-eval.json')})`);
  return e;
}

/**
 * `npm run bench:overlap`: what `pipeline.staleness: 1` (the rollout of step t+1 beside the update
 * of step t) buys and costs at the long bench's settings (examples/bench-long.json over the `paper`
 * preset: 16 MineSweeper tasks × 8 trials × 3 attempts a step, one PPO update), from the saved warm
 * start (`npx lamer pretrain --preset paper --config examples/bench-long.json` makes it).
 *
 * - Buys: the wall time of steps 1..N with staleness 0 and 1, each run from the same warm start and
 *   seed, one after the other (same machine, say the load: printed before and after each run).
 *   Timed from the end of step 1's first trial to the end of step N's update (the hooks `rollout`
 *   and `validation`), so the warm-start load, the floor and the final validation are left out.
 * - Costs: both final weights in a paired evaluation: the validation tasks × their trials per task,
 *   under K sampling seeds (the same K for both), pass@1..3 per seed and the paired difference
 *   (1 − 0) with its mean and sample std over the seeds. Samples one update old are trained on their
 *   recorded log-probs (off-policy by one version), which is what could cost skill.
 *
 *   npm run bench:overlap -- [--steps N (12)] [--eval-seeds K (3)] [--seed S (0)] [--out DIR (runs/bench-overlap)]
 *
 * Finished runs are reused (their report.json), so the bench resumes where it stopped.
 */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadTrainerCheckpoint } from '../src/learner/trainer/index.js';
import { OnnxPolicy } from '../src/policy/onnx/policy.js';
import { loadTrainConfig, type TrainConfig, validationOptions } from '../src/train/config.js';
import { type RolloutSummary, validate } from '../src/train/evaluate.js';
import { runTraining } from '../src/train/loop.js';
import { envOf, loadWarmStart, modelOf, warmStartDir } from '../src/train/warmstart.js';
import { deriveSeed } from '../src/util/rng.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '12' },
    'eval-seeds': { type: 'string', default: '3' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string', default: 'runs/bench-overlap' },
  },
});
const steps = Number(values.steps);
const evalSeeds = Number(values['eval-seeds']);
const seed = Number(values.seed);
const load = () => loadavg()[0]!.toFixed(1);

const configOf = (staleness: 0 | 1): TrainConfig =>
  loadTrainConfig({
    preset: 'paper',
    file: 'examples/bench-long.json',
    overrides: {
      seed,
      steps,
      out: join(values.out!, `staleness-${staleness}`),
      pipeline: { staleness },
      // the step-0 validation is the same for both: skipped (the last step's still runs)
      validation: { beforeTraining: false },
    },
  });

interface Timed {
  staleness: 0 | 1;
  seconds: number | null;
  rolloutSeconds: number;
  load: string;
}

/** One training run, timed from the end of step 1's first trial to the end of step N's update. */
async function train(staleness: 0 | 1): Promise<Timed> {
  const c = configOf(staleness);
  const out = c.out!;
  const before = load();
  if (existsSync(join(out, 'report.json'))) {
    console.log(`reusing ${out} (its step time is not re-measured)`);
    return { staleness, seconds: null, rolloutSeconds: 0, load: before };
  }
  await rm(out, { recursive: true, force: true });
  let start = 0;
  let end = 0;
  const hooks = {
    at: (phase: string, step: number) => {
      if (phase === 'rollout' && step === 1 && start === 0) start = performance.now();
      if (phase === 'validation' && step === steps) end = performance.now();
    },
  };
  console.log(`\n=== staleness ${staleness}: ${steps} steps (load ${before}) ===`);
  const { report } = await runTraining(c, { io: { out: process.stdout, bars: false }, hooks });
  const rolloutSeconds = report.history.reduce((s, h) => s + (h.rolloutSeconds ?? 0), 0);
  return { staleness, seconds: (end - start) / 1000, rolloutSeconds, load: `${before} → ${load()}` };
}

/** pass@1..3 of the run's final weights under evaluation sampling seed k. */
async function evaluate(staleness: 0 | 1, k: number): Promise<RolloutSummary> {
  const c = configOf(staleness);
  const trained = await loadTrainerCheckpoint(
    modelOf(c),
    { dir: join(c.out!, 'checkpoints'), every: 1 },
    (m) => console.log(m),
  );
  if (!trained) throw new Error(`${c.out} has no checkpoint`);
  const policy = await OnnxPolicy.fromParams(modelOf(c), trained.snapshot.state.params, 0, { seed: c.seed });
  try {
    const { envId, params } = envOf(c);
    const o = validationOptions(c, envId, params);
    const sampling = { ...o.sampling, seed: deriveSeed(seed, `overlap-eval-${k}`) };
    return (await validate(policy, { ...o, sampling })).summary;
  } finally {
    await policy.dispose();
  }
}

const stats = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return `${mean >= 0 ? '+' : ''}${mean.toFixed(3)} ± ${std.toFixed(3)}`;
};

async function main(): Promise<void> {
  const c0 = configOf(0);
  if ((await loadWarmStart(c0)) === null) {
    console.error(
      `no warm start in ${warmStartDir(c0)}: make it with npx lamer pretrain --preset paper --config examples/bench-long.json`,
    );
    process.exitCode = 2;
    return;
  }
  const timed = [await train(0), await train(1)];
  const passes: Record<0 | 1, number[][]> = { 0: [], 1: [] };
  for (let k = 0; k < evalSeeds; k++) {
    for (const s of [0, 1] as const) passes[s].push((await evaluate(s, k)).pass);
    console.log(
      `eval seed ${k}: staleness 0 ${fmt(passes[0][k]!)}, staleness 1 ${fmt(passes[1][k]!)} (load ${load()})`,
    );
  }
  console.log(`\nlong bench settings, ${steps} steps from the warm start ${warmStartDir(c0)}, seed ${seed}`);
  for (const t of timed)
    console.log(
      `staleness ${t.staleness}: steps 1..${steps} ${t.seconds === null ? 'reused (not timed)' : `${t.seconds.toFixed(0)} s (${(t.seconds / steps).toFixed(1)} s a step; rollouts ${t.rolloutSeconds.toFixed(0)} s)`} load ${t.load}`,
    );
  const [a, b] = timed;
  if (a!.seconds !== null && b!.seconds !== null)
    console.log(`staleness 1 ÷ 0, wall time of the steps: ${(b!.seconds / a!.seconds).toFixed(2)}`);
  const tasks = c0.validation.tasks;
  console.log(
    `final evaluation: ${tasks} tasks × ${c0.validation.trialsPerTask} trials × ${evalSeeds} sampling seeds (the same for both)`,
  );
  for (let j = 0; j < 3; j++) {
    const d = passes[1].map((p, k) => p[j]! - passes[0][k]![j]!);
    const m = (s: 0 | 1) => passes[s].reduce((x, p) => x + p[j]!, 0) / evalSeeds;
    console.log(
      `pass@${j + 1}: staleness 0 ${m(0).toFixed(3)}, staleness 1 ${m(1).toFixed(3)}, paired difference (1 − 0) ${stats(d)}`,
    );
  }
}

const fmt = (p: number[]) => p.map((x) => x.toFixed(3)).join(' / ');

await main();

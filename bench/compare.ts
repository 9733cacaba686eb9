/**
 * `npm run bench:compare`: paired evaluation of several trained models (issue 19's arms). Every
 * model plays the same validation tasks under the same K sampling seeds, each under the memory
 * protocol given with it, so the differences between rows are paired: same boards, same dice.
 * Prints, per model, the mean over the seeds of pass@1..N, pass@N − pass@1, trajectory entropy
 * (whole trials and attempt 1), the invalid-reply rate and the fatal-repeat rate (later attempts
 * that replay the action that lost an earlier one: MineSweeper's re-clicked known mine), each ±
 * its standard error over the seeds; then each model's paired difference from the first one
 * (mean ± s.e. of the per-seed differences). The s.e. is sampling noise on fixed tasks and
 * weights: it says whether two models differ on these boards, not across training seeds.
 *
 *   npm run bench:compare -- --model LABEL=DIR[@MEMORY] [--model ...] [--env minesweeper]
 *                            [--seeds 6] [--tasks 64] [--trials 4] [--attempts 3] [--out FILE.json] [--threads N]
 *
 * DIR is a folder with `checkpoints/` (a warm start or a training run; its newest complete
 * checkpoint is used); MEMORY is `none` (memory-less retries, the baselines' protocol),
 * `reflection_only`, `history_only` or `history_and_reflection` (default reflection_only).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { registerBuiltinEnvs } from '../src/envs/builtin.js';
import { getEnv, resolveParams } from '../src/envs/core/registry.js';
import type { Json, MemoryMode } from '../src/envs/core/types.js';
import { writeFileAtomic } from '../src/learner/atomic-write.js';
import { loadCheckpoint } from '../src/learner/checkpoint.js';
import { latestCheckpoint } from '../src/learner/checkpoint-dirs.js';
import type { ModelConfig } from '../src/learner/model.js';
import { f32Arrays } from '../src/learner/safetensors.js';
import { MODEL_CONFIG_FIELD } from '../src/learner/trainer/index.js';
import { OnnxPolicy } from '../src/policy/onnx/policy.js';
import { loadTrainConfig } from '../src/train/config.js';
import { type RolloutSummary, validate } from '../src/train/evaluate.js';
import { meanSe } from '../src/train/final-eval.js';
import { deriveSeed } from '../src/util/rng.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', multiple: true, default: [] },
    env: { type: 'string', default: 'minesweeper' },
    seeds: { type: 'string', default: '6' },
    tasks: { type: 'string', default: '64' },
    trials: { type: 'string', default: '4' },
    attempts: { type: 'string', default: '3' },
    out: { type: 'string' },
    threads: { type: 'string' },
  },
});
const MEMORY: readonly MemoryMode[] = ['none', 'reflection_only', 'history_only', 'history_and_reflection'];
const positive = (name: string, v: string | undefined) => {
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`--${name}: expected an integer >= 1, got "${v}"`);
  return n;
};
const seeds = positive('seeds', values.seeds);
const tasks = positive('tasks', values.tasks);
const trials = positive('trials', values.trials);
const attempts = positive('attempts', values.attempts);
const models = values.model!.map((spec) => {
  const m = /^([^=]+)=(.+?)(?:@([a-z_]+))?$/.exec(spec);
  if (!m) throw new Error(`--model: expected LABEL=DIR[@MEMORY], got "${spec}"`);
  const memory = (m[3] ?? 'reflection_only') as MemoryMode;
  if (!MEMORY.includes(memory))
    throw new Error(`--model ${spec}: memory must be one of ${MEMORY.join(', ')}, got "${memory}"`);
  return { label: m[1]!, dir: m[2]!, memory };
});
if (models.length === 0) throw new Error('give at least one --model LABEL=DIR[@MEMORY]');

registerBuiltinEnvs();
const env = getEnv(values.env!);
const params = resolveParams(env, undefined) as Json;
// The paper preset's validation: its fixed task set, sampling settings and style.
const base = loadTrainConfig({ preset: 'paper', overrides: { env: values.env! } });

async function weightsOf(dir: string): Promise<{ model: ModelConfig; params: Record<string, Float32Array> }> {
  const ref = await latestCheckpoint(join(dir, 'checkpoints'));
  if (!ref) throw new Error(`${dir}/checkpoints has no complete checkpoint`);
  const ck = await loadCheckpoint(ref.dir);
  return { model: ck.config[MODEL_CONFIG_FIELD] as ModelConfig, params: f32Arrays(ck.params) };
}

const rows: Array<{ label: string; dir: string; memory: MemoryMode; summaries: RolloutSummary[] }> = [];
for (const m of models) {
  const w = await weightsOf(m.dir);
  const policy = await OnnxPolicy.fromParams(w.model, w.params, 0, {
    seed: 0,
    ...(values.threads ? { intraOpNumThreads: positive('threads', values.threads) } : {}),
  });
  const summaries: RolloutSummary[] = [];
  try {
    for (let k = 0; k < seeds; k++) {
      const { summary } = await validate(policy, {
        envId: env.id,
        params,
        tasks,
        trialsPerTask: trials,
        seed: base.validation.seed,
        attempts,
        memoryMode: m.memory,
        style: base.style,
        sampling: { ...base.sampling.validation, seed: deriveSeed(0, 'compare', k) },
        concurrency: base.concurrency,
        runId: `compare-${k}`,
      });
      summaries.push(summary);
    }
  } finally {
    await policy.dispose();
  }
  rows.push({ ...m, summaries });
  console.log(`evaluated ${m.label} (${m.dir}, ${m.memory})`);
}

const fmt = (xs: number[]) => {
  const { mean, se } = meanSe(xs);
  return `${mean.toFixed(3)} ± ${se.toFixed(3)}`;
};
const columns: Array<[string, (s: RolloutSummary) => number]> = [
  ...Array.from({ length: attempts }, (_, k): [string, (s: RolloutSummary) => number] => [
    `pass@${k + 1}`,
    (s) => s.pass[k]!,
  ]),
  [`pass@${attempts} − pass@1`, (s) => s.pass[attempts - 1]! - s.pass[0]!],
  ['entropy', (s) => s.entropy],
  ['attempt-1 entropy', (s) => s.entropyByAttempt[0]!],
  ['invalid', (s) => s.invalidRate],
  ['fatal repeats', (s) => s.fatalRepeat ?? 0],
];
const head = `| model | memory | ${columns.map(([n]) => n).join(' | ')} |`;
const rule = `|---|---|${columns.map(() => '---').join('|')}|`;
const lines = [
  `Command: \`npm run bench:compare -- ${process.argv.slice(2).join(' ')}\` (${env.id}, ${tasks} validation tasks × ${trials} trials × ${seeds} sampling seeds; mean ± s.e. over the seeds)`,
  '',
  head,
  rule,
  ...rows.map(
    (r) => `| ${r.label} | ${r.memory} | ${columns.map(([, f]) => fmt(r.summaries.map(f))).join(' | ')} |`,
  ),
  '',
  `Paired differences from ${rows[0]!.label} (same tasks and sampling seeds):`,
  '',
  head,
  rule,
  ...rows
    .slice(1)
    .map(
      (r) =>
        `| ${r.label} − ${rows[0]!.label} | ${r.memory} | ${columns
          .map(([, f]) => fmt(r.summaries.map((s, k) => f(s) - f(rows[0]!.summaries[k]!))))
          .join(' | ')} |`,
    ),
  '',
];
console.log(`\n${lines.join('\n')}`);
if (values.out)
  await writeFileAtomic(values.out, `${JSON.stringify({ command: lines[0], rows }, null, 2)}\n`);

/**
 * `npm run bench:lessons`: does the built-in model act on its reflections?
 * For each seed of a finished `bench:paper` env (its warm start and its
 * trained LaMer model), plays the validation protocol (LaMer: reflections
 * between attempts) on --tasks tasks (default 64: the paper preset's
 * validation set), then counts,
 * over later-attempt turns where the lesson-aware expert and the plain solver
 * disagree, how often the model played each (`lessonUse`). The warm start's
 * targets are the lesson moves, so "lesson" near 100% means the model learned
 * to use its lessons; the two shares near equal means it ignores them.
 * Each model also plays with the env's rule reflections in place of its own
 * (`withRuleReflections`: the ceiling if its reflections were always right),
 * and on MineSweeper the cells its reflections name as mines / as safe are
 * checked against the real mines (`lessonTruth`). "pass@3 ÷ own" is each row's
 * pass@3 against the same model with its own reflections, measured in the same run.
 *
 *   npm run bench:lessons -- [--env minesweeper|sokoban] [--seeds N] [--tasks N] [--root DIR] [--warm-starts DIR]
 *
 * `--warm-starts DIR`: where the warm starts are when the bench ran with `--warm-starts` (default --root).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { getEnv } from '../src/envs/core/registry.js';
import { lessonTruth } from '../src/envs/minesweeper/lessons.js';
import type { MinesweeperState } from '../src/envs/minesweeper/rules.js';
import { loadTrainerCheckpoint } from '../src/learner/trainer/index.js';
import { OnnxPolicy } from '../src/policy/onnx/policy.js';
import { withRuleReflections } from '../src/policy/scripted.js';
import type { Policy } from '../src/policy/types.js';
import type { TrialRecord } from '../src/streams/types.js';
import { loadTrainConfig, validationOptions } from '../src/train/config.js';
import { validate } from '../src/train/evaluate.js';
import { lessonUse } from '../src/train/lesson-use.js';
import { envOf, loadWarmStart, modelOf } from '../src/train/warmstart.js';

const { values } = parseArgs({
  options: {
    env: { type: 'string', default: 'minesweeper' },
    seeds: { type: 'string', default: '3' },
    tasks: { type: 'string', default: '64' },
    root: { type: 'string', default: join('runs', 'bench-paper') },
    'warm-starts': { type: 'string' },
  },
});
const env = values.env!;
const root = values.root!;
const warmRoot = values['warm-starts'] ?? root;
const table = new Table({
  head: [
    'seed',
    'model',
    'reflections',
    'pass@1',
    'pass@3',
    'pass@3 ÷ own',
    'lesson turns',
    'disagree',
    'played lesson',
    'played solver',
    'named mines true',
    'named safe true',
  ],
});
const pct = (n: number, d: number) => (d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}%`);

/** MineSweeper: the share of cells the reflections name as mines / as safe that really are. */
function truthOf(records: readonly TrialRecord[], params: unknown): [string, string] {
  if (env !== 'minesweeper') return ['-', '-'];
  const t = { mines: 0, minesTrue: 0, safe: 0, safeTrue: 0 };
  for (const r of records) {
    const e = getEnv(r.envId);
    const board = e.initial(r.seed, params as never) as MinesweeperState;
    for (const s of r.samples) {
      const parsed = s.phase === 'reflect' ? e.parseReflection(s.response) : null;
      if (parsed?.kind !== 'reflection') continue;
      const x = lessonTruth(parsed.text, board);
      t.mines += x.mines;
      t.minesTrue += x.minesTrue;
      t.safe += x.safe;
      t.safeTrue += x.safeTrue;
    }
  }
  return [`${pct(t.minesTrue, t.mines)} of ${t.mines}`, `${pct(t.safeTrue, t.safe)} of ${t.safe}`];
}

for (let seed = 1; seed <= Number(values.seeds); seed++) {
  const c = loadTrainConfig({
    preset: 'paper',
    overrides: { env, algo: 'lamer', seed, warmStart: { dir: join(warmRoot, env, `warmstart-s${seed}`) } },
  });
  const model = modelOf(c);
  const ws = await loadWarmStart(c);
  const trained = await loadTrainerCheckpoint(
    model,
    {
      dir: join(root, env, `lamer-s${seed}`, 'checkpoints'),
      every: 1,
    },
    (m) => console.log(m),
  );
  const models: Array<[string, Record<string, Float32Array> | undefined]> = [
    ['warm start', ws?.params],
    ['LaMer trained', trained?.snapshot.state.params],
  ];
  const { envId, params } = envOf(c);
  for (const [name, weights] of models) {
    if (!weights) {
      console.log(`seed ${seed}: no ${name} model under ${root}/${env}: run npm run bench:paper first`);
      continue;
    }
    const policy = await OnnxPolicy.fromParams(model, weights, 0, { seed: c.seed });
    try {
      const runs: Array<[string, Policy]> = [
        ['own', policy],
        ['rule-written', withRuleReflections(policy)],
      ];
      const o = { ...validationOptions(c, envId, params), tasks: Number(values.tasks), runId: 'lessons' };
      let ownPass3 = Number.NaN;
      for (const [reflections, p] of runs) {
        const { summary, records } = await validate(p, o);
        if (reflections === 'own') ownPass3 = summary.pass[2]!;
        const u = lessonUse(records, params, o.memoryMode);
        table.push([
          seed,
          name,
          reflections,
          summary.pass[0]!.toFixed(3),
          summary.pass[2]!.toFixed(3),
          (summary.pass[2]! / ownPass3).toFixed(2),
          u.turns,
          u.disagreements,
          pct(u.followedLesson, u.disagreements),
          pct(u.followedSolver, u.disagreements),
          ...truthOf(records, params),
        ]);
      }
    } finally {
      await policy.dispose();
    }
  }
}
console.log(
  `${env}: validation protocol (LaMer, reflection_only), ${values.tasks} tasks × ${loadTrainConfig({ preset: 'paper' }).validation.trialsPerTask} trials`,
);
console.log(table.toString());

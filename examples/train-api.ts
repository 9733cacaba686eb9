/**
 * Training the built-in model from the API instead of the CLI: the same run
 * as `lamer train`, as a function call whose result you keep.
 *
 *   npm run example examples/train-api.ts   (in a clone; in your project: npx tsx file.ts)
 *
 * `loadTrainConfig` merges a preset, an optional JSON file and your overrides
 * into one validated config (a bad value names its field); `runTraining` makes
 * or reuses the warm start (supervised learning on noisy expert play), plays
 * the floor (random actions) and validates before, during and after the RL
 * steps, and writes history.jsonl, checkpoints and report.json/html under
 * `out`. The overrides below shrink everything so the example runs in under a
 * minute on a laptop; it checks the plumbing, it does not learn much. Drop
 * them (keep `env`) for the README's main job's training, ~7 minutes on 2 cores (its final
 * evaluation is `lamer train`'s, `runFinalEvaluation`).
 */
import { loadTrainConfig, runTraining } from 'lamer-ts';

const config = loadTrainConfig({
  preset: 'quick',
  overrides: {
    env: 'minesweeper',
    algo: 'lamer',
    seed: 1,
    steps: 2,
    tasksPerStep: 2,
    attemptBudget: 6,
    maxTurns: 3,
    sampling: { train: { maxTokens: 16 }, validation: { maxTokens: 16 } },
    validation: { every: 2, tasks: 4, trialsPerTask: 2 },
    model: { dModel: 16, nLayers: 1, nHeads: 2, ffnHidden: 32 },
    warmStart: { tasks: 8, trialsPerTask: 1, steps: 20, batchSize: 8, evalTasks: 4 },
    out: 'runs/example-train',
  },
});

// Progress lines as `lamer train` prints them; any { write(text) } works (a log file, a UI).
const { report, reportPaths } = await runTraining(config, { io: { out: process.stdout, bars: false } });

const pass = (p: readonly number[]) => p.map((x) => x.toFixed(3)).join(' / ');
// The built-in model's supervised warm start (absent for a pretrained `hf:` model, which starts RL directly).
const warm = report.warmStart;
if (warm) console.log(`warm start loss ${warm.losses[0]?.toFixed(3)} -> ${warm.losses.at(-1)?.toFixed(3)}`);
for (const entry of report.history) {
  if (entry.train)
    console.log(`step ${entry.step}: loss ${entry.train.loss.toFixed(4)}, ${entry.train.updates} updates`);
  if (entry.validation)
    console.log(`step ${entry.step}: validation pass@1..${config.attempts} ${pass(entry.validation.pass)}`);
}
if (report.floor)
  console.log(`floor (random actions): pass@1..${config.attempts} ${pass(report.floor.pass)}`);
console.log(`report: ${reportPaths.html}`);

/**
 * `npm run bench:step`: one PPO step of the `paper` preset's model on a LaMer-shaped batch, with the
 * micro-batches grouped by length (the default, `lengthChunks`) ÷ the same step with micro-batches in
 * the plan's order (the reference's), measured in the same run, alternating, from the same weights.
 *
 * The batch is one step of examples/bench-long.json (16 MineSweeper tasks × 8 trials × 3 attempts,
 * reflection_only memory, compact prompts) played by the noisy expert (solver moves, 25% random) with
 * the env's rule reflections, so prompt lengths are those of real play (short first-attempt prompts,
 * long prompts after reflections, long reflection prompts) without a trained model; replies are the
 * expert's text tokenized. Prints the padded-token ratio of each order and the median step times.
 *
 * Env: BENCH_ROUNDS (3: timed steps per order), BENCH_WARMUP (1: untimed steps per order first), BENCH_SEED (1).
 */
import Table from 'cli-table3';
import { runRollout } from '../src/actors/provide.js';
import { computeAdvantages } from '../src/learner/credit/index.js';
import {
  chunks,
  lengthChunks,
  Trainer,
  type TrainSequence,
  type TurnTokens,
  toSequence,
  trainerConfig,
} from '../src/learner/trainer/index.js';
import { promptTokens, turnMessages } from '../src/policy/onnx/tokens.js';
import { expertPolicy } from '../src/policy/scripted.js';
import { loadBuiltinTokenizer } from '../src/policy/tokenizer.js';
import type { TurnSample } from '../src/streams/types.js';
import { loadTrainConfig, trainingPlan, trajGammaOf } from '../src/train/config.js';
import { stepTaskSeeds } from '../src/train/train-tasks.js';
import { envOf, modelOf } from '../src/train/warmstart.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1);
const SEED = Number(process.env.BENCH_SEED ?? 1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const c = loadTrainConfig({ preset: 'paper', file: 'examples/bench-long.json', overrides: { seed: SEED } });
const { envId, params } = envOf(c);
const plan = trainingPlan(c);
const records = await runRollout({
  envId,
  params,
  tasks: stepTaskSeeds(c, 1).map((seed) => ({ seed })),
  trialsPerTask: plan.trialsPerTask,
  trial: {
    attempts: plan.attempts,
    memoryMode: plan.memoryMode,
    style: c.style,
    sampling: { ...c.sampling.train, seed: SEED },
  },
  runId: 'bench-step',
  concurrency: c.concurrency,
  policy: expertPolicy({ epsilon: 0.25 }),
});
const batch = computeAdvantages(records, {
  estimator: plan.estimator,
  stepGamma: c.stepGamma,
  trajGamma: trajGammaOf(c, envId),
  returnVariant: c.returnVariant,
  invalidPenalty: c.invalidPenalty,
});
const tok = loadBuiltinTokenizer();
const codec = { tokenizer: tok.tokenizer, chatTemplate: tok.chatTemplate! };
const tokensOf = (s: TurnSample): TurnTokens => ({
  promptTokens: promptTokens(codec, turnMessages(s)),
  responseTokens: tok.tokenizer.encode(s.response, { addSpecialTokens: false }),
});
const model = modelOf(c);

// Padded tokens of each order (what the micro-batches' forward/backward passes compute over).
const seqs: TrainSequence[] = batch.samples.map((s, i) =>
  toSequence(`${i}`, tokensOf(s), 0, model.maxSeqLen, 'truncate-prompt'),
);
const real = seqs.reduce((n, s) => n + s.tokens.length, 0);
const padded = (cs: TrainSequence[][]) =>
  cs.reduce((n, cc) => n + cc.length * Math.max(...cc.map((s) => s.tokens.length)), 0);
const micro = c.ppo.microBatchSize;
const reflections = batch.samples.filter((s) => s.phase === 'reflect').length;
console.log(
  `batch: ${seqs.length} turns (${reflections} reflections), ${real} tokens; micro-batches of ${micro}: ` +
    `padded ÷ real ${(padded(chunks(seqs, micro)) / real).toFixed(2)} in plan order, ` +
    `${(padded(lengthChunks(seqs, micro)) / real).toFixed(2)} grouped by length`,
);

const ORDERS = ['by-length', 'in-order'] as const;
const trainers = await Promise.all(
  ORDERS.map((microBatches) =>
    Trainer.create(
      trainerConfig({
        model,
        seed: SEED,
        lr: { kind: 'constant', lr: c.ppo.lr },
        miniBatchSize: c.ppo.miniBatchSize,
        microBatchSize: micro,
        lastMiniBatch: 'partial',
        overlong: 'truncate-prompt',
        microBatches,
      }),
      { tokens: tokensOf, logger: () => {} },
    ),
  ),
);
const times: Record<(typeof ORDERS)[number], number[]> = { 'by-length': [], 'in-order': [] };
try {
  for (let r = 0; r < WARMUP + ROUNDS; r++)
    for (const [k, order] of ORDERS.entries()) {
      // every round trains on-policy samples (older-version samples without log-probs would be dropped)
      const version = trainers[k]!.policyVersion;
      const current = { ...batch, samples: batch.samples.map((s) => ({ ...s, policyVersion: version })) };
      const t0 = performance.now();
      const stats = await trainers[k]!.trainPpo(current);
      if (r >= WARMUP) times[order].push((performance.now() - t0) / 1000);
      if (stats.stopped || stats.samples !== batch.samples.length)
        throw new Error(`the ${order} step trained ${stats.samples} samples, stopped: ${stats.stopped}`);
    }
} finally {
  await Promise.all(trainers.map((t) => t.dispose()));
}
const table = new Table({ head: ['micro-batches', 'median step (s)', 'steps (s)'] });
for (const order of ORDERS)
  table.push([order, median(times[order]).toFixed(2), times[order].map((t) => t.toFixed(2)).join(' ')]);
console.log(table.toString());
console.log(
  `by-length ÷ in-order step time: ${(median(times['by-length']) / median(times['in-order'])).toFixed(2)} (goal < 1)`,
);

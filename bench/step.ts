/**
 * `npm run bench:step`: one PPO step of the `paper` preset's model on a LaMer-shaped batch, with the
 * micro-batches grouped by length (the default, `lengthChunks`) ÷ the same step with micro-batches in
 * the plan's order (the reference's), measured in the same run, alternating, from the same weights.
 * Then the gradient graph over the same length-grouped micro-batches scoring the response window (the
 * Trainer's) ÷ scoring every position (the full layout), same weights and tokens, alternating.
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
import * as G from '../src/learner/graph/index.js';
import { paramShapes } from '../src/learner/model.js';
import { OnnxSession } from '../src/learner/session.js';
import type { TensorValue } from '../src/learner/session-core.js';
import { initTrainState } from '../src/learner/train-state.js';
import { buildGradGraph, trainGraphConfig } from '../src/learner/train-step.js';
import {
  chunks,
  lengthChunks,
  padSequences,
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

// The gradient graph alone: response window (what the Trainer feeds) ÷ full layout, same micro-batches.
/** The window feeds of padSequences laid out over every position (full layout): values at target_index + 1. */
function fullFeeds(w: Record<string, TensorValue>): Record<string, TensorValue> {
  const [B, T] = w.input_ids!.dims as [number, number];
  const index = w.target_index!.data as BigInt64Array;
  const spread = (name: string) => {
    const out = new Float32Array(B * T);
    const src = w[name]!.data as Float32Array;
    const mask = w.loss_mask!.data as Float32Array;
    index.forEach((at, j) => {
      if (mask[j] !== 0) out[Number(at) + 1] = src[j]!;
    });
    return { type: 'float32' as const, dims: [B, T], data: out };
  };
  return {
    input_ids: w.input_ids!,
    attention_mask: w.attention_mask!,
    loss_mask: spread('loss_mask'),
    advantages: spread('advantages'),
    old_logprobs: spread('old_logprobs'),
  };
}

const micros = lengthChunks(
  seqs.map((q, i) => ({ ...q, advantage: batch.advantages[i]!, onPolicy: true })),
  micro,
).map((m) => padSequences(m, { advantages: true, oldLogprobs: true }).feeds);
const weights = initTrainState(model, SEED).params;
const paramFeeds: Record<string, TensorValue> = {};
for (const [n, dims] of Object.entries(paramShapes(model)))
  paramFeeds[n] = { type: 'float32', dims, data: weights[n]! };
const LAYOUTS = ['window', 'full'] as const;
const sessions = await Promise.all(
  LAYOUTS.map(async (layout) =>
    OnnxSession.create(
      G.compileGraph(buildGradGraph(trainGraphConfig({ model, window: layout === 'window' }))),
    ),
  ),
);
const gradTimes: Record<(typeof LAYOUTS)[number], number[]> = { window: [], full: [] };
const numTokens: TensorValue = { type: 'float32', dims: [], data: Float32Array.of(1000) };
try {
  for (let r = 0; r < WARMUP + ROUNDS; r++)
    for (const [k, layout] of LAYOUTS.entries()) {
      const t0 = performance.now();
      for (const f of micros)
        await sessions[k]!.run({
          ...paramFeeds,
          ...(layout === 'window' ? f : fullFeeds(f)),
          num_tokens: numTokens,
        });
      if (r >= WARMUP) gradTimes[layout].push((performance.now() - t0) / 1000);
    }
} finally {
  await Promise.all(sessions.map((s) => s.dispose()));
}
const gradTable = new Table({ head: ['scored positions', 'median pass (s)', 'passes (s)'] });
for (const layout of LAYOUTS)
  gradTable.push([
    layout === 'window' ? 'response window' : 'every position',
    median(gradTimes[layout]).toFixed(2),
    gradTimes[layout].map((t) => t.toFixed(2)).join(' '),
  ]);
console.log(`gradient graph over the ${micros.length} length-grouped micro-batches:`);
console.log(gradTable.toString());
console.log(
  `response window ÷ every position: ${(median(gradTimes.window) / median(gradTimes.full)).toFixed(2)} (goal < 1)`,
);

/**
 * One training step over prepared sequences: split into mini-batches (one
 * epoch, lamer.md §7), each mini-batch's micro-batch gradients summed, then
 * one clip + AdamW update. A non-finite loss or non-finite new weights stop
 * the whole step: the caller keeps the weights it had before the step. A
 * non-finite gradient norm skips that one update (the reference's
 * _optimizer_step) and the step goes on.
 */
import { lrAt, type TrainState } from '../train-state.js';
import { padSequences, type TrainSequence } from './batch.js';
import type { TrainerConfig } from './config.js';
import type { LossKind, TrainerGraphs } from './graphs.js';
import { budgetedMicroBatches } from './memory.js';

/** Means over the applied updates of the step (NaN when none was applied). */
export interface StepMeans {
  loss: number;
  pgLoss: number;
  entropy: number;
  clipFrac: number;
  approxKl: number;
  gradNorm: number;
  lr: number;
  /** The low_var_kl penalty's KL to the reference weights, before each update (only with `loss.klCoef` > 0). */
  kl?: number;
}

export interface StepResult {
  /** The state after the step (the input state when `stopped`). */
  state: TrainState;
  means: StepMeans;
  updates: number;
  skippedUpdates: number;
  /** Response tokens trained on (mini-batch copies included). */
  tokens: number;
  /** Why the step was stopped (non-finite loss or weights); the weights were kept. */
  stopped?: string;
}

function addInto(acc: Record<string, Float32Array>, more: Readonly<Record<string, Float32Array>>): void {
  for (const [n, g] of Object.entries(more)) {
    const a = acc[n]!;
    for (let i = 0; i < a.length; i++) a[i]! += g[i]!;
  }
}

/** The name of the first parameter holding a NaN or an infinity, or null. */
export function firstNonFinite(params: Readonly<Record<string, Float32Array>>): string | null {
  for (const [n, p] of Object.entries(params)) for (const x of p) if (!Number.isFinite(x)) return n;
  return null;
}

const STAT_KEYS: Array<[keyof StepMeans, string]> = [
  ['loss', 'loss'],
  ['pgLoss', 'pg_loss'],
  ['entropy', 'entropy'],
  ['clipFrac', 'clipfrac'],
  ['approxKl', 'approx_kl'],
];

export async function runStep(
  graphs: TrainerGraphs,
  config: TrainerConfig,
  start: TrainState,
  seqs: readonly TrainSequence[],
  kind: LossKind,
  plan: readonly (readonly number[])[],
): Promise<StepResult> {
  const sums: StepMeans = { loss: 0, pgLoss: 0, entropy: 0, clipFrac: 0, approxKl: 0, gradNorm: 0, lr: 0 };
  let state = start;
  let updates = 0;
  let skippedUpdates = 0;
  let tokens = 0;
  const ppo = kind === 'ppo';
  const refLogprobs = ppo && config.loss.klCoef > 0;
  // the loss's denominator: the mini-batch's tokens, or its samples when each sample's tokens weigh 1/length
  const seqMean = config.lossAgg === 'seq-mean-token-mean';
  if (refLogprobs) sums.kl = 0;
  const stop = (why: string): StepResult => ({
    state: start,
    means: meansOf(sums, 0),
    updates: 0,
    skippedUpdates,
    tokens: 0,
    stopped: why,
  });
  // NaN old log-probs mean "on-policy" to the loss graph; a NaN that came from a policy or a pass is a
  // broken input, which must stop the step as a non-finite loss would, not pass as on-policy.
  const broken = ppo ? seqs.find((s) => s.oldLogprobs?.some(Number.isNaN)) : undefined;
  if (broken) return stop(`non-finite old log-probs (NaN) for turn ${broken.label}`);
  for (const [k, indices] of plan.entries()) {
    const mini = indices.map((i) => seqs[i]!);
    const miniTokens = mini.reduce((n, s) => n + s.tokens.length - s.responseStart, 0);
    let grads: Record<string, Float32Array> | undefined;
    const stats: Record<string, number> = {};
    const denominator = seqMean ? mini.length : Math.max(miniTokens, 1);
    const { model, microBatchSize, microBatchMiB, microBatches } = config;
    const micros = budgetedMicroBatches(mini, model, microBatchSize, microBatchMiB, microBatches);
    for (const micro of micros) {
      const { feeds } = padSequences(micro, { advantages: ppo, oldLogprobs: ppo, refLogprobs, seqMean });
      const r = await graphs.grad(kind, state.params, feeds, denominator);
      if (grads) addInto(grads, r.grads);
      else grads = r.grads;
      for (const [name, x] of Object.entries(r.stats)) stats[name] = (stats[name] ?? 0) + x;
    }
    const where = `mini-batch ${k + 1} of ${plan.length}`;
    const loss = stats.loss ?? Number.NaN;
    if (!Number.isFinite(loss)) return stop(`non-finite loss (${loss}) in ${where}`);
    const lr = lrAt(config.lr, state.step + 1);
    const applied = await graphs.apply(state, grads!, lr);
    if (applied.skipped) {
      skippedUpdates++;
      continue;
    }
    const bad = firstNonFinite(applied.state.params);
    if (bad !== null) return stop(`non-finite weights in "${bad}" after the update of ${where}`);
    state = applied.state;
    updates++;
    tokens += miniTokens;
    for (const [key, name] of STAT_KEYS) sums[key] += stats[name] ?? Number.NaN;
    if (sums.kl !== undefined) sums.kl += stats.kl ?? Number.NaN;
    sums.gradNorm += applied.gradNorm;
    sums.lr += lr;
  }
  return { state, means: meansOf(sums, updates), updates, skippedUpdates, tokens };
}

function meansOf(sums: StepMeans, n: number): StepMeans {
  const out = { ...sums };
  for (const k of Object.keys(out) as (keyof StepMeans)[]) out[k] = n > 0 ? sums[k]! / n : Number.NaN;
  return out;
}

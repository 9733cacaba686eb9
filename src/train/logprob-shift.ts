/**
 * Did a training step raise the replies it should? The mean change of each
 * play reply's summed log-prob, from the policy before the step to the updated
 * weights, for positive- and negative-advantage replies separately. A healthy
 * step raises the first and lowers the second; at our scale both often fall
 * (README, Training: the update spills from the many bad clicks onto the good
 * ones). "Before" is the reply's recorded sampling log-probs when they are the
 * learner's own (no top-k / top-p), else a rescoring before the update: under
 * truncation the sampler renormalises over the kept tokens, so its log-probs
 * read higher than the learner's and every reply would seem to fall.
 * It follows at most `maxReplies` of them (default 512, evenly spaced over the
 * batch, so every task is in it): one forward pass over those after the step,
 * two when rescoring. Following all ~1400 replies of a 64-task GiGPO batch cost
 * ~2.4 s of a ~13 s step; 512 cost ~0.9 s and read −0.006 / −0.066 where all
 * of them read −0.007 / −0.070 (same step).
 */
import type { CreditedBatch } from '../learner/credit/index.js';
import type { TurnTokens } from '../learner/trainer/index.js';
import type { TurnSample } from '../streams/types.js';

/** How an update moved the log-probabilities of the replies it trained on, split by the sign of their advantage (nats). */
export interface LogprobShift {
  /** Mean Δ summed log-prob (nats) of play replies with advantage > 0, and how many. */
  positive: number;
  positiveCount: number;
  /** The same for advantage < 0. */
  negative: number;
  negativeCount: number;
}

/** The replies a shift follows and their summed log-probs before the step. */
export interface ShiftBaseline {
  readonly turns: readonly TurnTokens[];
  readonly advantages: readonly number[];
  readonly before: readonly number[];
}

/** Scores turns with the trainer's current weights (the Trainer's `responseLogprobs`). */
export type ReplyScorer = (turns: readonly TurnTokens[]) => Promise<number[][]>;

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** The replies a shift follows by default. */
export const SHIFT_REPLIES = 512;

/** `max` items of `xs` evenly spaced from the first (all of them when there are no more than `max`). */
function evenlySpaced<T>(xs: readonly T[], max: number): T[] {
  if (xs.length <= max) return [...xs];
  return Array.from({ length: max }, (_, i) => xs[Math.floor((i * xs.length) / max)]!);
}

/**
 * Before the update: up to `maxReplies` play replies with a non-zero advantage and their log-probs,
 * recorded (`rescore` absent: they must carry sampling log-probs) or rescored with the weights before
 * the step.
 */
export async function shiftBaseline(
  batch: CreditedBatch,
  tokensOf: (sample: TurnSample) => TurnTokens,
  rescore?: ReplyScorer,
  maxReplies = SHIFT_REPLIES,
): Promise<ShiftBaseline> {
  const eligible: Array<{ sample: TurnSample; advantage: number }> = [];
  batch.samples.forEach((sample, i) => {
    const advantage = batch.advantages[i]!;
    if (sample.phase === 'play' && advantage !== 0 && (rescore || sample.logprobs !== undefined))
      eligible.push({ sample, advantage });
  });
  const picked = evenlySpaced(eligible, maxReplies);
  const turns = picked.map((p) => tokensOf(p.sample));
  const scored = rescore && turns.length > 0 ? await rescore(turns) : undefined;
  return {
    turns,
    advantages: picked.map((p) => p.advantage),
    before: picked.map((p, i) => sum(scored ? scored[i]! : p.sample.logprobs!)),
  };
}

/** After the update: the mean change by advantage sign. */
export async function logprobShift(base: ShiftBaseline, scoreAfter: ReplyScorer): Promise<LogprobShift> {
  const after = base.turns.length > 0 ? await scoreAfter(base.turns) : [];
  const shift: LogprobShift = { positive: 0, positiveCount: 0, negative: 0, negativeCount: 0 };
  base.advantages.forEach((advantage, i) => {
    const delta = sum(after[i]!) - base.before[i]!;
    if (advantage > 0) {
      shift.positive += delta;
      shift.positiveCount++;
    } else {
      shift.negative += delta;
      shift.negativeCount++;
    }
  });
  if (shift.positiveCount > 0) shift.positive /= shift.positiveCount;
  if (shift.negativeCount > 0) shift.negative /= shift.negativeCount;
  return shift;
}

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
 * One forward pass over the play replies after the step (two when rescoring).
 */
import type { CreditedBatch } from '../learner/credit/index.js';
import type { TurnTokens } from '../learner/trainer/index.js';
import type { TurnSample } from '../streams/types.js';

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

/**
 * Before the update: the play replies with a non-zero advantage and their log-probs, recorded
 * (`rescore` absent: they must carry sampling log-probs) or rescored with the weights before the step.
 */
export async function shiftBaseline(
  batch: CreditedBatch,
  tokensOf: (sample: TurnSample) => TurnTokens,
  rescore?: ReplyScorer,
): Promise<ShiftBaseline> {
  const picked: Array<{ sample: TurnSample; advantage: number }> = [];
  batch.samples.forEach((sample, i) => {
    const advantage = batch.advantages[i]!;
    if (sample.phase === 'play' && advantage !== 0 && (rescore || sample.logprobs !== undefined))
      picked.push({ sample, advantage });
  });
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

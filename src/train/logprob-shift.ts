/**
 * Did a training step raise the replies it should? The mean change of each
 * play reply's summed log-prob, from the policy that sampled it (its recorded
 * log-probs) to the updated weights, for positive- and negative-advantage
 * replies separately. A healthy step raises the first and lowers the second;
 * at our scale both often fall (README, Training: the update spills from the
 * many bad clicks onto the good ones). One forward pass over the play replies.
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

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** `logprobsOf` scores turns with the updated weights (the Trainer's `responseLogprobs`). */
export async function logprobShift(
  batch: CreditedBatch,
  tokensOf: (sample: TurnSample) => TurnTokens,
  logprobsOf: (turns: readonly TurnTokens[]) => Promise<number[][]>,
): Promise<LogprobShift> {
  const picked: Array<{ sample: TurnSample; advantage: number }> = [];
  batch.samples.forEach((sample, i) => {
    const advantage = batch.advantages[i]!;
    if (sample.phase === 'play' && sample.logprobs !== undefined && advantage !== 0)
      picked.push({ sample, advantage });
  });
  const after = picked.length > 0 ? await logprobsOf(picked.map((p) => tokensOf(p.sample))) : [];
  const shift: LogprobShift = { positive: 0, positiveCount: 0, negative: 0, negativeCount: 0 };
  picked.forEach((p, i) => {
    const delta = sum(after[i]!) - sum(p.sample.logprobs!);
    if (p.advantage > 0) {
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

import { describe, expect, it } from 'vitest';
import { recordedTokens, Trainer, type TurnTokens } from '../../src/learner/trainer/index.js';
import { logprobShift, shiftBaseline } from '../../src/train/logprob-shift.js';
import { BAD, credited, GOOD, PROMPT, sample, tinyTrainerConfig } from '../learner/trainer/fixtures.js';

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

describe('logprobShift', () => {
  it('reports the mean log-prob change of positive- and negative-advantage play replies over a step', async () => {
    const trainer = await Trainer.create(tinyTrainerConfig(), { logger: () => {} });
    const samples = [
      sample({ prompt: PROMPT, response: GOOD, turn: 0 }),
      sample({ prompt: PROMPT, response: BAD, turn: 1 }),
      sample({ prompt: PROMPT, response: GOOD, turn: 2 }),
      { ...sample({ prompt: PROMPT, response: BAD, turn: 3 }), phase: 'reflect' as const },
    ];
    // the sampling policy's log-probs: the trainer's weights before the step
    const before = await trainer.responseLogprobs(samples.map(recordedTokens));
    samples.forEach((s, i) => {
      s.logprobs = before[i]!;
    });
    const batch = credited(samples, [1, -1, 0, 1]);
    const base = await shiftBaseline(batch, recordedTokens);
    await trainer.trainPpo(batch);
    const shift = await logprobShift(base, (t) => trainer.responseLogprobs(t));
    // the zero-advantage reply and the reflection are not counted
    expect([shift.positiveCount, shift.negativeCount]).toEqual([1, 1]);
    expect(shift.positive).toBeGreaterThan(0);
    expect(shift.negative).toBeLessThan(0);
    const after = await trainer.responseLogprobs([recordedTokens(samples[0]!)]);
    expect(shift.positive).toBeCloseTo(sum(after[0]!) - sum(before[0]!), 5);
    await trainer.dispose();
  });

  it("rescores the replies before the step when their recorded log-probs are not the learner's (top-k / top-p)", async () => {
    const trainer = await Trainer.create(tinyTrainerConfig(), { logger: () => {} });
    const samples = [
      sample({ prompt: PROMPT, response: GOOD }),
      sample({ prompt: PROMPT, response: BAD, turn: 1 }),
    ];
    const score = (t: readonly TurnTokens[]) => trainer.responseLogprobs(t);
    const before = await score(samples.map(recordedTokens));
    // A truncated sampler renormalises over the kept tokens: its log-probs read higher (here 0, a sure pick).
    samples.forEach((s) => {
      s.logprobs = s.responseTokens!.map(() => 0);
    });
    const batch = credited(samples, [1, -1]);
    const recorded = await shiftBaseline(batch, recordedTokens);
    const rescored = await shiftBaseline(batch, recordedTokens, score);
    await trainer.trainPpo(batch);
    const after = (await score(samples.map(recordedTokens))).map(sum);
    const [viaRecorded, viaRescored] = [
      await logprobShift(recorded, score),
      await logprobShift(rescored, score),
    ];
    expect(viaRescored.positive).toBeCloseTo(after[0]! - sum(before[0]!), 5);
    expect(viaRescored.positive).toBeGreaterThan(0);
    expect(viaRecorded.positive).toBeLessThan(0); // the artefact the rescoring removes
    await trainer.dispose();
  });

  it('follows at most maxReplies replies, evenly spaced over the batch', async () => {
    const samples = Array.from({ length: 5 }, (_, turn) => ({
      ...sample({ prompt: PROMPT, response: turn % 2 === 0 ? GOOD : BAD, turn }),
      logprobs: [-(turn + 1)],
    }));
    const batch = credited(samples, [1, -1, 1, -1, 1]);
    const seen: number[] = [];
    const base = await shiftBaseline(batch, recordedTokens, undefined, 3);
    const shift = await logprobShift(base, async (turns) => {
      seen.push(turns.length);
      return turns.map(() => [0]);
    });
    expect(seen).toEqual([3]);
    // turns 0, 1 and 3 (indices ⌊i·5/3⌋): Δ = 0 − recorded
    expect(base.before).toEqual([-1, -2, -4]);
    expect(shift).toEqual({ positive: 1, positiveCount: 1, negative: 3, negativeCount: 2 });
    const all = await shiftBaseline(batch, recordedTokens);
    expect(all.turns).toHaveLength(5);
  });

  it('is zero with no scored play replies', async () => {
    const shift = await logprobShift(await shiftBaseline(credited([], []), recordedTokens), async () => []);
    expect(shift).toEqual({ positive: 0, positiveCount: 0, negative: 0, negativeCount: 0 });
  });
});

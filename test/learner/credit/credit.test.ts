import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  computeAdvantages,
  crossEpisodeReturns,
  episodeRewards,
  gigpoAdvantages,
  grpoAdvantages,
  penalisedScores,
  ppoBaselineAdvantages,
} from '../../../src/learner/credit/index.js';
import type { TrialRecord, TurnSample } from '../../../src/streams/types.js';

type S = Pick<TurnSample, 'phase' | 'attempt' | 'reward'>;
const play = (attempt: number, reward: number): S => ({ phase: 'play', attempt, reward });
const reflect = (attempt: number): S => ({ phase: 'reflect', attempt, reward: 1 });

// Reference §5.1 worked example: attempt0 [−0.1, −1.0] fail → reflect → attempt1 [−0.1, +10.9] win.
const worked: S[] = [play(0, -0.1), play(0, -1.0), reflect(1), play(1, -0.1), play(1, 10.9)];
const gammas = { stepGamma: 0.95, trajGamma: 0.6 };

function closeTo(actual: number[], expected: number[], digits = 6): void {
  expect(actual).toHaveLength(expected.length);
  for (const [i, a] of actual.entries()) expect(a).toBeCloseTo(expected[i]!, digits);
}

describe('cross-episode returns', () => {
  it('reproduces the reference worked example (code variant)', () => {
    closeTo(crossEpisodeReturns(worked, gammas), [4.79535, 5.153, 10.255, 10.255, 10.9]);
  });

  it('implements the paper variant by flag', () => {
    // g(attempt1) = [10.255, 10.9]; g(attempt0) = [−1.05, −1.0]; future(0) = 0.6 · 10.255
    closeTo(
      crossEpisodeReturns(worked, { ...gammas, variant: 'paper' }),
      [5.103, 5.153, 10.255, 10.255, 10.9],
    );
  });

  it('gives a trailing reflection (no attempt after it) a return of 0', () => {
    closeTo(crossEpisodeReturns([play(0, 1), reflect(1)], gammas), [1, 0]);
  });

  const rewards = fc.array(fc.double({ min: -20, max: 20, noNaN: true }), { minLength: 1, maxLength: 12 });
  const gamma = fc.double({ min: 0, max: 1, noNaN: true });

  test.prop([rewards, gamma], { numRuns: 200 })(
    'with γ_traj = γ_step and one attempt, returns are the ordinary discounted returns',
    (rs, g) => {
      const samples = rs.map((r) => play(0, r));
      const expected = rs.map((_, t) => rs.slice(t).reduce((acc, r, l) => acc + g ** l * r, 0));
      for (const variant of ['code', 'paper'] as const) {
        closeTo(crossEpisodeReturns(samples, { stepGamma: g, trajGamma: g, variant }), expected, 6);
      }
    },
  );

  test.prop([fc.array(rewards, { minLength: 1, maxLength: 3 }), gamma], { numRuns: 200 })(
    'code variant: with γ_traj = γ_step and no reflections, attempts chain into one discounted sequence',
    (attempts, g) => {
      const samples = attempts.flatMap((rs, a) => rs.map((r) => play(a, r)));
      const rs = samples.map((s) => s.reward);
      const expected = rs.map((_, t) => rs.slice(t).reduce((acc, r, l) => acc + g ** l * r, 0));
      closeTo(crossEpisodeReturns(samples, { stepGamma: g, trajGamma: g }), expected, 6);
    },
  );
});

describe('episode rewards and penalty', () => {
  it('sums each attempt, gives reflections 0, and subtracts 0.5 per invalid reply', () => {
    const ep = episodeRewards(worked);
    closeTo(ep, [-1.1, -1.1, 0, 10.8, 10.8]);
    closeTo(penalisedScores(ep, [true, false, false, true, true]), [-1.1, -1.6, -0.5, 10.8, 10.8]);
  });
});

describe('GiGPO (mean_norm)', () => {
  it('matches a hand-computed table: episode term over the task group, step term over equal anchors', () => {
    // Trial A = the worked example; trial B wins at once from the same initial state S0.
    const scores = [-1.1, -1.1, 0, 10.8, 10.8, 10.9];
    const stepReturns = [4.79535, 5.153, 10.255, 10.255, 10.9, 10.9];
    const anchors = ['S0', 'S1', 'reflection', 'S0', 'S2', 'S0'];
    const r = gigpoAdvantages({ scores, stepReturns, anchors, groupIds: Array(6).fill('task') });
    closeTo(r.episode, [-6.15, -6.15, -5.05, 5.75, 5.75, 5.85]);
    closeTo(r.step, [-3.854767, 0, 0, 1.604883, 0, 2.249883]);
    closeTo(r.advantages, [-10.004767, -6.15, -5.05, 7.354883, 5.75, 8.099883]);
  });

  it('keeps groups apart and uses mean 0 for a singleton task group', () => {
    const r = gigpoAdvantages({
      scores: [3, 1, 5],
      stepReturns: [3, 1, 5],
      anchors: ['a', 'a', 'a'],
      groupIds: ['x', 'x', 'y'],
    });
    closeTo(r.advantages, [1 + 1, -1 - 1, 5 + 0]);
  });

  it('divides by the unbiased std in mean_std_norm mode', () => {
    const r = gigpoAdvantages(
      { scores: [1, 3], stepReturns: [0, 0], anchors: ['a', 'b'], groupIds: ['g', 'g'] },
      { mode: 'mean_std_norm' },
    );
    closeTo(r.advantages, [-1 / (Math.SQRT2 + 1e-6), 1 / (Math.SQRT2 + 1e-6)]);
  });
});

describe('GRPO and the PPO-style baseline', () => {
  it('normalises within the task group; a singleton keeps its score', () => {
    closeTo(grpoAdvantages([1, 2, 3, 7], ['g', 'g', 'g', 'h']), [
      -1 / (1 + 1e-6),
      0,
      1 / (1 + 1e-6),
      7 / (1 + 1e-6),
    ]);
  });

  it('whitens step returns over the batch', () => {
    closeTo(ppoBaselineAdvantages([1, 3]), [-1 / (Math.SQRT2 + 1e-6), 1 / (Math.SQRT2 + 1e-6)]);
  });
});

describe('computeAdvantages', () => {
  const sample = (s: S & Partial<TurnSample>, i: number): TurnSample => ({
    taskId: 't',
    groupId: 'g',
    trialId: 'A',
    turn: i,
    prompt: '',
    response: '',
    valid: true,
    done: false,
    won: false,
    anchor: `S${i}`,
    policyVersion: 0,
    ...s,
  });
  const record = (trialId: string, samples: TurnSample[], failed?: string): TrialRecord => ({
    taskId: 't',
    groupId: 'g',
    trialId,
    envId: 'E',
    taskType: 'E',
    seed: 1,
    attempts: 3,
    samples,
    wonAt: null,
    ...(failed ? { failed } : {}),
  });

  it('chains returns, rewards, penalty and the estimator; failed trials are not trained on', () => {
    const a = record('A', worked.map(sample));
    const broken = record('B', [sample(play(0, 5), 0)], 'policy failed');
    const out = computeAdvantages([a, broken], { estimator: 'gigpo', ...gammas });
    expect(out.samples).toHaveLength(5);
    closeTo(out.stepReturns, [4.79535, 5.153, 10.255, 10.255, 10.9]);
    closeTo(out.scores, [-1.1, -1.1, 0, 10.8, 10.8]);
    const mean = (-1.1 - 1.1 + 0 + 10.8 + 10.8) / 5;
    closeTo(
      out.advantages,
      out.scores.map((s) => s - mean),
    ); // all anchors distinct → step term 0
  });
});

import { describe, expect, it } from 'vitest';
import { registerBuiltinEnvs } from '../../src/envs/builtin.js';
import { getEnv, resolveParams } from '../../src/envs/core/registry.js';
import { empiricalEntropy, trajectoryIdentities } from '../../src/metrics/trajectory-entropy.js';
import { randomPolicy } from '../../src/policy/scripted.js';
import { groupsOf, meanSummary, type RolloutSummary, validate } from '../../src/train/evaluate.js';

registerBuiltinEnvs();

describe('validation summary', () => {
  it('reports pass@k and the entropy of each attempt index, averaged over tasks', async () => {
    const { summary, records } = await validate(randomPolicy(), {
      envId: 'MineSweeper-v0',
      params: resolveParams(getEnv('MineSweeper-v0'), 'default'),
      tasks: 3,
      trialsPerTask: 4,
      seed: 11,
      attempts: 3,
      memoryMode: 'reflection_only',
      style: 'compact',
      sampling: { temperature: 1 },
    });
    expect(summary.trials).toBe(12);
    expect(summary.failedTrials).toBe(0);
    expect(summary.pass).toHaveLength(3);
    for (let k = 1; k < 3; k++) expect(summary.pass[k]).toBeGreaterThanOrEqual(summary.pass[k - 1]!);
    // Attempt j's entropy: the mean over tasks that played attempt j of H(attempt-j action sequences).
    const groups = groupsOf(records).map(trajectoryIdentities);
    for (let j = 0; j < 3; j++) {
      const hs = groups.flatMap((g) =>
        g.byAttempt.has(j) ? [empiricalEntropy(g.byAttempt.get(j)!).nats] : [],
      );
      const mean = hs.length === 0 ? 0 : hs.reduce((a, b) => a + b, 0) / hs.length;
      expect(summary.entropyByAttempt[j]).toBeCloseTo(mean, 12);
    }
    expect(summary.entropyByAttempt[0]).toBeGreaterThan(0);
    expect(summary.entropy).toBeLessThanOrEqual(Math.log(4) + 1e-12);
  });
});

describe('meanSummary', () => {
  const summary = (pass: number[], entropy: number, failed: number): RolloutSummary => ({
    trials: 8,
    pass,
    entropy,
    entropyNorm: entropy / Math.log(8),
    entropyByAttempt: [entropy / 2, entropy / 4],
    invalidRate: 0.1,
    reflectionErrorRate: 0,
    episodeReturn: entropy,
    failedTrials: failed,
  });

  it('averages the rates and entropies of evaluations under several sampling seeds, sums the trials', () => {
    const m = meanSummary([summary([0.25, 0.5], 1, 0), summary([0.5, 0.75], 2, 1)]);
    expect(m.entropyNorm).toBeCloseTo(1.5 / Math.log(8), 12);
    expect({ ...m, entropyNorm: 0 }).toEqual({
      trials: 16,
      pass: [0.375, 0.625],
      entropy: 1.5,
      entropyNorm: 0,
      entropyByAttempt: [0.75, 0.375],
      invalidRate: 0.1,
      reflectionErrorRate: 0,
      episodeReturn: 1.5,
      failedTrials: 1,
    });
    const one = summary([0.25, 0.5], 1, 0);
    expect(meanSummary([one])).toEqual(one);
    expect(() => meanSummary([])).toThrow(/at least one/);
  });
});

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
    // Random clicks re-click an earlier attempt's mine now and then: a rate over the later attempts that follow one.
    expect(summary.fatalRepeat).toBeGreaterThanOrEqual(0);
    expect(summary.fatalRepeat).toBeLessThan(1);
  });
});

describe('validation summary per task type', () => {
  it('reports pass@k per task type for envs with typed tasks (ALFWorld), and none for the others', async () => {
    const env = getEnv('ALFWorld-v0');
    const { summary, records } = await validate(randomPolicy(), {
      envId: env.id,
      params: resolveParams(env, 'all'),
      tasks: 12,
      trialsPerTask: 1,
      seed: 3,
      attempts: 2,
      memoryMode: 'reflection_only',
      style: 'compact',
      sampling: { temperature: 1 },
      maxTurns: 2,
    });
    const types = [...new Set(records.map((r) => r.taskType))].sort();
    expect(Object.keys(summary.passByType!)).toEqual(types);
    for (const t of types) {
      const rs = records.filter((r) => r.taskType === t);
      const pass1 = rs.filter((r) => r.wonAt === 0).length / rs.length;
      expect(summary.passByType![t]).toHaveLength(2);
      expect(summary.passByType![t]![0]).toBeCloseTo(pass1, 12);
    }
    const m = meanSummary([summary, summary]);
    expect(m.passByType).toEqual(summary.passByType);
    const other = await validate(randomPolicy(), {
      envId: 'MineSweeper-v0',
      params: resolveParams(getEnv('MineSweeper-v0'), 'default'),
      tasks: 2,
      trialsPerTask: 1,
      seed: 1,
      attempts: 1,
      memoryMode: 'none',
      style: 'compact',
      sampling: { temperature: 1 },
    });
    expect(other.summary.passByType).toBeUndefined();
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
    fatalRepeat: failed / 4,
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
      fatalRepeat: 0.125,
      failedTrials: 1,
    });
    const one = summary([0.25, 0.5], 1, 0);
    expect(meanSummary([one])).toEqual(one);
    expect(() => meanSummary([])).toThrow(/at least one/);
  });
});

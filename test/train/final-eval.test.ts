import { describe, expect, it } from 'vitest';
import { registerBuiltinEnvs } from '../../src/envs/builtin.js';
import { randomPolicy } from '../../src/policy/scripted.js';
import { loadTrainConfig } from '../../src/train/config.js';
import {
  type FinalEvaluation,
  finalEvaluation,
  formatFinalEvaluation,
  meanSe,
  passByTask,
} from '../../src/train/final-eval.js';
import { envOf } from '../../src/train/warmstart.js';
import { trial } from '../metrics/fixtures.js';

registerBuiltinEnvs();

describe('final evaluation', () => {
  it('passByTask: each task’s share of trials won within k attempts; failed trials count as lost', () => {
    const records = [
      trial([['a']], { taskId: 't1', trialId: 'x', wonAt: 0 }),
      trial([['a'], ['b'], ['c']], { taskId: 't1', trialId: 'y', wonAt: 2 }),
      trial([['a'], ['b']], { taskId: 't2', trialId: 'x', wonAt: 1 }),
      trial([['a']], { taskId: 't2', trialId: 'y', wonAt: 0, failed: 'policy error' }),
    ];
    expect(passByTask(records, 3)).toEqual({ t1: [0.5, 0.5, 1], t2: [0, 0.5, 0.5] });
  });

  it('meanSe: the mean and the sample standard deviation over √n', () => {
    expect(meanSe([1, 2, 3, 4])).toEqual({ mean: 2.5, se: Math.sqrt(5 / 3 / 4) });
    expect(meanSe([0.3])).toEqual({ mean: 0.3, se: 0 });
  });

  it('pairs the two models on the same tasks and dice: the same weights change nothing', async () => {
    const c = loadTrainConfig({
      preset: 'quick',
      overrides: { validation: { tasks: 6 }, finalEval: { seeds: 2, trialsPerTask: 2 } },
    });
    // Same policy for both: same tasks, same sampling seeds, so every per-task difference is 0.
    const policy = randomPolicy();
    const e = await finalEvaluation(c, envOf(c), c.finalEval!, { warmStart: policy, trained: policy });
    expect(e.tasks).toBe(6);
    expect(e.warmStart.summary.trials).toBe(6 * 2 * 2);
    expect(e.trained.summary.pass).toEqual(e.warmStart.summary.pass);
    for (const p of e.change.pass) expect(p).toEqual({ mean: 0, se: 0 });
    // the floor plays the same tasks under the same seeds; each row's pass@k is the mean of its tasks' rates
    expect(e.floor.summary.trials).toBe(6 * 2 * 2);
    expect(Object.keys(e.floor.byTask).sort()).toEqual(Object.keys(e.warmStart.byTask).sort());
    for (const [k, p] of e.warmStart.pass.entries()) {
      expect(p.mean).toBeCloseTo(e.warmStart.summary.pass[k]!, 10);
      expect(p.se).toBeGreaterThanOrEqual(0);
    }
    expect(formatFinalEvaluation(e, 'after 0 lamer steps').at(-1)).toMatch(
      /did not change pass@3 beyond the noise/,
    );
  });

  it('states a change of two standard errors or more plainly, with its size', () => {
    const s = {
      trials: 8,
      pass: [0.2, 0.3, 0.4],
      entropy: 1,
      entropyNorm: 0.5,
      entropyByAttempt: [1, 1, 1],
      invalidRate: 0,
      reflectionErrorRate: 0,
      episodeReturn: 0,
      failedTrials: 0,
      fatalRepeat: 0.1,
    };
    const m = (p: number[], se: number) => ({
      summary: s,
      byTask: {},
      pass: p.map((mean) => ({ mean, se })),
      delta: { mean: p[2]! - p[0]!, se },
    });
    const e: FinalEvaluation = {
      tasks: 64,
      trialsPerTask: 4,
      seeds: 2,
      memoryMode: 'history_only',
      floor: m([0.1, 0.15, 0.2], 0.01),
      warmStart: m([0.2, 0.3, 0.4], 0.02),
      trained: m([0.21, 0.32, 0.45], 0.03),
      change: {
        pass: [
          { mean: 0.01, se: 0.01 },
          { mean: 0.02, se: 0.01 },
          { mean: 0.05, se: 0.02 },
        ],
        delta: { mean: 0.04, se: 0.02 },
      },
    };
    const lines = formatFinalEvaluation(e, 'after 40 lamer steps');
    expect(lines.at(-1)).toBe('RL raised pass@3 by 0.050 ± 0.020 (2.5 standard errors over the 64 tasks).');
    expect(lines.at(-2)).toBe(
      'RL did not change pass@1 beyond the noise: +0.010 ± 0.010 (1.0 standard errors over the 64 tasks).',
    );
    expect(lines.at(-3)).toContain(
      '| RL changed (trained − warm start, paired) | +0.010 ± 0.010 | +0.020 ± 0.010 | +0.050 ± 0.020 | +0.040 ± 0.020 |',
    );
    // the three models side by side, each pass@k with its standard error
    expect(lines.slice(3, 6).map((l) => l.split(' | ').slice(0, 4).join(' | '))).toEqual([
      '| random actions (floor) | 0.100 ± 0.010 | 0.150 ± 0.010 | 0.200 ± 0.010',
      '| warm start | 0.200 ± 0.020 | 0.300 ± 0.020 | 0.400 ± 0.020',
      '| after 40 lamer steps | 0.210 ± 0.030 | 0.320 ± 0.030 | 0.450 ± 0.030',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { loadTrainConfig } from '../../src/train/config.js';
import { stepTaskSeeds } from '../../src/train/train-tasks.js';

const plan = { seed: 5, steps: 6, tasksPerStep: 3 };

describe('stepTaskSeeds', () => {
  it('gives every step fresh, distinct tasks by default', () => {
    const all = Array.from({ length: plan.steps }, (_, i) => stepTaskSeeds(plan, i + 1)).flat();
    expect(all).toHaveLength(18);
    expect(new Set(all).size).toBe(18);
    expect(stepTaskSeeds(plan, 2)).toEqual(stepTaskSeeds(plan, 2));
    expect(stepTaskSeeds({ ...plan, seed: 6 }, 1)).not.toEqual(stepTaskSeeds(plan, 1));
  });

  it('cycles a fixed pool, the first tasks of the fresh list', () => {
    const pooled = { ...plan, taskPool: 4 };
    const steps = Array.from({ length: 4 }, (_, i) => stepTaskSeeds(pooled, i + 1));
    const pool = [...stepTaskSeeds(plan, 1), stepTaskSeeds(plan, 2)[0]!];
    expect(new Set(steps.flat())).toEqual(new Set(pool));
    expect(steps[0]).toEqual(pool.slice(0, 3));
    expect(steps[1]).toEqual([pool[3], pool[0], pool[1]]);
    for (const s of steps) expect(new Set(s).size).toBe(3);
    expect(stepTaskSeeds({ ...plan, taskPool: 3 }, 5)).toEqual(stepTaskSeeds(plan, 1));
  });

  it('a pool smaller than a step is a config error naming the field', () => {
    expect(() =>
      loadTrainConfig({ preset: 'quick', overrides: { env: 'minesweeper', tasksPerStep: 2, taskPool: 1 } }),
    ).toThrow(/taskPool: expected at least tasksPerStep \(2\)/);
    expect(
      loadTrainConfig({ preset: 'quick', overrides: { env: 'minesweeper', tasksPerStep: 2, taskPool: 2 } })
        .taskPool,
    ).toBe(2);
  });
});

import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { SEED_RANGES, splitOf, taskSeeds, validationSeeds } from '../../../src/envs/core/index.js';

describe('task seeds', () => {
  it('keeps train and validation ranges disjoint', () => {
    expect(SEED_RANGES.train.max).toBeLessThan(SEED_RANGES.validation.min);
  });

  test.prop([fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 200 })], { numRuns: 200 })(
    'draws distinct seeds of the requested split, deterministically and prefix-stably',
    (seed, n) => {
      const train = taskSeeds('train', n, seed);
      const val = taskSeeds('validation', n, seed);
      expect(new Set(train).size).toBe(n);
      expect(train.every((s) => splitOf(s) === 'train')).toBe(true);
      expect(val.every((s) => splitOf(s) === 'validation')).toBe(true);
      expect(taskSeeds('train', n, seed)).toEqual(train);
      expect(taskSeeds('train', n + 3, seed).slice(0, n)).toEqual(train);
    },
  );

  it('fixes the validation set (same every call)', () => {
    expect(validationSeeds(16)).toEqual(validationSeeds(16));
    expect(validationSeeds(4, 1)).not.toEqual(validationSeeds(4, 2));
  });

  it('rejects impossible counts', () => {
    expect(() => taskSeeds('train', -1, 0)).toThrow(/integer >= 0/);
  });
});

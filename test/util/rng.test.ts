import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { deriveSeed, Rng } from '../../src/util/rng.js';

describe('Rng', () => {
  test.prop([fc.integer(), fc.integer({ min: 1, max: 50 })], { numRuns: 200 })(
    'same seed gives the same sequence; a saved state resumes it exactly',
    (seed, n) => {
      const a = Rng.seeded(seed);
      const b = Rng.seeded(seed);
      const xs = Array.from({ length: n }, () => a.int(0, 1000));
      expect(Array.from({ length: n }, () => b.int(0, 1000))).toEqual(xs);
      const saved = JSON.parse(JSON.stringify(a.state()));
      const next = [a.float(), a.int(-5, 5)];
      const resumed = Rng.fromState(saved);
      expect([resumed.float(), resumed.int(-5, 5)]).toEqual(next);
    },
  );

  test.prop([fc.integer(), fc.integer({ min: -100, max: 100 }), fc.integer({ min: 0, max: 100 })], {
    numRuns: 200,
  })('int stays within its bounds; shuffle is a permutation', (seed, lo, span) => {
    const rng = Rng.seeded(seed);
    const x = rng.int(lo, lo + span);
    expect(x).toBeGreaterThanOrEqual(lo);
    expect(x).toBeLessThanOrEqual(lo + span);
    const items = Array.from({ length: span }, (_, i) => i);
    expect(rng.shuffle(items).sort((p, q) => p - q)).toEqual(items);
  });

  it('decorrelates consecutive seeds (first draws look uniform across seeds 0..999)', () => {
    const first = Array.from({ length: 1000 }, (_, i) => Rng.seeded(i).float());
    const mean = first.reduce((a, b) => a + b, 0) / first.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    const lag1 = first.slice(1).reduce((acc, x, i) => acc + (x - mean) * (first[i]! - mean), 0);
    const variance = first.reduce((acc, x) => acc + (x - mean) ** 2, 0);
    expect(Math.abs(lag1 / variance)).toBeLessThan(0.1);
    const digits = new Set(Array.from({ length: 40 }, (_, i) => Rng.seeded(i).int(0, 9)));
    expect(digits.size).toBeGreaterThanOrEqual(8);
  });

  it('derives distinct, stable sub-seeds', () => {
    expect(deriveSeed(1, 'first-click')).toBe(deriveSeed(1, 'first-click'));
    expect(deriveSeed(1, 'first-click')).not.toBe(deriveSeed(2, 'first-click'));
    expect(deriveSeed(1, 'a')).not.toBe(deriveSeed(1, 'b'));
  });

  it('rejects non-finite seeds and empty picks', () => {
    expect(() => Rng.seeded(Number.NaN)).toThrow(/finite/);
    expect(() => Rng.seeded(1).pick([])).toThrow(/empty/);
  });
});

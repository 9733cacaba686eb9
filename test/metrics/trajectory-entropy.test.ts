import { fc, test } from '@fast-check/vitest';
import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  empiricalEntropy,
  trajectoryEntropy,
  trajectoryIdentities,
} from '../../src/metrics/trajectory-entropy.js';
import { finals, trial } from './fixtures.js';

describe('empiricalEntropy', () => {
  it('matches the hand-computed value of {a, a, b, c} in nats', () => {
    const h = empiricalEntropy(['a', 'a', 'b', 'c']);
    const expected = -(0.5 * Math.log(0.5) + 2 * 0.25 * Math.log(0.25));
    expect(expected).toBeCloseTo(1.0397, 4);
    expect(h.nats).toBeCloseTo(expected, 12);
    expect(h.normalised).toBeCloseTo(expected / Math.log(4), 12);
    expect(h).toMatchObject({ k: 4, distinct: 3 });
  });

  it('is 0 for identical trajectories and ln K (normalised 1) for distinct ones', () => {
    expect(empiricalEntropy(['x', 'x', 'x'])).toEqual({ nats: 0, normalised: 0, k: 3, distinct: 1 });
    const all = empiricalEntropy(['a', 'b', 'c', 'd', 'e']);
    expect(all.nats).toBeCloseTo(Math.log(5), 12);
    expect(all.normalised).toBeCloseTo(1, 12);
    expect(empiricalEntropy(['only'])).toEqual({ nats: 0, normalised: 0, k: 1, distinct: 1 });
  });
});

describe('trajectoryEntropy', () => {
  // One task, 4 trials whose first attempts are {a b, a b, b a, c} and second attempts {x, y} (two trials won at attempt 0).
  const group = {
    taskId: 't0',
    records: [
      trial([['a', 'b']], { wonAt: 0 }),
      trial([['a', 'b']], { wonAt: 0 }),
      trial([['b', 'a'], ['x']]),
      trial([['c'], ['y']]),
    ],
  };

  it('identifies a trajectory by its play actions, per attempt and per whole trial', () => {
    const ids = trajectoryIdentities(group);
    expect(ids.byAttempt.get(0)).toEqual(['["a","b"]', '["a","b"]', '["b","a"]', '["c"]']);
    expect(ids.byAttempt.get(1)).toEqual(['["x"]', '["y"]']);
    expect(new Set(ids.trial).size).toBe(3);
  });

  it('reports the mean entropy over tasks, overall and per attempt', async () => {
    const same = { taskId: 't1', records: [trial([['a']]), trial([['a']])] };
    const f = await finals(from([group, same]).pipe(trajectoryEntropy()));
    const h4 = -(0.5 * Math.log(0.5) + 2 * 0.25 * Math.log(0.25));
    // Whole-trial identities of `group` are {ab, ab, [ba,x], [c,y]}: the same distribution as attempt 1.
    expect(f['entropy']).toBeCloseTo((h4 + 0) / 2, 12);
    expect(f['entropy{attempt=1}']).toBeCloseTo((h4 + 0) / 2, 12);
    expect(f['entropy_norm{attempt=1}']).toBeCloseTo(h4 / Math.log(4) / 2, 12);
    // Attempt 2 was played by two trials of `group` only, both distinct: ln 2, normalised 1.
    expect(f['entropy{attempt=2}']).toBeCloseTo(Math.log(2), 12);
    expect(f['entropy_norm{attempt=2}']).toBeCloseTo(1, 12);
  });

  it('does not count reflections or rewards in the identity', () => {
    const a = trial([['a'], ['b']], { rewards: [[0], [5]] });
    const b = trial([['a'], ['b']], { rewards: [[-1], [0]] });
    b.samples.find((s) => s.phase === 'reflect')!.response = 'something else';
    const ids = trajectoryIdentities({ taskId: 't', records: [a, b] });
    expect(ids.trial[0]).toBe(ids.trial[1]);
  });
});

describe('empiricalEntropy properties', () => {
  test.prop([fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 30 })])(
    'lies in [0, ln K], is 0 iff all identities are equal, and ignores order',
    (ids) => {
      const h = empiricalEntropy(ids);
      expect(h.nats).toBeGreaterThanOrEqual(0);
      expect(h.nats).toBeLessThanOrEqual(Math.log(ids.length) + 1e-12);
      expect(h.nats === 0).toBe(new Set(ids).size === 1);
      expect(empiricalEntropy([...ids].reverse()).nats).toBeCloseTo(h.nats, 12);
      expect(h.normalised).toBeLessThanOrEqual(1 + 1e-12);
    },
  );
});

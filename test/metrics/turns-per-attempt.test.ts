import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { turnsPerAttempt } from '../../src/metrics/turns-per-attempt.js';
import { finals, trial } from './fixtures.js';

describe('turnsPerAttempt', () => {
  it('averages play turns per attempt, overall and per attempt number, excluding reflections', async () => {
    const trials = [trial([['a', 'b', 'c']], { wonAt: 0 }), trial([['a'], ['b', 'c']], { wonAt: 1 })];
    const f = await finals(from(trials).pipe(turnsPerAttempt()));
    // attempts: 3, 1, 2 turns
    expect(f['turns_per_attempt']).toBeCloseTo(2, 12);
    expect(f['turns_per_attempt{attempt=1}']).toBe(2);
    expect(f['turns_per_attempt{attempt=2}']).toBe(2);
  });
});

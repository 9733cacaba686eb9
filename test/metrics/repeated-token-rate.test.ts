import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { repeatedTokenRate, repetitionRatio } from '../../src/metrics/repeated-token-rate.js';
import { finals, turn } from './fixtures.js';

describe('repetitionRatio (rep-n)', () => {
  it('is 1 − distinct n-grams / n-grams over lower-cased words', () => {
    // 7 words → 4 four-grams, all the same: 1 − 1/4
    expect(repetitionRatio('up up up up UP up up')).toBeCloseTo(0.75, 12);
    expect(repetitionRatio('I move the box left then up', 4)).toBe(0);
    // bigrams of "a b a b a": ab ba ab ba → 2 distinct of 4
    expect(repetitionRatio('a b a b a', 2)).toBe(0.5);
  });

  it('is 0 for replies shorter than n words', () => {
    expect(repetitionRatio('up up up', 4)).toBe(0);
    expect(repetitionRatio('', 4)).toBe(0);
  });
});

describe('repeatedTokenRate', () => {
  it('flags replies whose ratio is above the threshold and reports the mean ratio', async () => {
    const turns = [
      turn({ response: 'up up up up up up up' }),
      turn({ response: 'I think left is best <action>left</action>' }),
      turn({ response: 'a b a b a', phase: 'reflect' }),
    ];
    const f = await finals(from(turns).pipe(repeatedTokenRate({ n: 2, threshold: 0.5 })));
    // ratios with n=2: 5/6, 0, 0.5 → only the first is above 0.5
    expect(f['repeated_token_rate']).toBeCloseTo(1 / 3, 12);
    expect(f['repetition_mean']).toBeCloseTo((5 / 6 + 0 + 0.5) / 3, 12);
  });
});

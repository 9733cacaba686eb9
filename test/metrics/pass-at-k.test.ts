import { fc, test } from '@fast-check/vitest';
import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { passAtK } from '../../src/metrics/pass-at-k.js';
import { collect, finals, trial } from './fixtures.js';

describe('passAtK', () => {
  it('is cumulative success by attempt (hand-computed: wins at [0, 2, null, 1])', async () => {
    const trials = [
      trial([['a']], { wonAt: 0 }),
      trial([['a'], ['b'], ['c']], { wonAt: 2 }),
      trial([['a'], ['b'], ['c']]),
      trial([['a'], ['b']], { wonAt: 1 }),
    ];
    const f = await finals(from(trials).pipe(passAtK({ k: 3 })));
    expect(f['pass@1']).toBeCloseTo(0.25, 12);
    expect(f['pass@2']).toBeCloseTo(0.5, 12);
    expect(f['pass@3']).toBeCloseTo(0.75, 12);
    expect(f['failed_trials']).toBe(0);
  });

  it('reads wins from the play turns, not from wonAt', async () => {
    const t = trial([['a'], ['b']], { wonAt: 1 });
    const f = await finals(from([{ ...t, wonAt: null }]).pipe(passAtK({ k: 2 })));
    expect(f['pass@1']).toBe(0);
    expect(f['pass@2']).toBe(1);
  });

  it('counts failed trials as failures and reports them separately', async () => {
    const trials = [
      trial([['a']], { wonAt: 0 }),
      trial([['a']], { failed: 'policy error' }),
      trial([['a']], { wonAt: 0, failed: 'policy error after win' }),
    ];
    const events = await collect(from(trials).pipe(passAtK({ k: 1 })));
    const last = events.slice(-2);
    expect(last[0]).toMatchObject({ name: 'pass@1', count: 3, step: 3, scope: 'trial' });
    expect(last[0]!.value).toBeCloseTo(1 / 3, 12);
    expect(last[1]).toMatchObject({ name: 'failed_trials', value: 2, count: 3 });
  });

  it('emits pass@1..K after every trial, K defaulting to the trials attempts', async () => {
    const events = await collect(from([trial([['a']]), trial([['a']], { wonAt: 0 })]).pipe(passAtK()));
    expect(events.map((e) => `${e.name}@${e.step}=${e.value}`)).toEqual([
      'pass@1@1=0',
      'pass@2@1=0',
      'pass@3@1=0',
      'failed_trials@1=0',
      'pass@1@2=0.5',
      'pass@2@2=0.5',
      'pass@3@2=0.5',
      'failed_trials@2=0',
    ]);
  });

  it('ignores wins after attempt k', async () => {
    const f = await finals(from([trial([['a'], ['b'], ['c']], { wonAt: 2 })]).pipe(passAtK({ k: 2 })));
    expect(f).toEqual({ 'pass@1': 0, 'pass@2': 0, failed_trials: 0 });
  });

  it('keeps independent state per subscription', async () => {
    const stream = from([trial([['a']], { wonAt: 0 })]).pipe(passAtK({ k: 1 }));
    await collect(stream);
    expect((await finals(stream))['pass@1']).toBe(1);
  });
});

describe('passAtK properties', () => {
  test.prop([
    fc.array(fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }), { minLength: 1, maxLength: 20 }),
  ])(
    'is non-decreasing in k, within [0, 1], and pass@3 is the share of trials that ever won',
    async (wins) => {
      const trials = wins.map((w) =>
        trial(
          Array.from({ length: w === null ? 3 : w + 1 }, () => ['a']),
          { wonAt: w },
        ),
      );
      const f = await finals(from(trials).pipe(passAtK({ k: 3 })));
      const p = [f['pass@1']!, f['pass@2']!, f['pass@3']!];
      expect(p[0]).toBeLessThanOrEqual(p[1]!);
      expect(p[1]).toBeLessThanOrEqual(p[2]!);
      expect(p[0]).toBeGreaterThanOrEqual(0);
      expect(p[2]).toBeCloseTo(wins.filter((w) => w !== null).length / wins.length, 12);
    },
  );
});

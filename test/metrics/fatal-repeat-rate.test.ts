import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { fatalRepeatRate } from '../../src/metrics/fatal-repeat-rate.js';
import type { TrialRecord } from '../../src/streams/types.js';
import { collect, finals, trial } from './fixtures.js';

/** A trial whose listed attempts end with a loss on their last action (a mine), the rest out of turns or won. */
function withLosses(actions: string[][], lost: number[], wonAt: number | null = null): TrialRecord {
  const r = trial(actions, { wonAt });
  for (const attempt of lost) {
    const last = r.samples.filter((s) => s.phase === 'play' && s.attempt === attempt).at(-1)!;
    last.done = true;
    last.won = false;
  }
  return r;
}

describe('fatalRepeatRate', () => {
  it('counts later attempts that replay an action that ended an earlier attempt in a loss', async () => {
    const trials = [
      // mine at (2, 2) in attempt 1; attempt 2 clicks it again; attempt 3 avoids both known mines
      withLosses(
        [
          ['(1, 1)', '(2, 2)'],
          ['(1, 1)', '(2, 2)'],
          ['(1, 1)', '(4, 4)'],
        ],
        [0, 1],
      ),
      // mine at (3, 3), then attempt 2 avoids it and wins
      withLosses([['(3, 3)'], ['(1, 1)', '(5, 5)']], [0], 1),
    ];
    const f = await finals(from(trials).pipe(fatalRepeatRate()));
    expect(f['fatal_repeat_rate{attempt=2}']).toBeCloseTo(1 / 2, 12);
    expect(f['fatal_repeat_rate{attempt=3}']).toBe(0);
    expect(f['fatal_repeat_rate']).toBeCloseTo(1 / 3, 12);
  });

  it('has no fatal action after an attempt that ran out of turns or won, so emits nothing', async () => {
    // attempt 1 ran out of turns (its last turn is not done): (2, 2) is not known to be fatal
    const events = await collect(
      from([withLosses([['(2, 2)'], ['(2, 2)']], []), trial([['a']], { wonAt: 0 })]).pipe(fatalRepeatRate()),
    );
    expect(events).toEqual([]);
  });

  it('tags the per-attempt series and counts the attempts in each rate', async () => {
    const events = await collect(from([withLosses([['x'], ['x'], ['y']], [0])]).pipe(fatalRepeatRate()));
    expect(events.map((e) => [e.name, e.tags, e.value, e.count])).toEqual([
      ['fatal_repeat_rate', {}, 0.5, 2],
      ['fatal_repeat_rate', { attempt: '2' }, 1, 1],
      ['fatal_repeat_rate', { attempt: '3' }, 0, 1],
    ]);
  });
});

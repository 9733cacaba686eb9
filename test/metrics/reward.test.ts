import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { reward } from '../../src/metrics/reward.js';
import { collect, finals, trial } from './fixtures.js';

describe('reward', () => {
  it('is the mean per-attempt sum of play rewards', async () => {
    const trials = [
      trial([['a', 'b'], ['c']], { rewards: [[-0.1, -0.1], [1]] }),
      trial([['a', 'b']], { rewards: [[0.5, 0.5]] }),
    ];
    const f = await finals(from(trials).pipe(reward()));
    expect(f['episode_return{attempt=1}']).toBeCloseTo((-0.2 + 1) / 2, 12);
    expect(f['episode_return{attempt=2}']).toBeCloseTo(1, 12);
    expect(f['episode_return']).toBeCloseTo((-0.2 + 1 + 1) / 3, 12);
  });

  it('tags the per-attempt series and counts the attempts in each mean', async () => {
    const events = await collect(from([trial([['a'], ['b']])]).pipe(reward()));
    expect(events.map((e) => [e.name, e.tags, e.count])).toEqual([
      ['episode_return', {}, 2],
      ['episode_return', { attempt: '1' }, 1],
      ['episode_return', { attempt: '2' }, 1],
    ]);
  });
});

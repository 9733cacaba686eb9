import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { trialSummaries } from '../../src/live/trial-summaries.js';
import { summarize } from '../../src/train/evaluate.js';
import { trial } from '../metrics/fixtures.js';

describe('trialSummaries', () => {
  const records = [
    trial([['a'], ['b']], { taskId: 't0', trialId: 't0#0', wonAt: 1 }),
    trial([['a']], { taskId: 't0', trialId: 't0#1', wonAt: 0 }),
    trial([['c'], ['d'], ['e']], { taskId: 't1', trialId: 't1#0' }),
    trial([['c'], ['c']], { taskId: 't1', trialId: 't1#1', wonAt: 1, failed: 'PolicyError: x' }),
  ];

  it("one summary per trial with the rollout's running metrics; the last equals the final summary", async () => {
    const out = await lastValueFrom(
      from(records).pipe(trialSummaries({ phase: 'eval', attempts: 3, trialsPerTask: 2 }), toArray()),
    );
    expect(out.map((s) => [s.trialId, s.trials, s.wonAt, s.failed])).toEqual([
      ['t0#0', 1, 1, false],
      ['t0#1', 2, 0, false],
      ['t1#0', 3, null, false],
      ['t1#1', 4, 1, true],
    ]);
    // pass@k is running: after the first trial (won at attempt 2) pass@1 = 0, pass@2 = 1
    expect(out[0]!.metrics['pass@1']).toBe(0);
    expect(out[0]!.metrics['pass@2']).toBe(1);
    // entropy counts a task once all its trials finished
    expect(out[0]!.metrics.entropy).toBeUndefined();
    expect(out[1]!.metrics.entropy).toBeGreaterThan(0);
    const final = await summarize(records, 3);
    const last = out.at(-1)!.metrics;
    expect(final.pass).toEqual([last['pass@1'], last['pass@2'], last['pass@3']]);
    expect(last.entropy).toBeCloseTo(final.entropy, 12);
    expect(last.invalid_action_rate).toBe(final.invalidRate);
    expect(last.episode_return).toBe(final.episodeReturn);
    expect(last.failed_trials).toBe(1);
  });
});

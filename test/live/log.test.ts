import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { LiveLog, liveMetrics } from '../../src/live/log.js';

const clock = () => {
  let now = 1000;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
};

describe('LiveLog and liveMetrics', () => {
  it('stamps sequence numbers, time, step and policy version; a late subscriber gets everything', async () => {
    const c = clock();
    const log = new LiveLog({ now: c.now });
    const early: number[] = [];
    liveMetrics(log).subscribe((e) => early.push(e.seq));
    log.publish({ kind: 'warmstart', losses: [1] });
    log.at(3, 2);
    c.advance(250);
    const e = log.publish({ kind: 'warmstart', losses: [2] })!;
    expect(e).toMatchObject({ seq: 1, t: 250, step: 3, policyVersion: 2 });
    expect(log.publish({ kind: 'warmstart', losses: [3] }, { step: 4, policyVersion: 5 })).toMatchObject({
      step: 4,
      policyVersion: 5,
    });
    const late = lastValueFrom(liveMetrics({ live: log }).pipe(toArray()));
    log.publish({ kind: 'end', seconds: 1 });
    expect(log.publish({ kind: 'warmstart', losses: [] })).toBeNull(); // after the end: ignored
    expect((await late).map((x) => x.seq)).toEqual([0, 1, 2, 3]);
    expect(early).toEqual([0, 1, 2, 3]);
    expect(log.ended).toBe(true);
  });

  it('since: only what came after; a finished run replays and completes', async () => {
    const log = new LiveLog();
    for (let i = 0; i < 5; i++) log.publish({ kind: 'warmstart', losses: [i] });
    log.publish({ kind: 'end', seconds: 0 });
    expect(log.history(2).map((e) => e.seq)).toEqual([3, 4, 5]);
    const after = await lastValueFrom(liveMetrics(log, { since: 3 }).pipe(toArray()));
    expect(after.map((e) => e.seq)).toEqual([4, 5]);
  });
});

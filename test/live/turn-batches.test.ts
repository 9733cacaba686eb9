import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { TurnBatch } from '../../src/live/events.js';
import { turnBatches } from '../../src/live/turn-batches.js';
import type { TurnSample } from '../../src/streams/types.js';
import { turn } from '../metrics/fixtures.js';

/** A turnBatches pipe whose macrotask boundary is called by hand. */
function harness(size?: number) {
  const source = new Subject<TurnSample>();
  const flushes: (() => void)[] = [];
  const batches: TurnBatch[] = [];
  let completed = false;
  source
    .pipe(turnBatches({ phase: 'eval', ...(size ? { size } : {}), later: (f) => void flushes.push(f) }))
    .subscribe({ next: (b) => batches.push(b), complete: () => (completed = true) });
  const boundary = () => {
    for (const f of flushes.splice(0)) f();
  };
  return { source, batches, boundary, isCompleted: () => completed };
}

describe('turnBatches', () => {
  it('one batch per macrotask: the replies of one policy call, with their counts', () => {
    const h = harness();
    h.source.next(turn({ responseTokens: [1, 2], logprobs: [-0.5, -1.5] }));
    h.source.next(turn({ valid: false, response: 'no tags', responseTokens: [3], logprobs: [-1] }));
    h.source.next(turn({ phase: 'reflect', response: '<remark>r</remark>' }));
    expect(h.batches).toEqual([]);
    h.boundary();
    h.source.next(turn({ phase: 'reflect', valid: false, response: 'none' }));
    h.boundary();
    expect(h.batches).toEqual([
      {
        kind: 'turns',
        phase: 'eval',
        turns: 3,
        play: 2,
        invalid: 1,
        reflect: 1,
        formatErrors: 1,
        tokens: 3,
        tokenEntropy: 1, // −(−0.5 − 1.5 − 1) / 3
        totalTurns: 3,
      },
      {
        kind: 'turns',
        phase: 'eval',
        turns: 1,
        play: 0,
        invalid: 0,
        reflect: 1,
        formatErrors: 1,
        tokens: 0,
        tokenEntropy: null,
        totalTurns: 4,
      },
    ]);
  });

  it('an instant policy (many rounds in one macrotask) is cut at `size` turns; completion flushes the rest', () => {
    const h = harness(4);
    for (let i = 0; i < 10; i++) h.source.next(turn());
    expect(h.batches.map((b) => b.turns)).toEqual([4, 4]);
    h.source.complete();
    expect(h.batches.map((b) => b.turns)).toEqual([4, 4, 2]);
    expect(h.batches.at(-1)!.totalTurns).toBe(10);
    expect(h.isCompleted()).toBe(true);
  });

  it('by default a batch ends with the macrotask (setImmediate)', async () => {
    const source = new Subject<TurnSample>();
    const batches: TurnBatch[] = [];
    source.pipe(turnBatches({ phase: 'rollout' })).subscribe((b) => batches.push(b));
    source.next(turn());
    await Promise.resolve();
    source.next(turn());
    expect(batches).toHaveLength(0);
    await new Promise((r) => setImmediate(r));
    expect(batches.map((b) => b.turns)).toEqual([2]);
  });
});

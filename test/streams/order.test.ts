import { concat, from, lastValueFrom, tap, throwError, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { inPlanOrder, OrderError } from '../../src/streams/order.js';

const byIndex = (v: { i: number }) => v.i;

describe('inPlanOrder', () => {
  it('releases values in plan order as soon as their predecessors left', () => {
    const released: string[] = [];
    const arrivals = [2, 0, 3, 1, 4].map((i) => ({ i }));
    from(arrivals)
      .pipe(
        inPlanOrder(byIndex),
        tap((v) => released.push(`out ${v.i}`)),
      )
      .subscribe();
    // Logged with the arrivals: 0 leaves on arrival, 1 releases 1..3, 4 leaves on arrival.
    const log: string[] = [];
    from(arrivals)
      .pipe(
        tap((v) => log.push(`in ${v.i}`)),
        inPlanOrder(byIndex),
      )
      .subscribe((v) => log.push(`out ${v.i}`));
    expect(released).toEqual(['out 0', 'out 1', 'out 2', 'out 3', 'out 4']);
    expect(log).toEqual([
      'in 2',
      'in 0',
      'out 0',
      'in 3',
      'in 1',
      'out 1',
      'out 2',
      'out 3',
      'in 4',
      'out 4',
    ]);
  });

  it('drops nothing: held values leave before the completion or error', async () => {
    expect(await lastValueFrom(from([{ i: 3 }, { i: 1 }]).pipe(inPlanOrder(byIndex), toArray()))).toEqual([
      { i: 1 },
      { i: 3 },
    ]);
    const got: number[] = [];
    let failure: unknown = null;
    concat(
      from([{ i: 2 }, { i: 1 }]),
      throwError(() => new Error('crash')),
    )
      .pipe(inPlanOrder(byIndex))
      .subscribe({ next: (v) => got.push(v.i), error: (e) => (failure = e) });
    expect(got).toEqual([1, 2]);
    expect(failure).toBeInstanceOf(Error);
  });

  it('errors on unknown or repeated positions', async () => {
    await expect(lastValueFrom(from([{ i: 0 }, { i: 0 }]).pipe(inPlanOrder(byIndex)))).rejects.toThrow(
      OrderError,
    );
    await expect(lastValueFrom(from([{ i: -1 }]).pipe(inPlanOrder(byIndex)))).rejects.toThrow(OrderError);
  });
});

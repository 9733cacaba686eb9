/**
 * Reorder a stream into a fixed order (a reorder buffer): values arrive in
 * completion order and leave in plan order, each as soon as every value
 * before it has left. Used where output must be deterministic (JSONL trial
 * logs) while the producer finishes trials in any order.
 *
 * Nothing is dropped: on completion or error the values still held back
 * leave in plan order (gaps skipped) before the completion or error passes on.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { LamerError } from '../util/errors.js';

/** A value whose position in the plan is unknown or taken twice. */
export class OrderError extends LamerError {}

/** `indexOf(value)` = the value's 0-based position in the plan. */
export function inPlanOrder<T>(indexOf: (value: T) => number | undefined): OperatorFunction<T, T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      const held = new Map<number, T>();
      let next = 0;
      const release = () => {
        while (held.has(next)) {
          const value = held.get(next)!;
          held.delete(next);
          next += 1;
          subscriber.next(value);
        }
      };
      const flush = () => {
        for (const i of [...held.keys()].sort((a, b) => a - b)) subscriber.next(held.get(i)!);
        held.clear();
      };
      return source.subscribe({
        next: (value) => {
          const i = indexOf(value);
          if (i === undefined || !Number.isInteger(i) || i < next || held.has(i)) {
            flush();
            subscriber.error(
              new OrderError(`value at plan position ${String(i)} is unknown or arrived twice`),
            );
            return;
          }
          held.set(i, value);
          release();
        },
        error: (err) => {
          flush();
          subscriber.error(err);
        },
        complete: () => {
          flush();
          subscriber.complete();
        },
      });
    });
}

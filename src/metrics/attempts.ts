/**
 * Shared reading of a trial record for the per-attempt metrics: its play
 * turns grouped by attempt (reflection turns excluded).
 */
import { defer, mergeMap, type OperatorFunction } from 'rxjs';
import { type MetricEvent, metric } from '../streams/metric.js';
import type { TrialRecord, TurnSample } from '../streams/types.js';

/** Play samples of each attempt that has at least one, by ascending attempt index. */
export function playByAttempt(record: TrialRecord): Map<number, TurnSample[]> {
  const byAttempt = new Map<number, TurnSample[]>();
  for (const sample of record.samples) {
    if (sample.phase !== 'play') continue;
    const list = byAttempt.get(sample.attempt);
    if (list) list.push(sample);
    else byAttempt.set(sample.attempt, [sample]);
  }
  return new Map([...byAttempt.entries()].sort((a, b) => a[0] - b[0]));
}

/**
 * Index of the first attempt in which some play turn won (reference §10), or
 * null. A trial marked `failed` counts as never won.
 */
export function firstWin(record: TrialRecord): number | null {
  if (record.failed !== undefined) return null;
  let first: number | null = null;
  for (const sample of record.samples) {
    if (sample.phase === 'play' && sample.won && (first === null || sample.attempt < first))
      first = sample.attempt;
  }
  return first;
}

/** A running mean/rate accumulator keyed by a series label. */
export class Tally {
  private readonly sums = new Map<string, { sum: number; count: number }>();

  /** Adds one value to the series `key`. */
  add(key: string, value: number): void {
    const t = this.sums.get(key) ?? { sum: 0, count: 0 };
    t.sum += value;
    t.count += 1;
    this.sums.set(key, t);
  }

  /** Mean of the series `key` (0 when it has no values). */
  mean(key: string): number {
    const t = this.sums.get(key);
    return t && t.count > 0 ? t.sum / t.count : 0;
  }

  /** How many values the series `key` has. */
  count(key: string): number {
    return this.sums.get(key)?.count ?? 0;
  }
}

/**
 * A per-attempt running mean of `measure(play samples of the attempt)`,
 * overall and tagged by attempt number. Shared by turnsPerAttempt and reward.
 */
export function perAttemptMean(
  name: string,
  measure: (samples: TrialRecord['samples']) => number,
): OperatorFunction<TrialRecord, MetricEvent> {
  return (source) =>
    defer(() => {
      const tally = new Tally();
      let trials = 0;
      return source.pipe(
        mergeMap((record) => {
          trials += 1;
          const keys = [''];
          for (const [attempt, samples] of playByAttempt(record)) {
            const value = measure(samples);
            const key = String(attempt + 1);
            tally.add('', value);
            tally.add(key, value);
            keys.push(key);
          }
          return keys.map((key) =>
            metric(
              name,
              tally.mean(key),
              { step: trials, scope: 'trial', count: tally.count(key) },
              key === '' ? {} : { attempt: key },
            ),
          );
        }),
      );
    });
}

/**
 * Repeated-token rate: a collapse detector for degenerate, looping replies.
 *
 * - Tokens are the reply's whitespace-separated words, lower-cased (so the
 *   value is comparable across policies and tokenizers).
 * - A reply's repetition ratio is rep-n (Welleck et al., 2019): 1 − (distinct
 *   word n-grams) / (word n-grams), n = 4 by default; 0 for a reply with fewer
 *   than n words. A healthy reply scores near 0; "up up up up …" near 1.
 * - A reply is repetitive when its ratio is above `threshold` (default 0.5:
 *   more than half of its n-grams repeat an earlier one).
 *
 * Input: turn samples (play and reflect). Emits after every sample
 * `repeated_token_rate` (share of replies so far that are repetitive) and
 * `repetition_mean` (mean ratio), count = replies so far.
 */
import { defer, mergeMap, type OperatorFunction } from 'rxjs';
import { type MetricEvent, metric, ratio } from '../streams/metric.js';
import type { TurnSample } from '../streams/types.js';

/** Options of {@link repeatedTokenRate}. */
export interface RepeatedTokenOptions {
  /** n-gram length (default 4). */
  n?: number;
  /** A reply whose ratio is above this is repetitive (default 0.5). */
  threshold?: number;
}

/** rep-n of one text: 1 − distinct n-grams / n-grams over its lower-cased words. */
export function repetitionRatio(text: string, n = 4): number {
  const words = text.toLowerCase().match(/\S+/g) ?? [];
  const total = words.length - n + 1;
  if (total <= 0) return 0;
  const distinct = new Set<string>();
  for (let i = 0; i < total; i++) distinct.add(words.slice(i, i + n).join(' '));
  return 1 - distinct.size / total;
}

/**
 * Operator over turn samples: `repeated_token_rate` (share of replies whose
 * word n-gram repetition ratio is above `threshold`) and `repetition_mean`
 * (mean ratio), after every sample. A collapse detector for looping replies.
 */
export function repeatedTokenRate(
  options: RepeatedTokenOptions = {},
): OperatorFunction<TurnSample, MetricEvent> {
  const n = options.n ?? 4;
  const threshold = options.threshold ?? 0.5;
  return (source) =>
    defer(() => {
      let replies = 0;
      let repetitive = 0;
      let sum = 0;
      return source.pipe(
        mergeMap((sample) => {
          const r = repetitionRatio(sample.response, n);
          replies += 1;
          sum += r;
          if (r > threshold) repetitive += 1;
          const at = { step: replies, scope: 'turn' as const, count: replies };
          return [
            metric('repeated_token_rate', ratio(repetitive, replies), at),
            metric('repetition_mean', ratio(sum, replies), at),
          ];
        }),
      );
    });
}

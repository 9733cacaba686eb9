/**
 * pass@k (reference §10, `success_evaluator`): for each trial, `won[j]` is
 * true when some play turn of attempt j won; pass@k is the fraction of trials
 * with a win in any attempt ≤ k (attempts counted from 1 here: pass@1 is the
 * first attempt). Cumulative by construction: pass@1 ≤ pass@2 ≤ ….
 *
 * Trials marked `failed` (the policy could not complete them) stay in the
 * denominator as failures and are also counted in `failed_trials`, so a run
 * whose policy errors never looks better than it is.
 *
 * Emits after every trial: `pass@1` … `pass@K` (value = rate over all trials
 * so far, count = trials so far) and `failed_trials` (value = number of failed
 * trials, count = trials so far). K is `options.k`, or the largest
 * `TrialRecord.attempts` seen so far.
 */
import { mergeMap, type OperatorFunction, scan } from 'rxjs';
import { type MetricEvent, metric, ratio } from '../streams/metric.js';
import type { TrialRecord } from '../streams/types.js';
import { firstWin } from './attempts.js';

/** Options of {@link passAtK}. */
export interface PassAtKOptions {
  /** Highest k reported; default: the largest `attempts` of the trials seen. */
  k?: number;
}

interface PassState {
  trials: number;
  failed: number;
  k: number;
  /** winsAtAttempt[j] = trials whose first win is attempt j (0-based). */
  winsAtAttempt: number[];
}

/**
 * Operator over trial records: after every trial, `pass@1` … `pass@K` (share
 * of trials won within the first k attempts; failed trials count as losses)
 * and `failed_trials`.
 */
export function passAtK(options: PassAtKOptions = {}): OperatorFunction<TrialRecord, MetricEvent> {
  return (source) =>
    source.pipe(
      scan<TrialRecord, PassState>(
        (state, record) => {
          const won = firstWin(record);
          const winsAtAttempt = [...state.winsAtAttempt];
          if (won !== null) winsAtAttempt[won] = (winsAtAttempt[won] ?? 0) + 1;
          return {
            trials: state.trials + 1,
            failed: state.failed + (record.failed !== undefined ? 1 : 0),
            k: options.k ?? Math.max(state.k, record.attempts),
            winsAtAttempt,
          };
        },
        { trials: 0, failed: 0, k: options.k ?? 0, winsAtAttempt: [] },
      ),
      mergeMap((state) => passEvents(state)),
    );
}

function passEvents(state: PassState): MetricEvent[] {
  const at = { step: state.trials, scope: 'trial' as const, count: state.trials };
  const events: MetricEvent[] = [];
  let cumulative = 0;
  for (let k = 1; k <= state.k; k++) {
    cumulative += state.winsAtAttempt[k - 1] ?? 0;
    events.push(metric(`pass@${k}`, ratio(cumulative, state.trials), at));
  }
  events.push(metric('failed_trials', state.failed, at));
  return events;
}

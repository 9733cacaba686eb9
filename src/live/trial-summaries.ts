/**
 * Trial records → one `TrialSummary` per finished trial: the trial's own
 * facts and the rollout's overall metrics after it, computed by the
 * project's metric operators (pass@k, trajectory entropy over the tasks
 * whose trials have all finished, invalid-action and format-error rates,
 * mean attempt return), so a live chart of pass@k is the same number the
 * final report prints.
 */
import { defer, finalize, map, merge, mergeMap, type OperatorFunction, Subject } from 'rxjs';
import { formatErrorRate } from '../metrics/format-error-rate.js';
import { invalidActionRate } from '../metrics/invalid-action-rate.js';
import { passAtK } from '../metrics/pass-at-k.js';
import { reward } from '../metrics/reward.js';
import { trajectoryEntropy } from '../metrics/trajectory-entropy.js';
import { groupByTask } from '../streams/bridge.js';
import type { TrialRecord } from '../streams/types.js';
import type { LivePhase, TrialSummary } from './events.js';

/** Options of {@link trialSummaries}. */
export interface TrialSummaryOptions {
  phase: LivePhase;
  /** Attempts per trial (pass@1..attempts). */
  attempts: number;
  /** Trials per task (a task's entropy counts once all of them finished). */
  trialsPerTask: number;
}

/** Operator: one `TrialSummary` per finished trial, with the rollout's metrics so far (pass@k, entropy, invalid-action and format-error rates, mean return). */
export function trialSummaries(options: TrialSummaryOptions): OperatorFunction<TrialRecord, TrialSummary> {
  return (source) =>
    defer(() => {
      const trials = new Subject<TrialRecord>();
      const samples = trials.pipe(mergeMap((r) => r.samples));
      const latest: Record<string, number> = {};
      // every operator is synchronous: pushing a record updates `latest` before the summary is built
      const metrics = merge(
        trials.pipe(passAtK({ k: options.attempts })),
        trials.pipe(groupByTask(options.trialsPerTask), trajectoryEntropy()),
        samples.pipe(invalidActionRate()),
        samples.pipe(formatErrorRate()),
        trials.pipe(reward()),
      ).subscribe((e) => {
        if (Object.keys(e.tags).length === 0) latest[e.name] = e.value;
      });
      let finished = 0;
      return source.pipe(
        map((record): TrialSummary => {
          trials.next(record);
          finished += 1;
          return {
            kind: 'trial',
            phase: options.phase,
            trialId: record.trialId,
            taskId: record.taskId,
            wonAt: record.wonAt,
            turns: record.samples.length,
            failed: record.failed !== undefined,
            trials: finished,
            metrics: { ...latest },
          };
        }),
        finalize(() => {
          metrics.unsubscribe();
          trials.complete();
        }),
      );
    });
}

/**
 * The learner side of the actor ↔ RxJS bridge: batches of trial records from
 * a stream go into the learner actor as `batch` events (it never imports
 * RxJS), and its `learner-stats` events come back as a stream.
 */
import { map, Observable, type Subscription } from 'rxjs';
import type { TrainStats } from '../learner/trainer/index.js';
import { LamerError } from '../util/errors.js';
import { type EmittingActor, fromEmitted } from './bridge.js';
import type { TrialRecord } from './types.js';

/** What the feed sends to the learner actor. */
export interface LearnerInbox {
  /** Hands the learner a batch of trial records, or `close` once the trials are done. */
  send(event: { type: 'batch'; records: TrialRecord[] } | { type: 'close' }): void;
}

/** The learner actor's `learner-stats` event: the stats of training step `step`. */
export interface LearnerStatsEvent {
  type: 'learner-stats';
  step: number;
  stats: TrainStats;
}

/** A learner failure (its `learner-error` event) on a stats stream. */
export class LearnerFailedError extends LamerError {
  constructor(
    message: string,
    readonly step: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Sends each batch of `batches$` to the learner, and `close` when the stream ends (completes
 * or errors; the learner then finishes the batches it has and ends).
 */
export function feedLearner(
  batches$: Observable<readonly TrialRecord[]>,
  learner: LearnerInbox,
): Subscription {
  return batches$.subscribe({
    next: (records) => learner.send({ type: 'batch', records: [...records] }),
    complete: () => learner.send({ type: 'close' }),
    error: () => learner.send({ type: 'close' }),
  });
}

/**
 * The learner's stats, one per trained batch; completes when the learner ends (`learner-done`
 * or actor completion) and errors with a LearnerFailedError when it fails.
 */
export function learnerStats(actor: EmittingActor): Observable<LearnerStatsEvent> {
  return new Observable<LearnerStatsEvent>((subscriber) => {
    const failure = actor.on('learner-error', (e: { message: string; step: number; cause?: unknown }) =>
      subscriber.error(
        new LearnerFailedError(`learner failed on batch ${e.step}: ${e.message}`, e.step, { cause: e.cause }),
      ),
    );
    const stats = fromEmitted<LearnerStatsEvent>(actor, 'learner-stats', 'learner-done')
      .pipe(map((e) => ({ type: e.type, step: e.step, stats: e.stats })))
      .subscribe(subscriber);
    return () => {
      failure.unsubscribe();
      stats.unsubscribe();
    };
  });
}

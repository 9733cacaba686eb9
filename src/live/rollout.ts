/**
 * A rollout actor's streams into a live log: its turns as turn batches and
 * its trials as trial summaries (one operator each, turn-batches.ts and
 * trial-summaries.ts), published as they happen. Attach before the actor
 * starts (`runRollout`'s `attach`).
 */
import { merge, type Subscription } from 'rxjs';
import { type EmittingActor, rolloutStreams } from '../streams/bridge.js';
import type { LivePhase } from './events.js';
import type { LiveLog } from './log.js';
import { trialSummaries } from './trial-summaries.js';
import { turnBatches } from './turn-batches.js';

/** What {@link watchRollout} needs to summarise a rollout: its phase, attempts and trials per task, batch size. */
export interface WatchRolloutOptions {
  phase: LivePhase;
  attempts: number;
  trialsPerTask: number;
  /** Trials in flight (the most turns in one policy batch); default 64. */
  concurrency?: number;
}

/** Publishes a rollout actor's turns as turn batches and its trials as trial summaries into `log`. Call before the actor starts; unsubscribe to stop. */
export function watchRollout(log: LiveLog, actor: EmittingActor, o: WatchRolloutOptions): Subscription {
  const s = rolloutStreams(actor);
  return merge(
    s.turns$.pipe(turnBatches({ phase: o.phase, size: o.concurrency ?? 64 })),
    s.trials$.pipe(trialSummaries({ phase: o.phase, attempts: o.attempts, trialsPerTask: o.trialsPerTask })),
  ).subscribe({
    next: (body) => log.publish(body),
    // the rollout's own promise reports its failure; the live stream just stops for this rollout
    error: () => {},
  });
}

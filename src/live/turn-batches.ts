/**
 * Turn samples → one `TurnBatch` per policy batch: the turns whose replies
 * came back together (a batched generate call resolves its replies in one
 * macrotask, so a batch is the turns that arrive before the next one), with
 * their counts of invalid play replies, reflections, format errors, response
 * tokens and the mean −log p of the sampled tokens. An instant policy answers
 * many batches in one macrotask: a batch is then also cut at `size` turns
 * (the rollout's concurrency: one lock-step round).
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { hasRequiredTags } from '../metrics/format-error-rate.js';
import type { TurnSample } from '../streams/types.js';
import type { LivePhase, TurnBatch } from './events.js';

/** Options of {@link turnBatches}. */
export interface TurnBatchOptions {
  phase: LivePhase;
  /** Most turns in one batch (default 64, the rollout's default concurrency). */
  size?: number;
  /** Runs `flush` once the current macrotask is over (default `setImmediate`). */
  later?: (flush: () => void) => void;
}

/** The counts of one batch of turns. */
export function batchOf(samples: readonly TurnSample[], phase: LivePhase, totalTurns: number): TurnBatch {
  let play = 0;
  let invalid = 0;
  let formatErrors = 0;
  let tokens = 0;
  let logp = 0;
  let scored = 0;
  for (const s of samples) {
    if (s.phase === 'play') {
      play += 1;
      if (!s.valid) invalid += 1;
    }
    if (!hasRequiredTags(s.response, s.phase)) formatErrors += 1;
    tokens += s.responseTokens?.length ?? 0;
    for (const lp of s.logprobs ?? []) {
      logp += lp;
      scored += 1;
    }
  }
  return {
    kind: 'turns',
    phase,
    turns: samples.length,
    play,
    invalid,
    reflect: samples.length - play,
    formatErrors,
    tokens,
    tokenEntropy: scored === 0 ? null : -logp / scored,
    totalTurns,
  };
}

/** Operator: groups turn samples into one `TurnBatch` per policy batch (the turns that arrive in one macrotask, at most `size`), with their counts. */
export function turnBatches(options: TurnBatchOptions): OperatorFunction<TurnSample, TurnBatch> {
  const size = options.size ?? 64;
  const later = options.later ?? ((flush: () => void) => setImmediate(flush));
  return (source) =>
    new Observable<TurnBatch>((subscriber) => {
      let pending: TurnSample[] = [];
      let total = 0;
      let scheduled = false;
      const flush = () => {
        scheduled = false;
        if (pending.length === 0) return;
        const batch = pending;
        pending = [];
        total += batch.length;
        subscriber.next(batchOf(batch, options.phase, total));
      };
      const subscription = source.subscribe({
        next: (sample) => {
          pending.push(sample);
          if (pending.length >= size) flush();
          else if (!scheduled) {
            scheduled = true;
            later(flush);
          }
        },
        error: (error) => {
          flush();
          subscriber.error(error);
        },
        complete: () => {
          flush();
          subscriber.complete();
        },
      });
      return () => subscription.unsubscribe();
    });
}

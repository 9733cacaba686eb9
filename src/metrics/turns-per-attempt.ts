/**
 * Turns per attempt: the number of play turns an attempt took (reflection
 * turns excluded), averaged over every attempt played so far (`tags` empty)
 * and per attempt number (`tags.attempt` = j + 1, 1-based as in pass@k).
 * An attempt counts as played when it has at least one play turn.
 *
 * Input: trial records. Emits after every trial (count = attempts in the mean).
 */
import type { OperatorFunction } from 'rxjs';
import type { MetricEvent } from '../streams/metric.js';
import type { TrialRecord } from '../streams/types.js';
import { perAttemptMean } from './attempts.js';

/**
 * Operator over trial records: `turns_per_attempt`, the mean number of play
 * turns per attempt, overall and per attempt number (`tags.attempt`), after every trial.
 */
export function turnsPerAttempt(): OperatorFunction<TrialRecord, MetricEvent> {
  return perAttemptMean('turns_per_attempt', (samples) => samples.length);
}

/**
 * Reward: the mean episode return, where an episode is one attempt and its
 * return is the sum of its play turns' env rewards (reflection turns carry
 * reward 0 and are excluded). Reported over every attempt played so far
 * (`tags` empty) and per attempt number (`tags.attempt` = j + 1).
 *
 * Input: trial records. Emits `episode_return` after every trial.
 */
import type { OperatorFunction } from 'rxjs';
import type { MetricEvent } from '../streams/metric.js';
import type { TrialRecord } from '../streams/types.js';
import { perAttemptMean } from './attempts.js';

/**
 * Operator over trial records: `episode_return`, the mean over attempts of
 * the sum of an attempt's play-turn rewards, overall and per attempt number
 * (`tags.attempt`, 1-based), after every trial.
 */
export function reward(): OperatorFunction<TrialRecord, MetricEvent> {
  return perAttemptMean('episode_return', (samples) => samples.reduce((sum, s) => sum + s.reward, 0));
}

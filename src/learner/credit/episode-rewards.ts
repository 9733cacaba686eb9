/**
 * Per-attempt episode rewards (reference §5.2): each play sample gets the
 * undiscounted sum of the env rewards of its own attempt; reflections get 0.
 * No cross-episode term (cross-episode credit enters through the step returns).
 */
import type { TurnSample } from '../../streams/types.js';

/**
 * The fields of a turn sample credit assignment reads.
 * @inline
 */
type Sample = Pick<TurnSample, 'phase' | 'attempt' | 'reward'>;

/** Per sample, the undiscounted sum of its attempt's env rewards (reflections get 0). */
export function episodeRewards(samples: readonly Sample[]): number[] {
  const sums = new Map<number, number>();
  for (const s of samples) if (s.phase === 'play') sums.set(s.attempt, (sums.get(s.attempt) ?? 0) + s.reward);
  return samples.map((s) => (s.phase === 'play' ? sums.get(s.attempt)! : 0));
}

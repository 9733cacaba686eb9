/**
 * The invalid-format penalty (reference §6.1): the score placed on a sample's
 * last response token is its episode reward minus `coef × (1 − valid)`
 * (coef 0.5 in every LaMer script). It affects only the episode-level term.
 */
export const DEFAULT_INVALID_PENALTY = 0.5;

export function penalisedScores(
  episodeRewards: readonly number[],
  valid: readonly boolean[],
  coef = DEFAULT_INVALID_PENALTY,
): number[] {
  return episodeRewards.map((r, i) => r - coef * (valid[i] ? 0 : 1));
}

/**
 * GRPO advantages (reference §6.3): A_i = (s_i − mean) / (unbiased std + 1e-6)
 * over the task group of turn-level samples (a singleton group uses mean 0,
 * std 1). s_i is the penalised per-attempt episode score: the reference's
 * intended switch to step returns is a no-op comparison (§12.5), so like the
 * reference we use undiscounted per-attempt rewards.
 */
import { groupStats } from './group-stats.js';

/** GRPO advantages: (score − group mean) / (unbiased group std + epsilon), per task group (a singleton group uses mean 0, std 1); `normaliseByStd: false` only subtracts the mean. */
export function grpoAdvantages(
  scores: readonly number[],
  groupIds: readonly string[],
  options: { normaliseByStd?: boolean; epsilon?: number } = {},
): number[] {
  const eps = options.epsilon ?? 1e-6;
  const byStd = options.normaliseByStd ?? true;
  const stats = groupStats(scores, groupIds);
  return scores.map((s, i) => {
    const g = stats.get(groupIds[i]!)!;
    const mean = g.size === 1 ? 0 : g.mean;
    const std = g.size === 1 ? 1 : g.std;
    return byStd ? (s - mean) / (std + eps) : s - mean;
  });
}

/**
 * The PPO-style baseline's advantages. The paper's PPO row trains a critic
 * with GAE; our built-in setup has no value model, so this baseline uses the
 * cross-episode step return whitened over the whole batch (mean and unbiased
 * std of all samples — a batch-mean baseline instead of a learned one, no
 * grouping by task). Stated here so results are not mistaken for critic PPO.
 */
export function ppoBaselineAdvantages(stepReturns: readonly number[], epsilon = 1e-6): number[] {
  const n = stepReturns.length;
  if (n === 0) return [];
  const mean = stepReturns.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(stepReturns.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1)) : 1;
  return stepReturns.map((r) => (r - mean) / (std + epsilon));
}

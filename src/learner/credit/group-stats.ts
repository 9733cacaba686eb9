/**
 * Group means and unbiased standard deviations, the one statistic every
 * group-relative advantage (GiGPO, GRPO) is built from.
 */
export interface GroupStat {
  mean: number;
  std: number;
  size: number;
}

/** Mean and unbiased std of `values` per group key. */
export function groupStats(values: readonly number[], keys: readonly string[]): Map<string, GroupStat> {
  const members = new Map<string, number[]>();
  for (let i = 0; i < values.length; i++) {
    const list = members.get(keys[i]!);
    if (list) list.push(values[i]!);
    else members.set(keys[i]!, [values[i]!]);
  }
  const out = new Map<string, GroupStat>();
  for (const [key, xs] of members) {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.length > 1 ? xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1) : 0;
    out.set(key, { mean, std: Math.sqrt(variance), size: xs.length });
  }
  return out;
}

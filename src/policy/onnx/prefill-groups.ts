/**
 * Rows of a left-padded prefill batch grouped by prompt length. Each group runs as its own prefill
 * on only the last `width` columns (its longest prompt): with left padding the columns before are
 * padding for every row of the group, and dropping them changes no logit (positions are explicit and
 * padding is masked). A LaMer rollout's batches mix ~130-token first-attempt prompts with ~330-token
 * ones after reflections; padded to the batch's longest, a third of the prefill was padding.
 *
 * Where to cut: the rows sorted by length, cut into the groups that cost least, a group costing
 * PASS_TOKENS (a run's fixed work, in tokens) plus its rows × its width. Cutting only at the size
 * limit (as before 2026-12-07) padded the small mixed groups of a continuous batch's joins (~8 rows
 * of 100–330 tokens in one run).
 */
export interface PrefillGroup {
  /** Row indices in the batch, shortest prompt first. */
  rows: number[];
  /** The group's longest prompt: the columns it runs on. */
  width: number;
}

/**
 * A prefill run's fixed work in prompt tokens: ~1 ms a run against ~5 µs a token (d64×2 model, 90-token
 * prompts, load 10: 1.38 ms for one row, 8.5 ms for sixteen).
 */
export const PASS_TOKENS = 160;

/**
 * Groups of at most `size` rows, and at most `maxRows(width)` (the memory budget at that width), cut
 * from the rows sorted by prompt length (stable) where the groups' cost is least (see above), a run's
 * fixed work counted as `passTokens` (Infinity: cut only at the limits, the fewest runs).
 */
export function prefillGroups(
  lengths: readonly number[],
  maxRows: (width: number) => number,
  size: number,
  passTokens = PASS_TOKENS,
): PrefillGroup[] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const n = order.length;
  // best[j]: least cost of the first j sorted rows; from[j]: where its last group starts
  const best = new Float64Array(n + 1).fill(Number.POSITIVE_INFINITY);
  const from = new Int32Array(n + 1);
  best[0] = 0;
  for (let j = 1; j <= n; j++) {
    const width = lengths[order[j - 1]!]!;
    const limit = Math.max(1, Math.min(size, maxRows(width)));
    for (let i = j - 1; i >= Math.max(0, j - limit); i--) {
      const cost = best[i]! + passTokens + (j - i) * width;
      if (cost < best[j]!) {
        best[j] = cost;
        from[j] = i;
      }
    }
  }
  const groups: PrefillGroup[] = [];
  for (let j = n; j > 0; j = from[j]!) {
    const rows = order.slice(from[j]!, j);
    groups.unshift({ rows, width: lengths[rows[rows.length - 1]!]! });
  }
  return groups;
}

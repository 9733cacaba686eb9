/**
 * Rows of a left-padded prefill batch grouped by prompt length. Each group runs as its own prefill
 * on only the last `width` columns (its longest prompt): with left padding the columns before are
 * padding for every row of the group, and dropping them changes no logit (positions are explicit and
 * padding is masked). A LaMer rollout's batches mix ~130-token first-attempt prompts with ~330-token
 * ones after reflections; padded to the batch's longest, a third of the prefill was padding.
 */
export interface PrefillGroup {
  /** Row indices in the batch, shortest prompt first. */
  rows: number[];
  /** The group's longest prompt: the columns it runs on. */
  width: number;
}

/**
 * Groups of at most `size` rows, and at most `maxRows(width)` (the memory budget at that width), cut
 * from the rows sorted by prompt length (stable).
 */
export function prefillGroups(
  lengths: readonly number[],
  maxRows: (width: number) => number,
  size: number,
): PrefillGroup[] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const groups: PrefillGroup[] = [];
  let current: PrefillGroup | null = null;
  for (const r of order) {
    const width = lengths[r]!;
    const limit = Math.max(1, Math.min(size, maxRows(width)));
    if (current === null || current.rows.length + 1 > limit) {
      current = { rows: [], width };
      groups.push(current);
    }
    current.rows.push(r);
    current.width = width; // ascending: the newest row is the longest
  }
  return groups;
}

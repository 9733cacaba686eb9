/**
 * Memory-budgeted micro-batches. A gradient pass keeps, per row and layer, activations that grow with
 * the row's length T (projections, norms, the MLP) and the attention's softmax, which grows with T²
 * (heads × T × T floats: the graph's attention is not fused). At 1.2k-token prompts one row of a
 * 135M-parameter model already holds ~3.6 GiB, so a fixed row count per micro-batch (the reference's 16,
 * the `hf-lora` preset's 4) does not say how much memory a micro-batch takes; a budget on the
 * estimated bytes does. Splitting a micro-batch changes nothing else: every micro-batch's loss and
 * statistics are divided by the whole mini-batch's token count, so their sum is the same gradient.
 */
import type { ModelConfig } from '../model.js';
import { chunks, lengthChunks, type TrainSequence } from './batch.js';

const MIB = 1024 * 1024;

/**
 * Estimated activation bytes of one gradient pass over `rows` sequences padded to `seqLen` tokens
 * (float32): per layer, (8·dModel + 4·ffnHidden) floats per token and 1.5·nHeads floats per
 * (query, key) pair (the saved softmax, plus the backward's share of the layer it works on). Fitted to
 * the 135M LoRA gradient graph: one row of 1.0k / 1.2k / 1.4k tokens grew the process's anonymous
 * memory by 2.73 / 3.58 / 4.65 GiB, estimated 2.71 / 3.61 / 4.64 (docs/experiments.md). The forward-only
 * log-prob pass holds less (one layer's softmax at a time), so the same bound is safe for it.
 */
export function activationBytes(model: ModelConfig, rows: number, seqLen: number): number {
  const perToken = 8 * model.dModel + 4 * model.ffnHidden;
  const perPair = 1.5 * model.nHeads;
  return 4 * rows * model.nLayers * seqLen * (perToken + seqLen * perPair);
}

/**
 * Micro-batches of at most `maxRows` sequences whose estimated activations ({@link activationBytes}
 * of the rows padded to their longest) stay within `budgetMiB`; a sequence over the budget by itself
 * forms its own micro-batch. 'by-length' groups rows of similar length first (`lengthChunks`),
 * 'in-order' keeps the given order; each such chunk is then cut, in its order, where adding the next
 * row would pass the budget. Without a budget, or where it does not bind, the chunks are unchanged.
 */
export function budgetedMicroBatches(
  seqs: readonly TrainSequence[],
  model: ModelConfig,
  maxRows: number,
  budgetMiB: number | undefined,
  order: 'by-length' | 'in-order' = 'by-length',
): TrainSequence[][] {
  const grouped = order === 'by-length' ? lengthChunks(seqs, maxRows) : chunks(seqs, maxRows);
  if (budgetMiB === undefined) return grouped;
  const budget = budgetMiB * MIB;
  const out: TrainSequence[][] = [];
  for (const chunk of grouped) {
    let current: TrainSequence[] = [];
    let longest = 0;
    for (const s of chunk) {
      const len = Math.max(longest, s.tokens.length);
      if (current.length > 0 && activationBytes(model, current.length + 1, len) > budget) {
        out.push(current);
        current = [];
      }
      current.push(s);
      longest = current.length === 1 ? s.tokens.length : len;
    }
    if (current.length > 0) out.push(current);
  }
  return out;
}

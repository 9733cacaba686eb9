/**
 * Memory-budgeted micro-batches. A gradient pass keeps, per row and layer, activations that grow with
 * the row's length T (projections, norms, the MLP), and while the backward works on a layer's
 * attention it holds a few [heads, T, T] tensors (the `Attention` op recomputes the softmax there
 * instead of keeping every layer's). At the faithful prompts' 1–2k tokens one row of a 135M-parameter
 * model holds 2–4 GiB, so a fixed row count per micro-batch (the reference's 16, the `hf-lora`
 * preset's 4) does not say how much memory a micro-batch takes; a budget on the estimated bytes does.
 * Splitting a micro-batch changes nothing else: every micro-batch's loss and statistics are divided by
 * the whole mini-batch's token count, so their sum is the same gradient.
 */
import type { ModelConfig } from '../model.js';
import { chunks, lengthChunks, type TrainSequence } from './batch.js';

const MIB = 1024 * 1024;

/**
 * Estimated activation bytes of one gradient pass over `rows` sequences padded to `seqLen` tokens
 * (float32): (12·dModel + 6·ffnHidden) floats per token and layer, plus 3·nHeads floats per
 * (query, key) pair for the one layer whose attention the backward is working on. Fitted to the 135M
 * LoRA gradient graph (one row of 1.0k / 2.0k tokens grew the process's anonymous memory by
 * 1.94 / 4.07 GiB, estimated 1.90 / 4.01; docs/experiments.md). The forward-only log-prob pass holds
 * less (nothing is kept for a backward), so the same bound is safe for it.
 */
export function activationBytes(model: ModelConfig, rows: number, seqLen: number): number {
  const perToken = model.nLayers * (12 * model.dModel + 6 * model.ffnHidden);
  const perPair = 3 * model.nHeads;
  return 4 * rows * seqLen * (perToken + seqLen * perPair);
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

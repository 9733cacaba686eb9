/**
 * The forward pass's attention masks as additive biases [B, 1, 1, T, S] (model.ts): the general one
 * from the attention mask and positions, and the generation worker's left-padded layout's.
 */
import * as G from './graph/index.js';
import type { ForwardInputs } from './model.js';

/**
 * Causal + padding mask as an additive bias [B, 1, 1, T, S]: key j is visible to query i when it is a
 * real token and its position (count of real tokens before it) is at most the query's position.
 */
export function attentionBias(x: ForwardInputs, dtype: G.DType): G.Tensor {
  const keyPos = G.sub(G.cumsum(x.attentionMask, 1), 1); // [B, S]
  const causal = G.lessOrEqual(G.unsqueeze(keyPos, [1]), G.unsqueeze(x.positionIds, [2])); // [B, T, S]
  const real = G.unsqueeze(G.equal(x.attentionMask, 1), [1]); // [B, 1, S]
  const visible = G.and(causal, real); // [B, T, S]
  return G.unsqueeze(G.where(visible, G.scalar(0, dtype), G.scalar(-1e9, dtype)), [1, 2]);
}

/**
 * The same bias for `leftPadded` inputs: there a real key is visible to a query when its column is at
 * most the query's (column S − T + t), the same [T, S] pattern for every row, so it is computed once
 * from row 0's shape and the padding added as a [B, 1, S] bias: one Add over [B, T, S] instead of
 * LessOrEqual, And and Where (half the mask's time in a prompt pass). A masked key gets −1e9 or −2e9:
 * either way its exp is 0, so the attention is the same to the bit.
 */
export function leftPaddedBias(x: ForwardInputs, dtype: G.DType): G.Tensor {
  // [1, n] for a [B, n] input: n − j at column j (a row of ones, summed from the right)
  const countdown = (t: G.Tensor) =>
    G.cumsum(G.add(G.mul(G.reduceMax(G.cast(t, dtype), [0], true), 0), 1), 1, true);
  const keysAfter = G.unsqueeze(countdown(x.attentionMask), [1]); // [1, 1, S]: S − j
  const queriesAfter = G.unsqueeze(countdown(x.inputIds), [2]); // [1, T, 1]: T − t
  const causal = G.where(G.lessOrEqual(queriesAfter, keysAfter), G.scalar(0, dtype), G.scalar(-1e9, dtype)); // [1, T, S]
  const padding = G.where(G.equal(x.attentionMask, 1), G.scalar(0, dtype), G.scalar(-1e9, dtype)); // [B, S]
  return G.unsqueeze(G.add(causal, G.unsqueeze(padding, [1])), [1, 2]); // [B, 1, 1, T, S]
}

/**
 * Losses over per-token tensors aligned with the scored tokens: in the full
 * layout, entry t of a [B, T] tensor scores token t of `input_ids` as predicted
 * from the tokens before it (column 0, no prediction, is dropped by
 * `shiftTokens`); in the response window, entry j of a [B, R] tensor scores
 * response token j (train-step.ts gathers the positions that predict them).
 * All means are token means over `loss_mask`, divided by `numTokens` (the valid
 * tokens of the whole mini-batch, so that micro-batch gradients add up to the
 * mini-batch's).
 */
import { ConfigError } from '../util/errors.js';
import * as G from './graph/index.js';
import { forward, type LoraTensors, lmHead, type ModelConfig, positionsFromMask } from './model.js';

/** The loss of a training step: clipped PPO surrogate (dual-clip, entropy bonus, KL) or token cross-entropy. */
export interface PpoLossConfig {
  /** 'ce': token-level cross-entropy (supervised warm start); 'ppo': the reference's clipped surrogate (lamer.md §7). */
  readonly kind: 'ce' | 'ppo';
  /** PPO clip range epsilon: ratio clipped to [1 - clipLow, 1 + clipHigh] (verl clip_ratio 0.2). */
  readonly clipLow: number;
  readonly clipHigh: number;
  /** Dual-clip constant c for negative advantages (verl clip_ratio_c 3.0). */
  readonly clipRatioC: number;
  /** Entropy bonus: loss = pg_loss - entropyCoef * entropy (verl 0.001). */
  readonly entropyCoef: number;
  /** Weight of the low_var_kl penalty to reference log-probs; 0 = off, no `ref_logprobs` input (reference: off). */
  readonly klCoef: number;
}

/** verl's defaults: PPO clip 0.2/0.2, dual-clip 3.0, entropy coefficient 0.001, no KL. */
export const DEFAULT_LOSS_CONFIG: PpoLossConfig = {
  kind: 'ppo',
  clipLow: 0.2,
  clipHigh: 0.2,
  clipRatioC: 3.0,
  entropyCoef: 0.001,
  klCoef: 0,
};

/** Logits of softmax(logits / temperature): how a sampler at that temperature sees them (1: unchanged). */
export const atTemperature = (logits: G.Tensor, temperature = 1): G.Tensor =>
  temperature === 1 ? logits : G.mul(logits, 1 / temperature);

/** Log-probs of `targets` [..., N] under `logits` [..., N, V] (row n predicts target n) and each prediction's entropy. */
export function targetLogprobs(
  logits: G.Tensor,
  targets: G.Tensor,
): { logprobs: G.Tensor; entropy: G.Tensor } {
  const V = logits.shape[logits.rank - 1] as number;
  const logp = G.logSoftmax(logits, -1); // [..., N, V]
  const vocab = G.constant(
    Array.from({ length: V }, (_, i) => i),
    'int64',
    [V],
  );
  const onehot = G.cast(G.equal(G.unsqueeze(targets, [-1]), vocab), logits.dtype); // [..., N, V]
  const logprobs = G.reduceSum(G.mul(logp, onehot), [-1]); // [..., N]
  const entropy = G.neg(G.reduceSum(G.mul(G.exp(logp), logp), [-1])); // [..., N]
  return { logprobs, entropy };
}

/** Log-probs of the next tokens and the entropy of each prediction, both [B, T-1]. */
export function tokenLogprobs(
  logits: G.Tensor,
  inputIds: G.Tensor,
): { logprobs: G.Tensor; entropy: G.Tensor } {
  return targetLogprobs(G.slice(logits, [1], [0], [-1]), shiftTokens(inputIds)); // [B, T-1, V] predict [B, T-1]
}

/** Drop column 0 of a per-token [B, T] tensor to align it with `tokenLogprobs`. */
export const shiftTokens = (t: G.Tensor): G.Tensor => G.slice(t, [1], [1], [Number.POSITIVE_INFINITY]);

/**
 * The loss's inputs, all aligned with the scored tokens (same shape: [B, T-1] after `shiftTokens` in
 * the full layout, [B, R] in the response window).
 */
export interface LossInputs {
  /** Log-prob of each scored token and the entropy of its prediction. */
  readonly logprobs: G.Tensor;
  readonly entropy: G.Tensor;
  /** 1 (or the token's weight) on tokens that are trained on. */
  readonly lossMask: G.Tensor;
  /** Scalar: valid tokens in the mini-batch (token-mean denominator). */
  readonly numTokens: G.Tensor;
  /** Per-token advantages (ppo). */
  readonly advantages?: G.Tensor;
  /** Log-probs under the sampling policy (ppo); NaN: the log-probs of the weights being trained (on-policy). */
  readonly oldLogprobs?: G.Tensor;
  /** Log-probs under the reference policy (ppo with klCoef > 0). */
  readonly refLogprobs?: G.Tensor;
}

/**
 * Logits of the scored positions and the loss inputs aligned with them: every position but the last
 * (full layout, [B, T-1]), or the rows `target_index` names (window, [B, R]).
 */
export function scoredTokens(
  c: ModelConfig,
  params: Record<string, G.Tensor>,
  x: { inputIds: G.Tensor; attentionMask: G.Tensor; targetIndex?: G.Tensor; targetIds?: G.Tensor },
  temperature?: number,
  lora?: LoraTensors,
): { logits: G.Tensor; logprobs: G.Tensor; entropy: G.Tensor; align: (t: G.Tensor) => G.Tensor } {
  const out = forward(c, params, {
    inputIds: x.inputIds,
    attentionMask: x.attentionMask,
    positionIds: positionsFromMask(x.attentionMask),
    ...(lora ? { lora } : {}),
  });
  if (!x.targetIndex || !x.targetIds) {
    const t = tokenLogprobs(atTemperature(out.logits, temperature), x.inputIds);
    return { logits: out.logits, ...t, align: shiftTokens };
  }
  const rows = G.gather(G.reshape(out.hidden, [-1, c.dModel]), x.targetIndex); // [B, R, d]
  const logits = lmHead(c, params, rows); // [B, R, V]
  const t = targetLogprobs(atTemperature(logits, temperature), x.targetIds); // [B, R]
  return { logits, ...t, align: (t) => t };
}

/** Scalar outputs; `loss` is what the gradient is taken of. */
export type LossStats = Record<string, G.Tensor> & { loss: G.Tensor };

/** Builds the loss into the graph as the token mean over the loss mask, with its stats (entropy, clip fraction, …). Throws {@link ConfigError} for PPO without advantages or old log-probs. */
export function buildLoss(cfg: PpoLossConfig, x: LossInputs): LossStats {
  const { logprobs, entropy, lossMask: mask } = x;
  const mean = (t: G.Tensor) => G.div(G.sumAll(G.mul(t, mask)), x.numTokens); // scalar
  const ent = mean(entropy);
  if (cfg.kind === 'ce') return { loss: mean(G.neg(logprobs)), entropy: ent };
  if (!x.advantages || !x.oldLogprobs) throw new ConfigError('ppo loss needs advantages and old log-probs');

  // verl core_algos.compute_policy_loss (dual-clip PPO), token level.
  const adv = x.advantages;
  // NaN old log-probs mean "these weights" (verl's on-policy old_log_prob = log_prob.detach()):
  // ratio 1, and no separate forward pass before the step's first update.
  const given = x.oldLogprobs;
  const old = G.where(G.equal(given, given), given, G.stopGradient(logprobs));
  const logRatio = G.clip(G.sub(logprobs, old), -20, 20);
  const ratio = G.exp(logRatio);
  const pg1 = G.mul(G.neg(adv), ratio);
  const pg2 = G.mul(G.neg(adv), G.clip(ratio, 1 - cfg.clipLow, 1 + cfg.clipHigh));
  const clipped = G.maximum(pg1, pg2);
  const pg3 = G.mul(G.neg(adv), cfg.clipRatioC);
  const negative = G.less(adv, 0);
  const pgLosses = G.where(negative, G.minimum(pg3, clipped), clipped);
  const pgLoss = mean(pgLosses);
  const stats: LossStats = {
    loss: G.sub(pgLoss, G.mul(ent, cfg.entropyCoef)),
    pg_loss: pgLoss,
    entropy: ent,
    clipfrac: mean(G.cast(G.greater(pg2, pg1), logprobs.dtype)),
    clipfrac_lower: mean(G.cast(G.and(G.greater(clipped, pg3), negative), logprobs.dtype)),
    approx_kl: mean(G.neg(logRatio)),
  };
  if (cfg.klCoef > 0) {
    if (!x.refLogprobs) throw new ConfigError('klCoef > 0 needs reference log-probs');
    // verl kl_penalty 'low_var_kl': exp(k) - k - 1 with k = ref - logp, clamped to [-10, 10].
    const k = G.clip(G.sub(x.refLogprobs, logprobs), -20, 20);
    const kl = mean(G.clip(G.sub(G.sub(G.exp(k), k), 1), -10, 10));
    stats.kl = kl;
    stats.loss = G.add(stats.loss, G.mul(kl, cfg.klCoef));
  }
  return stats;
}
